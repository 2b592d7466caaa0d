package fetch

import (
	"bufio"
	"bytes"
	"encoding/binary"
	"errors"
	"io"
	"sync/atomic"
)

// mboxSplitter reads the header sections of an mbox's messages straight
// from one buffer and skips their bodies, never copying a body byte.
// Messages are split exactly as go-mbox splits them (any line that starts
// with "From " ends a message; ">From " loses its '>'), but go-mbox copies
// every line of header and body into a new buffer and rewrites its line
// end: reading the headers of the 20,000-message comparison mbox took
// 122 ms and 121 MB of allocations with it, 67 ms and 53 MB (the header
// copies themselves) with this.
// go-mbox still reads whole messages for --verify (KeepBody), where the
// body is wanted and DKIM wants the CRLF line ends it writes.
type mboxSplitter struct {
	br      *bufio.Reader
	started bool // the first From_ line has been read
	eof     bool
	noRun   bool // line by line only, without headerRun and bodyRun: their model in tests

	scan headerScan // reused for every message
	// slab is where header sections are collected: each is appended to its
	// free part, buf[len(buf):cap(buf)], and handed out in place, so that
	// a header costs neither its own allocation nor a copy out of a
	// scratch buffer (it did: 15% of the bytes a scan allocated, and a
	// malloc per message). A section larger than the free part grows into
	// a buffer of its own, as append does. nil before the first message.
	slab *slab
	held bool // the section last taken holds a reference to slab
	// hint is the field starts of the section being collected, in the
	// slab's free room for them; taken, those of the section last taken
	// (nil: none), which message hands on as Message.FieldStarts.
	hint  lineHint
	taken []int32
	// pool holds the slabs whose messages were all released, to be
	// filled again: a bulk scan then collects its headers in a few slabs
	// that go round, instead of a new one per 64 KB of headers (40% of
	// the bytes a scan allocated, each page of them a fault).
	pool chan *slab
}

// slab is a block of memory that header sections are collected in, and
// the Messages they are handed out in (a Message was another 8% of the
// bytes a scan allocated). Each message made in it holds a reference, and
// the splitter one while it fills it: the last to let go puts it in the
// splitter's pool, and only then is it written again.
type slab struct {
	buf  []byte
	msgs []Message // up to slabMsgs
	refs atomic.Int32
	pool chan *slab

	// starts holds the messages' FieldStarts, up to slabStarts: a
	// section that finds no room left here has none.
	starts []int32
}

// slabMsgs is how many Messages a slab holds: 1 KB of headers each, where
// most messages' take 1-3 KB.
const slabMsgs = slabSize >> 10

// slabStarts is how many field starts a slab holds: one per 32 bytes of
// headers, where a scan's fields take some 90 each.
const slabStarts = slabSize >> 5

// lineHint collects the field starts of a section (Message.FieldStarts)
// as headerRun takes its lines: the offset in the section of every line
// that does not start with a blank, in the room starts has (never grown).
// ok is false once a line ends in a CR, the room is full, or a line was
// taken otherwise than by headerRun (through feed, which may drop or
// change bytes): the section then has no hint.
type lineHint struct {
	starts []int32
	ok     bool
}

// slabPool is how many free slabs a splitter keeps: a bulk scan has some
// 300 messages in flight, a few slabs' worth.
const slabPool = 16

// poisonSlabs, set by tests, fills a slab with poisonByte when it goes
// back to the pool: a reader that kept a view of a released message then
// sees it plainly changed.
var poisonSlabs bool

const poisonByte = '~'

// release drops one reference to b; the last puts b in its pool, when
// there is room (else it is the garbage collector's).
func (b *slab) release() {
	if b.refs.Add(-1) != 0 {
		return
	}
	if poisonSlabs {
		full := b.buf[:cap(b.buf)]
		for i := range full {
			full[i] = poisonByte
		}
		clear(b.msgs)
		starts := b.starts[:cap(b.starts)]
		for i := range starts {
			starts[i] = -1
		}
	}
	b.buf, b.msgs, b.starts = b.buf[:0], b.msgs[:0], b.starts[:0]
	select {
	case b.pool <- b:
	default:
	}
}

const (
	slabSize = 64 << 10
	slabMin  = 4 << 10 // a new slab when less than this is free
)

var (
	fromLine    = []byte("From ")
	escapedFrom = []byte(">From ")
)

// next returns the header section of the next message and the problem
// with it (as ReadHeader returns them), and leaves the reader past that
// message's body. err is io.EOF after the last message, or what made
// reading go wrong.
func (s *mboxSplitter) next(max int) (header []byte, headerErr, err error) {
	if !s.started {
		if err := s.first(); err != nil {
			return nil, nil, err
		}
		s.started = true
	}
	if s.eof {
		return nil, nil, io.EOF
	}
	h := s.begin(max)
	bol, inHeader := true, true
	for {
		if bol && !s.noRun {
			if inHeader {
				took, ended := s.headerRun(h)
				inHeader = !ended
				if took || ended {
					continue
				}
			} else if s.bodyRun() {
				continue
			}
		}
		chunk, rerr := s.br.ReadSlice('\n')
		complete := rerr == nil || errors.Is(rerr, io.EOF)
		if rerr != nil && !complete && !errors.Is(rerr, bufio.ErrBufferFull) {
			return nil, nil, rerr
		}
		if bol && bytes.HasPrefix(chunk, fromLine) {
			// The next message's separator: this one has ended.
			if !complete {
				if err := s.skipLine(); err != nil {
					return nil, nil, err
				}
			}
			header, headerErr = s.take(h.result())
			return header, headerErr, nil
		}
		if inHeader && len(chunk) > 0 {
			c := chunk
			if bol && bytes.HasPrefix(c, escapedFrom) {
				c = c[1:]
			}
			size := len(h.out)
			inHeader = !h.feed(c, bol, complete) // once ended, the rest is body, skipped
			if len(h.out) != size || h.over {
				s.hint.ok = false // a line headerRun did not take
			}
		}
		if errors.Is(rerr, io.EOF) {
			s.eof = true
			header, headerErr = s.take(h.result())
			return header, headerErr, nil
		}
		bol = complete
	}
}

// begin readies s.scan to collect a header section into the slab.
func (s *mboxSplitter) begin(max int) *headerScan {
	if max <= 0 {
		max = DefaultMaxHeaderBytes
	}
	if b := s.slab; b == nil || cap(b.buf)-len(b.buf) < slabMin || len(b.msgs) == cap(b.msgs) {
		s.nextSlab()
	}
	buf, st := s.slab.buf, s.slab.starts
	s.scan = headerScan{max: max, out: buf[len(buf):]}
	s.hint = lineHint{starts: st[len(st):], ok: true}
	return &s.scan
}

// nextSlab lets go of the slab being filled and starts one from the
// pool, or a new one when none is free.
func (s *mboxSplitter) nextSlab() {
	if s.pool == nil {
		s.pool = make(chan *slab, slabPool)
	}
	if s.slab != nil {
		s.slab.release()
	}
	var b *slab
	select {
	case b = <-s.pool:
	default:
		b = &slab{buf: make([]byte, 0, slabSize), msgs: make([]Message, 0, slabMsgs), starts: make([]int32, 0, slabStarts), pool: s.pool}
	}
	b.refs.Store(1) // the splitter's
	s.slab = b
}

// take hands out a result of s.scan: a section collected in the slab's
// free part is counted as used there, and holds a reference to the slab
// (which message hands on to its Message). Its capacity is cut to its
// length, so that an append to it cannot run into the next section.
// The section's field starts, when they hold, are counted as used in the
// slab's room for them (wherever the section lies: its Message holds a
// reference to the slab either way).
func (s *mboxSplitter) take(out []byte, err error) ([]byte, error) {
	s.held, s.taken = false, nil
	if out == nil {
		return nil, err
	}
	if st := s.hint.starts; s.hint.ok && len(st) > 0 {
		b := s.slab
		b.starts = b.starts[:len(b.starts)+len(st)]
		s.taken = st[:len(st):len(st)]
	}
	if b := s.slab; cap(out) == cap(b.buf)-len(b.buf) {
		// Still in the slab: append only leaves it for a larger buffer.
		b.buf = b.buf[:len(b.buf)+len(out)]
		b.refs.Add(1)
		s.held = true
	}
	return out[:len(out):len(out)], err
}

// message makes the Message of the section next returned, in the slab
// (begin left room for it), holding the section's reference to the slab,
// or a new one when the section lies in a buffer of its own. A section
// never made a Message (a message a resumed scan skips; the tests of
// next) keeps its slab from being used again: it is left to the garbage
// collector.
func (s *mboxSplitter) message(o Origin, header []byte, err error) *Message {
	b := s.slab
	if !s.held {
		b.refs.Add(1)
	}
	s.held = false
	b.msgs = b.msgs[:len(b.msgs)+1]
	m := &b.msgs[len(b.msgs)-1]
	*m = Message{Origin: o, Header: header, FieldStarts: s.taken, Err: err, slab: b}
	return m
}

// headerRun adds to h, in one piece, the whole lines in the reader's buffer
// that need nothing but to be added (the lines feed would only add, inside
// a section without indentation and within the limit), and reports whether
// it took any. When they end at the blank line that ends the section, it
// takes that line too and reports that the section has ended, as feed
// would. Any other line it stops at goes through feed: a From_ line, a
// ">From " line, the one over the limit, or one not whole in the buffer.
// A section's first line is taken too when feed would take it as it
// stands, also after the ">From " line that a quarter of the comparison
// mbox's sections start with (the original From_ line, which feed drops).
func (s *mboxSplitter) headerRun(h *headerScan) (took, ended bool) {
	buf, _ := s.br.Peek(s.br.Buffered()) // no read: only what is buffered
	if h.state == hsBefore && startsPlainField(buf) {
		h.state, h.fromDone = hsIn, true // as feed takes the line
	}
	if h.state != hsIn || len(h.indent) > 0 || h.over {
		return false, false
	}
	n, blank := runEnd(buf, h.max-len(h.out), &s.hint, len(h.out))
	h.out = append(h.out, buf[:n]...)
	h.size += n
	s.br.Discard(n + blank)
	return n > 0, blank > 0
}

// runEnd returns the length of the whole lines at the start of buf that
// headerRun adds, at most room bytes. It stops before a From_ line, a
// ">From " line and a blank line, and before a line not whole in buf;
// blank is the length of the blank line it stopped at, else 0.
// The lines it takes go into hint, at base in the section: the field
// starts, and whether they still hold (Message.FieldStarts), at two
// compares a line, the parse's search for the same line ends saved.
// Of each line only the first byte is looked at, but for the few that may
// start one of those lines (a header line starts with a name, a
// continuation line with a blank followed by text): two prefix compares
// and a blank test per line were half of what splitting cost.
// (Finding the line ends eight bytes at a time instead of by IndexByte
// cost more: 17M instructions to 5.5M in a scan of 2,000 messages.)
func runEnd(buf []byte, room int, hint *lineHint, base int) (n, blank int) {
	starts, ok := hint.starts, hint.ok
	for {
		i := bytes.IndexByte(buf[n:], '\n')
		if i < 0 {
			break
		}
		next := n + i + 1
		switch buf[n] {
		case 'F':
			if isFrom(buf[n:]) {
				goto end
			}
		case '>':
			if isFrom(buf[n+1:]) {
				goto end
			}
		case '\n':
			blank = 1 // an empty line
			goto end
		case ' ', '\t', '\r':
			// buf[n+1] is in the line or its '\n': a continuation line
			// shows its text there, mostly.
			if buf[n+1] <= ' ' && isBlankLine(buf[n:next]) {
				blank = next - n
				goto end
			}
		}
		if next > room {
			break
		}
		if buf[next-2] == '\r' { // the line is not empty: next-2 >= n
			ok = false
		}
		if c := buf[n]; c != ' ' && c != '\t' {
			if len(starts) == cap(starts) {
				ok = false
			} else {
				starts = append(starts, int32(base+n))
			}
		}
		n = next
	}
end:
	hint.starts, hint.ok = starts, ok
	return n, blank
}

// startsPlainField reports whether buf starts with a whole line that feed,
// at the start of a section, takes as its first field as it stands: no
// byte-order mark, blank line, indentation, From_ or ">From " line to
// drop or skip, and a field name followed by a colon.
func startsPlainField(buf []byte) bool {
	i := bytes.IndexByte(buf, '\n')
	if i < 0 {
		return false
	}
	switch buf[0] {
	case 0xef, ' ', '\t', '\r', '\n', '>':
		return false
	}
	return !isFrom(buf) && isFieldLine(buf[:i+1])
}

// isFrom reports whether b starts with "From ", compared as one word.
func isFrom(b []byte) bool {
	return len(b) >= 5 && binary.LittleEndian.Uint32(b) == 'F'|'r'<<8|'o'<<16|'m'<<24 && b[4] == ' '
}

// bodyRun skips, in one step, the whole body lines in the reader's buffer
// up to the next From_ line, found with bytes.Index over the buffered
// block rather than line by line (a body is most of a real mbox: base64
// lines of 76 bytes, each a ReadSlice call otherwise), and reports whether
// it skipped any. It stops before a From_ line, which next reads to end the
// message, and before a last line not whole in the buffer, which next
// reads (and refills the buffer with).
func (s *mboxSplitter) bodyRun() bool {
	buf, _ := s.br.Peek(s.br.Buffered()) // no read: only what is buffered
	if bytes.HasPrefix(buf, fromLine) {
		return false
	}
	n := fromLineStart(buf)
	if n == 0 {
		n = bytes.LastIndexByte(buf, '\n') + 1 // none: every whole line
	}
	if n == 0 {
		return false
	}
	s.br.Discard(n)
	return true
}

// fromLineStart returns where the first From_ line in buf starts, the
// first "From " after a '\n'; 0 when there is none. It looks for "From "
// and then at the byte before: bytes.Index of "\nFrom " would call
// IndexByte at every line end, its first byte, where an 'F' is rarer.
func fromLineStart(buf []byte) int {
	for i := 1; i < len(buf); {
		j := bytes.Index(buf[i:], fromLine)
		if j < 0 {
			return 0
		}
		if buf[i+j-1] == '\n' {
			return i + j
		}
		i += j + 1
	}
	return 0
}

// first skips blank lines up to the first From_ line and past it; any
// other first line means the input is not an mbox.
func (s *mboxSplitter) first() error {
	for {
		chunk, err := s.br.ReadSlice('\n')
		line := chunk // without its line end, as bufio.ReadLine cuts it
		if l, ok := bytes.CutSuffix(line, []byte{'\n'}); ok {
			line = bytes.TrimSuffix(l, []byte{'\r'})
		}
		switch {
		case len(chunk) == 0 && err != nil:
			return err
		case bytes.HasPrefix(chunk, fromLine):
			if errors.Is(err, bufio.ErrBufferFull) {
				return s.skipLine()
			}
			return nil
		case len(line) != 0 || errors.Is(err, bufio.ErrBufferFull):
			return errNotMbox
		case err != nil:
			return err
		}
	}
}

// skipLine reads to the end of a line longer than the buffer.
func (s *mboxSplitter) skipLine() error {
	for {
		_, err := s.br.ReadSlice('\n')
		switch {
		case err == nil:
			return nil
		case errors.Is(err, bufio.ErrBufferFull):
		case errors.Is(err, io.EOF):
			return nil // the next read finds the end: an empty message, as go-mbox has it
		default:
			return err
		}
	}
}

var errNotMbox = errors.New("invalid mbox format: the first line is not a From_ line")
