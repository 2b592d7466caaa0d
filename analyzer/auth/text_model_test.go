package auth

import (
	"bytes"
	"strings"
	"testing"
	"unicode"
	"unicode/utf8"
)

// The models: the text helpers as they were before they tested ASCII
// bytes by table (nextField, and readStrict's bytes.IndexFunc) and before
// writeUnfolded trimmed continuation lines without strings.TrimLeft's
// cutset set. FuzzTextModels holds them to these.

func nextFieldModel(s []byte) (field, rest []byte) {
	i := 0
	for i < len(s) { // leading space
		r, n := rune(s[i]), 1
		if r >= utf8.RuneSelf {
			r, n = utf8.DecodeRune(s[i:])
		}
		if !unicode.IsSpace(r) {
			break
		}
		i += n
	}
	start := i
	for i < len(s) {
		r, n := rune(s[i]), 1
		if r >= utf8.RuneSelf {
			r, n = utf8.DecodeRune(s[i:])
		}
		if unicode.IsSpace(r) {
			break
		}
		i += n
	}
	return s[start:i], s[i:]
}

func writeUnfoldedModel(b *strings.Builder, s string) {
	nl := strings.IndexByte(s, '\n')
	b.WriteString(strings.TrimSuffix(s[:nl], "\r"))
	for s = s[nl+1:]; ; {
		line := s
		nl = strings.IndexByte(s, '\n')
		if nl >= 0 {
			line, s = strings.TrimSuffix(s[:nl], "\r"), s[nl+1:]
		}
		if line = strings.TrimLeft(line, " \t"); line != "" {
			b.WriteByte(' ')
			b.WriteString(line)
		}
		if nl < 0 {
			break
		}
	}
}

func checkTextModels(t *testing.T, s string) {
	t.Helper()
	b := []byte(s)
	for rest := b; len(rest) > 0; {
		f, r := nextField(rest)
		wf, wr := nextFieldModel(rest)
		if !bytes.Equal(f, wf) || len(r) != len(wr) {
			t.Fatalf("nextField(%q) = %q, %q; the model %q, %q", rest, f, r, wf, wr)
		}
		if len(r) == len(rest) {
			break
		}
		rest = r
	}
	if got, want := indexSpace(b), bytes.IndexFunc(b, unicode.IsSpace); got != want {
		t.Fatalf("indexSpace(%q) = %d, want %d", s, got, want)
	}
	if strings.IndexByte(s, '\n') >= 0 {
		var got, want strings.Builder
		writeUnfolded(&got, s)
		writeUnfoldedModel(&want, s)
		if got.String() != want.String() {
			t.Fatalf("writeUnfolded(%q) = %q, want %q", s, got.String(), want.String())
		}
	}
}

var textSeeds = []string{
	"a b", " \t a\v\fb\r\n", "a\u00a0b\u0085c\u2028d", "\xff \xc2", "\xc2\xa0x", "a\r\n b\r\n\r\n\t c\n",
	"\n", "\r\n", " \r\n \t\r\n", "a\n \r \n\t\r", "x\r\r\n y", "\u3000a", "a=b c=d; e",
}

func TestTextModels(t *testing.T) {
	for _, s := range append(textSeeds, resultsValues(t)...) {
		checkTextModels(t, s)
	}
}

// FuzzTextModels holds nextField, indexSpace and writeUnfolded to the
// models.
func FuzzTextModels(f *testing.F) {
	for _, s := range textSeeds {
		f.Add(s)
	}
	f.Fuzz(checkTextModels)
}
