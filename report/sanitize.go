package report

import (
	"strings"
	"unicode"
	"unicode/utf8"
)

// Clean makes untrusted text safe for a terminal: control characters
// (C0, DEL, C1 — escape sequences start with ESC or CSI) and bidirectional
// overrides become visible escapes, invalid UTF-8 becomes U+FFFD, and line
// breaks become spaces. Nothing from input reaches the terminal raw.
func Clean(s string) string {
	if isClean(s) {
		return s
	}
	var b strings.Builder
	b.Grow(len(s) + 8)
	for i := 0; i < len(s); {
		r, size := utf8.DecodeRuneInString(s[i:])
		i += size
		switch {
		case r == utf8.RuneError && size == 1:
			b.WriteRune(utf8.RuneError)
		case r == '\n' || r == '\r' || r == '\t':
			b.WriteByte(' ')
		case r < 0x20 || r == 0x7f || (r >= 0x80 && r < 0xa0) || isBidiControl(r):
			b.WriteString(escapeRune(r))
		default:
			b.WriteRune(r)
		}
	}
	return b.String()
}

func isClean(s string) bool {
	for i := 0; i < len(s); i++ {
		if c := s[i]; c < 0x20 || c == 0x7f || c >= 0x80 {
			return false
		}
	}
	return true
}

// isBidiControl reports the Unicode bidirectional formatting characters
// (embedding, override, isolate) that can reorder what a terminal shows.
func isBidiControl(r rune) bool {
	return (r >= 0x202a && r <= 0x202e) || (r >= 0x2066 && r <= 0x2069) || r == 0x200e || r == 0x200f || r == 0x061c
}

func escapeRune(r rune) string {
	const hex = "0123456789abcdef"
	if r < 0x100 {
		return `\x` + string([]byte{hex[r>>4], hex[r&0xf]})
	}
	return `\u` + string([]byte{hex[r>>12&0xf], hex[r>>8&0xf], hex[r>>4&0xf], hex[r&0xf]})
}

// width is the display width used for column layout (one cell per rune;
// combining marks take none).
func width(s string) int {
	n := 0
	for _, r := range s {
		if !unicode.Is(unicode.Mn, r) {
			n++
		}
	}
	return n
}

// truncate cuts s to at most w cells, ending in an ellipsis when cut.
func truncate(s string, w int) string {
	if width(s) <= w {
		return s
	}
	if w <= 1 {
		return "…"
	}
	n := 0
	for i, r := range s {
		if !unicode.Is(unicode.Mn, r) {
			if n == w-1 {
				return s[:i] + "…"
			}
			n++
		}
	}
	return s
}
