// Package header splits a message's header section into fields, leniently.
package header

import (
	"bytes"
	"encoding/binary"
	"math"
	"math/bits"
	"strings"
	"unsafe"
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
//
// A section whose lines end in LF alone, as an mbox's mostly do, is read
// first by parseLF, with no CRs to drop; the first line that ends in a CR
// sends the section to parseCRLF, which copies it line by line.
func Parse(b []byte) (h Header, malformed int) {
	return parse(b, false, nil)
}

// ParseOwned is Parse of a section that nobody modifies again: the caller
// hands b over, and it must stay unchanged for as long as any name or
// value of h lives (fetch.Message.Header is such a section). A section
// whose lines end in LF alone is then not copied: its names and values
// point into b itself. One with CRs to drop is copied as Parse copies it.
// The copy was a fifth of the bytes a bulk scan allocated.
func ParseOwned(b []byte) (h Header, malformed int) {
	return parse(b, true, nil)
}

// ParseOwnedIn is ParseOwned with the fields in room's storage when they
// fit in it and the section's lines end in LF alone (else in a slice of
// their own): a bulk scan parses each message's section into the same
// room, where a new slice for every message was a fifth of the bytes it
// allocated. room's fields, of an earlier section, are overwritten; the
// caller must no longer need them.
func ParseOwnedIn(b []byte, room Header) (h Header, malformed int) {
	return parse(b, true, room)
}

// ParseOwnedLines is ParseOwnedIn of a section whose line starts the
// caller found already, as the mbox splitter does while it collects the
// section (fetch.Message.FieldStarts). starts must be nil, or hold the
// offset of every line of b whose first byte is not a space or a tab, in
// order, where no line of b ends in a CR (before its LF or at the end of
// b). Each field's value then ends where the next field starts, and its
// name is all that is read of it: the line ends are not looked for a
// second time. Any section the hint does not fit as it stands (a
// malformed line, an empty line, a hint out of b) is parsed as
// ParseOwnedIn parses it, with the same result.
func ParseOwnedLines(b []byte, starts []int32, room Header) (h Header, malformed int) {
	if starts != nil && len(b) <= maxSection {
		if h, ok := parseLines(b, starts, room); ok {
			return h, 0
		}
	}
	return parse(b, true, room)
}

// parseLines is parseLF of an owned section with its field starts given
// (ParseOwnedLines): a field is b[starts[i]:starts[i+1]-1], the last one
// up to b's end or its final LF. fieldStart reads each name as parseLF
// does; it stops at the name's line end, so the field's end in its place
// changes nothing. ok is false for any section parseLF would read
// otherwise than as plain fields: then nothing of h is to be used.
// FuzzParseLines holds it to parseLF.
func parseLines(b []byte, starts []int32, room Header) (h Header, ok bool) {
	n := len(b)
	if n == 0 || len(starts) == 0 || starts[0] != 0 {
		return nil, false // a first line that is no field start: parseLF's case
	}
	if len(starts) <= cap(room) {
		h = room[:len(starts)]
	} else {
		h = make(Header, len(starts))
	}
	last := n // where the last field ends: before a final LF
	if b[n-1] == '\n' {
		last = n - 1
	}
	s := unsafe.String(&b[0], n) // owned: never modified again
	for i, p := range starts {
		pos, end := int(p), last
		if i+1 < len(starts) {
			end = int(starts[i+1]) - 1 // the LF before the next field
		}
		// An empty line (end == pos) ends the section; a hint out of
		// order or out of b is not used.
		if end <= pos || end > last || end < n && b[end] != '\n' {
			return nil, false
		}
		nameEnd, vstart, named := fieldStart(b, pos, end)
		if !named {
			return nil, false // a malformed line: counted, maybe a split value
		}
		h[i] = Field{Name: s[pos:nameEnd], Value: s[vstart:end]}
	}
	return h, true
}

// parse is Parse, and ParseOwned when owned is set, in room when it may.
func parse(b []byte, owned bool, room Header) (h Header, malformed int) {
	if len(b) > maxSection {
		return parseSplit(b) // offsets past what a span holds
	}
	if h, malformed, ok := parseLF(b, owned, room); ok {
		return h, malformed // no line ends in a CR: the road without them
	}
	return parseCRLF(b)
}

// parseLF is Parse of a section whose lines end in LF alone, as most of
// an mbox's do: one loop reads each field with its continuation lines,
// with no CRs to count and no batch between two loops, and the copy is of
// the section as it is. A CR inside a line is text and stays (copyLF
// keeps it too); at a line's end, where Parse drops it, ok is false and
// parseCRLF reads the section. FuzzParse holds it, through Parse, to the
// models. With owned set (ParseOwned), the fields are not copied but point
// into b. They are put in room when it has room for them.
func parseLF(b []byte, owned bool, room Header) (h Header, malformed int, ok bool) {
	var buf [80]span // room for most headers' fields (48 left one in 13 of a scan's to a new array)
	spans := buf[:0]
	n := len(b)
	pos := 0
	for pos < n && b[pos] != '\n' { // an empty line ends the section
		e := pos + bytes.IndexByte(b[pos:], '\n') // the line's end
		if e < pos {
			e = n // the last line, unterminated
		}
		if b[e-1] == '\r' { // the line is not empty: e-1 >= pos
			return nil, 0, false
		}
		if c := b[pos]; c == ' ' || c == '\t' {
			// A continuation line with no field before it: at the start
			// of the section or after malformed lines. After a field and
			// a malformed line, the value would be split: parseSplit
			// joins it in a copy of its own.
			if len(spans) > 0 {
				h, malformed = parseSplit(b)
				return h, malformed, true
			}
			malformed++
			pos = e + 1
			continue
		}
		nameEnd, vstart, named := fieldStart(b, pos, e)
		if !named {
			malformed++
			pos = e + 1
			continue
		}
		// Continuation lines, each starting with a blank, extend the value.
		end := e
		for end+1 < n && (b[end+1] == ' ' || b[end+1] == '\t') {
			if i := bytes.IndexByte(b[end+1:], '\n'); i >= 0 {
				end += 1 + i
			} else {
				end = n
			}
			if b[end-1] == '\r' { // a continuation line holds a blank: end-1 > its start
				return nil, 0, false
			}
		}
		spans = append(spans, span{int32(pos), int32(nameEnd), int32(vstart), int32(end)})
		pos = end + 1
	}
	s := sectionString(b[:min(pos, n)], owned)
	if room != nil && len(spans) <= cap(room) {
		h = room[:len(spans)]
	} else {
		h = make(Header, len(spans))
	}
	for i, sp := range spans {
		h[i] = Field{Name: s[sp.name:sp.nameEnd], Value: s[sp.start:sp.end]}
	}
	return h, malformed, true
}

// sectionString is sec as a string: a copy, or with owned set sec's
// own bytes, which ParseOwned's caller promises are never modified again.
func sectionString(sec []byte, owned bool) string {
	if !owned || len(sec) == 0 {
		return string(sec)
	}
	return unsafe.String(&sec[0], len(sec))
}

// parseCRLF is Parse of a section with CRs at its lines' ends (IMAP and
// POP3 hand them out so), in parseLF's one loop: each line is copied as it
// is read, without the CR before its LF (or at the very end), and names
// and values are parts of that copy, with offsets into it. Two loops that
// counted the CRs to drop, then a copy that dropped them, cost a third
// more (parseOld, the model FuzzParseOld holds it to).
func parseCRLF(b []byte) (h Header, malformed int) {
	var buf [80]span // room for most headers' fields
	spans := buf[:0]
	// The copy is at most b: a section handed out alone; a whole message
	// (its body after the section) grows it only when its section is long.
	dst := make([]byte, 0, min(len(b), 16<<10))
	n := len(b)
	pos := 0
	for pos < n {
		e := pos + bytes.IndexByte(b[pos:], '\n') // the line's end
		if e < pos {
			e = n // the last line, unterminated
		}
		t := e // where its text ends: before a CR there
		if t > pos && b[t-1] == '\r' {
			t--
		}
		if t == pos {
			break // an empty line ends the section
		}
		if c := b[pos]; c == ' ' || c == '\t' {
			// A continuation line with no field before it: as in parseLF.
			if len(spans) > 0 {
				return parseSplit(b)
			}
			malformed++
			pos = e + 1
			continue
		}
		nameEnd, vstart, named := fieldStart(b, pos, t)
		if !named {
			malformed++
			pos = e + 1
			continue
		}
		d := len(dst) - pos // from b to the copy, on the field's first line
		dst = append(dst, b[pos:t]...)
		// Continuation lines, each starting with a blank, extend the value.
		for e+1 < n && (b[e+1] == ' ' || b[e+1] == '\t') {
			start := e + 1
			if i := bytes.IndexByte(b[start:], '\n'); i >= 0 {
				e = start + i
			} else {
				e = n
			}
			t = e
			if b[t-1] == '\r' { // the line starts with a blank: t-1 > start
				t--
			}
			dst = append(append(dst, '\n'), b[start:t]...)
		}
		spans = append(spans, span{int32(pos + d), int32(nameEnd + d), int32(vstart + d), int32(len(dst))})
		dst = append(dst, '\n')
		pos = e + 1
	}
	// dst is this call's own and written no more: the fields point into it.
	s := sectionString(dst, true)
	h = make(Header, len(spans))
	for i, sp := range spans {
		h[i] = Field{Name: s[sp.name:sp.nameEnd], Value: s[sp.start:sp.end]}
	}
	return h, malformed
}

// maxSection is the longest section Parse reads itself: a span's offsets
// are 32 bits, which halves the stack buffer it clears per call.
const maxSection = math.MaxInt32

// fieldStart reads the name of the field line at b[pos:], whose text ends
// at end: where the name ends and the value starts (past the blanks after
// the colon); named is false for a malformed line. The name stops at the
// first ':', blank or control byte, found eight bytes at a time; anything
// but a plain "Name:" goes to slowName.
func fieldStart(b []byte, pos, end int) (nameEnd, vstart int, named bool) {
	n := len(b)
	stop := pos
	for ; stop+8 <= n; stop += 8 {
		if m := stopBytes(binary.LittleEndian.Uint64(b[stop:])); m != 0 {
			stop += bits.TrailingZeros64(m) >> 3
			break
		}
	}
	for stop < n && b[stop] != ':' && b[stop] > ' ' {
		stop++
	}
	colon := stop
	nameEnd = stop
	if stop == pos || stop >= end || b[stop] != ':' {
		if colon, nameEnd, named = slowName(b, pos); !named {
			return 0, 0, false
		}
	}
	vstart = colon + 1
	for vstart < end && (b[vstart] == ' ' || b[vstart] == '\t') {
		vstart++
	}
	return nameEnd, vstart, true
}

// slowName reads the name of the line at b[pos:] that the word-wise scan
// could not: ok is false for a malformed line (no colon, or blanks inside
// the name), and for an obsolete "Name :" nameEnd is where the blanks
// begin.
func slowName(b []byte, pos int) (colon, nameEnd int, ok bool) {
	line := b[pos:]
	if i := bytes.IndexByte(line, '\n'); i >= 0 {
		line = line[:i]
	}
	c := bytes.IndexByte(line, ':') // a CR before the LF is no ':'
	if c <= 0 || hasBlank(line[:c]) && !isObsName(line[:c]) {
		return 0, 0, false
	}
	return pos + c, pos + len(trimBlanks(line[:c])), true
}

// stopBytes has the high bit set in the first byte of w (little-endian)
// that is ':' or below '!' (a blank or a control byte), and no bit below
// it; none when there is none. Subtracting from each byte borrows into the
// next only from a byte that matched, so bits above the first may be wrong.
func stopBytes(w uint64) uint64 {
	const (
		ones  = 0x0101010101010101
		hi    = 0x8080808080808080
		colon = ':' * ones
	)
	x := w ^ colon
	return ((x-ones)&^x | (w-'!'*ones)&^w) & hi
}

// span is a field's name and value as offsets into the section's copy.
type span struct{ name, nameEnd, start, end int32 }

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
// §3.2.2). An unclosed comment runs to the end of s. Inside the comment the
// bytes that change nothing are skipped by table.
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
		default:
			if depth > 0 { // in the comment: skip to the next special byte
				for i++; i < len(s) && !commentSpecial[s[i]]; i++ {
				}
				continue
			}
		}
		i++
		if depth == 0 {
			break
		}
	}
	return min(i, len(s))
}

// commentSpecial holds the bytes CommentEnd stops at.
var commentSpecial = [256]bool{'\\': true, '(': true, ')': true}
