package fetch

import (
	"bufio"
	"bytes"
	"fmt"
	"reflect"
	"slices"
	"strings"
	"testing"

	"github.com/mailtrace/mailtrace/analyzer/header"
)

// fieldStartsOf is Message.FieldStarts of the section b, at base: the
// start of every line whose first byte is not a blank; ok is false when a
// line ends in a CR.
func fieldStartsOf(b []byte, base int) (starts []int32, ok bool) {
	for pos := 0; pos < len(b); {
		e := bytes.IndexByte(b[pos:], '\n')
		next := pos + e + 1
		if e < 0 {
			e, next = len(b)-pos, len(b)
		}
		if e > 0 && b[pos+e-1] == '\r' {
			return nil, false
		}
		if b[pos] != ' ' && b[pos] != '\t' {
			starts = append(starts, int32(base+pos))
		}
		pos = next
	}
	return starts, true
}

// splitMessages splits raw as an mbox source does, into Messages kept
// (never released) until all are read.
func splitMessages(raw []byte, size, max int) []*Message {
	s := &mboxSplitter{br: bufio.NewReaderSize(bytes.NewReader(raw), size)}
	var ms []*Message
	for range len(raw) + 2 { // bounded: each call consumes a message
		h, herr, err := s.next(max)
		if err != nil {
			break
		}
		ms = append(ms, s.message(Origin{Index: len(ms) + 1}, h, herr))
	}
	return ms
}

// sameFieldStarts fails unless every Message's FieldStarts, once all are
// read, is nil or the section's own, and ParseOwnedLines reads the section
// with it as ParseOwnedIn reads it alone.
func sameFieldStarts(t *testing.T, raw []byte, size, max int) (hinted int) {
	t.Helper()
	for _, m := range splitMessages(raw, size, max) {
		if m.FieldStarts == nil {
			continue
		}
		hinted++
		want, ok := fieldStartsOf(m.Header, 0)
		if !ok || !slices.Equal(m.FieldStarts, want) {
			t.Fatalf("%.200q (buffer %d, max %d): message %d %q has starts %v, want %v (%v)", raw, size, max, m.Origin.Index, m.Header, m.FieldStarts, want, ok)
		}
		h, bad := header.ParseOwnedLines(m.Header, m.FieldStarts, make(header.Header, 4))
		wantH, wantBad := header.ParseOwnedIn(m.Header, nil)
		if !reflect.DeepEqual(h, wantH) || bad != wantBad {
			t.Fatalf("message %d %q: ParseOwnedLines = %q, %d; ParseOwnedIn %q, %d", m.Origin.Index, m.Header, h, bad, wantH, wantBad)
		}
	}
	return hinted
}

// TestFieldStarts: a plain mbox's sections all have their field starts,
// also across slabs and buffer refills; CRLF sections have none.
func TestFieldStarts(t *testing.T) {
	var b strings.Builder
	for i := range 400 {
		fmt.Fprintf(&b, "From x\nA: %d\nB: %s\n\tfolded\nC: 3\n\nbody\n", i, strings.Repeat("y", i*7%1500))
	}
	raw := []byte(b.String())
	if got := sameFieldStarts(t, raw, 64<<10, 0); got < 350 {
		t.Errorf("%d of 400 sections have their field starts, want most", got)
	}
	sameFieldStarts(t, raw, 4096, 900)
	// After the original From_ line, escaped, that feed drops.
	if got := sameFieldStarts(t, []byte("From a\n>From b Wed\nA: 1\nB: 2\n\nFrom c\n>From d\n\tA: 1\n\n"), 4096, 0); got != 1 {
		t.Errorf("%d sections after a >From line have field starts, want 1", got)
	}
	if got := sameFieldStarts(t, []byte("From a\r\nA: 1\r\nB: 2\r\n\r\n"), 4096, 0); got != 0 {
		t.Errorf("a CRLF section has field starts")
	}
	for _, raw := range runSeeds {
		for _, size := range []int{16, 33, 4096} {
			sameFieldStarts(t, []byte(raw), size, 0)
			sameFieldStarts(t, []byte(raw), size, 7)
		}
	}
}

// TestFieldStartsBounded: a section of more lines than a slab holds field
// starts for has none, rather than more room.
func TestFieldStartsBounded(t *testing.T) {
	raw := []byte("From a\n" + strings.Repeat("A: 1\n", 10000) + "\n")
	for _, m := range splitMessages(raw, 64<<10, 0) {
		if m.FieldStarts != nil {
			t.Errorf("a section of 10,000 fields has %d field starts", len(m.FieldStarts))
		}
	}
}

// FuzzFieldStarts holds the splitter's Message.FieldStarts to the lines of
// its sections, and ParseOwnedLines with them to ParseOwnedIn.
func FuzzFieldStarts(f *testing.F) {
	for _, raw := range runSeeds {
		f.Add([]byte(raw), uint8(0), uint16(0))
		f.Add([]byte(raw), uint8(4), uint16(13))
	}
	f.Add([]byte("From a\nA: 1\nbad\n\tc\nB : 2\n\rX: 3\n\nFrom b\nC: 1\n"), uint8(30), uint16(0))
	f.Fuzz(func(t *testing.T, raw []byte, size uint8, max uint16) {
		sameFieldStarts(t, raw, 16+int(size), int(max))
	})
}
