package fetch

import (
	"bytes"
	"context"
	"errors"
	"io"
	"math/rand/v2"
	"testing"
)

// releaseInOrder reads the mbox raw, keeping up to window messages
// unreleased and releasing one of them at random as each new one comes
// (one in five never), and fails when a message changes before it is
// released, or when a message is one still held. It returns how many
// messages it read and how often a slab went round (a message in a slab
// filled before).
func releaseInOrder(t *testing.T, raw []byte, window int, seed uint64) (n, reused int) {
	t.Helper()
	src, err := Open(context.Background(), "-", Options{Stdin: bytes.NewReader(raw)})
	if err != nil {
		t.Fatal(err)
	}
	rng := rand.New(rand.NewPCG(seed, 1))
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
	seen, last := map[*slab]bool{}, (*slab)(nil)
	for {
		m, err := src.Next(context.Background())
		if errors.Is(err, io.EOF) || errors.Is(err, errNotMbox) {
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
			if n%5 != 0 {
				open[i].m.Release()
			}
			open = append(open[:i], open[i+1:]...)
		}
	}
	for _, h := range open {
		check(h)
	}
	return n, reused
}

// TestSlabRelease: messages released in any order, some never, leave the
// ones not yet released as Next returned them, while their slabs' other
// messages are released and the slabs go round (poisoned when they go
// back to the pool).
func TestSlabRelease(t *testing.T) {
	PoisonSlabs(t)
	raw := retainMbox(600)
	for _, window := range []int{1, 3, 40, 300} {
		n, reused := releaseInOrder(t, raw, window, uint64(window))
		if n != 600 {
			t.Errorf("window %d: %d messages, want 600", window, n)
		}
		if reused == 0 && window < 100 { // 300 in flight of 600 hold most slabs
			t.Errorf("window %d: no slab went round", window)
		}
	}
}

// FuzzSlabRelease is TestSlabRelease on any mbox, repeated to some
// hundreds of KB so that slabs go round.
func FuzzSlabRelease(f *testing.F) {
	f.Add([]byte("From a\nA: 1\n\nbody\nFrom b\nB: 2\n\n"), uint8(3))
	f.Add(retainMbox(5), uint8(1))
	f.Add([]byte("From a\r\n>From b\r\nA: 1\r\n\tfolded\r\n\r\n"), uint8(20))
	f.Fuzz(func(t *testing.T, raw []byte, window uint8) {
		if len(raw) == 0 || len(raw) > 64<<10 {
			return
		}
		poisonSlabs = true
		defer func() { poisonSlabs = false }()
		mb := bytes.Repeat(raw, 400<<10/len(raw)+1)
		releaseInOrder(t, mb, int(window%64), uint64(len(raw)))
	})
}
