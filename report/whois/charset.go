package whois

import (
	"strings"
	"unicode/utf8"

	"golang.org/x/text/encoding/japanese"
)

// Decode turns a whois answer into UTF-8. UTF-8 is kept; an answer with
// ISO-2022-JP escape sequences (JPNIC) is decoded; anything else is read as
// ISO-8859-1 (Latin-1), which LACNIC and older RIPE answers use.
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

// decodeISO2022JP decodes JPNIC's ISO-2022-JP (RFC 1468) with
// golang.org/x/text; undecodable bytes become U+FFFD rather than failing.
func decodeISO2022JP(b []byte) string {
	out, err := japanese.ISO2022JP.NewDecoder().Bytes(b)
	if err != nil {
		return strings.ToValidUTF8(string(b), "\ufffd")
	}
	return string(out)
}
