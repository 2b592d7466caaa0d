// Package header splits a message's header section into fields, leniently.
package header

import (
	"bytes"
	"strings"
)

// Field is one header field as it appeared: the name as written and the
// value with its folding kept (CRLF turned to LF).
type Field struct {
	Name  string
	Value string
}

// Header is a header section's fields in order, top first.
type Header []Field

// Get returns the first value of the named field (case-insensitive), "" if none.
func (h Header) Get(name string) string {
	for _, f := range h {
		if strings.EqualFold(f.Name, name) {
			return f.Value
		}
	}
	return ""
}

// Values returns every value of the named field, top first.
func (h Header) Values(name string) []string {
	var out []string
	for _, f := range h {
		if strings.EqualFold(f.Name, name) {
			out = append(out, f.Value)
		}
	}
	return out
}

// Parse splits a header section into fields (RFC 5322 §2.2), leniently:
// LF or CRLF line ends, a continuation line is any line starting with space or
// tab, and a line with no colon is counted as malformed and skipped rather
// than ending the section. It stops at the first empty line. It never fails,
// and it is linear in the input however the fields are folded.
//
// The section is copied once, with its CRLFs turned to LF, and every name
// and value is a substring of that copy: a bulk scan parses one header
// after another, and two allocations per field were most of its garbage.
// One pass over b finds both the section's end and the fields, as offsets
// into the copy to be: a field that a malformed line splits (its value is
// no substring) takes the slower road of parseSplit.
func Parse(b []byte) (h Header, malformed int) {
	var buf [48]span // room for most headers' fields
	spans := buf[:0]
	var (
		cur     span // the current field, when open
		open    bool
		dropped int // CRs left out of the copy before pos
		n       int // the section's length in b
	)
	for pos := 0; pos < len(b); {
		line := b[pos:]
		next := len(b)
		if i := bytes.IndexByte(line, '\n'); i >= 0 {
			line, next = line[:i], pos+i+1
		}
		cr := len(line) > 0 && line[len(line)-1] == '\r'
		if cr { // dropped from the copy before an LF or at the very end
			line = line[:len(line)-1]
		}
		if len(line) == 0 {
			break // an empty line ends the section
		}
		o := pos - dropped // where the line starts in the copy
		n, pos = next, next
		if cr {
			dropped++
		}
		if line[0] == ' ' || line[0] == '\t' {
			switch {
			case !open:
				malformed++
			case cur.end == o-1:
				cur.end = o + len(line) // contiguous: the value grows in place
			default: // a malformed line lies between
				return parseSplit(b)
			}
			continue
		}
		colon := bytes.IndexByte(line, ':')
		if colon <= 0 || hasBlank(line[:colon]) && !isObsName(line[:colon]) {
			malformed++
			continue
		}
		if open {
			spans = append(spans, cur)
		}
		start := colon + 1
		for start < len(line) && (line[start] == ' ' || line[start] == '\t') {
			start++
		}
		cur = span{o, o + len(trimBlanks(line[:colon])), o + start, o + len(line)}
		open = true
	}
	if open {
		spans = append(spans, cur)
	}
	s := copyLF(b[:n])
	h = make(Header, len(spans))
	for i, sp := range spans {
		h[i] = Field{Name: s[sp.name:sp.nameEnd], Value: s[sp.start:sp.end]}
	}
	return h, malformed
}

// span is a field's name and value as offsets into the section's copy.
type span struct{ name, nameEnd, start, end int }

// parseSplit is Parse for a header where a malformed line lies between a
// field's lines: the value is joined in a copy of its own.
func parseSplit(b []byte) (h Header, malformed int) {
	s := section(b)
	h = make(Header, 0, 32)
	var (
		name       string
		start, end int    // the current field's value is s[start:end]...
		split      []byte // ...unless a skipped line broke it: then this
		open       bool
	)
	flush := func() {
		if !open {
			return
		}
		v := s[start:end]
		if split != nil {
			v = string(split)
			split = nil
		}
		h = append(h, Field{Name: name, Value: v})
		open = false
	}
	for pos := 0; pos < len(s); {
		lineEnd := strings.IndexByte(s[pos:], '\n')
		next := pos + lineEnd + 1
		if lineEnd < 0 {
			lineEnd, next = len(s)-pos, len(s)
		}
		line := s[pos : pos+lineEnd]
		if line[0] == ' ' || line[0] == '\t' {
			switch {
			case !open:
				malformed++
			case split != nil:
				split = append(append(split, '\n'), line...)
			case end == pos-1:
				end = pos + lineEnd // contiguous: the value grows in place
			default: // a malformed line lies between: copy from here on
				split = append(append([]byte(s[start:end]), '\n'), line...)
			}
			pos = next
			continue
		}
		colon := strings.IndexByte(line, ':')
		if colon <= 0 || hasBlank(line[:colon]) && !isObsName(line[:colon]) {
			malformed++
			pos = next
			continue
		}
		flush()
		name = trimBlanks(line[:colon])
		start = pos + colon + 1
		for start < pos+lineEnd && (s[start] == ' ' || s[start] == '\t') {
			start++
		}
		end = pos + lineEnd
		open = true
		pos = next
	}
	flush()
	return h, malformed
}

// section returns the header section of b up to (not including) its first
// empty line, as one string whose lines end in LF: a CR before each LF (and
// at the very end) is dropped, any other CR kept.
func section(b []byte) string {
	n := 0 // length of the section in b, line ends included
	for n < len(b) {
		i := bytes.IndexByte(b[n:], '\n')
		if i < 0 { // an unterminated last line: empty when a lone CR
			if len(b)-n > 1 || b[n] != '\r' {
				n = len(b)
			}
			break
		}
		if i == 0 || i == 1 && b[n] == '\r' {
			break // an empty line ends the section
		}
		n += i + 1
	}
	return copyLF(b[:n])
}

// copyLF copies a section, dropping a CR before each LF and at the very end.
func copyLF(rest []byte) string {
	cr := bytes.IndexByte(rest, '\r')
	if cr < 0 {
		return string(rest)
	}
	// Copy up to each CR, dropping it when an LF or the end follows.
	var sb strings.Builder
	sb.Grow(len(rest))
	for cr >= 0 {
		sb.Write(rest[:cr])
		if cr+1 < len(rest) && rest[cr+1] != '\n' {
			sb.WriteByte('\r')
		}
		rest = rest[cr+1:]
		cr = bytes.IndexByte(rest, '\r')
	}
	sb.Write(rest)
	return sb.String()
}

// hasBlank reports whether s holds a space or a tab (strings.ContainsAny(s,
// " \t") without building a character set per call).
func hasBlank[T string | []byte](s T) bool {
	for i := 0; i < len(s); i++ {
		if s[i] == ' ' || s[i] == '\t' {
			return true
		}
	}
	return false
}

// trimBlanks drops trailing spaces and tabs (strings.TrimRight(s, " \t")).
func trimBlanks[T string | []byte](s T) T {
	for len(s) > 0 && (s[len(s)-1] == ' ' || s[len(s)-1] == '\t') {
		s = s[:len(s)-1]
	}
	return s
}

// isObsName accepts the obsolete form "Name :" (RFC 5322 §4.5: white space
// before the colon), where the name itself holds no white space.
func isObsName[T string | []byte](b T) bool {
	t := trimBlanks(b)
	return len(t) > 0 && !hasBlank(t)
}

// CommentEnd returns the index just past the comment that starts at s[i]
// ('('): comments nest and a backslash quotes the next character (RFC 5322
// §3.2.2). An unclosed comment runs to the end of s.
func CommentEnd(s string, i int) int {
	depth := 0
	for i < len(s) {
		switch s[i] {
		case '\\':
			i++
		case '(':
			depth++
		case ')':
			depth--
		}
		i++
		if depth == 0 {
			break
		}
	}
	return min(i, len(s))
}
