package analyzer

import (
	"fmt"
	"reflect"
	"strings"
	"testing"
)

// TestScratchKeepsNoLeftovers: after a message of many hops and one of
// fewer, the hops past the fewer are zero, and after a message of more
// hops than a Scratch keeps, none is left: no earlier message's strings
// are kept alive by a Scratch.
func TestScratchKeepsNoLeftovers(t *testing.T) {
	hops := func(n int) []byte {
		var b strings.Builder
		for i := range n {
			fmt.Fprintf(&b, "Received: from a%d.example.net ([62.239.237.1]) by mx.example.com; Tue, 24 Nov 2026 09:14:05 +0000\n", i)
		}
		return []byte(b.String())
	}
	var s Scratch
	for _, c := range []struct{ n, used int }{{20, 20}, {3, 3}, {0, 0}, {5, 5}, {maxScratchHops + 1, 0}, {2, 2}} {
		s.AnalyzeOwned(hops(c.n), Options{})
		if s.used != c.used {
			t.Fatalf("after %d hops: %d in use, want %d", c.n, s.used, c.used)
		}
		for i := s.used; i < cap(s.hops); i++ {
			if h := s.hops[:cap(s.hops)][i]; !reflect.ValueOf(h).IsZero() {
				t.Fatalf("after %d hops, hop %d of the Scratch holds %q", c.n, i+1, h.Raw)
			}
		}
	}
}
