package fetch

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"io"
	"strings"

	"github.com/emersion/go-imap/v2"
)

// respReader reads the server's responses to the IMAP source's own UID
// FETCH commands (RFC 9051 §7.5.2): the FETCH responses, whose UID,
// RFC822.SIZE and BODY[HEADER] it takes and whose other items it skips,
// other untagged responses (skipped) and the tagged completion. Lines are
// read whole from a buffer (a line longer than the buffer is a protocol
// error: no FETCH line of a sane server comes near), literals go straight
// into the message's header buffer (readLiteral, bounded as ever).
//
// With wholeMax set (Options.KeepBody: UID FETCH asked for BODY.PEEK[]),
// the BODY[] literal is the whole message: it is kept in fetchResp.raw up
// to wholeMax bytes, and its header section taken from it (readWhole).
type respReader struct {
	br       *bufio.Reader
	lit      literalBody // the literal being read; reused
	wholeMax int         // > 0: BODY[] is the whole message, bounded by this
}

// respBufSize is respReader's buffer: a few TLS records, and the longest
// line it takes.
const respBufSize = 64 << 10

func newRespReader(r io.Reader) *respReader {
	return &respReader{br: bufio.NewReaderSize(r, respBufSize)}
}

// literalBody is a literal's bytes as an imap.LiteralReader.
type literalBody struct {
	io.LimitedReader
	size int64
}

func (l *literalBody) Size() int64 { return l.size }

type respKind int

const (
	respOther respKind = iota // an untagged response other than FETCH: skipped
	respFetch                 // a FETCH response: its items are in the fetchResp
	respDone                  // a tagged completion
)

// fetchResp is what respReader.next read.
type fetchResp struct {
	uid       uint32
	size      int64
	header    []byte      // BODY[HEADER] as readLiteral returns it, or BODY[]'s header section
	headerErr error       // the header's problem, or a whole message over the bound
	raw       []byte      // BODY[] (wholeMax set) when within the bound and its header sound
	gotHeader bool        // a BODY[HEADER] (or BODY[]) item that is not NIL
	tag       []byte      // respDone: the tag (valid until the next read)
	status    *imap.Error // respDone: NO or BAD; nil for OK
}

// next reads one response into f; err is a broken connection or a
// response that cannot be read (ErrProtocol); either ends the connection.
// max bounds the header as in readLiteral.
func (r *respReader) next(max int, f *fetchResp) (respKind, error) {
	line, err := r.line()
	if err != nil {
		return 0, err
	}
	if len(line) >= 2 && line[0] == '*' && line[1] == ' ' {
		return r.untagged(line[2:], max, f)
	}
	sp := bytes.IndexByte(line, ' ')
	if sp <= 0 || line[0] == '+' {
		return 0, fmt.Errorf("%w: unexpected line %.80q", ErrProtocol, line)
	}
	f.tag = line[:sp]
	status, text := cutWord(line[sp+1:])
	switch {
	case asciiEqualFold(status, "OK"):
	case asciiEqualFold(status, "NO"), asciiEqualFold(status, "BAD"):
		f.status = statusError(strings.ToUpper(string(status)), text)
	default:
		return 0, fmt.Errorf("%w: tagged response %.80q", ErrProtocol, line)
	}
	return respDone, nil
}

// statusError is a tagged NO or BAD as go-imap's client returns it.
func statusError(typ string, text []byte) *imap.Error {
	e := &imap.Error{Type: imap.StatusResponseType(typ)}
	if len(text) > 0 && text[0] == '[' {
		if end := bytes.IndexByte(text, ']'); end > 0 {
			code, _ := cutWord(text[1:end])
			e.Code = imap.ResponseCode(strings.ToUpper(string(code)))
			text = bytes.TrimLeft(text[end+1:], " ")
		}
	}
	e.Text = string(text)
	return e
}

// untagged reads the untagged response whose first line, after "* ", is
// rest.
func (r *respReader) untagged(rest []byte, max int, f *fetchResp) (respKind, error) {
	word, after := cutWord(rest)
	if len(word) == 0 || word[0] < '0' || word[0] > '9' {
		switch {
		case len(word) >= 5 && asciiEqualFold(word[:5], "FETCH"):
			return 0, fmt.Errorf("%w: FETCH without a number: %.80q", ErrProtocol, rest)
		case asciiEqualFold(word, "BYE"):
			return 0, fmt.Errorf("%w: server said BYE %.80q", ErrConnection, after)
		case asciiEqualFold(word, "OK"), asciiEqualFold(word, "NO"), asciiEqualFold(word, "BAD"), asciiEqualFold(word, "PREAUTH"):
			return respOther, nil // resp-text holds no literal
		}
		return respOther, r.skipLiterals(rest)
	}
	word, after = cutWord(after) // after the message number
	if len(word) < 5 || !asciiEqualFold(word[:5], "FETCH") {
		return respOther, r.skipLiterals(rest)
	}
	if len(word) > 5 {
		return 0, fmt.Errorf("%w: FETCH response %.80q", ErrProtocol, rest)
	}
	if len(after) == 0 || after[0] != '(' {
		return 0, fmt.Errorf("%w: FETCH without a list: %.80q", ErrProtocol, rest)
	}
	return respFetch, r.items(after, 1, max, f)
}

// items reads the msg-att list of a FETCH response from p[i:], p being
// the current line, to its closing parenthesis.
func (r *respReader) items(p []byte, i, max int, f *fetchResp) error {
	for {
		for i < len(p) && p[i] == ' ' {
			i++
		}
		if i >= len(p) {
			return fmt.Errorf("%w: FETCH response cut short", ErrProtocol)
		}
		if p[i] == ')' {
			if i+1 != len(p) && (i+2 != len(p) || p[i+1] != ' ') { // a space before CRLF is let pass, as go-imap does
				return fmt.Errorf("%w: data after a FETCH response: %.80q", ErrProtocol, p[i+1:])
			}
			return nil
		}
		start := i
		for i < len(p) && p[i] != ' ' && p[i] != '(' && p[i] != ')' {
			if p[i] == '[' { // a section: BODY[HEADER.FIELDS (A B)]
				end := bytes.IndexByte(p[i:], ']')
				if end < 0 {
					return fmt.Errorf("%w: unclosed section in %.80q", ErrProtocol, p[start:])
				}
				i += end
			}
			i++
		}
		name := p[start:i]
		if i >= len(p) || p[i] != ' ' {
			return fmt.Errorf("%w: FETCH item %.80q without a value", ErrProtocol, name)
		}
		i++
		var err error
		switch {
		case asciiEqualFold(name, "UID"):
			var n uint64
			if n, i, err = number(p, i, 1<<32-1); err != nil {
				return err
			}
			f.uid = uint32(n)
		case asciiEqualFold(name, "RFC822.SIZE"):
			var n uint64
			if n, i, err = number(p, i, 1<<63-1); err != nil {
				return err
			}
			f.size = int64(n)
		case len(name) > 5 && asciiEqualFold(name[:5], "BODY["):
			// BODY[HEADER] asked for; any other section is taken as it,
			// as go-imap's client did.
			p, i, err = r.header(p, i, max, f)
		default:
			p, i, err = r.skipValue(p, i)
		}
		if err != nil {
			return err
		}
	}
}

// header reads the BODY[HEADER] value at p[i:]: a literal (the usual), a
// quoted string or NIL. It returns the line to go on with.
func (r *respReader) header(p []byte, i, max int, f *fetchResp) ([]byte, int, error) {
	if n, ok, err := literalAt(p, i); err != nil {
		return nil, 0, err
	} else if ok {
		r.lit = literalBody{LimitedReader: io.LimitedReader{R: r.br, N: n}, size: n}
		var rerr error
		f.gotHeader = true
		if r.wholeMax > 0 {
			f.raw, f.header, f.headerErr, rerr = readWhole(&r.lit, max, r.wholeMax)
		} else {
			f.header, f.headerErr, rerr = readLiteral(&r.lit, max)
		}
		if rerr != nil {
			return nil, 0, rerr
		}
		if r.lit.N > 0 { // the stream ended inside the literal
			return nil, 0, io.ErrUnexpectedEOF
		}
		p, err := r.line()
		return p, 0, err
	}
	if i < len(p) && p[i] == '"' {
		s, j, err := quoted(p, i)
		if err != nil {
			return nil, 0, err
		}
		f.gotHeader = true
		q := &literalBody{LimitedReader: io.LimitedReader{R: bytes.NewReader(s), N: int64(len(s))}, size: int64(len(s))}
		if r.wholeMax > 0 {
			f.raw, f.header, f.headerErr, err = readWhole(q, max, r.wholeMax)
		} else {
			f.header, f.headerErr, err = readLiteral(q, max)
		}
		return p, j, err
	}
	if i+3 <= len(p) && asciiEqualFold(p[i:i+3], "NIL") {
		return p, i + 3, nil
	}
	return nil, 0, fmt.Errorf("%w: BODY[HEADER] value %.80q", ErrProtocol, p[i:])
}

// skipValue skips the value at p[i:] of an item the source did not ask
// for (FLAGS sent along, say): an atom, a number, a quoted string, a
// literal or a parenthesised list of those, nested.
func (r *respReader) skipValue(p []byte, i int) ([]byte, int, error) {
	depth := 0
	for {
		if i >= len(p) {
			return nil, 0, fmt.Errorf("%w: FETCH response cut short", ErrProtocol)
		}
		switch c := p[i]; {
		case c == '(':
			depth++
			i++
			continue
		case c == ')':
			if depth == 0 {
				return p, i, nil // the end of the msg-att list
			}
			depth--
			i++
		case c == ' ':
			i++
			continue
		case c == '"':
			_, j, err := quoted(p, i)
			if err != nil {
				return nil, 0, err
			}
			i = j
		default:
			n, ok, err := literalAt(p, i)
			if err != nil {
				return nil, 0, err
			}
			if ok {
				if err := r.discard(n); err != nil {
					return nil, 0, err
				}
				if p, err = r.line(); err != nil {
					return nil, 0, err
				}
				i = 0
				break
			}
			for i < len(p) && p[i] != ' ' && p[i] != '(' && p[i] != ')' {
				if p[i] == '[' {
					if end := bytes.IndexByte(p[i:], ']'); end > 0 {
						i += end
					}
				}
				i++
			}
		}
		if depth == 0 {
			return p, i, nil
		}
	}
}

// skipLiterals skips the rest of an untagged response whose first line is
// p: the literals that end its lines, and the lines after them.
func (r *respReader) skipLiterals(p []byte) error {
	for {
		if len(p) == 0 || p[len(p)-1] != '}' {
			return nil
		}
		k := bytes.LastIndexByte(p, '{')
		if k < 0 {
			return nil
		}
		if k > 0 && p[k-1] == '~' {
			k--
		}
		n, ok, err := literalAt(p, k)
		if err != nil || !ok {
			return err
		}
		if err := r.discard(n); err != nil {
			return err
		}
		if p, err = r.line(); err != nil {
			return err
		}
	}
}

// discard reads n bytes of a literal that is not wanted.
func (r *respReader) discard(n int64) error {
	if k, err := r.br.Discard(int(min(n, 1<<30))); err != nil {
		return err
	} else if int64(k) < n {
		return r.discard(n - int64(k))
	}
	return nil
}

// line reads the next line, without its CRLF (or bare LF); it is valid
// until the next read.
func (r *respReader) line() ([]byte, error) {
	line, err := r.br.ReadSlice('\n')
	if err != nil {
		if errors.Is(err, bufio.ErrBufferFull) {
			return nil, fmt.Errorf("%w: response line over %d bytes", ErrProtocol, respBufSize)
		}
		if errors.Is(err, io.EOF) {
			err = io.ErrUnexpectedEOF // a server that hangs up mid-command
		}
		return nil, err
	}
	line = line[:len(line)-1]
	if len(line) > 0 && line[len(line)-1] == '\r' {
		line = line[:len(line)-1]
	}
	if len(line) > 0 && line[len(line)-1] == ' ' && len(line) > 1 && line[len(line)-2] == '}' {
		line = line[:len(line)-1] // "{n} CRLF", which go-imap's client takes
	}
	return line, nil
}

// literalAt reports whether p[i:] is a literal's announcement, {n} or
// ~{n} (RFC 3516) ending the line, and its size.
func literalAt(p []byte, i int) (int64, bool, error) {
	if i < len(p) && p[i] == '~' {
		i++
	}
	if i >= len(p) || p[i] != '{' {
		return 0, false, nil
	}
	if p[len(p)-1] != '}' {
		return 0, false, fmt.Errorf("%w: literal announcement %.80q", ErrProtocol, p[i:])
	}
	n, j, err := number(p, i+1, 1<<62)
	if err != nil || j != len(p)-1 {
		return 0, false, fmt.Errorf("%w: literal announcement %.80q", ErrProtocol, p[i:])
	}
	return int64(n), true, nil
}

// number reads the decimal number at p[i:], at most limit.
func number(p []byte, i int, limit uint64) (uint64, int, error) {
	start := i
	var n uint64
	for i < len(p) && p[i] >= '0' && p[i] <= '9' {
		n = n*10 + uint64(p[i]-'0')
		if n > limit || i-start >= 19 {
			return 0, 0, fmt.Errorf("%w: number out of range: %.30q", ErrProtocol, p[start:])
		}
		i++
	}
	if i == start {
		return 0, 0, fmt.Errorf("%w: number expected: %.30q", ErrProtocol, p[start:])
	}
	return n, i, nil
}

// errQuotedLine is a quoted string not closed on its line: RFC 9051 §4.3
// allows no CR or LF in one (go-imap's client reads on across the line end).
var errQuotedLine = fmt.Errorf("%w: quoted string spans lines", ErrProtocol)

// quoted reads the quoted string at p[i:] (its opening quote) and returns
// its content, unescaped, and the index after the closing quote.
func quoted(p []byte, i int) ([]byte, int, error) {
	end := i + 1
	escaped := false
	for ; end < len(p); end++ {
		if p[end] == '\\' {
			escaped = true
			end++
			continue
		}
		if p[end] == '"' {
			break
		}
	}
	if end >= len(p) {
		return nil, 0, fmt.Errorf("%w: %.80q", errQuotedLine, p[i:])
	}
	s := p[i+1 : end]
	if escaped {
		u := make([]byte, 0, len(s))
		for k := 0; k < len(s); k++ {
			if s[k] == '\\' && k+1 < len(s) {
				k++
			}
			u = append(u, s[k])
		}
		s = u
	}
	return s, end + 1, nil
}

// cutWord splits p at its first space.
func cutWord(p []byte) (word, rest []byte) {
	if i := bytes.IndexByte(p, ' '); i >= 0 {
		return p[:i], p[i+1:]
	}
	return p, nil
}

// asciiEqualFold compares p with an upper-case ASCII word, ignoring case.
func asciiEqualFold(p []byte, word string) bool {
	if len(p) != len(word) {
		return false
	}
	for i := 0; i < len(p); i++ {
		c := p[i]
		if 'a' <= c && c <= 'z' {
			c -= 'a' - 'A'
		}
		if c != word[i] {
			return false
		}
	}
	return true
}
