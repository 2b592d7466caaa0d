package header

import (
	"bytes"
	"slices"
	"strings"
	"testing"
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
