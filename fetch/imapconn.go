package fetch

import (
	"bufio"
	"bytes"
	"crypto/tls"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"sync"
	"time"
)

// handoffConn is the connection under go-imap's client. The client's
// reader reads it all the time, a goroutine of its own; the IMAP source
// takes the read side over for its UID FETCH commands (take) and reads
// their responses itself (read), with none of the client's per-message
// work (a decoder reading byte by byte, channels per message, per item
// and per literal), then gives it back (giveBack) before the client's next
// command. Meanwhile the client's reader waits in Read. Every read, the
// client's or the source's, has its own deadline (as deadlineConn), so a
// server that stops answering for the timeout ends the connection.
type handoffConn struct {
	conn    net.Conn
	timeout time.Duration

	mu      sync.Mutex
	cond    sync.Cond // signalled when taken, inRead or closed change
	taken   bool      // the source reads; the client's reader waits
	inRead  bool      // the client's reader is in conn.Read
	closed  bool
	pending []byte // read by the client before the connection's bytes
	// clientRead counts what the client's reader has read since the
	// source last gave the read side back. go-imap keeps what it reads of
	// an answer (a UID SEARCH, a LIST) in memory until the answer ends,
	// so a server that never ends one is stopped at clientBudget.
	clientRead int
}

// clientBudget bounds the bytes go-imap's client may read between two
// batches of the source's: the largest legitimate answer is a UID SEARCH
// of MaxFolderMessages sparse UIDs, 11 bytes each. (A variable for tests.)
var clientBudget = 11*MaxFolderMessages + 1<<20

func newHandoffConn(conn net.Conn, timeout time.Duration, greeting []byte) *handoffConn {
	c := &handoffConn{conn: conn, timeout: timeout, pending: greeting}
	c.cond.L = &c.mu
	return c
}

// Read is the client's: it waits while the source has the read side.
func (c *handoffConn) Read(p []byte) (int, error) {
	c.mu.Lock()
	for {
		for c.taken && !c.closed {
			c.cond.Wait()
		}
		if c.closed {
			c.mu.Unlock()
			return 0, net.ErrClosed
		}
		if len(c.pending) > 0 {
			n := copy(p, c.pending)
			c.pending = c.pending[n:]
			c.mu.Unlock()
			return n, nil
		}
		// The deadline is set under the lock, so that take's (in the
		// past, to end this read) always comes after it.
		c.conn.SetReadDeadline(time.Now().Add(c.timeout))
		c.inRead = true
		c.mu.Unlock()
		n, err := c.conn.Read(p)
		c.mu.Lock()
		c.inRead = false
		c.cond.Broadcast()
		if n == 0 && c.taken && errors.Is(err, os.ErrDeadlineExceeded) {
			continue // ended by take: wait for the connection back
		}
		c.clientRead += n
		over := c.clientRead > clientBudget
		c.mu.Unlock()
		if over {
			return 0, fmt.Errorf("%w: an answer of over %d bytes", ErrProtocol, clientBudget)
		}
		return n, err
	}
}

// take gives the read side to the source: it ends a read of the client's
// reader that waits for the server (between commands nothing comes, so
// nothing is lost) and waits until it has returned.
func (c *handoffConn) take() {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.taken = true
	if c.inRead {
		c.conn.SetReadDeadline(time.Unix(1, 0))
	}
	for c.inRead && !c.closed {
		c.cond.Wait()
	}
}

// giveBack returns the read side to the client; rest is what the source
// read past its last response, for the client to read first.
func (c *handoffConn) giveBack(rest []byte) {
	c.mu.Lock()
	if len(rest) > 0 {
		c.pending = append(c.pending[:len(c.pending):len(c.pending)], rest...) // a copy: rest is the source's buffer
	}
	c.taken, c.clientRead = false, 0
	c.cond.Broadcast()
	c.mu.Unlock()
}

// read is the source's, while it has the read side.
func (c *handoffConn) read(p []byte) (int, error) {
	c.conn.SetReadDeadline(time.Now().Add(c.timeout))
	return c.conn.Read(p)
}

func (c *handoffConn) Write(p []byte) (int, error) {
	c.conn.SetWriteDeadline(time.Now().Add(c.timeout))
	return c.conn.Write(p)
}

// SetReadDeadline does nothing: every read sets its own (see
// deadlineConn.SetReadDeadline).
func (c *handoffConn) SetReadDeadline(time.Time) error { return nil }

// SetDeadline sets the write deadline only, for the same reason.
func (c *handoffConn) SetDeadline(t time.Time) error { return c.conn.SetWriteDeadline(t) }

func (c *handoffConn) SetWriteDeadline(t time.Time) error { return c.conn.SetWriteDeadline(t) }

// Close closes the connection and wakes a client's reader waiting for it.
func (c *handoffConn) Close() error {
	c.mu.Lock()
	c.closed = true
	c.cond.Broadcast()
	c.mu.Unlock()
	return c.conn.Close()
}

func (c *handoffConn) LocalAddr() net.Addr  { return c.conn.LocalAddr() }
func (c *handoffConn) RemoteAddr() net.Addr { return c.conn.RemoteAddr() }

// sourceReader is the source's side of a handoffConn, as an io.Reader.
type sourceReader struct{ c *handoffConn }

func (r sourceReader) Read(p []byte) (int, error) { return r.c.read(p) }

// startTLSGreeting stands in for the greeting the client waits for: after
// STARTTLS the server sends none (RFC 9051 §6.2.1), and the capabilities
// must be asked again, which the client does when it needs them.
var startTLSGreeting = []byte("* OK TLS started\r\n")

// startTLS reads the greeting on a plain connection, sends STARTTLS and
// makes the TLS handshake (RFC 9051 §6.2.1), before go-imap's client takes
// the connection: the source's own reads must come from the TLS layer the
// client reads too. Bytes the server sends after its answer and before the
// handshake are refused (they would be taken as sent under TLS).
func startTLS(conn net.Conn, cfg *tls.Config, timeout time.Duration) (*tls.Conn, error) {
	conn.SetDeadline(time.Now().Add(timeout))
	defer conn.SetDeadline(time.Time{})
	br := bufio.NewReaderSize(conn, 4096)
	line, err := readLine(br, br.Size())
	if err != nil {
		return nil, fmt.Errorf("greeting: %w", err)
	}
	switch {
	case bytes.HasPrefix(line, []byte("* OK")):
	case bytes.HasPrefix(line, []byte("* PREAUTH")):
		return nil, errors.New("PREAUTH greeting before STARTTLS") // §6.2.1: would skip TLS
	default:
		return nil, fmt.Errorf("greeting %q", line)
	}
	if _, err := io.WriteString(conn, "S1 STARTTLS\r\n"); err != nil {
		return nil, err
	}
	for {
		line, err := readLine(br, br.Size())
		if err != nil {
			return nil, err
		}
		if bytes.HasPrefix(line, []byte("* ")) {
			continue
		}
		if !bytes.HasPrefix(line, []byte("S1 OK")) {
			return nil, fmt.Errorf("STARTTLS refused: %q", line)
		}
		break
	}
	if br.Buffered() > 0 {
		return nil, errors.New("data after the STARTTLS answer, before TLS")
	}
	tc := tls.Client(conn, cfg)
	if err := tc.Handshake(); err != nil {
		return nil, err
	}
	return tc, nil
}

// readLine reads one line of at most max bytes (and the buffer's size),
// without its CRLF: the POP3 client's lines and the IMAP greeting and
// STARTTLS answer read before TLS.
func readLine(br *bufio.Reader, max int) ([]byte, error) {
	line, err := br.ReadSlice('\n')
	if errors.Is(err, bufio.ErrBufferFull) || len(line) > max {
		return nil, fmt.Errorf("%w: line over %d bytes", ErrProtocol, min(max, br.Size()))
	}
	if err != nil {
		return nil, err
	}
	return bytes.TrimRight(line, "\r\n"), nil
}
