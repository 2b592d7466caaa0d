package whois

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/netip"
	"os"
	"strings"
	"sync"
	"time"

	lxwhois "github.com/likexian/whois"

	"github.com/mailtrace/mailtrace/report/attrib/throttle"
)

// Sentinel errors; test with errors.Is.
var (
	ErrNoRegistry  = errors.New("whois: no registry holds the address")
	ErrUnreachable = errors.New("whois: server unreachable")
	ErrRateLimited = errors.New("whois: rate limited")
	ErrNotFound    = errors.New("whois: no network found")
	ErrTruncated   = errors.New("whois: answer too large, cut off")
	ErrBadAnswer   = errors.New("whois: unusable answer")
)

// Defaults.
const (
	DefaultTimeout   = 10 * time.Second // per query
	DefaultMaxAnswer = 1 << 20          // bytes read from one answer
	DefaultReferrals = 4                // referrals followed after the first server
)

// DialFunc dials a TCP address (host:port) for a whois query.
type DialFunc func(ctx context.Context, network, addr string) (net.Conn, error)

// Options configure a Client. The zero value is usable.
type Options struct {
	// Hosts redirects a whois server by name to another host:port
	// ("whois.ripe.net" -> "127.0.0.1:4343"): --whois-host, tests, proxies.
	Hosts map[string]string
	// Timeout bounds one query (dial, send, read). The lookup as a whole is
	// bounded by the caller's ctx.
	Timeout time.Duration
	// MaxAnswer bounds the bytes read from one answer; the rest is dropped
	// and ErrTruncated noted.
	MaxAnswer int64
	// MaxReferrals bounds the referrals followed.
	MaxReferrals int
	// Dial replaces the dialer (tests); default net.Dialer.
	Dial DialFunc
	// Throttle keeps per-server budgets; nil: throttle.New(nil).
	Throttle *throttle.Throttle
	// Trace, when set, receives each query and answer size (for -v).
	Trace io.Writer
}

// Client queries whois servers through github.com/likexian/whois, and
// follows the registries' referrals itself.
type Client struct {
	opts Options
	thr  *throttle.Throttle
}

// New returns a Client.
func New(opts Options) *Client {
	if opts.Timeout <= 0 {
		opts.Timeout = DefaultTimeout
	}
	if opts.MaxAnswer <= 0 {
		opts.MaxAnswer = DefaultMaxAnswer
	}
	if opts.MaxReferrals <= 0 {
		opts.MaxReferrals = DefaultReferrals
	}
	if opts.Dial == nil {
		d := &net.Dialer{}
		opts.Dial = d.DialContext
	}
	hosts := map[string]string{}
	for k, v := range opts.Hosts {
		hosts[strings.ToLower(k)] = v
	}
	opts.Hosts = hosts
	thr := opts.Throttle
	if thr == nil {
		thr = throttle.New(nil)
	}
	return &Client{opts: opts, thr: thr}
}

// Exchange is one query and its answer, kept for --raw.
type Exchange struct {
	Server string
	Query  string
	Answer string
	Err    error
}

// Answer is the outcome of a lookup: the chosen network, which registry and
// server it came from, and every exchange on the way.
type Answer struct {
	Result
	RIR       string // registry whose data was used
	Server    string // server that gave it
	Exchanges []Exchange
}

// Raw joins the raw answers for --raw.
func (a *Answer) Raw() string {
	var sb strings.Builder
	for _, e := range a.Exchanges {
		fmt.Fprintf(&sb, "%% whois -h %s %q\n", e.Server, e.Query)
		sb.WriteString(strings.TrimRight(e.Answer, "\n"))
		if e.Err != nil {
			fmt.Fprintf(&sb, "\n%% error: %v", e.Err)
		}
		sb.WriteString("\n\n")
	}
	return sb.String()
}

// Lookup attributes ip: the first server comes from the IANA tables
// (whois.iana.org when they name none), then referrals are followed —
// IANA "refer:", ARIN's last "ReferralServer:", APNIC objects mirrored
// from JPNIC (queried with "/e") and KRNIC, LACNIC to NIC.br, rwhois. The
// most specific network that holds ip wins. A failure after a usable
// answer keeps that answer and returns the error beside it.
func (c *Client) Lookup(ctx context.Context, ip netip.Addr) (Answer, error) {
	ip = ip.Unmap()
	var ans Answer
	route, ok := Lookup(ip)
	server := route.Server
	if !ok {
		server = ServerIANA
	}
	ans.RIR = route.RIR
	visited := map[string]bool{}
	var errs []error
	for hop := 0; hop <= c.opts.MaxReferrals && server != ""; hop++ {
		ref := parseReferral(server)
		if visited[ref.key()] {
			break
		}
		visited[ref.key()] = true
		q := ip.String()
		if RegistryOfServer(ref.host) == JPNIC {
			q += "/e" // English output
		}
		text, err := c.Query(ctx, ref.hostPort(), q)
		ans.Exchanges = append(ans.Exchanges, Exchange{Server: ref.hostPort(), Query: q, Answer: text, Err: err})
		if err != nil && text == "" {
			if errors.Is(err, ErrUnreachable) && ctx.Err() == nil {
				c.thr.Down(ref.host)
			}
			errs = append(errs, err)
			break
		}
		res := Parse(ref.host, text, ip)
		if RegistryOfServer(ref.host) == IANA {
			// IANA's object is the whole /8 or IPv6 block: only its "refer:"
			// matters.
			res = Result{Referral: res.Referral, RateLimited: res.RateLimited, NotFound: res.NotFound}
		}
		if res.RateLimited {
			until := c.thr.RateLimited(ref.host, 0)
			errs = append(errs, fmt.Errorf("%w: %s refused the query (limit exceeded); backing off until %s",
				ErrRateLimited, ref.host, until.UTC().Format(time.RFC3339)))
			break
		}
		c.thr.OK(ref.host)
		if err != nil {
			errs = append(errs, err) // e.g. truncated; the text is still used
		}
		if res.Found() && (!ans.Found() || !ans.Block.Valid() || res.Block.Valid() && !ans.Block.narrower(res.Block)) {
			ans.Result = res
			ans.Server = ref.host
			if r := registryOf(ref.host, text, res); r != "" {
				ans.RIR = r
			}
		} else if !ans.Found() {
			ans.Server = ref.host
			if r := RegistryOfServer(ref.host); r != "" && r != IANA {
				ans.RIR = r
			}
			ans.RateLimited, ans.NotFound = res.RateLimited, res.NotFound
		}
		next := res.Referral
		if next == "" && RegistryOfServer(ref.host) == LACNIC && !res.Found() && strings.Contains(text, ServerNICBR) {
			next = ServerNICBR
		}
		if strings.HasPrefix(ref.scheme, "rwhois") && strings.HasPrefix(next, "rwhois") {
			next = "" // rwhois referrals lead up to the root, not down
		}
		server = next
	}
	if len(errs) > 0 {
		return ans, errors.Join(errs...)
	}
	if !ans.Found() {
		if ans.NotFound {
			return ans, fmt.Errorf("%w for %s at %s", ErrNotFound, ip, ans.Server)
		}
		return ans, fmt.Errorf("%w: %s answered nothing usable for %s", ErrBadAnswer, ans.Server, ip)
	}
	return ans, nil
}

// registryOf names the registry whose data an answer holds: a national
// registry when the object is mirrored from it or the answer is in its
// format, else the server's RIR.
func registryOf(server, text string, res Result) string {
	switch res.Source {
	case JPNIC, KRNIC, TWNIC, CNNIC:
		return res.Source
	}
	if strings.Contains(text, "nic-hdl-br:") || strings.Contains(text, "Copyright (c) Nic.br") {
		return NICBR
	}
	if r := RegistryOfServer(server); r != IANA {
		return r
	}
	return ""
}

// referral is a parsed referral target.
type referral struct{ scheme, host, port string }

func (r referral) key() string { return r.scheme + "://" + r.host + ":" + r.port }

func (r referral) hostPort() string {
	if r.port == "" || r.port == "43" {
		return r.host
	}
	return net.JoinHostPort(r.host, r.port)
}

// parseReferral reads "host", "host:port", "whois://host[:port]",
// "rwhois://host:port/auth-area=...", "[v6]:port".
func parseReferral(s string) referral {
	s = strings.TrimSpace(s)
	r := referral{scheme: "whois", port: "43"}
	if sc, rest, ok := strings.Cut(s, "://"); ok {
		r.scheme, s = strings.ToLower(sc), rest
		if r.scheme == "rwhois" {
			r.port = "4321"
		}
	}
	if i := strings.IndexAny(s, "/?"); i >= 0 {
		s = s[:i]
	}
	if h, p, err := net.SplitHostPort(s); err == nil {
		r.host, r.port = h, p
	} else {
		r.host = strings.Trim(s, "[]")
	}
	r.host = strings.ToLower(strings.TrimSuffix(r.host, "."))
	return r
}

// Query sends one query to server ("host" or "host:port", port 43 by
// default) and returns the answer decoded to UTF-8. It waits for the
// server's budget first, bounds the exchange by the per-query timeout and
// ctx, reads at most MaxAnswer bytes, and recovers from a panic in the
// library.
//
// The library is used for the exchange itself with its referral following
// turned off (we follow referrals here, with the fixes that need):
//   - it takes any "whois: " substring, "rwhois:" included, for a referral,
//     and panics on a referral line without a final newline: never reached
//     with referrals off, and recovered anyway;
//   - it splits a server's port off with `:(\d+)$`, which mangles IPv6
//     literals: the library is only ever given a host name (an IP literal
//     is replaced by a placeholder name that our dialer maps back);
//   - it has no context and reads without bound: our dialer honours ctx by
//     closing the connection, and the connection stops at MaxAnswer.
func (c *Client) Query(ctx context.Context, server, query string) (answer string, err error) {
	ref := parseReferral(server)
	host, port := ref.host, ref.port
	if err := c.thr.Wait(ctx, host); err != nil {
		if errors.Is(err, throttle.ErrDown) {
			return "", fmt.Errorf("%w: %w", ErrUnreachable, err)
		}
		return "", fmt.Errorf("%w: %w", ErrRateLimited, err)
	}
	qctx, cancel := context.WithTimeout(ctx, c.opts.Timeout)
	defer cancel()

	target := net.JoinHostPort(host, port)
	if hp, ok := c.opts.Hosts[host]; ok {
		target = hp
	} else if hp, ok := c.opts.Hosts[net.JoinHostPort(host, port)]; ok {
		target = hp
	}
	libHost := host
	if _, err := netip.ParseAddr(host); err == nil {
		libHost = "literal.whois.invalid"
	}
	d := &dialer{ctx: qctx, dial: c.opts.Dial, target: target, max: c.opts.MaxAnswer}
	cl := lxwhois.NewClient().SetDisableStats(true).SetDisableReferral(true).SetDialer(d).SetTimeout(c.opts.Timeout)

	defer func() {
		if p := recover(); p != nil {
			answer, err = "", fmt.Errorf("%w: %s: whois library panic: %v", ErrBadAnswer, host, p)
		}
	}()
	raw, err := cl.Whois(query, net.JoinHostPort(libHost, port))
	if c.opts.Trace != nil {
		fmt.Fprintf(c.opts.Trace, "whois: %s (%s) %q: %d bytes, err=%v\n", host, target, query, len(raw), err)
	}
	answer = Decode([]byte(raw))
	if d.truncated() {
		return answer, fmt.Errorf("%w: %s: more than %d bytes", ErrTruncated, host, c.opts.MaxAnswer)
	}
	if err != nil {
		if ctx.Err() != nil {
			return answer, fmt.Errorf("%w: %s: no answer within the lookup deadline: %w", ErrUnreachable, host, ctx.Err())
		}
		if qctx.Err() != nil {
			return answer, fmt.Errorf("%w: %s: no answer within %s", ErrUnreachable, host, c.opts.Timeout)
		}
		return answer, fmt.Errorf("%w: %s: %w", ErrUnreachable, host, unwrapLib(err))
	}
	return answer, nil
}

// unwrapLib drops the library's own "whois: ..." wording, keeping the cause.
func unwrapLib(err error) error {
	if u := errors.Unwrap(err); u != nil {
		return u
	}
	return err
}

// dialer adapts a context-aware dial to golang.org/x/net/proxy.Dialer, the
// interface the library takes, and bounds the connection.
type dialer struct {
	ctx    context.Context
	dial   DialFunc
	target string
	max    int64

	mu   sync.Mutex
	conn *boundedConn
}

func (d *dialer) Dial(network, _ string) (net.Conn, error) {
	conn, err := d.dial(d.ctx, network, d.target)
	if err != nil {
		return nil, err
	}
	bc := &boundedConn{Conn: conn, left: d.max}
	// No context in the library: cancel by closing the connection.
	stop := context.AfterFunc(d.ctx, func() { conn.Close() })
	bc.stop = stop
	d.mu.Lock()
	d.conn = bc
	d.mu.Unlock()
	return bc, nil
}

func (d *dialer) truncated() bool {
	d.mu.Lock()
	defer d.mu.Unlock()
	return d.conn != nil && d.conn.cut
}

// boundedConn ends the answer (io.EOF) after max bytes.
type boundedConn struct {
	net.Conn
	left int64
	cut  bool
	stop func() bool
}

func (c *boundedConn) Read(p []byte) (int, error) {
	if c.left <= 0 {
		// Peek whether more was coming.
		var one [1]byte
		_ = c.Conn.SetReadDeadline(time.Now().Add(50 * time.Millisecond))
		if n, _ := c.Conn.Read(one[:]); n > 0 {
			c.cut = true
		}
		return 0, io.EOF
	}
	if int64(len(p)) > c.left {
		p = p[:c.left]
	}
	n, err := c.Conn.Read(p)
	c.left -= int64(n)
	if err != nil && (errors.Is(err, os.ErrDeadlineExceeded) || errors.Is(err, net.ErrClosed)) {
		return n, err
	}
	return n, err
}

func (c *boundedConn) Close() error {
	if c.stop != nil {
		c.stop()
	}
	return c.Conn.Close()
}
