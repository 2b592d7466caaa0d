package header

import (
	"bytes"
	"slices"
	"strings"
	"testing"

	"github.com/mailtrace/mailtrace/internal/corpus"
)

// parseModel is Parse as first written, a copy per name and value: the
// plain statement of what Parse must return, which FuzzParse holds it to.
func parseModel(b []byte) (h Header, malformed int) {
	var (
		name string
		val  []byte
		open bool
	)
	flush := func() {
		if open {
			h = append(h, Field{Name: name, Value: string(val)})
			open = false
		}
	}
	for len(b) > 0 {
		var line []byte
		if i := bytes.IndexByte(b, '\n'); i >= 0 {
			line, b = b[:i], b[i+1:]
		} else {
			line, b = b, nil
		}
		line = bytes.TrimSuffix(line, []byte{'\r'})
		if len(line) == 0 {
			break
		}
		if line[0] == ' ' || line[0] == '\t' {
			if !open {
				malformed++
				continue
			}
			val = append(append(val, '\n'), line...)
			continue
		}
		colon := bytes.IndexByte(line, ':')
		if colon <= 0 || bytes.ContainsAny(line[:colon], " \t") && !obsNameModel(string(line[:colon])) {
			malformed++
			continue
		}
		flush()
		name = string(bytes.TrimRight(line[:colon], " \t"))
		val = append(val[:0], bytes.TrimLeft(line[colon+1:], " \t")...)
		open = true
	}
	flush()
	return h, malformed
}

// parseOnePass is Parse as the first round of tuning left it (spans of
// int, a byte loop for blanks in the name, copyLF always): the
// differential model of FuzzParse for the one-pass reading.
func parseOnePass(b []byte) (h Header, malformed int) {
	type span struct{ name, nameEnd, start, end int }
	var buf [48]span // room for most headers' fields
	spans := buf[:0]
	var (
		cur     span // the current field, when open
		open    bool
		dropped int // CRs left out of the copy before pos
		n       int // the section's length in b
	)
	for pos := 0; pos < len(b); {
		line := b[pos:]
		next := len(b)
		if i := bytes.IndexByte(line, '\n'); i >= 0 {
			line, next = line[:i], pos+i+1
		}
		cr := len(line) > 0 && line[len(line)-1] == '\r'
		if cr { // dropped from the copy before an LF or at the very end
			line = line[:len(line)-1]
		}
		if len(line) == 0 {
			break // an empty line ends the section
		}
		o := pos - dropped // where the line starts in the copy
		n, pos = next, next
		if cr {
			dropped++
		}
		if line[0] == ' ' || line[0] == '\t' {
			switch {
			case !open:
				malformed++
			case cur.end == o-1:
				cur.end = o + len(line) // contiguous: the value grows in place
			default: // a malformed line lies between
				return parseSplit(b)
			}
			continue
		}
		colon := bytes.IndexByte(line, ':')
		if colon <= 0 || hasBlank(line[:colon]) && !isObsName(line[:colon]) {
			malformed++
			continue
		}
		if open {
			spans = append(spans, cur)
		}
		start := colon + 1
		for start < len(line) && (line[start] == ' ' || line[start] == '\t') {
			start++
		}
		cur = span{o, o + len(trimBlanks(line[:colon])), o + start, o + len(line)}
		open = true
	}
	if open {
		spans = append(spans, cur)
	}
	s := copyLF(b[:n])
	h = make(Header, len(spans))
	for i, sp := range spans {
		h[i] = Field{Name: s[sp.name:sp.nameEnd], Value: s[sp.start:sp.end]}
	}
	return h, malformed
}

func TestParse(t *testing.T) {
	test := func(in string, wantMalformed int, want ...string) {
		t.Helper()
		h, m := Parse([]byte(in))
		var got []string
		for _, f := range h {
			got = append(got, f.Name+"="+f.Value)
		}
		if strings.Join(got, "|") != strings.Join(want, "|") || m != wantMalformed {
			t.Errorf("Parse(%q) = %q malformed %d, want %q malformed %d", in, got, m, want, wantMalformed)
		}
	}
	test("A: 1\nB: 2\n", 0, "A=1", "B=2")
	test("A: 1\r\n\tmore\r\nB:2\r\n\r\nC: body\n", 0, "A=1\n\tmore", "B=2")
	test(" leading continuation\nA: 1\n", 1, "A=1")
	test("garbage line\nA: 1\n", 1, "A=1")
	test("Subject : obsolete\n", 0, "Subject=obsolete")
	test("A: 1\nno end", 1, "A=1")
	test("", 0)
	test("\nA: after blank\n", 0)
	test("X-NUL: a\x00b\n", 0, "X-NUL=a\x00b")
	test("A: 1\r\n junk\r\nB: x\r\r\n", 0, "A=1\n junk", "B=x\r")
	test("A: 1\nbad\n\tcont\n\tmore\nB: 2\r", 1, "A=1\n\tcont\n\tmore", "B=2")
	test("A:\n\t\n", 0, "A=\n\t")
}

func TestGetValues(t *testing.T) {
	h, _ := Parse([]byte("Received: a\nreceived: b\nSubject: s\n"))
	if h.Get("SUBJECT") != "s" || h.Get("none") != "" {
		t.Error("Get")
	}
	if v := h.Values("Received"); len(v) != 2 || v[1] != "b" {
		t.Errorf("Values %q", v)
	}
}

// obsNameModel is isObsName as first written, with the strings functions
// Parse's byte loops stand for.
func obsNameModel(b string) bool {
	t := strings.TrimRight(b, " \t")
	return len(t) > 0 && !strings.ContainsAny(t, " \t")
}

func FuzzParse(f *testing.F) {
	f.Add([]byte("A: 1\r\n\tmore\r\nB:2\r\n\r\nbody"))
	f.Add([]byte(" x\ny: \n\n"))
	f.Add([]byte("A: 1\r\nbad\r\n\tc\r\r\n B\r"))
	f.Add([]byte("A: 1\n\tx\nbad\n\tc\nB: 2\n\tfolded\r\n\r\n"))
	f.Add([]byte("Subject : a\r\n\r\r\nX:\r"))
	f.Fuzz(func(t *testing.T, b []byte) {
		h, m := Parse(b)
		wantH, wantM := parseModel(b)
		if !slices.Equal(h, wantH) || m != wantM {
			t.Fatalf("Parse(%q) = %q, %d; the model says %q, %d", b, h, m, wantH, wantM)
		}
		if h, m := parseOnePass(b); !slices.Equal(h, wantH) || m != wantM {
			t.Fatalf("parseOnePass(%q) = %q, %d; the model says %q, %d", b, h, m, wantH, wantM)
		}
		// parseSplit, the two-pass Parse of before, takes any header.
		if h, m := parseSplit(b); !slices.Equal(h, wantH) || m != wantM {
			t.Fatalf("parseSplit(%q) = %q, %d; the model says %q, %d", b, h, m, wantH, wantM)
		}
		for _, fl := range h {
			if fl.Name == "" || strings.ContainsAny(fl.Name, ":\n") {
				t.Fatalf("bad field name %q", fl.Name)
			}
		}
	})
}

// BenchmarkParse parses the header sections of the conformance messages,
// as a scan reads them, one per iteration.
func BenchmarkParse(b *testing.B) {
	hs := corpus.Headers(b)
	n := 0
	for _, h := range hs {
		n += len(h)
	}
	b.SetBytes(int64(n / len(hs)))
	b.ReportAllocs()
	i := 0
	for b.Loop() {
		Parse(hs[i%len(hs)])
		i++
	}
}

// BenchmarkParseCRLF parses the header sections of BenchmarkParse with
// CRLF line ends, as IMAP and POP3 hand them out.
func BenchmarkParseCRLF(b *testing.B) {
	var hs [][]byte
	for _, h := range corpus.Headers(b) {
		h = bytes.ReplaceAll(h, []byte("\r\n"), []byte("\n"))
		hs = append(hs, bytes.ReplaceAll(h, []byte("\n"), []byte("\r\n")))
	}
	b.ReportAllocs()
	i := 0
	for b.Loop() {
		Parse(hs[i%len(hs)])
		i++
	}
}

// BenchmarkParseFolded: one 1 MiB field folded into 100,000 lines stays linear.
func BenchmarkParseFolded(b *testing.B) {
	raw := []byte("Received: " + strings.Repeat("from x\n\t", 1<<20/8) + "\n\n")
	b.SetBytes(int64(len(raw)))
	for b.Loop() {
		Parse(raw)
	}
}

func TestCommentEnd(t *testing.T) {
	test := func(s string, want int) {
		t.Helper()
		if got := CommentEnd(s, 0); got != want {
			t.Errorf("CommentEnd(%q) = %d, want %d", s, got, want)
		}
	}
	test("(a) b", 3)
	test("(a (nested) b) c", 14)
	test(`(a \) b) c`, 8)
	test("(unclosed", 9)
	test(`(trailing \`, 11)
}
