package fetch

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"io"
	"sync"
)

// ErrNoHeader is set on a Message whose first line is not a header field
// (binary data, a message body, an empty file).
var ErrNoHeader = errors.New("fetch: no header section")

// ExtractHeader returns the header section of a raw message or of a block
// pasted from a mail client, normalised:
//
//   - a leading UTF-8 byte-order mark, leading blank lines and a leading mbox
//     "From " separator line are dropped;
//   - when the first field line is indented (a block copied from a quoted or
//     indented view), that same indentation is removed from every line;
//   - the section ends at the first empty (or white-space only) line, as in
//     RFC 5322 §2.1, or at the end of the input for a bare header block;
//   - line endings are kept as they are (CRLF or LF).
//
// max <= 0 means DefaultMaxHeaderBytes. A section over max bytes gives an
// error wrapping ErrHeaderTooLarge (with the size) beside the best-effort
// prefix, cut at a line end. Input whose first line is not a field gives
// ErrNoHeader and no header.
func ExtractHeader(raw []byte, max int) ([]byte, error) {
	h := newHeaderScan(max, true, nil)
	bol := true
	for len(raw) > 0 {
		var line []byte
		if i := bytes.IndexByte(raw, '\n'); i >= 0 {
			line, raw = raw[:i+1], raw[i+1:]
		} else {
			line, raw = raw, nil
		}
		if h.feed(line, bol, true) {
			break
		}
	}
	return h.result()
}

// ReadHeader reads the header section from r, normalised as ExtractHeader
// does, and stops reading at its end: a huge body is never read. When r is
// not a *bufio.Reader it may read ahead of the section's end.
func ReadHeader(r io.Reader, max int) ([]byte, error) {
	if br, ok := r.(*bufio.Reader); ok {
		return readHeader(br, max)
	}
	br := readerPool.Get().(*bufio.Reader)
	br.Reset(r)
	defer func() {
		br.Reset(nil)
		readerPool.Put(br)
	}()
	return readHeader(br, max)
}

// readerPool recycles the buffers of ReadHeader: a scan reads one header
// after another, and a fresh 16 KiB buffer each time is measurable.
var readerPool = sync.Pool{New: func() any { return bufio.NewReaderSize(nil, 16<<10) }}

func readHeader(br *bufio.Reader, max int) ([]byte, error) {
	h := pooledHeaderScan(max)
	defer h.release()
	return h.copyOut(h.read(br))
}

// read feeds h from br up to the end of the header section.
func (h *headerScan) read(br *bufio.Reader) ([]byte, error) {
	bol := true
	for {
		chunk, err := br.ReadSlice('\n')
		switch {
		case err == nil:
			if h.feed(chunk, bol, true) {
				return h.result()
			}
			bol = true
		case errors.Is(err, bufio.ErrBufferFull):
			if h.feed(chunk, bol, false) {
				return h.result()
			}
			bol = false
		case errors.Is(err, io.EOF):
			if len(chunk) > 0 {
				h.feed(chunk, bol, true)
			}
			return h.result()
		default:
			out, herr := h.result()
			if herr != nil {
				return out, herr
			}
			return out, fmt.Errorf("fetch: reading header: %w", err)
		}
	}
}

const (
	hsBefore = iota // leading blank lines, BOM, From_ line
	hsIn            // inside the header section
)

// headerScan is the line machine shared by ExtractHeader and ReadHeader.
type headerScan struct {
	max      int
	exact    bool // keep counting after the limit to report the exact size
	state    int
	indent   []byte
	out      []byte
	size     int
	over     bool
	noHeader bool
	skipRest bool // the rest of a long From_ line
	fromDone bool
	pooled   bool // h came from scratchPool
}

// scratchPool recycles the headerScans (and the buffers they collect
// into) of reading: a scan reads one header after another, and a fresh
// buffer each time, zeroed and mostly unused, was the largest allocation of
// reading.
var scratchPool = sync.Pool{New: func() any { return &headerScan{out: make([]byte, 0, 16<<10)} }}

// pooledHeaderScan is a headerScan from scratchPool: its result must go
// through copyOut, and h.release be called after.
func pooledHeaderScan(max int) *headerScan {
	h := scratchPool.Get().(*headerScan)
	*h = headerScan{out: h.out[:0], pooled: true}
	if max <= 0 {
		max = DefaultMaxHeaderBytes
	}
	h.max = max
	return h
}

// copyOut copies a result collected in a pooled buffer out at its size.
func (h *headerScan) copyOut(out []byte, err error) ([]byte, error) {
	if out == nil {
		return nil, err
	}
	return bytes.Clone(out), err
}

// release returns a pooled headerScan, unless its buffer grew huge on a
// hostile header.
func (h *headerScan) release() {
	if h.pooled && cap(h.out) <= 1<<20 {
		h.pooled = false // a second release is a no-op, not a second Put
		scratchPool.Put(h)
	}
}

// newHeaderScan collects into buf (from its start), or into a new buffer
// when buf is nil.
func newHeaderScan(max int, exact bool, buf []byte) *headerScan {
	if max <= 0 {
		max = DefaultMaxHeaderBytes
	}
	if buf == nil {
		buf = make([]byte, 0, min(max, 4096)) // most header sections fit
	}
	return &headerScan{max: max, exact: exact, out: buf[:0]}
}

// feed takes one piece of a line: bol says it starts a line, complete that
// it ends one (a '\n' or the end of input). It reports whether the section
// has ended (or reading further is pointless).
func (h *headerScan) feed(c []byte, bol, complete bool) (done bool) {
	if !bol {
		if h.skipRest {
			h.skipRest = !complete
			return false
		}
		return h.add(c)
	}
	switch h.state {
	case hsBefore:
		if len(h.out) == 0 && !h.fromDone {
			c = bytes.TrimPrefix(c, []byte("\xef\xbb\xbf"))
		}
		if complete && isBlankLine(c) {
			return false
		}
		ind := leadingSpace(c)
		if !h.fromDone && bytes.HasPrefix(c[len(ind):], []byte("From ")) {
			h.fromDone = true
			h.skipRest = !complete
			return false
		}
		h.fromDone = true
		if !isFieldLine(c[len(ind):]) {
			h.noHeader = true
			return true
		}
		h.indent = append([]byte(nil), ind...)
		h.state = hsIn
		return h.add(c[len(ind):])
	default:
		if complete && isBlankLine(c) {
			return true
		}
		if len(h.indent) > 0 && bytes.HasPrefix(c, h.indent) {
			c = c[len(h.indent):]
		}
		return h.add(c)
	}
}

func (h *headerScan) add(c []byte) bool {
	h.size += len(c)
	if h.over {
		return !h.exact
	}
	if len(h.out)+len(c) <= h.max {
		h.out = append(h.out, c...)
		return false
	}
	h.over = true
	// Keep whole lines only: cut back to the last line end.
	if i := bytes.LastIndexByte(h.out, '\n'); i >= 0 {
		h.out = h.out[:i+1]
	}
	return !h.exact
}

func (h *headerScan) result() ([]byte, error) {
	switch {
	case h.noHeader:
		return nil, ErrNoHeader
	case h.over && h.exact:
		return h.out, fmt.Errorf("%w: %d bytes, limit %d", ErrHeaderTooLarge, h.size, h.max)
	case h.over:
		return h.out, fmt.Errorf("%w: more than %d bytes", ErrHeaderTooLarge, h.max)
	case h.state == hsBefore:
		return nil, ErrNoHeader
	}
	return h.out, nil
}

// isBlankLine: only spaces, tabs and the line ending.
func isBlankLine(b []byte) bool {
	for _, c := range b {
		if c != ' ' && c != '\t' && c != '\r' && c != '\n' {
			return false
		}
	}
	return true
}

func leadingSpace(b []byte) []byte {
	i := 0
	for i < len(b) && (b[i] == ' ' || b[i] == '\t') {
		i++
	}
	return b[:i]
}

// isFieldLine: RFC 5322 §3.6.8 field-name (printable US-ASCII except ':'),
// optional white space (obsolete syntax, §4.5.8), then ':'.
func isFieldLine(b []byte) bool {
	i := 0
	for i < len(b) && b[i] >= 33 && b[i] <= 126 && b[i] != ':' {
		i++
	}
	if i == 0 {
		return false
	}
	for i < len(b) && (b[i] == ' ' || b[i] == '\t') {
		i++
	}
	return i < len(b) && b[i] == ':'
}

// sectionOf returns what ReadHeader(bytes.NewReader(b), max) returns, taking
// the common case in place: a section that starts with a field line at its
// first byte (no byte-order mark, From_ line, blank lines or indentation)
// and fits the limit is b's prefix up to the blank line, returned as a
// sub-slice of b without a copy. Anything else goes through ReadHeader.
// The IMAP source reads a BODY[HEADER] literal whole into b, so the section
// is taken from it without the two copies of ReadHeader (into the scan's
// buffer, then out at its size).
func sectionOf(b []byte, max int) ([]byte, error) {
	if max <= 0 {
		max = DefaultMaxHeaderBytes
	}
	// Lines of at most safeLine bytes are whole in ReadHeader's 16 KiB
	// buffer, so it decides on each line exactly as this loop does; longer
	// ones it takes in pieces, and they go through it. The first line must
	// be a field line as it stands (a blank one is skipped, an indented
	// one, a byte-order mark or a From_ line dropped: ReadHeader's cases).
	const safeLine = 4 << 10
	end := 0
	for end < len(b) {
		next := len(b) // the line is b[end:next], its '\n' included
		if i := bytes.IndexByte(b[end:], '\n'); i >= 0 {
			next = end + i + 1
		}
		if next-end > safeLine || end == 0 && !plainFirstLine(b[:next]) {
			break
		}
		// Only a line that starts with a blank, a CR or its LF can be
		// blank (complete: it ends in '\n' or at the end of b), and only
		// one whose second byte is no text (a continuation line's mostly
		// is).
		if lineStartBlank[b[end]] && (next-end == 1 || b[end+1] <= ' ') && isBlankLine(b[end:next]) {
			return b[:end:end], nil
		}
		if next > max {
			break // over the limit: ReadHeader cuts it and says so
		}
		end = next
	}
	if end > 0 && end == len(b) {
		return b[:end:end], nil // a bare section: it ends with the input
	}
	return ReadHeader(bytes.NewReader(b), max)
}

// lineStartBlank holds the bytes a blank line can start with.
var lineStartBlank = [256]bool{' ': true, '\t': true, '\r': true, '\n': true}

// plainFirstLine reports whether a section's first line is a field line
// that ReadHeader takes as it is: not indented, with no byte-order mark
// and no From_ line to drop.
func plainFirstLine(line []byte) bool {
	return line[0] != ' ' && line[0] != '\t' && line[0] != 0xef &&
		!bytes.HasPrefix(line, fromLine) && isFieldLine(line)
}
