package maildate

import (
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

func TestParse(t *testing.T) {
	test := func(in, want string) {
		t.Helper()
		got, err := Parse(in)
		if want == "" {
			if err == nil {
				t.Errorf("Parse(%q) = %v, want error", in, got)
			} else if !errors.Is(err, ErrInvalid) {
				t.Errorf("Parse(%q) error %v does not wrap ErrInvalid", in, err)
			}
			return
		}
		if err != nil {
			t.Errorf("Parse(%q): %v", in, err)
			return
		}
		if g := got.UTC().Format(time.RFC3339Nano); g != want {
			t.Errorf("Parse(%q) = %s, want %s", in, g, want)
		}
	}
	// RFC 5322 §3.3
	test("Wed, 25 Nov 2026 20:01:29 +0000", "2026-11-25T20:01:29Z")
	test("Wed, 25 Nov 2026 20:01:29 +0000 (UTC)", "2026-11-25T20:01:29Z")
	test("25 Nov 2026 20:01:29 -0500", "2026-11-26T01:01:29Z")
	test(" \r\n\tWed, 25 Nov 2026\r\n 20:01:29 +0100 (CET)", "2026-11-25T19:01:29Z")
	test("Mon,  1 Mar 2004 01:09:44 -0500 (EST)", "2004-03-01T06:09:44Z")
	test("Tue, 3 Feb 2004 11:14 -0500", "2004-02-03T16:14:00Z")
	test("Wed, 19 Feb 2025 15:00:00 +07", "2025-02-19T08:00:00Z")
	test("Thu, 6 May 2004 17:40:44-0500", "2004-05-06T22:40:44Z")
	test("Mon, 1 Oct 2018 09:49:21 +0000", "2018-10-01T09:49:21Z")
	test("Sat, 31 Dec 2016 23:59:60 +0000", "2016-12-31T23:59:59Z")
	// RFC 5322 §4.3 obsolete syntax
	test("8 Mar 04 12:23:56 -0000", "2004-03-08T12:23:56Z")
	test("8 Mar 99 12:23:56 GMT", "1999-03-08T12:23:56Z")
	test("8 Mar 104 12:23:56 UT", "2004-03-08T12:23:56Z")
	test("Tue, 16 Mar 2004 18:12:31 PST", "2004-03-17T02:12:31Z")
	test("Tue, 16 Mar 2004 18:12:31 EDT", "2004-03-16T22:12:31Z")
	test("Tue, 16 Mar 2004 18:12:31 A", "2004-03-16T18:12:31Z")
	test("Tue, 16 Mar 2004 18:12:31 XYZ", "2004-03-16T18:12:31Z")
	test("Tuesday, 16 March 2004 18:12:31 CEST", "2004-03-16T16:12:31Z")
	test("16 Sept 2004 18:12:31 IST", "2004-09-16T12:42:31Z")
	test("Fri, 30 Jun 2006 08:02:00 +0100 (BST)", "2006-06-30T07:02:00Z")
	test("Fri, 30 Jun 2006 08:02:00 BST", "2006-06-30T07:02:00Z")
	test("Fri, 30 Jun 2006 08:02:00 JST", "2006-06-29T23:02:00Z")
	test("Fri, 30 Jun 2006 08:02:00 +0000 (Coordinated Universal Time)", "2006-06-30T08:02:00Z")
	test("Fri, 30 Jun 2006 08:02:00 GMT+02:00", "2006-06-30T06:02:00Z")
	test("Fri, 30 Jun 2006 08:02:00 0200", "2006-06-30T06:02:00Z")
	test("30-Jun-2006 08:02:00 +0000", "2006-06-30T08:02:00Z")
	// asctime, no zone: UTC
	test("Sun Nov 13 14:50:12 2005", "2005-11-13T14:50:12Z")
	test("Sat Jan 19 15:26:33 EST 2002", "2002-01-19T20:26:33Z")
	// ISO 8601, RFC 3339, Go time.String
	test("2018-03-26 13:35:36.270951634 +0000 UTC", "2018-03-26T13:35:36.270951634Z")
	test("2018-03-26T13:35:36Z", "2018-03-26T13:35:36Z")
	test("2018-03-26T13:35:36.5+02:00", "2018-03-26T11:35:36.5Z")
	test("2018-03-26 13:35:36 -0700", "2018-03-26T20:35:36Z")
	test("Tue, 25 Nov 2026 20:01:29.123 +0000", "2026-11-25T20:01:29.123Z")
	// trailing text after a complete date is ignored
	test("Thu, 10 Nov 2005 08:24:21 -0600 id 000000DB.43735815.00001E11", "2005-11-10T14:24:21Z")
	// US numeric dates, 12-hour clock, date only (MHA's corpus)
	test("4/20/2018 23:01:06 -0400 (EDT)", "2018-04-21T03:01:06Z")
	test("4-20-2018 11:01:07 PM", "2018-04-20T23:01:07Z")
	test("20/4/2018 12:01:07 AM +0000", "2018-04-20T00:01:07Z")
	test("22 Apr 2018", "2018-04-22T00:00:00Z")
	// fuzz regressions
	test("0001-01-01", "0001-01-01T00:00:00Z")
	test("0 JAn 0 0:0(\\", "") // trailing backslash in a comment: no panic
	// invalid
	test("", "")
	test("yesterday", "")
	test("Mon, 11 #May 2013 00:00:00 +0900", "")
	test("31 Feb 2004 10:00:00 +0000", "")
	test("1 Jan 2004 25:00:00 +0000", "")
	test("1 Jan", "")
	test("\x00\xff\xfe", "")
}

func TestErrorText(t *testing.T) {
	_, err := Parse("yesterday at noon")
	if !errors.Is(err, ErrInvalid) || !strings.Contains(err.Error(), `"yesterday at noon"`) || !strings.HasPrefix(err.Error(), "maildate: ") {
		t.Errorf("error %q: want ErrInvalid with the text quoted", err)
	}
}

func TestParsePrefix(t *testing.T) {
	test := func(in, want, rest string) {
		t.Helper()
		got, n, err := ParsePrefix(in)
		if err != nil {
			t.Errorf("ParsePrefix(%q): %v", in, err)
			return
		}
		if g := got.UTC().Format(time.RFC3339); g != want || in[n:] != rest {
			t.Errorf("ParsePrefix(%q) = %s, rest %q; want %s, %q", in, g, in[n:], want, rest)
		}
	}
	test("Sat, 16 Oct 2004 21:30:02 +0000 (UTC) (envelope-from bind-users-bounce@isc.org)", "2004-10-16T21:30:02Z", " (envelope-from bind-users-bounce@isc.org)")
	test("Thu, 10 Nov 2005 08:24:21 -0600 id 000000DB.43735815.00001E11", "2005-11-10T14:24:21Z", " id 000000DB.43735815.00001E11")
	test("Mon, 8 Mar 2004 16:13:23 -0800 (PST)\n", "2004-03-09T00:13:23Z", "\n")
}

func FuzzDate(f *testing.F) {
	for _, s := range []string{
		"Wed, 25 Nov 2026 20:01:29 +0000 (UTC)", "2018-03-26 13:35:36.270951634 +0000 UTC",
		"Sun Nov 13 14:50:12 2005", "8 Mar 04 12:23:56 -0000", "2018-03-26T13:35:36.5+02:00",
		"30-Jun-2006 08:02:00 +0000", "Fri, 30 Jun 2006 08:02:00 GMT+02:00",
	} {
		f.Add(s)
	}
	// and every date of the conformance corpus: the text after the last ';'
	files, _ := filepath.Glob(filepath.Join("..", "..", "testdata", "conformance", "received", "*.jsonl"))
	for _, name := range files {
		b, err := os.ReadFile(name)
		if err != nil {
			f.Fatal(err)
		}
		for _, line := range strings.Split(string(b), "\n") {
			var c struct {
				Input json.RawMessage `json:"input"`
			}
			var in string
			if json.Unmarshal([]byte(line), &c) != nil || json.Unmarshal(c.Input, &in) != nil {
				continue
			}
			if i := strings.LastIndexByte(in, ';'); i >= 0 && len(in)-i < 200 {
				f.Add(in[i+1:])
			}
		}
	}
	f.Fuzz(func(t *testing.T, s string) {
		_, n, err := ParsePrefix(s)
		if err != nil {
			if !errors.Is(err, ErrInvalid) {
				t.Fatalf("error %v does not wrap ErrInvalid", err)
			}
			return
		}
		if n < 0 || n > len(s) {
			t.Fatalf("consumed %d of %d bytes", n, len(s))
		}
		if _, err := Parse(s); err != nil {
			t.Fatalf("ParsePrefix ok but Parse failed: %v", err)
		}
	})
}

func BenchmarkParse(b *testing.B) {
	b.ReportAllocs()
	for b.Loop() {
		_, _ = Parse("Wed, 25 Nov 2026 20:01:29 +0000 (UTC)")
	}
}

// sameResult reports whether two results of parse are identical: the same
// instant, wall clock, zone name and offset, Location (UTC as time.UTC),
// length and error text.
func sameResult(t1 time.Time, n1 int, e1 error, t2 time.Time, n2 int, e2 error) bool {
	if n1 != n2 || (e1 == nil) != (e2 == nil) || e1 != nil && e1.Error() != e2.Error() {
		return false
	}
	z1, o1 := t1.Zone()
	z2, o2 := t2.Zone()
	return t1.Equal(t2) && z1 == z2 && o1 == o2 && t1.GoString() == t2.GoString() &&
		t1.Format(time.RFC3339Nano) == t2.Format(time.RFC3339Nano) &&
		(t1.Location() == time.UTC) == (t2.Location() == time.UTC)
}

// checkFastPath holds parse (fast path first) to parseGeneral, in both modes.
func checkFastPath(t *testing.T, s string) {
	t.Helper()
	for _, prefix := range []bool{false, true} {
		t1, n1, e1 := parse(s, prefix)
		t2, n2, e2 := parseGeneral(s, prefix)
		if !sameResult(t1, n1, e1, t2, n2, e2) {
			t.Errorf("parse(%q, %v) = %#v %s %d %v; general path gives %#v %s %d %v", s, prefix,
				t1, t1.Format(time.RFC3339Nano), n1, e1, t2, t2.Format(time.RFC3339Nano), n2, e2)
		}
	}
}

var fastPathSeeds = []string{
	"Tue, 24 Nov 2026 09:14:05 +0000 (UTC)", "24 Nov 2026 09:14:05 -0600", "Tue, 24 Nov 2026 09:14:05 +0000",
	"tue,24 nov 2026 09:14 -0000", "Mon,  1 Mar 2004 01:09:44 -0500 (EST)", "Sat, 31 Dec 2016 23:59:60 +0000",
	"Thu, 10 Nov 2005 08:24:21 -0600 id 000000DB.43735815.00001E11", "Fri, 30 Jun 2006 08:02:00 +0530",
	"Sat, 16 Oct 2004 21:30:02 +0000 (UTC) (envelope-from a@b)", "Fri, 30 Jun 2006 08:02:00 GMT+02:00",
	"Fri, 30 Jun 2006 08:02:00 +2400", "Fri, 30 Jun 2006 08:02:00 +0000(UTC)", "Fri, 30 Jun 2006 08:02:00+0000",
	"Fri, 30 Jun 2006 08:02:00 0200", "Fri, 30 Jun 2006 08:02:00 PM", "31 Feb 2004 10:00:00 +0000",
	"1 Jan 2004 25:00:00 +0000", "29 Feb 2000 12:00:00 +0100", "29 Feb 1900 12:00:00 +0100", "Tue, 24 Nov 2026",
	"Tue, 24 Nov 2026 09:14:05.5 +0000", "Tue, 24 Nov 2026 9:14:05 +0000", "Tue, 24 Nov 26 09:14:05 +0000",
	"Tue, 24 Sept 2026 09:14:05 +0000", "Tue. 24 Nov 2026 09:14:05 +0000", "\r\n\t24 Nov 2026\r\n 09:14:05\t-1259 ,",
	"Tue, 24 Nov 2026 09:14:05 +0000 UTC", "Tue, 24 Nov 2026 09:14:05 -0000 (Coordinated Universal Time)",
	"Tue, 24 Nov 2026 09:14:05 +00000", "Tue, 24 Nov 2026 09:14:05 +000", "Tue, 24 Nov 2026 09:14:05:07 +0000",
	"0 Jan 0000 00:00:00 +0000", "Tue, 24 Nov 2026 09:14:05 CEST", "Tue, 24 Nov 2026 09:14:05 +0000 2027",
}

func TestFastPath(t *testing.T) {
	for _, s := range fastPathSeeds {
		checkFastPath(t, s)
		for i := range len(s) {
			checkFastPath(t, s[:i])
			checkFastPath(t, s[i:])
		}
	}
}

// FuzzFastPath holds the fast path of parse to the general parser: any
// input must give identical results with and without it.
func FuzzFastPath(f *testing.F) {
	for _, s := range fastPathSeeds {
		f.Add(s)
	}
	f.Fuzz(checkFastPath)
}

// TestDate holds date to time.Date on every day of years 0-9999 (and a few
// beyond, which go to time.Date itself), with times and zones varied.
func TestDate(t *testing.T) {
	offs := []int{0, 3600, -6 * 3600, 5*3600 + 1800, -(3*3600 + 1800), 14 * 3600, -12 * 3600, 23*3600 + 59*60}
	locs := make([]*time.Location, len(offs))
	for i, off := range offs {
		locs[i] = time.UTC
		if off != 0 {
			locs[i] = time.FixedZone("", off)
		}
	}
	k := 0
	check := func(y, m, d int) {
		k++
		h, mi, s, ns := k%24, k*7%60, k*13%60, k*7919%1000000000
		if k%5 == 0 {
			h, mi, s, ns = 0, 0, 0, 0
		}
		if k%7 == 0 {
			h, mi, s, ns = 23, 59, 59, 999999999
		}
		o := k % len(offs)
		got := date(y, m, d, h, mi, s, ns, locs[o], offs[o])
		want := time.Date(y, time.Month(m), d, h, mi, s, ns, locs[o])
		if got != want {
			t.Fatalf("date(%d, %d, %d, %d, %d, %d, %d, %d) = %#v, time.Date gives %#v", y, m, d, h, mi, s, ns, offs[o], got, want)
		}
	}
	for y := -2; y <= 10001; y++ {
		for m := 1; m <= 12; m++ {
			for d := 1; d <= daysIn(m, y); d++ {
				check(y, m, d)
			}
		}
	}
	for _, y := range []int{-1e8, -400, -401, 1e8, 1e8 + 7} {
		check(y, 2, 28)
		check(y, 12, 31)
	}
}

// TestWord3 holds the three-letter switches of the fast path to
// monthNumber and isDayName.
func TestWord3(t *testing.T) {
	var bs []byte
	for c := 0; c < 128; c++ {
		bs = append(bs, byte(c))
	}
	bs = append(bs, 0xc1, 0xce, 0xd3, 0xe1, 0xee, 0xf3, 0xff)
	for _, a := range bs {
		for _, b := range bs {
			for _, c := range bs {
				w := string([]byte{a, b, c})
				if got, want := monthNumber3(a, b, c), monthNumber(w); got != want {
					t.Fatalf("monthNumber3(%q) = %d, want %d", w, got, want)
				}
				if got, want := isDayName3(a, b, c), isDayName(w); got != want {
					t.Fatalf("isDayName3(%q) = %v, want %v", w, got, want)
				}
			}
		}
	}
}
