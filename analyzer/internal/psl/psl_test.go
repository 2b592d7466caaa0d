package psl

import (
	"fmt"
	"testing"
	"unsafe"

	"golang.org/x/net/publicsuffix"
)

// check holds one answer, first looked up and then remembered, to
// publicsuffix's.
func check(t *testing.T, d string) {
	t.Helper()
	for range 2 { // once looked up, once remembered
		got, gotErr := EffectiveTLDPlusOne(d)
		want, wantErr := publicsuffix.EffectiveTLDPlusOne(d)
		if got != want || (gotErr == nil) != (wantErr == nil) {
			t.Fatalf("%q: %q, %v; publicsuffix says %q, %v", d, got, gotErr, want, wantErr)
		}
	}
}

func TestSameAnswers(t *testing.T) {
	for _, d := range []string{"mail.example.com", "a.b.example.co.uk", "co.uk", "example", "", "x.github.io", "1.2.3.4", "mail.example.com", ".example.com", "example.com.", "MAIL.Example.COM"} {
		check(t, d)
	}
}

// TestOwnStrings: a remembered answer does not point into the string
// asked about (a header section it would keep alive).
func TestOwnStrings(t *testing.T) {
	section := []byte("Received: from relay.mail.example.org by mx")
	d := string(section[15:37]) // "relay.mail.example.org"
	check(t, d)
	e := remembered(d)
	if e == nil {
		t.Fatalf("%q not remembered", d)
	}
	if unsafe.StringData(e.domain) == unsafe.StringData(d) {
		t.Error("the remembered domain is the caller's string")
	}
	if p := uintptr(unsafe.Pointer(unsafe.StringData(e.org))); p < uintptr(unsafe.Pointer(unsafe.StringData(e.domain))) || p >= uintptr(unsafe.Pointer(unsafe.StringData(e.domain)))+uintptr(len(e.domain)) {
		t.Error("the remembered org is not a part of the remembered domain")
	}
}

// TestBounded: many more names than slots, and two names in one slot,
// still give publicsuffix's answers, and the table stays its size.
func TestBounded(t *testing.T) {
	seen := map[uint64]string{}
	for i := range 3 << slotBits {
		d := fmt.Sprintf("h%d.example%d.co.uk", i, i%7)
		check(t, d)
		s := slotOf(d)
		if prev, ok := seen[s]; ok {
			check(t, prev) // replaced by d: looked up again
		}
		seen[s] = d
	}
	n := 0
	for i := range slots {
		if slots[i].Load() != nil {
			n++
		}
	}
	if n > len(slots) || n < len(slots)/2 {
		t.Errorf("%d slots in use of %d", n, len(slots))
	}
}

func slotOf(d string) uint64 { return maphashString(d) & (1<<slotBits - 1) }

// remembered returns the entry of d in either of its slots, nil if none.
func remembered(d string) *entry {
	h := maphashString(d)
	for _, s := range []uint64{h & slotMask, h >> slotBits & slotMask} {
		if e := slots[s].Load(); e != nil && e.domain == d {
			return e
		}
	}
	return nil
}

func FuzzSameAnswers(f *testing.F) {
	for _, d := range []string{"mail.example.com", "co.uk", "", "a..b", "x.github.io."} {
		f.Add(d)
	}
	f.Fuzz(func(t *testing.T, d string) {
		check(t, d)
	})
}

// TestTwoSlots: two names whose first slots are the same are both
// remembered, the second in its second slot.
func TestTwoSlots(t *testing.T) {
	for i := range slots {
		slots[i].Store(nil) // what other tests left
	}
	byFirst := map[uint64]string{}
	for i := 0; ; i++ {
		d := fmt.Sprintf("relay%d.example.net", i)
		first := slotOf(d)
		prev, ok := byFirst[first]
		if !ok {
			byFirst[first] = d
			continue
		}
		second := maphashString(d) >> slotBits & slotMask
		if second == first || slots[second].Load() != nil {
			continue // another pair
		}
		check(t, prev)
		check(t, d)
		if e := slots[first].Load(); e == nil || e.domain != prev {
			t.Fatalf("%q not kept in its first slot", prev)
		}
		if e := slots[second].Load(); e == nil || e.domain != d {
			t.Fatalf("%q not remembered in its second slot", d)
		}
		return
	}
}
