package fetch

import (
	"bufio"
	"bytes"
	"fmt"
	"strings"
	"testing"
)

// splitAll splits raw with a bufio buffer of size bytes and headers of at
// most max bytes, headerRun and bodyRun on or off, and describes every
// result.
func splitAll(raw []byte, size, max int, noRun bool) []string {
	s := &mboxSplitter{br: bufio.NewReaderSize(bytes.NewReader(raw), size), noRun: noRun}
	var out []string
	for range len(raw) + 2 { // bounded: each call consumes a message
		h, herr, err := s.next(max)
		out = append(out, fmt.Sprintf("%q %v %v", h, herr, err))
		if err != nil {
			break
		}
	}
	return out
}

// sameRun fails unless the splitter gives, byte for byte, the same headers
// and errors with headerRun and bodyRun as line by line.
func sameRun(t *testing.T, raw []byte, size, max int) {
	t.Helper()
	got, want := splitAll(raw, size, max, false), splitAll(raw, size, max, true)
	if strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Fatalf("%.200q (buffer %d, max %d):\nheaderRun    %.300q\nline by line %.300q", raw, size, max, got, want)
	}
}

var runSeeds = []string{
	"From a\nA: 1\nB: 2\n\nbody\nFrom b\nB: 2\n",
	"From a\r\nA: 1\r\n>From b\r\nC: 3\r\n\r\nFrom c\r\nD: 4",
	"From a\n  A: 1\n  B: 2\n\n",                 // indented block
	"From a\nA: 1\nFrom b\nB: 2\n \t\r\nbody\n",  // From_ inside the header, blank with spaces
	"From a\nA: 1\n\tfolded\nB: 22222222222\n\n", // over small limits
	"\xef\xbb\xbfFrom a\nA: 1\n",
	"From a\n>From b\nA: 1\n\nFrom c\n>From d\n>From e\nB: 2\nFrom f\n>From g\n\n \tC: 3\n", // the original From_ line, escaped
	"From a\nA: " + strings.Repeat("y", 100) + "\nB: 2\nC: 3\n\n",
	// Bodies: "From " inside a line, at a line start after CRLF, a body
	// line longer than the buffer, ">From " and "From" without a space.
	"From a\nA: 1\n\nxFrom y\n>From z\nFrom\nFromage\nFrom b\nB: 2\n\n" + strings.Repeat("b", 70) + "\nFrom c\n",
	"From a\r\nA: 1\r\n\r\nline\r\nFrom b\r\nB: 2\r\n\r\n" + strings.Repeat("QUJD", 40) + "\r\n" + strings.Repeat("QUJD", 19) + "\r\nFrom c\r\nC: 3\r\n\r\nend",
	"From a\nA: 1\n\n" + strings.Repeat("b", 40) + "From x\n" + strings.Repeat("\n", 30) + "From b\n",
}

// TestHeaderRun compares headerRun with the line-by-line path over buffer
// sizes and limits around the lines' lengths.
func TestHeaderRun(t *testing.T) {
	for _, raw := range runSeeds {
		for _, size := range []int{16, 17, 20, 33, 64, 4096} {
			for _, max := range []int{0, 1, 5, 6, 7, 10, 12, 13, 20, 27, 40, 120} {
				sameRun(t, []byte(raw), size, max)
			}
		}
	}
}

func FuzzHeaderRun(f *testing.F) {
	for _, raw := range runSeeds {
		f.Add([]byte(raw), uint8(0), uint16(0))
		f.Add([]byte(raw), uint8(4), uint16(13))
	}
	f.Fuzz(func(t *testing.T, raw []byte, size uint8, max uint16) {
		sameRun(t, raw, 16+int(size), int(max))
	})
}
