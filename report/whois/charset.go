package whois

import (
	"strings"
	"unicode/utf8"
)

// Decode turns a whois answer into UTF-8. UTF-8 is kept; an answer with
// ISO-2022-JP escape sequences (JPNIC) is decoded; anything else is read as
// ISO-8859-1 (Latin-1), which LACNIC and older RIPE answers use.
//
// ISO-2022-JP (RFC 1468): ASCII, JIS X 0201 Roman and half-width katakana
// are decoded fully; of JIS X 0208 the rows computable without a mapping
// table are decoded (row 1 space, row 3 full-width digits and letters,
// row 4 hiragana, row 5 katakana); kanji become U+FFFD. Full tables need
// golang.org/x/text, which the module does not require.
func Decode(b []byte) string {
	if isISO2022JP(b) {
		return decodeISO2022JP(b)
	}
	if utf8.Valid(b) {
		return string(b)
	}
	var sb strings.Builder
	sb.Grow(len(b) + len(b)/8)
	for _, c := range b {
		sb.WriteRune(rune(c)) // ISO-8859-1 maps 1:1 to U+0000..U+00FF
	}
	return sb.String()
}

func isISO2022JP(b []byte) bool {
	for i := 0; i+2 < len(b); i++ {
		if b[i] == 0x1b && (b[i+1] == '$' && (b[i+2] == 'B' || b[i+2] == '@') || b[i+1] == '(' && (b[i+2] == 'J' || b[i+2] == 'I')) {
			return true
		}
	}
	return false
}

func decodeISO2022JP(b []byte) string {
	const (
		ascii = iota
		roman
		kana
		jis0208
	)
	mode := ascii
	var sb strings.Builder
	for i := 0; i < len(b); i++ {
		c := b[i]
		if c == 0x1b && i+2 < len(b) {
			switch string(b[i+1 : i+3]) {
			case "(B":
				mode = ascii
			case "(J":
				mode = roman
			case "(I":
				mode = kana
			case "$B", "$@":
				mode = jis0208
			default:
				sb.WriteRune(utf8.RuneError)
				continue
			}
			i += 2
			continue
		}
		if c == '\n' || c == '\r' {
			// RFC 1468: lines end in ASCII.
			mode = ascii
			sb.WriteByte(c)
			continue
		}
		switch mode {
		case ascii:
			if c < 0x80 {
				sb.WriteByte(c)
			} else {
				sb.WriteRune(utf8.RuneError)
			}
		case roman:
			switch c {
			case 0x5c:
				sb.WriteRune('¥')
			case 0x7e:
				sb.WriteRune('‾')
			default:
				if c < 0x80 {
					sb.WriteByte(c)
				} else {
					sb.WriteRune(utf8.RuneError)
				}
			}
		case kana:
			if c >= 0x21 && c <= 0x5f {
				sb.WriteRune(rune(0xff61 + int(c) - 0x21))
			} else {
				sb.WriteRune(utf8.RuneError)
			}
		case jis0208:
			if i+1 >= len(b) {
				sb.WriteRune(utf8.RuneError)
				continue
			}
			sb.WriteRune(jis0208Rune(c, b[i+1]))
			i++
		}
	}
	return sb.String()
}

// jis0208Rune maps the algorithmic rows of JIS X 0208.
func jis0208Rune(row, cell byte) rune {
	switch {
	case row == 0x21 && cell == 0x21:
		return '\u3000'
	case row == 0x23 && cell >= 0x30 && cell <= 0x39,
		row == 0x23 && cell >= 0x41 && cell <= 0x5a,
		row == 0x23 && cell >= 0x61 && cell <= 0x7a:
		return rune(0xff10 + int(cell) - 0x30)
	case row == 0x24 && cell >= 0x21 && cell <= 0x73:
		return rune(0x3041 + int(cell) - 0x21)
	case row == 0x25 && cell >= 0x21 && cell <= 0x76:
		return rune(0x30a1 + int(cell) - 0x21)
	}
	return utf8.RuneError
}
