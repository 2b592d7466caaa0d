package header

import (
	"strings"
	"testing"
)

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

func FuzzParse(f *testing.F) {
	f.Add([]byte("A: 1\r\n\tmore\r\nB:2\r\n\r\nbody"))
	f.Add([]byte(" x\ny: \n\n"))
	f.Fuzz(func(t *testing.T, b []byte) {
		h, _ := Parse(b)
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
