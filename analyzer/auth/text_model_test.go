package auth

import (
	"bytes"
	"slices"
	"strings"
	"testing"
	"unicode"
	"unicode/utf8"

	"github.com/mailtrace/mailtrace/analyzer/header"
	"github.com/mailtrace/mailtrace/internal/swar"
)

// The models: the text helpers as they were before they tested ASCII
// bytes by table (nextField, and readStrict's bytes.IndexFunc), before
// writeUnfolded trimmed continuation lines without strings.TrimLeft's
// cutset set, before toLower read a word where it read bytes, and before
// rawValues and splitPairs spared strings.TrimSpace's call on what it
// keeps, before stripWS looked for white space without
// strings.ContainsAny. FuzzTextModels holds them to these. (lexResults'
// comments are header.CommentEnd's, held to its model by FuzzCommentEnd.)

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

// toLower is strings.ToLower: s itself when it is ASCII without an upper
// case letter, found eight bytes at a time.
func toLowerModel(s string) string {
	t := s
	for len(t) >= 8 {
		if w := swar.Load(t); w&swar.Hi != 0 || (w+fromA)&^(w+pastZ)&swar.Hi != 0 {
			return strings.ToLower(s)
		}
		t = t[8:]
	}
	for i := 0; i < len(t); i++ {
		if c := t[i]; c >= utf8.RuneSelf || 'A' <= c && c <= 'Z' {
			return strings.ToLower(s)
		}
	}
	return s
}

// splitPairs splits "K:V;K:V" (sep ':' ) or "K=V;..." lists.
func splitPairsModel(s, fieldSep, kvSep string) [][2]string {
	out := make([][2]string, 0, strings.Count(s, fieldSep)+1)
	for rest, more := s, true; more; {
		var part string
		part, rest, more = strings.Cut(rest, fieldSep)
		part = strings.TrimSpace(part)
		if part == "" {
			continue
		}
		k, v, _ := strings.Cut(part, kvSep)
		out = append(out, [2]string{strings.TrimSpace(k), strings.TrimSpace(v)})
	}
	return out
}

// rawValues appends to dst unfold of the value of every field collect
// reads, in order. The folded values are unfolded into one string that
// they share: one allocation for the message rather than one per field
// (these fields usually are folded).
func rawValuesModel(h header.Header, kinds []uint8, dst []rawValue) []rawValue {
	first, size := len(dst), 0
	for i := range h {
		if kinds[i] == fieldNone || kinds[i] == fieldReceived {
			continue
		}
		v := h[i].Value
		if strings.IndexByte(v, '\n') < 0 {
			dst = append(dst, rawValue{s: strings.TrimSpace(v)})
			continue
		}
		dst = append(dst, rawValue{s: v, folded: true})
		size += len(v) // writeUnfolded writes no more
	}
	if size == 0 {
		return dst
	}
	var b strings.Builder
	b.Grow(size)
	for i := first; i < len(dst); i++ {
		if v := &dst[i]; v.folded {
			v.start = b.Len()
			writeUnfolded(&b, v.s)
			v.end = b.Len()
		}
	}
	text := b.String()
	for i := first; i < len(dst); i++ {
		if v := &dst[i]; v.folded {
			v.s = strings.TrimSpace(text[v.start:v.end])
		}
	}
	return dst
}

// stripWS removes all white space (RFC 6376 §3.2: FWS inside values).
func stripWSModel(s string) string {
	if !strings.ContainsAny(s, " \t\r\n") {
		return s
	}
	return strings.Map(func(r rune) rune {
		if r == ' ' || r == '\t' || r == '\r' || r == '\n' {
			return -1
		}
		return r
	}, s)
}

// rawValue is what rawValuesModel fills: the value of a field unfolded;
// while it runs, a folded one holds the value as written, then its place
// [start, end) in the text the folded ones share.
type rawValue struct {
	s          string
	folded     bool
	start, end int
}

func checkTextModels(t *testing.T, s string) {
	t.Helper()
	for i := 0; i <= len(s) && i < 9; i++ { // every alignment of the words
		plain := s[i:] != ""
		for _, c := range []byte(s[i:]) {
			plain = plain && c > ' ' && c < 0x7f+1 && c != ';' && c != '='
		}
		if got := plainText(s[i:]); got != plain {
			t.Fatalf("plainText(%q) = %v, want %v", s[i:], got, plain)
		}
	}
	if got, want := stripWS(s), stripWSModel(s); got != want {
		t.Fatalf("stripWS(%q) = %q, want %q", s, got, want)
	}
	for i := 0; i <= len(s) && i < 9; i++ { // every alignment of the words
		if got, want := toLower(s[i:]), toLowerModel(s[i:]); got != want {
			t.Fatalf("toLower(%q) = %q, want %q", s[i:], got, want)
		}
	}
	for _, sep := range []byte{';', '=', ':', 0xff} {
		b, a, ok := cutByte(s, sep)
		if wb, wa, wok := strings.Cut(s, string([]byte{sep})); b != wb || a != wa || ok != wok {
			t.Fatalf("cutByte(%q, %q) = %q, %q, %v; strings.Cut %q, %q, %v", s, sep, b, a, ok, wb, wa, wok)
		}
	}
	if ok := trimmed(s); ok && strings.TrimSpace(s) != s {
		t.Fatalf("trimmed(%q) but strings.TrimSpace trims it", s)
	}
	for _, sep := range [][2]byte{{';', ':'}, {';', '='}, {' ', '='}} {
		if got, want := splitPairs(s, sep[0], sep[1]), splitPairsModel(s, string(sep[0]), string(sep[1])); !slices.Equal(got, want) {
			t.Fatalf("splitPairs(%q, %q) = %q, want %q", s, sep, got, want)
		}
	}
	var h header.Header
	var kinds []uint8
	for i, v := range strings.Split(s, "|") {
		h = append(h, header.Field{Name: "X", Value: v})
		kinds = append(kinds, uint8(i%numFieldKinds))
	}
	var got []collected
	for i, k := range kinds {
		if k != fieldNone && k != fieldReceived {
			got = append(got, collected{pos: int32(i), kind: k})
		}
	}
	rawValues(h, got)
	want := rawValuesModel(h, kinds, nil)
	if len(got) != len(want) {
		t.Fatalf("rawValues(%q): %d values, want %d", s, len(got), len(want))
	}
	for i := range got {
		if got[i].s != want[i].s {
			t.Fatalf("rawValues(%q)[%d] = %q, want %q", s, i, got[i].s, want[i].s)
		}
	}
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
	"abc;", "a=b", "abcdefg;", "abcdefgh=", "pass", "x\x7fy", "header.d=example.com", "\x80abcdefgh", "abcdefghijklmn\x01",
	"(a (b) c)", "(a \\) b) c", "x(a\\", ")(", "((()", "(\\", "a b\tc\r\nd",
	"CIP:1.2.3.4; SCL:1;;SFV:NSPM ; x", "a=b ;c = d|e\n f|\tg \r\n|\u00a0x\u00a0", "ABCDEFGHIJ", "abcdefgh", "abcdefghI", "abcD", "Abc", "\u212aabc", "abcdefg\xff",
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
