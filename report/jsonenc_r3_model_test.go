package report

import (
	"bytes"
	"math/bits"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/mailtrace/mailtrace/internal/swar"
)

// The string encoder as it was at the start of the fourth round (commit
// 9282917), renamed: the models FuzzQuotedRound3 holds the fused copy and
// scan of appendNonEmptyR3 to.

// appendQuotedR3 is appendQuoted of commit 9282917.
func appendQuotedR3(b []byte, s string) []byte {
	if len(s) == 0 {
		return append(b, '"')
	}
	return appendNonEmptyR3(b, s)
}

// appendNonEmptyR3 is appendQuoted for a non-empty s.
func appendNonEmptyR3(b []byte, s string) []byte {
	i := plainPrefixR3(s)
	if i == len(s) {
		b = append(b, s...)
		return append(b, '"')
	}
	return appendEscapedR3(append(b, s[:i]...), s, i)
}

// appendEscapedR3 appends the rest of s, from its first byte needing a look,
// i, on, and the closing quote: the rest of appendQuoted, which has
// appended s[:i].
func appendEscapedR3(b []byte, s string, i int) []byte {
	start := i
	for {
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
		} else {
			r, size := utf8.DecodeRuneInString(s[i:])
			switch {
			case r == utf8.RuneError && size == 1:
				b = append(b, s[start:i]...)
				b = append(b, `\ufffd`...)
				start = i + size
			case r == '\u2028' || r == '\u2029':
				b = append(b, s[start:i]...)
				b = append(b, '\\', 'u', '2', '0', '2', hexDigits[r&0xF])
				start = i + size
			}
			i += size
		}
		i += plainPrefixR3(s[i:])
		if i == len(s) {
			break
		}
	}
	b = append(b, s[start:]...)
	return append(b, '"')
}

// plainPrefixR3 returns the length of the longest prefix of s with no byte
// that needs a look of its own in appendEscapedR3 (a control byte, '"',
// '\\', or a byte of a multi-byte or invalid UTF-8 sequence). Below eight
// bytes it looks each up in plainByte; from eight on it tests sixteen, then
// eight, at once with the hasless and haszero tricks of "Bit Twiddling
// Hacks" (flaggedR3), the last few with the word that ends s, its bytes
// already seen shifted out.
func plainPrefixR3(s string) int {
	if len(s) < 8 {
		i := 0
		for i < len(s) && plainByte[s[i]] {
			i++
		}
		return i
	}
	// Two words a turn, one branch for both: most strings have no byte to
	// look at, and the raw header texts run to hundreds of bytes.
	t := s
	for len(t) >= 16 {
		x0, x1 := swar.Load(t[:8]), swar.Load(t[8:16])
		if (unmaskedR3(x0)|unmaskedR3(x1))&swar.Hi != 0 {
			i := len(s) - len(t)
			if m := flaggedR3(x0); m != 0 {
				return i + bits.TrailingZeros64(m)/8
			}
			return i + 8 + bits.TrailingZeros64(flaggedR3(x1))/8
		}
		t = t[16:]
	}
	i := len(s) - len(t)
	if len(s)-i >= 8 {
		if m := flaggedR3(swar.Load(s[i : i+8])); m != 0 {
			return i + bits.TrailingZeros64(m)/8
		}
		i += 8
	}
	if n := len(s) - i; n > 0 { // the last few bytes, in the word that ends s
		if m := flaggedR3(swar.Load(s[len(s)-8:])) >> (8 * (8 - n)); m != 0 {
			return i + bits.TrailingZeros64(m)/8
		}
	}
	return len(s)
}

// flaggedR3 sets the high bit of each byte of x that needs a look, and maybe
// of bytes after the first such: a byte of 0x80 or more is flagged by its
// own high bit (which also makes the &^ of the haszero tricks needless), a
// borrow only wrongly flags a byte after one rightly flagged (never after a
// plain one), so the lowest flag is right.
func flaggedR3(x uint64) uint64 { return unmaskedR3(x) & swar.Hi }

// unmaskedR3 is flaggedR3 before the mask of the high bits, for the word loop
// to mask two words at once.
func unmaskedR3(x uint64) uint64 {
	return x | (x - swar.Lo*0x20) | (x ^ swar.Lo*'"' - swar.Lo) | (x ^ swar.Lo*'\\' - swar.Lo)
}

// sameAsR3 fails unless appendQuoted and plainPrefix give what they gave
// in round three, on s and its first suffixes, after a prefix with no
// spare capacity and after one with plenty.
func sameAsR3(t *testing.T, s string) {
	t.Helper()
	for i := 0; i < len(s) && i < 40; i++ {
		if got, want := plainPrefix(s[i:]), plainPrefixR3(s[i:]); got != want {
			t.Fatalf("%q: plainPrefix %d, round three %d", s[i:], got, want)
		}
	}
	for _, c := range []int{0, 1, len(s), 2*len(s) + 16} {
		b := make([]byte, 3, 3+c)
		copy(b, "ab\"")
		want := appendQuotedR3(bytes.Clone(b), s)
		if got := appendQuoted(b, s); !bytes.Equal(got, want) {
			t.Fatalf("%q (spare %d): appendQuoted %q, round three %q", s, c, got, want)
		}
	}
}

// FuzzQuotedR3 compares appendQuoted and plainPrefix with their round-three
// code on arbitrary strings.
func FuzzQuotedR3(f *testing.F) {
	for _, s := range trickyStrings {
		f.Add(s)
	}
	f.Add("abcdefg\n")
	f.Add("abcdefgh\"")
	f.Add("abcdefghijklm\\")
	f.Add("abcdef\u2028x")
	f.Add("abcdefghijklmn\xe2\x80\xa9")
	f.Add("from [62.239.237.1]\r\n\tby mail.example.net with esmtpsa\r\n\t(Exim 4.96)")
	f.Add("0123456789abcdef0123456789abcdef\x7f")
	f.Fuzz(func(t *testing.T, s string) { sameAsR3(t, s) })
}

// TestQuotedR3Positions puts each kind of byte that needs a look at every
// position of plain strings up to four words long.
func TestQuotedR3Positions(t *testing.T) {
	specials := []string{"\"", "\\", "\n", "\r\n\t", "\x00", "\x1f", "\x7f", "é", "\u2028", "\u2029", "\xff", "\xe2\x80", "😀"}
	for n := range 34 {
		for p := 0; p <= n; p++ {
			for _, sp := range specials {
				sameAsR3(t, strings.Repeat("a", p)+sp+strings.Repeat("b", n-p))
				sameAsR3(t, strings.Repeat(" ", p)+sp+sp+strings.Repeat("~", n-p)+sp)
			}
		}
		sameAsR3(t, strings.Repeat("x", n+1))
	}
}
