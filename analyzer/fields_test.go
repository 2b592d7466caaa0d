package analyzer

import (
	"strings"
	"testing"

	"github.com/mailtrace/mailtrace/analyzer/header"
)

// indexFields is fieldIndex.index of h into a new index.
func indexFields(h header.Header, kinds []fieldKind) fieldIndex {
	var x fieldIndex
	x.kinds = kindsRoom(h, kinds)
	x.index(h)
	return x
}

// classifyModel is what classifyField stands for: the first kind whose
// name strings.EqualFold matches.
func classifyModel(name string) fieldKind {
	for k := fieldOther + 1; k < numFieldKinds; k++ {
		if strings.EqualFold(name, fieldNames[k]) {
			return k
		}
	}
	return fieldOther
}

func classifySeeds() []string {
	seeds := []string{"", "X", "Subject ", "DKIM-Signature", "received", "RECEIVED", "Receivedx", "\u212aey", "X-Aol-Ip", "x-yahoo-post-ıp"}
	for _, n := range fieldNames[1:] {
		seeds = append(seeds, n, strings.ToLower(n), strings.ToUpper(n), n[:len(n)-1],
			strings.ReplaceAll(strings.ToLower(n), "s", "ſ"), strings.ReplaceAll(strings.ToLower(n), "k", "\u212a"))
	}
	return seeds
}

func TestClassifyField(t *testing.T) {
	for _, s := range classifySeeds() {
		if got, want := classifyField(s), classifyModel(s); got != want {
			t.Errorf("classifyField(%q) = %d, want %d", s, got, want)
		}
	}
	if classifyField("ſubject") != fieldSubject || classifyField("x-aol-ip") != fieldClientIP+4 {
		t.Error("folded names not classified")
	}
}

// FuzzClassifyField holds classifyField to strings.EqualFold.
func FuzzClassifyField(f *testing.F) {
	for _, s := range classifySeeds() {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		if got, want := classifyField(s), classifyModel(s); got != want {
			t.Fatalf("classifyField(%q) = %d, want %d", s, got, want)
		}
	})
}

// TestFieldIndex checks the index against header.Header's own lookups.
func TestFieldIndex(t *testing.T) {
	var raw strings.Builder
	for i := 0; i < 80; i++ { // more fields than Analyze's buffer holds
		n := fieldNames[1+i%int(numFieldKinds-1)]
		if i%3 == 0 {
			n = strings.ToLower(n)
		}
		raw.WriteString(n + ": v" + strings.Repeat("x", i) + "\nX-Other: o\n")
	}
	for _, s := range []string{"", "Subject: a\n", raw.String()} {
		h, _ := header.Parse([]byte(s))
		var buf [64]fieldKind
		x := indexFields(h, buf[:0])
		for k := fieldOther + 1; k < numFieldKinds; k++ {
			if got, want := x.get(k), h.Get(fieldNames[k]); got != want {
				t.Errorf("get(%s) = %q, want %q", fieldNames[k], got, want)
			}
			var got []string
			for i := x.start(k); i < len(h); i++ {
				if x.kinds[i] == k {
					got = append(got, h[i].Value)
				}
			}
			if want := h.Values(fieldNames[k]); strings.Join(got, "|") != strings.Join(want, "|") || len(got) != x.count[k] {
				t.Errorf("fields of %s = %q (count %d), want %q", fieldNames[k], got, x.count[k], want)
			}
		}
	}
}
