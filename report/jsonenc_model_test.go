package report

import (
	"bytes"
	"math/bits"
	"strings"
	"testing"
	"unicode/utf8"
)

// appendStringModel is appendString as it was before the table and the
// overlapping last word (plainPrefix): the model FuzzAppendString holds the
// fast one to.
func appendStringModel(b []byte, s string) []byte {
	b = append(b, '"')
	start := 0
	for i := 0; i < len(s); {
		i = skipPlainModel(s, i)
		for i < len(s) && s[i] < utf8.RuneSelf && plainModel(s[i]) {
			i++
		}
		if i == len(s) {
			break
		}
		if c := s[i]; c < utf8.RuneSelf {
			b = append(b, s[start:i]...)
			switch c {
			case '\\', '"':
				b = append(b, '\\', c)
			case '\b':
				b = append(b, '\\', 'b')
			case '\f':
				b = append(b, '\\', 'f')
			case '\n':
				b = append(b, '\\', 'n')
			case '\r':
				b = append(b, '\\', 'r')
			case '\t':
				b = append(b, '\\', 't')
			default:
				b = append(b, '\\', 'u', '0', '0', hexDigits[c>>4], hexDigits[c&0xF])
			}
			i++
			start = i
			continue
		}
		r, size := utf8.DecodeRuneInString(s[i:])
		switch {
		case r == utf8.RuneError && size == 1:
			b = append(b, s[start:i]...)
			b = append(b, `\ufffd`...)
		case r == '\u2028' || r == '\u2029':
			b = append(b, s[start:i]...)
			b = append(b, '\\', 'u', '2', '0', '2', hexDigits[r&0xF])
		default:
			i += size
			continue
		}
		i += size
		start = i
	}
	b = append(b, s[start:]...)
	return append(b, '"')
}

func plainModel(c byte) bool { return c >= 0x20 && c != '"' && c != '\\' }

func skipPlainModel(s string, i int) int {
	const ones, highs = 0x0101010101010101, 0x8080808080808080
	for ; len(s)-i >= 8; i += 8 {
		t := s[i : i+8]
		x := uint64(t[0]) | uint64(t[1])<<8 | uint64(t[2])<<16 | uint64(t[3])<<24 |
			uint64(t[4])<<32 | uint64(t[5])<<40 | uint64(t[6])<<48 | uint64(t[7])<<56
		q, bs := x^(ones*'"'), x^(ones*'\\')
		if m := (x | (x - ones*0x20) | (q-ones)&^q | (bs-ones)&^bs) & highs; m != 0 {
			return i + bits.TrailingZeros64(m)/8
		}
	}
	return i
}

// plainPrefixModel is plainPrefix as the first round wrote it, a word a
// turn with the overlapping last word in the loop: the model of the two
// words a turn of plainPrefix.
func plainPrefixModel(s string) int {
	if len(s) < 8 {
		i := 0
		for i < len(s) && plainByte[s[i]] {
			i++
		}
		return i
	}
	const ones, highs = 0x0101010101010101, 0x8080808080808080
	for i := 0; ; i += 8 {
		j, shift := i, 0
		switch n := len(s) - i; {
		case n >= 8:
		case n == 0:
			return i
		default: // the last few bytes
			j, shift = len(s)-8, 8*(8-n)
		}
		t := s[j : j+8]
		x := uint64(t[0]) | uint64(t[1])<<8 | uint64(t[2])<<16 | uint64(t[3])<<24 |
			uint64(t[4])<<32 | uint64(t[5])<<40 | uint64(t[6])<<48 | uint64(t[7])<<56
		q, bs := x^(ones*'"'), x^(ones*'\\')
		if m := ((x | (x - ones*0x20) | (q-ones)&^q | (bs-ones)&^bs) & highs) >> shift; m != 0 {
			return i + bits.TrailingZeros64(m)/8
		}
		if shift != 0 {
			return len(s)
		}
	}
}

// sameAsModel fails unless appendString, appendQuoted after a quote, the
// model and encoding/json agree on s, and plainPrefix and its model on s
// and its first suffixes.
func sameAsModel(t *testing.T, s string) {
	t.Helper()
	for i := 0; i < len(s) && i < 24; i++ {
		if got, want := plainPrefix(s[i:]), plainPrefixModel(s[i:]); got != want {
			t.Fatalf("%q: plainPrefix %d, model %d", s[i:], got, want)
		}
	}
	want := appendStringModel([]byte("x"), s)
	if got := appendString([]byte("x"), s); !bytes.Equal(got, want) {
		t.Fatalf("%q: appendString %s, model %s", s, got, want)
	}
	if got := appendQuoted([]byte(`x"`), s); !bytes.Equal(got, want) {
		t.Fatalf("%q: appendQuoted %s, model %s", s, got, want)
	}
	if std, _ := stdJSONL(s); !bytes.Equal(append(want[1:], '\n'), std) {
		t.Fatalf("%q: model %s, encoding/json %s", s, want[1:], std)
	}
}

// TestAppendStringPositions puts each kind of byte that needs a look at
// every position of plain strings up to three words long: the word loop,
// the overlapping last word and the short-string loop each see it.
func TestAppendStringPositions(t *testing.T) {
	specials := []string{"\"", "\\", "\n", "\t", "\x00", "\x1f", "\x7f", "é", "\u2028", "\u2029", "\xff", "\xe2\x80", "日本", "😀"}
	for n := range 25 {
		for p := 0; p <= n; p++ {
			for _, sp := range specials {
				sameAsModel(t, strings.Repeat("a", p)+sp+strings.Repeat("b", n-p))
				sameAsModel(t, strings.Repeat(" ", p)+sp+sp+strings.Repeat("~", n-p)+sp)
			}
		}
	}
}

// FuzzAppendString compares appendString and appendQuoted with the model
// and with encoding/json on arbitrary bytes.
func FuzzAppendString(f *testing.F) {
	for _, s := range trickyStrings {
		f.Add(s)
	}
	f.Add("abcdefg\n")
	f.Add("abcdefgh\"")
	f.Add("abcdefghijklm\\")
	f.Add("abcdef\u2028x")
	f.Add("abcdefghijklmn\xe2\x80\xa9")
	f.Add("from [62.239.237.1]\n\tby mail.example.net with esmtpsa\n\t(Exim 4.96)")
	f.Fuzz(func(t *testing.T, s string) { sameAsModel(t, s) })
}
