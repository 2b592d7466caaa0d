package auth

import (
	"strings"
	"unicode/utf8"

	"github.com/mailtrace/mailtrace/internal/swar"
)

// ASCII helpers: most of what the package reads is ASCII, and these read
// it eight bytes at a time or without the copies of the strings functions
// they stand for (equiv_test.go holds them to those).

// isASCII reports whether s has no byte above 0x7F, eight bytes at a time.
func isASCII(s string) bool {
	for len(s) >= 8 {
		if swar.Load(s)&swar.Hi != 0 {
			return false
		}
		s = s[8:]
	}
	for i := 0; i < len(s); i++ {
		if s[i] >= utf8.RuneSelf {
			return false
		}
	}
	return true
}

// equalLowerASCII reports whether name is ASCII and, lower-cased, is
// lower (itself ASCII lower case), comparing eight bytes at a time.
func equalLowerASCII(name, lower string) bool {
	if len(name) != len(lower) {
		return false
	}
	for len(name) >= 8 {
		w := swar.Load(name)
		if w&swar.Hi != 0 || lowerWord(w) != swar.Load(lower) {
			return false
		}
		name, lower = name[8:], lower[8:]
	}
	for i := 0; i < len(name); i++ {
		c := name[i]
		if 'A' <= c && c <= 'Z' {
			c += 'a' - 'A'
		}
		if c != lower[i] {
			return false
		}
	}
	return true
}

// lowerWord lower-cases the ASCII letters of a word of ASCII bytes: a byte
// b gets 0x20 added where b+0x3F reaches 0x80 (b >= 'A') and b+0x25 does
// not (b <= 'Z'); no byte carries into the next, as b < 0x80.
func lowerWord(w uint64) uint64 {
	return w | ((w+fromA)&^(w+pastZ)&swar.Hi)>>2
}

const (
	fromA = 0x3f3f3f3f3f3f3f3f // 0x80 - 'A' in each byte
	pastZ = 0x2525252525252525 // 0x80 - 'Z' - 1
)

// toLower is strings.ToLower: s itself when it is ASCII without an upper
// case letter, found eight bytes at a time (the last eight overlapping
// those before them; a short s in one word of its first and last four).
func toLower(s string) string {
	switch n := len(s); {
	case n >= 8:
		for t := s; len(t) > 8; t = t[8:] {
			if !lowerWordASCII(swar.Load(t)) {
				return strings.ToLower(s)
			}
		}
		if !lowerWordASCII(swar.Load(s[n-8:])) {
			return strings.ToLower(s)
		}
	case n >= 4:
		if !lowerWordASCII(uint64(load4(s)) | uint64(load4(s[n-4:]))<<32) {
			return strings.ToLower(s)
		}
	default:
		for i := 0; i < n; i++ {
			if c := s[i]; c >= utf8.RuneSelf || 'A' <= c && c <= 'Z' {
				return strings.ToLower(s)
			}
		}
	}
	return s
}

// lowerWordASCII reports whether the eight bytes of w are ASCII and none
// is an upper case letter.
func lowerWordASCII(w uint64) bool {
	return w&swar.Hi == 0 && (w+fromA)&^(w+pastZ)&swar.Hi == 0
}

// load4 reads the first four bytes of s as a little-endian word.
func load4(s string) uint32 {
	s = s[:4]
	return uint32(s[0]) | uint32(s[1])<<8 | uint32(s[2])<<16 | uint32(s[3])<<24
}

// trimmed reports that strings.TrimSpace(s) is s, for a non-empty s that
// starts and ends with an ASCII byte it keeps, as most values and tags do
// (false says nothing). Callers write
//
//	if !trimmed(s) {
//		s = strings.TrimSpace(s)
//	}
//
// which the compiler inlines, sparing the call.
func trimmed(s string) bool {
	return s != "" && keepByte[s[0]]&keepByte[s[len(s)-1]] != 0
}

// keepByte holds the ASCII bytes strings.TrimSpace keeps: all but white
// space.
var keepByte = func() (t [256]uint8) {
	for c := range utf8.RuneSelf {
		if !asciiSpace[c] {
			t[c] = 1
		}
	}
	return t
}()

// lowerIs reports whether strings.ToLower(s) == lower, without the copy
// for ASCII s.
func lowerIs(s, lower string) bool {
	if !isASCII(s) {
		return strings.ToLower(s) == lower
	}
	return equalLowerASCII(s, lower)
}

// upperIs reports whether strings.ToUpper(s) == upper, without the copy
// for ASCII s.
func upperIs(s, upper string) bool {
	if !isASCII(s) {
		return strings.ToUpper(s) == upper
	}
	if len(s) != len(upper) {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if 'a' <= c && c <= 'z' {
			c -= 'a' - 'A'
		}
		if c != upper[i] {
			return false
		}
	}
	return true
}

// cutByte is strings.Cut(s, string(sep)) for a one-byte separator,
// without strings.Index's dispatch on the separator's length.
func cutByte(s string, sep byte) (before, after string, found bool) {
	if i := strings.IndexByte(s, sep); i >= 0 {
		return s[:i], s[i+1:], true
	}
	return s, "", false
}

// asciiSet is a set of ASCII bytes, built once for trim: a table by
// byte, as trim mostly tests one byte at each end of a short string.
type asciiSet [256]bool

func makeASCIISet(chars string) (as asciiSet) {
	for i := 0; i < len(chars); i++ {
		as[chars[i]] = true
	}
	return as
}

// trim is strings.Trim(s, chars) for the ASCII chars of the set: it trims
// bytes, as strings.Trim does for an ASCII cutset. The usual s, with
// nothing to trim, is told by its two ends where trim is inlined.
func (as *asciiSet) trim(s string) string {
	if s == "" || !as[s[0]] && !as[s[len(s)-1]] {
		return s
	}
	return as.trimEnds(s)
}

// trimEnds is trim for an s that starts or ends with a byte of the set.
func (as *asciiSet) trimEnds(s string) string {
	i, j := 0, len(s)
	for i < j && as[s[i]] {
		i++
	}
	for j > i && as[s[j-1]] {
		j--
	}
	return s[i:j]
}
