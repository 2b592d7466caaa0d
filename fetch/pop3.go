package fetch

import (
	"bufio"
	"bytes"
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"io"
	"net"
	"net/url"
	"strconv"
	"strings"
	"time"
)

// POP3 (RFC 1939) is read with a small client of our own: knadh/go-pop3
// has no STLS, no dot-unstuffing and reads whole responses into memory.
// The source sends STAT, UIDL (RFC 1939 §7) and TOP n 0, pipelined when the
// server offers PIPELINING (RFC 2449 §6.6); never DELE or RSET. QUIT ends a
// session in which nothing was marked, so nothing changes.
//
// Whole messages (Options.KeepBody) are fetched with TOP n and a line count
// no message within MaxMessageBytes reaches, not RETR: a server may mark a
// message it RETRieved \Seen (Dovecot does unless pop3_no_flag_updates is
// set), while TOP only reads (TestDovecotKeepBody checks the flags).

// pop3Window is how many TOP commands are in flight with PIPELINING.
const pop3Window = 32

// topAllLines is TOP's line count for a whole message: more lines than
// MaxMessageBytes holds (each at least CRLF), and within a signed 32-bit
// number for any server's parser.
const topAllLines = 1<<31 - 1

type pop3Item struct {
	num int
	uid string
}

type pop3Source struct {
	e     *endpoint
	opts  Options
	pass  string
	key   string
	c     *pop3Conn
	items []pop3Item // to fetch, maildrop order
	pos   int        // items[:pos] yielded
	sent  int        // items[:sent] requested
	last  string     // UIDL of the last message yielded
	total int
	n     int

	failures int
	lost     error // why the connection was last dropped, for the error when reconnecting gives up
	begun    bool
	noUIDL   bool
}

type pop3Conn struct {
	conn       net.Conn
	r          *bufio.Reader
	w          *bufio.Writer
	debug      *switchWriter
	pipelining bool
	caps       map[string]bool
}

func openPOP3(ctx context.Context, u *url.URL, opts Options) (Source, error) {
	e, err := parseEndpoint(u, opts)
	if err != nil {
		return nil, err
	}
	if e.folder != "" && !strings.EqualFold(e.folder, "INBOX") {
		return nil, fmt.Errorf("%w: POP3 has no folders (%q)", ErrUnsupported, e.folder)
	}
	if !opts.Since.IsZero() {
		warn(opts, "%s: POP3 has no dates to search: --since is ignored", e.redacted)
	}
	pass, err := credentials(ctx, e, opts, "POP3")
	if err != nil {
		return nil, err
	}
	s := &pop3Source{e: e, opts: opts, pass: pass, key: "pop3://" + e.user + "@" + e.addr}
	if err := s.connect(ctx); err != nil {
		return nil, err
	}
	return s, nil
}

// connect logs in and lists the maildrop; after a reconnect the listing
// continues after the last UIDL yielded.
func (s *pop3Source) connect(ctx context.Context) error {
	conn, err := dial(ctx, s.e, s.opts)
	if err != nil {
		return err
	}
	stop := closeOnCancel(ctx, conn)
	defer func() { stop() }() // the stop in force at return: STLS replaces it
	c := newPOP3Conn(conn, s.opts.Debug)
	fail := func(err error) error {
		conn.Close()
		if ctx.Err() != nil {
			return ctx.Err()
		}
		return err
	}
	c.bound()
	if _, err := c.status(); err != nil {
		return fail(fmt.Errorf("%w: %s: greeting: %w", ErrConnection, s.e.addr, err))
	}
	c.capa() // optional (RFC 2449): a server without CAPA just says -ERR
	if s.opts.StartTLS && !s.e.tls {
		if _, err := c.cmd("STLS"); err != nil {
			return fail(fmt.Errorf("fetch: STLS with %s: %w", s.e.addr, err))
		}
		cfg, err := tlsConfig(s.e.host, s.opts)
		if err != nil {
			return fail(err)
		}
		tc := tls.Client(conn.(*deadlineConn).Conn, cfg)
		if err := tc.HandshakeContext(ctx); err != nil {
			return fail(fmt.Errorf("fetch: TLS with %s: %w", s.e.addr, err))
		}
		conn = &deadlineConn{Conn: tc, timeout: timeout(s.opts)}
		stop()
		stop = closeOnCancel(ctx, conn)
		c = newPOP3Conn(conn, s.opts.Debug)
		c.capa() // RFC 2595 §4: capabilities may change after STLS
	}
	c.debug.set(false)
	if _, err := c.cmd("USER " + s.e.user); err != nil {
		return fail(s.authErr(err))
	}
	if _, err := c.cmd("PASS " + s.pass); err != nil {
		return fail(s.authErr(err))
	}
	c.debug.set(true)
	stat, err := c.cmd("STAT")
	if err != nil {
		return fail(fmt.Errorf("%w: STAT: %w", ErrProtocol, err))
	}
	// The count and the listing are the server's word: bounded, so that
	// neither can make the scan allocate without end.
	count, err := strconv.Atoi(strings.Fields(stat + " 0")[0])
	if err != nil || count < 0 || count > MaxFolderMessages {
		return fail(fmt.Errorf("%w: STAT: %q: not a count of 0 to %d messages", ErrProtocol, truncate([]byte(stat), 80), MaxFolderMessages))
	}
	items := make([]pop3Item, 0, min(count, 1<<16))
	limit := listLimit(count)
	if _, err := c.cmd("UIDL"); err == nil {
		err = c.lines(func(l []byte) error {
			f := strings.Fields(string(l))
			if len(f) < 2 || len(f[1]) > maxPOP3UID {
				return fmt.Errorf("%w: UIDL line %q", ErrProtocol, truncate(l, 120))
			}
			n, err := strconv.Atoi(f[0])
			if err != nil {
				return fmt.Errorf("%w: UIDL line %q", ErrProtocol, truncate(l, 120))
			}
			if len(items) == limit {
				return fmt.Errorf("%w: UIDL lists over %d messages for a STAT of %d", ErrProtocol, limit, count)
			}
			items = append(items, pop3Item{num: n, uid: f[1]})
			return nil
		})
		if err != nil {
			return fail(err)
		}
	} else {
		var perr *pop3Error
		if !errors.As(err, &perr) {
			return fail(fmt.Errorf("%w: UIDL: %w", ErrConnection, err))
		}
		if !s.noUIDL {
			warn(s.opts, "%s: the server has no UIDL: messages are known by number only, a resume may repeat or miss some", s.e.redacted)
		}
		s.noUIDL = true
		for i := 1; i <= count; i++ {
			items = append(items, pop3Item{num: i, uid: strconv.Itoa(i)})
		}
	}
	if !s.begun && s.opts.Resume != nil {
		if w := s.opts.Resume.Begin(s.key, 0); w != "" {
			warn(s.opts, "%s: %s", s.e.redacted, w)
		}
	}
	s.begun = true
	// Continue after the last one yielded (a reconnect), skip what a
	// checkpoint has.
	start := 0
	if s.last != "" {
		for i, it := range items {
			if it.uid == s.last {
				start = i + 1
				break
			}
		}
	}
	todo := items[:0]
	for _, it := range items[start:] {
		if s.opts.Resume != nil && s.opts.Resume.Done(s.key, it.uid) {
			continue
		}
		todo = append(todo, it)
	}
	if s.opts.Limit > 0 && len(todo) > s.opts.Limit-s.n {
		todo = todo[:max(s.opts.Limit-s.n, 0)]
	}
	if s.c == nil && s.items == nil {
		s.total = len(todo)
	}
	s.items, s.pos, s.sent = todo, 0, 0
	s.c = c
	return nil
}

func (s *pop3Source) authErr(err error) error {
	var perr *pop3Error
	if errors.As(err, &perr) {
		return fmt.Errorf("%w: %s at %s: %s", ErrAuth, s.e.user, s.e.addr, perr.text)
	}
	return fmt.Errorf("%w: %s: login: %w", ErrConnection, s.e.addr, err)
}

func (s *pop3Source) Total() (int, bool) { return s.total, true }

func (s *pop3Source) Next(ctx context.Context) (*Message, error) {
	for {
		if err := ctx.Err(); err != nil {
			return nil, err
		}
		if s.c == nil {
			if err := s.reconnect(ctx); err != nil {
				return nil, err
			}
		}
		if s.pos >= len(s.items) {
			return nil, io.EOF
		}
		m, err := s.top(ctx)
		if err == nil {
			s.failures = 0
			return m, nil
		}
		if ctx.Err() != nil {
			return nil, ctx.Err()
		}
		var perr *pop3Error
		if errors.As(err, &perr) {
			// -ERR for this message (deleted by another session): report it.
			it := s.items[s.pos]
			s.pos++
			s.last = it.uid
			s.n++
			return &Message{Origin: s.origin(it), Err: fmt.Errorf("%w: TOP %d %d: %s", ErrProtocol, it.num, s.topLines(), perr.text)}, nil
		}
		warn(s.opts, "%s: connection lost (%v); reconnecting", s.e.redacted, err)
		s.c.conn.Close()
		s.c, s.lost = nil, err
	}
}

// topLines is the line count of the source's TOP commands: 0 for the
// header, every line for a whole message.
func (s *pop3Source) topLines() int {
	if s.opts.KeepBody {
		return topAllLines
	}
	return 0
}

func (s *pop3Source) origin(it pop3Item) Origin {
	return Origin{Kind: KindPOP3, Name: s.e.redacted, Index: s.n, POP3UID: it.uid, Key: s.key, ID: it.uid}
}

// top sends TOP commands ahead (a window with PIPELINING, else one) and
// reads the answer for items[pos].
func (s *pop3Source) top(ctx context.Context) (*Message, error) {
	stop := closeOnCancel(ctx, s.c.conn)
	defer stop()
	s.c.bound()
	window := 1
	if s.c.pipelining {
		window = pop3Window
	}
	if s.sent < s.pos+1 || (s.sent < len(s.items) && s.sent-s.pos < window/2) {
		for s.sent < len(s.items) && s.sent-s.pos < window {
			if _, err := fmt.Fprintf(s.c.w, "TOP %d %d\r\n", s.items[s.sent].num, s.topLines()); err != nil {
				return nil, err
			}
			s.sent++
		}
		if err := s.c.w.Flush(); err != nil {
			return nil, err
		}
	}
	it := s.items[s.pos]
	if _, err := s.c.status(); err != nil {
		return nil, err // a -ERR is one line: the stream stays in step
	}
	dr := &dotReader{r: s.c.r}
	m := &Message{}
	if s.opts.KeepBody {
		var err error
		if m.Raw, m.Header, m.Err, err = readWholeAnswer(dr, s.opts.MaxHeaderBytes, MaxMessageBytes); err != nil {
			return nil, err
		}
	} else {
		m.Header, m.Err = ReadHeader(dr, s.opts.MaxHeaderBytes)
	}
	if _, err := io.Copy(io.Discard, dr); err != nil {
		return nil, err
	}
	if dr.err != nil {
		return nil, dr.err
	}
	if m.Err != nil && !errors.Is(m.Err, ErrHeaderTooLarge) && !errors.Is(m.Err, ErrNoHeader) && !errors.Is(m.Err, ErrMessageTooLarge) {
		return nil, m.Err // the connection broke inside the answer
	}
	s.pos++
	s.last = it.uid
	s.n++
	m.Origin = s.origin(it)
	return m, nil
}

// readWholeAnswer reads a whole message, TOP's answer r, and returns it
// (raw) and its header section, as ReadHeader would read it from r (so the
// same as a header-only TOP n 0 gives), the problem with them, and err, a
// broken connection. raw is nil when the header has a problem (as a local
// source keeps it) and when the message is over limit: then msgErr wraps
// ErrMessageTooLarge, and the rest of the answer is left to the caller to
// discard.
func readWholeAnswer(r io.Reader, max, limit int) (raw, header []byte, msgErr, err error) {
	raw, err = io.ReadAll(io.LimitReader(r, int64(limit)+1))
	if err != nil {
		return nil, nil, nil, err
	}
	if len(raw) > limit {
		// The header as from the start of the answer, read on past what
		// was taken (a header cut by the limit is read to its end, up to max).
		header, msgErr = ReadHeader(io.MultiReader(bytes.NewReader(raw), r), max)
		if msgErr == nil {
			msgErr = errMessageTooLarge(limit)
		}
		return nil, header, msgErr, nil
	}
	raw, header, msgErr = wholeOf(raw[:len(raw):len(raw)], max)
	return raw, header, msgErr, nil
}

func (s *pop3Source) reconnect(ctx context.Context) error {
	err := s.lost // why the last connection was dropped, if it was
	for {
		s.failures++
		if s.failures > retries(s.opts)+1 {
			return fmt.Errorf("%w: %s: gave up after %d attempts: %w", ErrConnection, s.e.addr, s.failures-1, err)
		}
		if s.failures > 1 {
			if berr := backoff(ctx, s.failures-1); berr != nil {
				return berr
			}
		}
		if err = s.connect(ctx); err == nil || errors.Is(err, ErrAuth) || ctx.Err() != nil {
			return err
		}
	}
}

// Close sends QUIT: no message was marked for deletion, so the maildrop is
// left as it was (RFC 1939 §6).
func (s *pop3Source) Close() error {
	if s.c == nil {
		return nil
	}
	c := s.c
	s.c = nil
	watchdog := time.AfterFunc(5*time.Second, func() { c.conn.Close() })
	defer watchdog.Stop()
	c.bound()
	// Answers to pipelined TOPs still on the way are read off first.
	for ; s.pos < s.sent; s.pos++ {
		if _, err := c.status(); err != nil {
			break
		}
		dr := &dotReader{r: c.r}
		if _, err := io.Copy(io.Discard, dr); err != nil || dr.err != nil {
			break
		}
	}
	c.cmd("QUIT")
	c.conn.Close()
	return nil
}

func newPOP3Conn(conn net.Conn, debug io.Writer) *pop3Conn {
	sw := &switchWriter{w: debug, on: true}
	return &pop3Conn{conn: conn, debug: sw,
		r: bufio.NewReaderSize(io.TeeReader(conn, sw), 32<<10), w: bufio.NewWriter(io.MultiWriter(conn, sw))}
}

// pop3Error is a -ERR answer.
type pop3Error struct{ text string }

func (e *pop3Error) Error() string { return "-ERR " + e.text }

// maxPOP3Line bounds a status or listing line (RFC 2449 §4 allows 512).
const maxPOP3Line = 4096

// maxPOP3UID bounds a unique-id: RFC 1939 §7 allows 70 characters.
const maxPOP3UID = 70

// readLine reads one CRLF line, bounded.
func (c *pop3Conn) readLine() ([]byte, error) { return readLine(c.r, maxPOP3Line) }

// status reads a +OK/-ERR line and returns the text after it.
func (c *pop3Conn) status() (string, error) {
	line, err := c.readLine()
	if err != nil {
		return "", err
	}
	return parseStatus(line)
}

func parseStatus(line []byte) (string, error) {
	switch {
	case bytes.HasPrefix(line, []byte("+OK")):
		return strings.TrimSpace(string(line[3:])), nil
	case bytes.HasPrefix(line, []byte("-ERR")):
		return "", &pop3Error{text: strings.TrimSpace(string(line[4:]))}
	}
	return "", fmt.Errorf("%w: status line %q", ErrProtocol, truncate(line, 80))
}

func truncate(b []byte, n int) []byte {
	if len(b) > n {
		return b[:n]
	}
	return b
}

// bound makes what is sent and read from now on, a command and its whole
// answer (one line or many), end within the connection's timeout however
// the server trickles it (deadlineConn.until). Every exchange (a command,
// the greeting, a TOP answer, the reading off before QUIT) begins with
// one, so none is left to run under an earlier one's bound.
func (c *pop3Conn) bound() {
	if dc, ok := c.conn.(*deadlineConn); ok {
		dc.until = time.Now().Add(dc.timeout)
	}
}

func (c *pop3Conn) cmd(line string) (string, error) {
	c.bound()
	if _, err := c.w.WriteString(line + "\r\n"); err != nil {
		return "", err
	}
	if err := c.w.Flush(); err != nil {
		return "", err
	}
	return c.status()
}

// lines reads a dot-terminated multi-line answer, unstuffed (RFC 1939 §3).
func (c *pop3Conn) lines(fn func([]byte) error) error {
	for {
		l, err := c.readLine()
		if err != nil {
			return err
		}
		if len(l) == 1 && l[0] == '.' {
			return nil
		}
		if len(l) > 0 && l[0] == '.' {
			l = l[1:]
		}
		if err := fn(l); err != nil {
			return err
		}
	}
}

func (c *pop3Conn) capa() {
	c.caps = map[string]bool{}
	if _, err := c.cmd("CAPA"); err != nil {
		return
	}
	c.lines(func(l []byte) error {
		f := strings.Fields(strings.ToUpper(string(l)))
		if len(f) > 0 {
			c.caps[f[0]] = true
		}
		return nil
	})
	c.pipelining = c.caps["PIPELINING"]
}

// dotReader reads a dot-terminated answer as bytes, unstuffed, keeping the
// CRLF line endings; EOF at the terminating ".".
type dotReader struct {
	r    *bufio.Reader
	buf  []byte
	bol  bool // at the start of a line
	done bool
	err  error
	init bool
}

func (d *dotReader) Read(p []byte) (int, error) {
	if !d.init {
		d.init, d.bol = true, true
	}
	for len(d.buf) == 0 {
		if d.done {
			return 0, io.EOF
		}
		chunk, err := d.r.ReadSlice('\n')
		if err != nil && !errors.Is(err, bufio.ErrBufferFull) {
			if errors.Is(err, io.EOF) {
				err = io.ErrUnexpectedEOF
			}
			d.err, d.done = err, true
			return 0, err
		}
		complete := err == nil
		if d.bol && len(chunk) > 0 && chunk[0] == '.' {
			if complete && (string(chunk) == ".\r\n" || string(chunk) == ".\n") {
				d.done = true
				return 0, io.EOF
			}
			chunk = chunk[1:]
		}
		d.bol = complete
		d.buf = chunk
	}
	n := copy(p, d.buf)
	d.buf = d.buf[n:]
	return n, nil
}
