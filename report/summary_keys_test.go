package report

import (
	"context"
	"testing"
	"time"
	"unsafe"

	"github.com/mailtrace/mailtrace/fetch"
)

// TestSummaryOriginKeys: the origin IPs the summary keeps are its own
// copies, not views of a report's string buffer (which they would keep
// whole), however often an origin is counted: an assignment to an
// existing key stores the key anew.
func TestSummaryOriginKeys(t *testing.T) {
	h := []byte("Received: from relay.example.net (relay.example.net [62.239.237.1]) by mx.example.com with ESMTP id A; Tue, 24 Nov 2026 09:14:05 +0000\n\n")
	s := NewSummary(time.Unix(0, 0))
	var ips []string
	for range 3 {
		r := Build(context.Background(), &fetch.Message{Header: h}, Options{})
		if r.Origin == nil {
			t.Fatal("no origin")
		}
		ips = append(ips, r.Origin.IP)
		s.Add(r)
	}
	if len(s.origins) != 1 {
		t.Fatalf("origins %v", s.origins)
	}
	for k, n := range s.origins {
		if *n != 3 {
			t.Errorf("%s counted %d times", k, *n)
		}
		for _, ip := range ips {
			if unsafe.StringData(k) == unsafe.StringData(ip) {
				t.Errorf("key %s is the report's string", k)
			}
		}
	}
}

// The authentication counts keep no view of a report's strings: a result
// read from a header section is a constant or a copy.
func TestSummaryAuthKeys(t *testing.T) {
	for _, res := range []string{"pass", "fail", "SoftFail", "x-odd"} {
		b := []byte("  " + res + " ")
		view := unsafe.String(&b[2], len(res))
		s := NewSummary(time.Now())
		s.Add(&Report{Auth: &Auth{SPF: view}})
		for k := range s.Auth["spf"] {
			if p := uintptr(unsafe.Pointer(unsafe.StringData(k))); p >= uintptr(unsafe.Pointer(&b[0])) && p < uintptr(unsafe.Pointer(&b[0]))+uintptr(len(b)) {
				t.Errorf("%q: the key points into the report's bytes", res)
			}
		}
	}
}
