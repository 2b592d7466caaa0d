package header

import (
	"bytes"
	"reflect"
	"testing"

	"github.com/mailtrace/mailtrace/internal/corpus"
)

// fieldStartsOf is the hint of ParseOwnedLines as the mbox splitter makes
// it: the start of every line of b whose first byte is not a blank, or nil
// when a line ends in a CR (the splitter then gives none).
func fieldStartsOf(b []byte) []int32 {
	starts := []int32{}
	for pos := 0; pos < len(b); {
		e := bytes.IndexByte(b[pos:], '\n')
		next := pos + e + 1
		if e < 0 {
			e, next = len(b)-pos, len(b)
		}
		if e > 0 && b[pos+e-1] == '\r' {
			return nil
		}
		if b[pos] != ' ' && b[pos] != '\t' {
			starts = append(starts, int32(pos))
		}
		pos = next
	}
	return starts
}

// FuzzParseLines holds ParseOwnedLines, given the splitter's hint, to
// ParseOwnedIn (parseLF, which reads the lines itself): the same fields,
// malformed count, and room used.
func FuzzParseLines(f *testing.F) {
	for _, s := range corpus.Headers(f) {
		f.Add(bytes.ReplaceAll(s, []byte("\r\n"), []byte("\n")))
	}
	for _, s := range []string{"A: 1\n\tmore\nB:2\n\nbody", " x\ny: \n\n", "A: 1\nbad\n\tc\nB: 2\n", "A: 1\nB : 2\n", "A: x\rz\n\tq\n", "", "\n", "A:\n", "A: 1\n \n", "A : x", "\rA: 1\n"} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		starts := fieldStartsOf(b)
		wantH, wantM := ParseOwnedIn(bytes.Clone(b), nil)
		for _, size := range []int{0, len(starts), len(b) % 50} {
			room := make(Header, size)
			for i := range room {
				room[i] = Field{Name: "Stale", Value: "left from before"}
			}
			h, m := ParseOwnedLines(b, starts, room)
			if !reflect.DeepEqual(h, wantH) || m != wantM {
				t.Fatalf("ParseOwnedLines(%q, %v, room of %d) = %#v, %d; ParseOwnedIn says %#v, %d", b, starts, size, h, m, wantH, wantM)
			}
			wantRoom := make(Header, size)
			if w, _ := ParseOwnedIn(b, wantRoom); inRoom(h, room) != inRoom(w, wantRoom) {
				t.Fatalf("ParseOwnedLines(%q, room of %d): in the room %v, ParseOwnedIn %v", b, size, inRoom(h, room), inRoom(w, wantRoom))
			}
		}
	})
}

// inRoom reports whether h lies in room's storage.
func inRoom(h, room Header) bool {
	return cap(h) > 0 && cap(room) > 0 && &h[:1][0] == &room[:1][0]
}

// TestParseLinesUsed: a plain section is read from its hint alone.
func TestParseLinesUsed(t *testing.T) {
	test := func(b string, used bool) {
		t.Helper()
		if _, ok := parseLines([]byte(b), fieldStartsOf([]byte(b)), nil); ok != used {
			t.Errorf("parseLines(%q): ok %v, want %v", b, ok, used)
		}
	}
	test("Received: from a\n\tby b\nSubject: hi\n", true)
	test("Received: from a\n\tby b\nSubject: hi", true)
	test("A : 1\nB:\n", true)
	test("A: 1\nbad\nB: 2\n", false) // malformed
	test("A: 1\n\nB: 2\n", false)    // an empty line
	test(" x\nA: 1\n", false)        // a continuation first
	test("", false)
}

// BenchmarkParseLines is BenchmarkParse of ParseOwnedLines with the
// splitter's hint, into a room.
func BenchmarkParseLines(b *testing.B) {
	var hs [][]byte
	var starts [][]int32
	for _, h := range corpus.Headers(b) {
		h = bytes.ReplaceAll(h, []byte("\r\n"), []byte("\n"))
		if i := bytes.Index(h, []byte("\n\n")); i >= 0 {
			h = h[:i+1] // the section, as the splitter hands it out
		}
		hs, starts = append(hs, h), append(starts, fieldStartsOf(h))
	}
	room := make(Header, 512)
	b.ReportAllocs()
	i := 0
	for b.Loop() {
		ParseOwnedLines(hs[i%len(hs)], starts[i%len(hs)], room)
		i++
	}
}

// BenchmarkParseLinesNoHint is BenchmarkParseLines without the hint:
// parseLF reading the lines.
func BenchmarkParseLinesNoHint(b *testing.B) {
	var hs [][]byte
	for _, h := range corpus.Headers(b) {
		h = bytes.ReplaceAll(h, []byte("\r\n"), []byte("\n"))
		if i := bytes.Index(h, []byte("\n\n")); i >= 0 {
			h = h[:i+1]
		}
		hs = append(hs, h)
	}
	room := make(Header, 512)
	b.ReportAllocs()
	i := 0
	for b.Loop() {
		ParseOwnedIn(hs[i%len(hs)], room)
		i++
	}
}
