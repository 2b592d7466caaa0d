package fetch

import (
	"bytes"
	"context"
	"errors"
	"io"
	"math/rand/v2"
	"testing"
)

// TestSlabRelease: messages released in any order, some never, leave the
// ones not yet released as Next returned them, while their slabs' other
// messages are released and the slabs go round (poisoned when they go
// back to the pool).
func TestSlabRelease(t *testing.T) {
	PoisonSlabs(t)
	raw := retainMbox(600)
	for _, window := range []int{1, 3, 40, 300} {
		src, err := Open(context.Background(), "-", Options{Stdin: bytes.NewReader(raw)})
		if err != nil {
			t.Fatal(err)
		}
		rng := rand.New(rand.NewPCG(uint64(window), 1))
		type held struct {
			m    *Message
			want []byte
		}
		var open []held
		check := func(h held) {
			t.Helper()
			if !bytes.Equal(h.m.Header, h.want) {
				t.Fatalf("window %d, message %d changed before it was released:\n%.300q\nwas\n%.300q", window, h.m.Origin.Index, h.m.Header, h.want)
			}
		}
		n, reused := 0, 0
		seen, last := map[*slab]bool{}, (*slab)(nil)
		for {
			m, err := src.Next(context.Background())
			if errors.Is(err, io.EOF) {
				break
			}
			if err != nil {
				t.Fatal(err)
			}
			n++
			for _, h := range open {
				if h.m == m {
					t.Fatalf("window %d: message %d is unreleased message %d's memory", window, n, h.m.Origin.Index)
				}
			}
			if m.slab != last && seen[m.slab] {
				reused++ // a slab filled before: it went round the pool
			}
			seen[m.slab], last = true, m.slab
			open = append(open, held{m, bytes.Clone(m.Header)})
			for len(open) > window {
				i := rng.IntN(len(open))
				check(open[i])
				if n%5 != 0 { // one in five is never released
					open[i].m.Release()
				}
				open = append(open[:i], open[i+1:]...)
			}
		}
		for _, h := range open {
			check(h)
		}
		if n != 600 {
			t.Errorf("window %d: %d messages, want 600", window, n)
		}
		if reused == 0 && window < 100 { // 300 in flight of 600 hold most slabs
			t.Errorf("window %d: no slab went round", window)
		}
	}
}
