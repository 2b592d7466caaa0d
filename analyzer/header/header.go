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
func Parse(b []byte) (h Header, malformed int) {
	h = make(Header, 0, 32)
	var (
		name string
		val  []byte // the current field's value, folding kept with LF
		open bool
	)
	flush := func() {
		if open {
			h = append(h, Field{Name: name, Value: string(val)})
			open = false
		}
	}
	for len(b) > 0 {
		var line []byte
		if i := bytes.IndexByte(b, '\n'); i >= 0 {
			line, b = b[:i], b[i+1:]
		} else {
			line, b = b, nil
		}
		line = bytes.TrimSuffix(line, []byte{'\r'})
		if len(line) == 0 {
			break // end of the header section
		}
		if line[0] == ' ' || line[0] == '\t' {
			if !open {
				malformed++
				continue
			}
			val = append(val, '\n')
			val = append(val, line...)
			continue
		}
		colon := bytes.IndexByte(line, ':')
		if colon <= 0 || bytes.ContainsAny(line[:colon], " \t") && !isObsName(line[:colon]) {
			malformed++
			continue
		}
		flush()
		name = string(bytes.TrimRight(line[:colon], " \t"))
		val = append(val[:0], bytes.TrimLeft(line[colon+1:], " \t")...)
		open = true
	}
	flush()
	return h, malformed
}

// isObsName accepts the obsolete form "Name :" (RFC 5322 §4.5: white space
// before the colon), where the name itself holds no white space.
func isObsName(b []byte) bool {
	t := bytes.TrimRight(b, " \t")
	return len(t) > 0 && !bytes.ContainsAny(t, " \t")
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
