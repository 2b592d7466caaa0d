package fetch

import (
	"bytes"
	"fmt"
	"strings"
	"testing"
)

// sameSection fails unless sectionOf gives, byte for byte, what ReadHeader
// (its model, unchanged) gives on the same bytes.
func sameSection(t *testing.T, raw []byte, max int) {
	t.Helper()
	got, gerr := sectionOf(bytes.Clone(raw), max)
	want, werr := ReadHeader(bytes.NewReader(raw), max)
	if !bytes.Equal(got, want) || fmt.Sprint(gerr) != fmt.Sprint(werr) {
		t.Fatalf("%.200q (max %d):\nsectionOf  %.300q %v\nReadHeader %.300q %v", raw, max, got, gerr, want, werr)
	}
}

var sectionSeeds = []string{
	"A: 1\r\nB: 2\r\n\r\n",
	"A: 1\nB: 2\n",
	"A: 1\nB: 2",
	"A: 1\nB: 2\n \t",
	"A: 1\n\tfolded\n \r\nbody\n",
	"\r\nA: 1\n\n",
	"  A: 1\n  B: 2\n\n",
	"From x\nA: 1\n\n",
	"\xef\xbb\xbfA: 1\n\n",
	"not a field\nA: 1\n\n",
	"A : 1\nB: 2\n\n",
	"",
	"A: " + strings.Repeat("x", 5000) + "\nB: 2\n\n",
	"A: 1\nB: " + strings.Repeat(" ", 5000) + "\nC: 3\n\n",
	"A: 1\n" + strings.Repeat(" ", 17000) + "\nC: 3\n\n",
}

func TestSectionOf(t *testing.T) {
	for _, raw := range sectionSeeds {
		for _, max := range []int{0, 1, 4, 5, 6, 10, 11, 12, 13, 20, 5010, 1 << 20} {
			sameSection(t, []byte(raw), max)
		}
	}
}

// The result is a sub-slice of the input in the common case: no copy.
func TestSectionOfInPlace(t *testing.T) {
	b := []byte("A: 1\r\nB: 2\r\n\r\n")
	h, err := sectionOf(b, 0)
	if err != nil || string(h) != "A: 1\r\nB: 2\r\n" || &h[0] != &b[0] || cap(h) != len(h) {
		t.Fatalf("%q %v", h, err)
	}
}

func FuzzSectionOf(f *testing.F) {
	for _, raw := range sectionSeeds {
		f.Add([]byte(raw), 0)
		f.Add([]byte(raw), 12)
	}
	f.Fuzz(func(t *testing.T, raw []byte, max int) {
		if max > 1<<16 {
			max = 1 << 16
		}
		sameSection(t, raw, max)
		sameAsOld(t, raw, max)
	})
}

// sameAsOld fails unless sectionOf gives what sectionOfOld gives, and in
// the same place: a sub-slice of the input where the old one gave one.
func sameAsOld(t *testing.T, raw []byte, max int) {
	t.Helper()
	b := bytes.Clone(raw)
	got, gerr := sectionOf(b, max)
	want, werr := sectionOfOld(b, max)
	if !bytes.Equal(got, want) || fmt.Sprint(gerr) != fmt.Sprint(werr) || cap(got) != cap(want) ||
		len(got) > 0 && (&got[0] == &b[0]) != (&want[0] == &b[0]) {
		t.Fatalf("%.200q (max %d):\nsectionOf    %.300q %v\nsectionOfOld %.300q %v", raw, max, got, gerr, want, werr)
	}
}

// sectionOfOld is sectionOf before it looked at a line's first byte to
// tell whether it may be blank: every line through isBlankLine.
func sectionOfOld(b []byte, max int) ([]byte, error) {
	if max <= 0 {
		max = DefaultMaxHeaderBytes
	}
	const safeLine = 4 << 10
	end := 0
	for first := true; end < len(b); first = false {
		line := b[end:]
		if i := bytes.IndexByte(line, '\n'); i >= 0 {
			line = line[:i+1]
		}
		if len(line) > safeLine {
			break
		}
		if isBlankLine(line) {
			if first {
				break
			}
			return b[:end:end], nil
		}
		if first && (line[0] == ' ' || line[0] == '\t' || line[0] == 0xef ||
			bytes.HasPrefix(line, fromLine) || !isFieldLine(line)) {
			break
		}
		if end+len(line) > max {
			break
		}
		end += len(line)
		if end == len(b) {
			return b[:end:end], nil
		}
	}
	return ReadHeader(bytes.NewReader(b), max)
}

// claimed is a literal that announces more bytes than the stream holds.
type claimed struct {
	*bytes.Reader
	size int64
}

func (c claimed) Size() int64 { return c.size }

// readLiteral agrees with ReadHeader on whole literals, on literals the
// stream ends short of (taken as far as they go), and on literals over the
// limit (read through ReadHeader).
func TestReadLiteral(t *testing.T) {
	for _, raw := range sectionSeeds {
		for _, extra := range []int64{0, 1, 100} {
			for _, max := range []int{0, 12} {
				lit := claimed{bytes.NewReader([]byte(raw)), int64(len(raw)) + extra}
				got, gerr, err := readLiteral(lit, max)
				want, werr := ReadHeader(bytes.NewReader([]byte(raw)), max)
				if err != nil || !bytes.Equal(got, want) || fmt.Sprint(gerr) != fmt.Sprint(werr) || lit.Len() != 0 {
					t.Fatalf("%.100q (+%d, max %d): %q %v %v, want %q %v", raw, extra, max, got, gerr, err, want, werr)
				}
			}
		}
	}
}
