package report

import (
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/mailtrace/mailtrace/fetch"
)

func TestRangeSet(t *testing.T) {
	test := func(adds string, want string) {
		t.Helper()
		var s rangeSet
		for _, a := range strings.Fields(adds) {
			n, _ := strconv.Atoi(a)
			s.add(uint32(n))
		}
		if got := s.String(); got != want {
			t.Errorf("add %s: %q, want %q", adds, got, want)
		}
		p, err := parseRanges(want)
		if err != nil || p.String() != want {
			t.Errorf("parse %q: %q %v", want, p.String(), err)
		}
		for _, a := range strings.Fields(adds) {
			n, _ := strconv.Atoi(a)
			if !s.contains(uint32(n)) {
				t.Errorf("add %s: %d missing", adds, n)
			}
		}
	}
	test("", "")
	test("1 2 3", "1:3")
	test("1 2 3 5", "1:3,5")
	test("5 1 3 2", "1:3,5")
	test("4 5 1 3 2", "1:5")
	test("10 2 7 8 9 1", "1:2,7:10")
	test("3 3 3", "3")
	test("0 4294967295", "0,4294967295")
	test("4294967294 4294967295 1", "1,4294967294:4294967295")

	var s rangeSet
	for _, n := range []uint32{1, 2, 3, 7, 9} {
		s.add(n)
	}
	for n, want := range map[uint32]bool{0: false, 1: true, 3: true, 4: false, 6: false, 7: true, 8: false, 9: true, 10: false} {
		if s.contains(n) != want {
			t.Errorf("contains(%d) = %v", n, !want)
		}
	}
}

func TestParseRangesErrors(t *testing.T) {
	for _, in := range []string{"x", "1:", ":2", "1,,2", "99999999999", "1:2:3"} {
		if _, err := parseRanges(in); err == nil {
			t.Errorf("%q: no error", in)
		}
	}
	if p, err := parseRanges("5:3,1,2"); err != nil || p.String() != "1:5" {
		t.Errorf("unordered: %q %v", p.String(), err)
	}
}

func FuzzParseRanges(f *testing.F) {
	for _, s := range []string{"", "1", "1:5,7", "5:3,1,2", "0,4294967295", "1:2:3"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		p, err := parseRanges(s)
		if err != nil {
			return
		}
		// The canonical form parses back to itself, sorted and merged.
		q, err := parseRanges(p.String())
		if err != nil || q.String() != p.String() {
			t.Fatalf("%q -> %q -> %q %v", s, p.String(), q.String(), err)
		}
		for i := 1; i < len(p); i++ {
			if uint64(p[i-1].hi)+1 >= uint64(p[i].lo) {
				t.Fatalf("%q: ranges not disjoint: %v", s, p)
			}
		}
	})
}

func TestCheckpoint(t *testing.T) {
	path := filepath.Join(t.TempDir(), "scan.ckpt")
	cp, err := LoadCheckpoint(path)
	if err != nil || !cp.Empty() {
		t.Fatal(err)
	}
	key := "imap://alice@127.0.0.1:143/INBOX"
	if w := cp.Begin(key, 7); w != "" {
		t.Fatal(w)
	}
	for _, uid := range []string{"1", "2", "3", "10"} {
		cp.Mark(fetch.Origin{Key: key, ID: uid, UIDValidity: 7})
	}
	cp.Mark(fetch.Origin{Key: "pop3://alice@127.0.0.1:110", ID: "00000001abc"})
	if err := cp.Save(1234); err != nil {
		t.Fatal(err)
	}
	cp, err = LoadCheckpoint(path)
	if err != nil {
		t.Fatal(err)
	}
	if cp.OutputOffset() != 1234 {
		t.Errorf("offset %d", cp.OutputOffset())
	}
	test := func(key, id string, want bool) {
		t.Helper()
		if cp.Done(key, id) != want {
			t.Errorf("Done(%s, %s) = %v", key, id, !want)
		}
	}
	test(key, "2", true)
	test(key, "4", false)
	test(key, "10", true)
	test("pop3://alice@127.0.0.1:110", "00000001abc", true)
	test("pop3://alice@127.0.0.1:110", "00000002abc", false)
	if w := cp.Begin(key, 7); w != "" {
		t.Errorf("same UIDVALIDITY: %q", w)
	}
	if w := cp.Begin(key, 8); !strings.Contains(w, "changed from 7 to 8") {
		t.Errorf("changed UIDVALIDITY: %q", w)
	}
	test(key, "2", false)

	// No temporary files are left behind; a damaged file is an error.
	ents, _ := os.ReadDir(filepath.Dir(path))
	if len(ents) != 1 {
		t.Errorf("files: %v", ents)
	}
	os.WriteFile(path, []byte(`{"schema":"mailtrace/checkpoint/v1","mailboxes":{"x":{"done":"1:z"}}}`), 0o644)
	if _, err := LoadCheckpoint(path); err == nil {
		t.Error("damaged checkpoint loaded")
	}
}

func TestPercentiles(t *testing.T) {
	d := map[int64]int{}
	for i := int64(1); i <= 100; i++ {
		d[i]++
	}
	d[-5] = 1 // clock skew stays signed
	p := percentiles(d)
	if p.Count != 101 || p.Min != -5 || p.Max != 100 || p.P50 != 50 || p.P90 != 90 || p.P99 != 99 {
		t.Errorf("%+v", p)
	}
	if percentiles(nil) != nil {
		t.Error("empty")
	}
}
