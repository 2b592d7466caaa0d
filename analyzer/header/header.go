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
// The pass is two loops, each with few enough variables to keep them in
// registers (a single loop saved and restored them around every call of
// bytes.IndexByte): lines.find gathers a batch of fields, each a line and
// its continuation lines, and the loop here turns each into a span.
// A section whose lines end in LF alone, as an mbox's mostly do, is read
// first by parseLF in one loop, with no CRs to account for; the first
// line that ends in a CR sends the section to the two loops.
func Parse(b []byte) (h Header, malformed int) {
	return parse(b, false)
}

// ParseOwned is Parse of a section that nobody modifies again: the caller
// hands b over, and it must stay unchanged for as long as any name or
// value of h lives (fetch.Message.Header is such a section). A section
// whose lines end in LF alone is then not copied: its names and values
// point into b itself. One with CRs to drop is copied as Parse copies it.
// The copy was a fifth of the bytes a bulk scan allocated.
func ParseOwned(b []byte) (h Header, malformed int) {
	return parse(b, true)
}

// parse is Parse, and ParseOwned when owned is set.
func parse(b []byte, owned bool) (h Header, malformed int) {
	if len(b) > maxSection {
		return parseSplit(b) // offsets past what a span holds
	}
	if h, malformed, ok := parseLF(b, owned); ok {
		return h, malformed // no line ends in a CR: the road without them
	}
	var buf [48]span // room for most headers' fields
	var batch lines
	spans := buf[:0]
	dropped := 0 // CRs left out of the copy before pos
	pos := 0     // where the next field starts in b; at the end, the section's length
	for more := true; more; {
		var k int
		k, more = batch.find(b, pos)
		for _, r := range batch.f[:k] {
			start, o := pos, pos-dropped // where the field starts in b and in the copy
			pos = int(r.next)
			end := int(r.end)
			before := int(r.crs) // the CRs dropped before end
			if before > 0 && end < len(b) && b[end] == '\r' {
				before-- // the last line's
			}
			colon, nameEnd := int(r.stop), int(r.stop)
			if colon < 0 {
				ok := false
				if colon == noName {
					colon, nameEnd, ok = slowName(b, start)
					malformed += boolInt(!ok)
				}
				if !ok {
					switch {
					case r.conts == 0:
					case len(spans) == 0:
						malformed += int(r.conts) // no field to continue
					default: // a malformed line lies between a field and these
						return parseSplit(b)
					}
					dropped += int(r.crs)
					continue
				}
			}
			vstart := colon + 1
			for vstart < end && (b[vstart] == ' ' || b[vstart] == '\t') {
				vstart++
			}
			d := o - start // from b to the copy, on the field's first line
			spans = append(spans, span{int32(o), int32(nameEnd + d), int32(vstart + d), int32(end - dropped - before)})
			dropped += int(r.crs)
		}
	}
	var s string
	if dropped == 0 {
		s = string(b[:pos]) // no CR to drop: copyLF would only look for one
	} else {
		s = copyLF(b[:pos])
	}
	h = make(Header, len(spans))
	for i, sp := range spans {
		h[i] = Field{Name: s[sp.name:sp.nameEnd], Value: s[sp.start:sp.end]}
	}
	return h, malformed
}

// parseLF is Parse of a section whose lines end in LF alone, as most of
// an mbox's do: one loop reads each field with its continuation lines,
// with no CRs to count and no batch between two loops, and the copy is of
// the section as it is. A CR inside a line is text and stays (copyLF
// keeps it too); at a line's end, where Parse drops it, ok is false and
// Parse reads the section its general way. FuzzParse holds it, through
// Parse, to the models. With owned set (ParseOwned), the fields are not
// copied but point into b.
func parseLF(b []byte, owned bool) (h Header, malformed int, ok bool) {
	var buf [48]span // room for most headers' fields
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
		// The name stops at the first ':', blank or control byte, found
		// eight bytes at a time as lines.find finds it.
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
		colon, nameEnd := stop, stop
		if stop == pos || stop >= e || b[stop] != ':' {
			var named bool
			if colon, nameEnd, named = slowName(b, pos); !named {
				malformed++
				pos = e + 1
				continue
			}
		}
		vstart := colon + 1
		for vstart < e && (b[vstart] == ' ' || b[vstart] == '\t') {
			vstart++
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
	h = make(Header, len(spans))
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

// maxSection is the longest section Parse reads itself: a span's offsets
// are 32 bits, which halves the stack buffer it clears per call.
const maxSection = math.MaxInt32

// lines is a batch of fields as find leaves them.
type lines struct {
	f [32]lineRun
}

// lineRun is a line of the section and the continuation lines after it,
// as offsets into b.
type lineRun struct {
	stop  int32 // where the name ends: its ':' when that is all, else noName or noLine
	end   int32 // where the last line's text ends, its CR (dropped) not included
	next  int32 // where the line after the last starts (len(b) at the end)
	crs   int32 // CRs the lines drop
	conts int32 // continuation lines
}

// The values of lineRun.stop that are no ':'.
const (
	noName = -1 // the first line holds a blank or control byte before the first ':', or no ':' (slowName reads it)
	noLine = -2 // continuation lines that start the section: no line before them
)

// find reads the fields from b[pos:], where a line starts that is no
// continuation line (or the section starts), into l.f and returns how
// many; more is true when l.f is full and the section goes on. A name
// stops at the first ':', blank or control byte (its line's CR or LF at
// the latest), found eight bytes at a time.
func (l *lines) find(b []byte, pos int) (k int, more bool) {
	for pos < len(b) {
		i := bytes.IndexByte(b[pos:], '\n')
		e, next := pos+i, pos+i+1
		if i < 0 {
			e, next = len(b), len(b)
		}
		end := e
		if end > pos && b[end-1] == '\r' {
			end--
		}
		if end == pos {
			return k, false // an empty line ends the section
		}
		if c := b[pos]; c == ' ' || c == '\t' {
			if k == 0 { // only where the section starts
				l.f[0] = lineRun{stop: noLine}
				k = 1
			}
			r := &l.f[k-1]
			r.end, r.next = int32(end), int32(next)
			r.crs += int32(e - end)
			r.conts++
			pos = next
			continue
		}
		if k == len(l.f) {
			return k, true
		}
		stop := pos
		for ; stop+8 <= len(b); stop += 8 {
			if m := stopBytes(binary.LittleEndian.Uint64(b[stop:])); m != 0 {
				stop += bits.TrailingZeros64(m) >> 3
				break
			}
		}
		for stop < len(b) && b[stop] != ':' && b[stop] > ' ' { // near the end of b
			stop++
		}
		if stop == pos || stop >= end || b[stop] != ':' {
			stop = noName
		}
		l.f[k] = lineRun{stop: int32(stop), end: int32(end), next: int32(next), crs: int32(e - end)}
		k++
		pos = next
	}
	return k, false
}

// slowName reads the name of the line at b[pos:] that find could not: ok
// is false for a malformed line (no colon, or blanks inside the name), and
// for an obsolete "Name :" nameEnd is where the blanks begin.
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

func boolInt(b bool) int {
	if b {
		return 1
	}
	return 0
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
