package fetch

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"io"
	"net"
	"net/url"
	"os"
	"strconv"
	"strings"
	"sync"
	"time"
)

// Defaults of the network sources. A UID FETCH batch costs a round trip
// and the server's start of a command (about a millisecond on Dovecot,
// while the scan waits): 2,000 UIDs make that under 2% of the batch.
const (
	DefaultBatchSize = 2000
	DefaultTimeout   = 60 * time.Second
	DefaultRetries   = 5
)

// Errors of the network sources.
var (
	ErrPasswordInURL = errors.New("fetch: password in the URL (use MAILTRACE_PASSWORD, a password file, ~/.netrc or the prompt)")
	ErrNoPassword    = errors.New("fetch: no password")
	ErrAuth          = errors.New("fetch: authentication failed")
	ErrConnection    = errors.New("fetch: connection lost")
	ErrProtocol      = errors.New("fetch: protocol error")
	ErrFolder        = errors.New("fetch: folder failed")
)

// Problems is implemented by sources that skip a part they could not read
// (an IMAP folder) and go on: the problems so far.
type Problems interface {
	Problems() []error
}

// Totaler is implemented by sources that know how many messages they will
// yield (for progress); ok is false while unknown.
type Totaler interface {
	Total() (n int, ok bool)
}

// endpoint is a parsed imap/pop3 URL.
type endpoint struct {
	scheme   string // imap or pop3
	tls      bool   // implicit TLS (imaps, pop3s)
	host     string
	addr     string // host:port
	user     string
	folder   string // from the URL path (IMAP)
	redacted string // the URL without password, for Origin.Name
}

func parseEndpoint(u *url.URL, opts Options) (*endpoint, error) {
	e := &endpoint{scheme: strings.ToLower(u.Scheme)}
	if _, has := u.User.Password(); has {
		return nil, ErrPasswordInURL
	}
	port := ""
	switch e.scheme {
	case "imap":
		port = "143"
	case "imaps":
		e.scheme, e.tls, port = "imap", true, "993"
	case "pop3":
		port = "110"
	case "pop3s":
		e.scheme, e.tls, port = "pop3", true, "995"
	}
	e.host = u.Hostname()
	if e.host == "" {
		return nil, fmt.Errorf("%w: no host in %s://", ErrUnsupported, u.Scheme)
	}
	if p := u.Port(); p != "" {
		if _, err := strconv.ParseUint(p, 10, 16); err != nil {
			return nil, fmt.Errorf("%w: port %q", ErrUnsupported, p)
		}
		port = p
	}
	e.addr = net.JoinHostPort(e.host, port)
	e.user = u.User.Username()
	if opts.User != "" {
		e.user = opts.User
	}
	e.folder = strings.TrimPrefix(u.Path, "/")
	r := url.URL{Scheme: strings.ToLower(u.Scheme), Host: u.Host, Path: u.Path}
	if e.user != "" {
		r.User = url.User(e.user)
	}
	e.redacted = r.String()
	return e, nil
}

// tlsConfig is verified unless Insecure; CAFile adds roots.
func tlsConfig(host string, opts Options) (*tls.Config, error) {
	cfg := &tls.Config{ServerName: host, MinVersion: tls.VersionTLS12, InsecureSkipVerify: opts.Insecure} //nolint:gosec // only with --insecure
	if opts.CAFile != "" {
		pem, err := os.ReadFile(opts.CAFile)
		if err != nil {
			return nil, fmt.Errorf("fetch: CA file: %w", err)
		}
		pool := x509.NewCertPool()
		if !pool.AppendCertsFromPEM(pem) {
			return nil, fmt.Errorf("fetch: CA file %s: no PEM certificate", opts.CAFile)
		}
		cfg.RootCAs = pool
	}
	return cfg, nil
}

// dial opens the TCP connection (and implicit TLS) within ctx, every
// read and write bounded by the timeout (deadlineConn).
func dial(ctx context.Context, e *endpoint, opts Options) (net.Conn, error) {
	conn, err := dialRaw(ctx, e, opts)
	if err != nil {
		return nil, err
	}
	return &deadlineConn{Conn: conn, timeout: timeout(opts)}, nil
}

// dialRaw is dial without the deadlines: the IMAP source sets its own
// (handoffConn).
func dialRaw(ctx context.Context, e *endpoint, opts Options) (net.Conn, error) {
	d := opts.Dial
	if d == nil {
		nd := &net.Dialer{Timeout: timeout(opts)}
		d = nd.DialContext
	}
	conn, err := d(ctx, "tcp", e.addr)
	if err != nil {
		return nil, fmt.Errorf("%w: %s: %w", ErrConnection, e.addr, err)
	}
	if !e.tls {
		return conn, nil
	}
	cfg, err := tlsConfig(e.host, opts)
	if err != nil {
		conn.Close()
		return nil, err
	}
	tc := tls.Client(conn, cfg)
	hctx, cancel := context.WithTimeout(ctx, timeout(opts))
	defer cancel()
	if err := tc.HandshakeContext(hctx); err != nil {
		conn.Close()
		return nil, fmt.Errorf("fetch: TLS with %s: %w", e.addr, err)
	}
	return tc, nil
}

func timeout(opts Options) time.Duration {
	if opts.Timeout > 0 {
		return opts.Timeout
	}
	return DefaultTimeout
}

// MaxFolderMessages bounds the messages of one folder or POP3 maildrop
// that a scan lists: a server's counts and lists are untrusted, and a
// list is held in memory.
const MaxFolderMessages = 1 << 22

// listLimit is how many messages a listing (UID SEARCH, UIDL) may hold
// when the server counted n: n, and room for some that arrived meanwhile.
func listLimit(n int) int {
	return min(n+max(n/2, 1000), MaxFolderMessages)
}

func retries(opts Options) int {
	switch {
	case opts.Retries < 0:
		return 0
	case opts.Retries == 0:
		return DefaultRetries
	}
	return opts.Retries
}

// backoff waits before reconnect attempt n (1-based): 0.5 s doubling, at
// most 8 s, or until ctx ends.
func backoff(ctx context.Context, n int) error {
	d := 500 * time.Millisecond << min(n-1, 4)
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-t.C:
		return nil
	}
}

// deadlineConn gives every Read and Write its own deadline: a server that
// stops answering for that long ends the connection (and the source
// reconnects) instead of hanging the scan. A server that keeps answering,
// a byte at a time or without end, is stopped by until: while it is set,
// no deadline goes past it (a POP3 answer must end within the timeout of
// its start, as an IMAP step must).
type deadlineConn struct {
	net.Conn
	timeout time.Duration
	until   time.Time // zero: no bound but the timeout of each read
}

// deadline is the deadline of a read or write starting now.
func (c *deadlineConn) deadline() time.Time {
	d := time.Now().Add(c.timeout)
	if !c.until.IsZero() && c.until.Before(d) {
		return c.until
	}
	return d
}

func (c *deadlineConn) Read(p []byte) (int, error) {
	c.Conn.SetReadDeadline(c.deadline())
	return c.Conn.Read(p)
}

// SetReadDeadline does nothing: every Read sets its own deadline, so one
// set between reads would never govern one. go-imap's client sets a read
// deadline before and after every response and every literal, four a
// message in a scan, each a timer change in the runtime's poller: it was
// 4% of a scan's CPU. (Write deadlines pass through: crypto/tls bounds its
// close_notify with one on a STARTTLS connection, which runs over this.)
func (c *deadlineConn) SetReadDeadline(time.Time) error { return nil }

func (c *deadlineConn) Write(p []byte) (int, error) {
	c.Conn.SetWriteDeadline(c.deadline())
	return c.Conn.Write(p)
}

// closeOnCancel closes c when ctx ends, for libraries without a context.
// Call the returned stop when the call is over.
func closeOnCancel(ctx context.Context, c io.Closer) (stop func() bool) {
	return context.AfterFunc(ctx, func() { c.Close() })
}

// switchWriter passes writes through only while on: protocol traces leave
// out the login exchange.
type switchWriter struct {
	mu sync.Mutex
	w  io.Writer
	on bool
}

func (s *switchWriter) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.w == nil || !s.on {
		return len(p), nil
	}
	return s.w.Write(p)
}

func (s *switchWriter) set(on bool) {
	s.mu.Lock()
	s.on = on
	s.mu.Unlock()
}

// credentials warns when the password would cross the network in clear,
// then asks Options.Password once. proto names the protocol in the warning.
func credentials(ctx context.Context, e *endpoint, opts Options, proto string) (string, error) {
	if !e.tls && !opts.StartTLS && !isLoopback(e.host) {
		warn(opts, "%s: plain %s without --starttls sends the password in clear", e.redacted, proto)
	}
	if opts.Password == nil {
		return "", fmt.Errorf("%w for %s@%s", ErrNoPassword, e.user, e.host)
	}
	p, err := opts.Password(ctx, e.user, e.host)
	if err != nil {
		return "", err
	}
	return p, nil
}

func isLoopback(host string) bool {
	if host == "localhost" {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}

func warn(opts Options, format string, args ...any) {
	if opts.Warn != nil {
		opts.Warn(fmt.Sprintf(format, args...))
	}
}
