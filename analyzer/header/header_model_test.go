package header

// Parse as it was before the road for sections without CRs (parseLF): the
// model FuzzParseOld holds the new one to, to the last detail (a nil or
// an empty Header, the malformed count).

import (
	"bytes"
	"encoding/binary"
	"math/bits"
	"reflect"
	"testing"
	"unsafe"

	"github.com/mailtrace/mailtrace/internal/corpus"
)

// parseOld is Parse before parseLF and parseCRLF: every section through
// lines.find, a batch of fields at a time, and a loop that turns each
// into a span (two loops, each with few enough variables to keep them in
// registers).
func parseOld(b []byte) (h Header, malformed int) {
	if len(b) > maxSection {
		return parseSplit(b) // offsets past what a span holds
	}
	var buf [48]span // room for most headers' fields
	var batch lines
	spans := buf[:0]
	dropped := 0 // CRs left out of the copy before pos
	pos := 0     // where the next field starts in b; at the end, the section's length
	for more := true; more; {
		var k int
		k, more = batch.find(b, pos)
		for _, r := range batch.f[:k] {
			start, o := pos, pos-dropped // where the field starts in b and in the copy
			pos = int(r.next)
			end := int(r.end)
			before := int(r.crs) // the CRs dropped before end
			if before > 0 && end < len(b) && b[end] == '\r' {
				before-- // the last line's
			}
			colon, nameEnd := int(r.stop), int(r.stop)
			if colon < 0 {
				ok := false
				if colon == noName {
					colon, nameEnd, ok = slowName(b, start)
					malformed += boolInt(!ok)
				}
				if !ok {
					switch {
					case r.conts == 0:
					case len(spans) == 0:
						malformed += int(r.conts) // no field to continue
					default: // a malformed line lies between a field and these
						return parseSplit(b)
					}
					dropped += int(r.crs)
					continue
				}
			}
			vstart := colon + 1
			for vstart < end && (b[vstart] == ' ' || b[vstart] == '\t') {
				vstart++
			}
			d := o - start // from b to the copy, on the field's first line
			spans = append(spans, span{int32(o), int32(nameEnd + d), int32(vstart + d), int32(end - dropped - before)})
			dropped += int(r.crs)
		}
	}
	var s string
	if dropped == 0 {
		s = string(b[:pos]) // no CR to drop: copyLF would only look for one
	} else {
		s = copyLF(b[:pos])
	}
	h = make(Header, len(spans))
	for i, sp := range spans {
		h[i] = Field{Name: s[sp.name:sp.nameEnd], Value: s[sp.start:sp.end]}
	}
	return h, malformed
}

func FuzzParseOld(f *testing.F) {
	for _, s := range corpus.Headers(f) {
		f.Add(s)
	}
	for _, s := range []string{"A: 1\r\n\tmore\r\nB:2\r\n\r\nbody", " x\ny: \n\n", "A: 1\r\nbad\r\n\tc\r\r\n B\r",
		"A: 1\n\tx\nbad\n\tc\nB: 2\n\tfolded\r\n\r\n", "Subject : a\r\n\r\r\nX:\r", "A: 1\nB\r: 2\n", "A:\n \r\n", "A: x\rz\n\tq\r", "", "\n", "\r\n"} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		h, m := Parse(b)
		wantH, wantM := parseOld(b)
		if !reflect.DeepEqual(h, wantH) || m != wantM {
			t.Fatalf("Parse(%q) = %#v, %d; parseOld says %#v, %d", b, h, m, wantH, wantM)
		}
	})
}

// commentEndModel is CommentEnd before it skipped a comment's ordinary
// bytes by table.
func commentEndModel(s string, i int) int {
	depth := 0
	for i < len(s) {
		switch s[i] {
		case '\\':
			i++
		case '(':
			depth++
		case ')':
			depth--
		}
		i++
		if depth == 0 {
			break
		}
	}
	return min(i, len(s))
}

// FuzzCommentEnd holds CommentEnd to commentEndModel at every start.
func FuzzCommentEnd(f *testing.F) {
	for _, s := range []string{"", "(", "(a)", "(a (b) c) d", `(a \) b) c`, `(\`, "((a)", "x (y) z", "(a)(b)"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		for i := range len(s) + 1 {
			if got, want := CommentEnd(s, i), commentEndModel(s, i); got != want {
				t.Fatalf("CommentEnd(%q, %d) = %d, model %d", s, i, got, want)
			}
		}
	})
}

// FuzzParseOwned holds ParseOwned, which points into the bytes it is
// given, to Parse, which copies them: the same fields and malformed count,
// and Parse's fields unchanged when the bytes are overwritten after it.
func FuzzParseOwned(f *testing.F) {
	for _, s := range corpus.Headers(f) {
		f.Add(s)
	}
	for _, s := range []string{"A: 1\r\n\tmore\r\nB:2\r\n\r\nbody", " x\ny: \n\n", "A: 1\nbad\n\tc\nB: 2\n", "A: 1\nB\r: 2\n", "A: x\rz\n\tq\n", "", "\n"} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		owned := bytes.Clone(b)
		h, m := ParseOwned(owned)
		scratch := bytes.Clone(b)
		wantH, wantM := Parse(scratch)
		if !reflect.DeepEqual(h, wantH) || m != wantM {
			t.Fatalf("ParseOwned(%q) = %#v, %d; Parse says %#v, %d", b, h, m, wantH, wantM)
		}
		// In a room of another section's fields, of some size.
		room := make(Header, len(b)%50)
		for i := range room {
			room[i] = Field{Name: "Stale", Value: "left from before"}
		}
		if h, m := ParseOwnedIn(owned, room); !reflect.DeepEqual(h, wantH) || m != wantM {
			t.Fatalf("ParseOwnedIn(%q, room of %d) = %#v, %d; Parse says %#v, %d", b, len(room), h, m, wantH, wantM)
		}
		for i := range scratch {
			scratch[i] = 'X'
		}
		if again, _ := Parse(b); !reflect.DeepEqual(again, wantH) {
			t.Fatalf("Parse(%q) kept pointing into its input: %#v after overwriting, %#v before", b, wantH, again)
		}
	})
}

// TestParseOwnedAliases: a section with LF line ends is not copied.
func TestParseOwnedAliases(t *testing.T) {
	b := []byte("Received: from a\n\tby b\nSubject: hi\n\nbody")
	h, _ := ParseOwned(b)
	for _, f := range h {
		for _, s := range []string{f.Name, f.Value} {
			p := unsafe.StringData(s)
			if uintptr(unsafe.Pointer(p)) < uintptr(unsafe.Pointer(&b[0])) || uintptr(unsafe.Pointer(p)) >= uintptr(unsafe.Pointer(&b[0]))+uintptr(len(b)) {
				t.Errorf("%q is a copy, not a part of the section", s)
			}
		}
	}
}

// lines is a batch of fields as find leaves them.
type lines struct {
	f [32]lineRun
}

// lineRun is a line of the section and the continuation lines after it,
// as offsets into b.
type lineRun struct {
	stop  int32 // where the name ends: its ':' when that is all, else noName or noLine
	end   int32 // where the last line's text ends, its CR (dropped) not included
	next  int32 // where the line after the last starts (len(b) at the end)
	crs   int32 // CRs the lines drop
	conts int32 // continuation lines
}

// The values of lineRun.stop that are no ':'.
const (
	noName = -1 // the first line holds a blank or control byte before the first ':', or no ':' (slowName reads it)
	noLine = -2 // continuation lines that start the section: no line before them
)

// find reads the fields from b[pos:], where a line starts that is no
// continuation line (or the section starts), into l.f and returns how
// many; more is true when l.f is full and the section goes on. A name
// stops at the first ':', blank or control byte (its line's CR or LF at
// the latest), found eight bytes at a time.
func (l *lines) find(b []byte, pos int) (k int, more bool) {
	for pos < len(b) {
		i := bytes.IndexByte(b[pos:], '\n')
		e, next := pos+i, pos+i+1
		if i < 0 {
			e, next = len(b), len(b)
		}
		end := e
		if end > pos && b[end-1] == '\r' {
			end--
		}
		if end == pos {
			return k, false // an empty line ends the section
		}
		if c := b[pos]; c == ' ' || c == '\t' {
			if k == 0 { // only where the section starts
				l.f[0] = lineRun{stop: noLine}
				k = 1
			}
			r := &l.f[k-1]
			r.end, r.next = int32(end), int32(next)
			r.crs += int32(e - end)
			r.conts++
			pos = next
			continue
		}
		if k == len(l.f) {
			return k, true
		}
		stop := pos
		for ; stop+8 <= len(b); stop += 8 {
			if m := stopBytes(binary.LittleEndian.Uint64(b[stop:])); m != 0 {
				stop += bits.TrailingZeros64(m) >> 3
				break
			}
		}
		for stop < len(b) && b[stop] != ':' && b[stop] > ' ' { // near the end of b
			stop++
		}
		if stop == pos || stop >= end || b[stop] != ':' {
			stop = noName
		}
		l.f[k] = lineRun{stop: int32(stop), end: int32(end), next: int32(next), crs: int32(e - end)}
		k++
		pos = next
	}
	return k, false
}

func boolInt(b bool) int {
	if b {
		return 1
	}
	return 0
}
