// Package rdap looks up IP networks over RDAP (RFC 9082 queries, RFC 9083
// answers) with net/http. The server for an address comes from the IANA
// bootstrap files (RFC 9224) embedded in data/; redirects between
// registries are followed; a 429 answer's Retry-After is honoured.
package rdap

import (
	"bytes"
	"context"
	_ "embed"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/netip"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/mailtrace/mailtrace/report/attrib/throttle"
	"github.com/mailtrace/mailtrace/report/whois"
)

// Sentinel errors.
var (
	ErrNoServer    = errors.New("rdap: no server for the address")
	ErrUnreachable = errors.New("rdap: server unreachable")
	ErrRateLimited = errors.New("rdap: rate limited")
	ErrNotFound    = errors.New("rdap: no network found")
	ErrBadAnswer   = errors.New("rdap: unusable answer")
	ErrServer      = errors.New("rdap: server error")
)

// IANA bootstrap files (https://data.iana.org/rdap/ipv4.json, ipv6.json),
// refreshed by `go generate ./report/whois` (see data/README.md).
var (
	//go:embed data/iana-rdap-ipv4.json
	bootstrapV4 []byte
	//go:embed data/iana-rdap-ipv6.json
	bootstrapV6 []byte
)

type service struct {
	prefixes []netip.Prefix
	urls     []string
}

var services = func() []service {
	var out []service
	for _, b := range [][]byte{bootstrapV4, bootstrapV6} {
		s, err := ParseBootstrap(b)
		if err != nil {
			panic("rdap: embedded bootstrap: " + err.Error())
		}
		out = append(out, s...)
	}
	return out
}()

// ParseBootstrap reads an RFC 9224 bootstrap file.
func ParseBootstrap(b []byte) ([]service, error) {
	var f struct {
		Services [][][]string `json:"services"`
	}
	if err := json.Unmarshal(b, &f); err != nil {
		return nil, fmt.Errorf("%w: bootstrap: %w", ErrBadAnswer, err)
	}
	var out []service
	for _, s := range f.Services {
		if len(s) < 2 {
			continue
		}
		var sv service
		for _, p := range s[0] {
			if pf, err := netip.ParsePrefix(p); err == nil {
				sv.prefixes = append(sv.prefixes, pf.Masked())
			}
		}
		// Prefer https (RFC 9224 §3 lists them in preference order).
		for _, u := range s[1] {
			if strings.HasPrefix(u, "https://") {
				sv.urls = append(sv.urls, u)
			}
		}
		for _, u := range s[1] {
			if strings.HasPrefix(u, "http://") {
				sv.urls = append(sv.urls, u)
			}
		}
		out = append(out, sv)
	}
	return out, nil
}

// BaseURL returns the RDAP base URL for ip from the bootstrap files
// (longest matching prefix).
func BaseURL(ip netip.Addr) (string, bool) {
	ip = ip.Unmap()
	best, bits := "", -1
	for _, s := range services {
		for _, p := range s.prefixes {
			if p.Contains(ip) && p.Bits() > bits && len(s.urls) > 0 {
				best, bits = s.urls[0], p.Bits()
			}
		}
	}
	return best, bits >= 0
}

// Options configure a Client.
type Options struct {
	// BaseURL, when set, is asked for every address (--rdap-url without a
	// name), instead of the bootstrap's choice.
	BaseURL string
	// Hosts redirects an RDAP server by host name to another base
	// ("rdap.arin.net" -> "http://127.0.0.1:8080"), redirects included.
	Hosts map[string]string
	// Timeout bounds one HTTP exchange (default 10s).
	Timeout time.Duration
	// MaxAnswer bounds the body read (default 2 MiB).
	MaxAnswer int64
	// MaxRetryAfter: a 429 asking to wait longer than this is not waited
	// for; the server is backed off and the error returned (default 10s).
	MaxRetryAfter time.Duration
	// Transport replaces the HTTP transport (tests).
	Transport http.RoundTripper
	Throttle  *throttle.Throttle
}

// Client is an RDAP client.
type Client struct {
	opts Options
	http *http.Client
	thr  *throttle.Throttle
}

// New returns a Client.
func New(opts Options) *Client {
	if opts.Timeout <= 0 {
		opts.Timeout = 10 * time.Second
	}
	if opts.MaxAnswer <= 0 {
		opts.MaxAnswer = 2 << 20
	}
	if opts.MaxRetryAfter <= 0 {
		opts.MaxRetryAfter = 10 * time.Second
	}
	tr := opts.Transport
	if tr == nil {
		tr = http.DefaultTransport
	}
	thr := opts.Throttle
	if thr == nil {
		thr = throttle.New(nil)
	}
	hosts := map[string]*url.URL{}
	for h, u := range opts.Hosts {
		if pu, err := url.Parse(u); err == nil && pu.Host != "" {
			hosts[strings.ToLower(h)] = pu
		}
	}
	return &Client{opts: opts, thr: thr, http: &http.Client{
		Transport: &rewrite{next: tr, hosts: hosts},
		CheckRedirect: func(req *http.Request, via []*http.Request) error {
			if len(via) >= 5 {
				return fmt.Errorf("%w: too many redirects", ErrBadAnswer)
			}
			return nil
		},
	}}
}

// rewrite sends requests for a redirected host to its replacement, and
// hands back responses that still name the original URL.
type rewrite struct {
	next  http.RoundTripper
	hosts map[string]*url.URL
}

func (r *rewrite) RoundTrip(req *http.Request) (*http.Response, error) {
	to, ok := r.hosts[strings.ToLower(req.URL.Hostname())]
	if !ok {
		return r.next.RoundTrip(req)
	}
	out := req.Clone(req.Context())
	out.URL.Scheme, out.URL.Host = to.Scheme, to.Host
	out.URL.Path = strings.TrimSuffix(to.Path, "/") + req.URL.Path
	out.Host = to.Host
	resp, err := r.next.RoundTrip(out)
	if resp != nil {
		resp.Request = req
	}
	return resp, err
}

// Answer is the outcome of a lookup.
type Answer struct {
	whois.Result
	RIR    string
	Server string // host that answered
	URL    string // final URL
	Raw    string // the body
}

// Lookup asks the RDAP server for the network holding ip.
func (c *Client) Lookup(ctx context.Context, ip netip.Addr) (Answer, error) {
	ip = ip.Unmap()
	base := c.opts.BaseURL
	if base == "" {
		var ok bool
		if base, ok = BaseURL(ip); !ok {
			return Answer{}, fmt.Errorf("%w: %s", ErrNoServer, ip)
		}
	}
	u := strings.TrimSuffix(base, "/") + "/ip/" + ip.String()
	host := hostOf(u)
	var ans Answer
	for attempt := 0; attempt < 2; attempt++ {
		if err := c.thr.Wait(ctx, host); err != nil {
			if errors.Is(err, throttle.ErrDown) {
				return ans, fmt.Errorf("%w: %w", ErrUnreachable, err)
			}
			return ans, fmt.Errorf("%w: %w", ErrRateLimited, err)
		}
		body, final, status, retry, err := c.get(ctx, u)
		if final != "" {
			ans.URL, ans.Server = final, hostOf(final)
		}
		if err != nil {
			if ctx.Err() == nil && errors.Is(err, ErrUnreachable) {
				c.thr.Down(host)
			}
			return ans, err
		}
		ans.Raw = string(body)
		switch {
		case status == http.StatusTooManyRequests:
			if retry <= c.opts.MaxRetryAfter && sleep(ctx, retry) == nil && attempt == 0 {
				continue
			}
			until := c.thr.RateLimited(ans.Server, retry)
			return ans, fmt.Errorf("%w: %s answered 429; backing off until %s", ErrRateLimited, ans.Server, until.UTC().Format(time.RFC3339))
		case status == http.StatusNotFound:
			return ans, fmt.Errorf("%w for %s at %s", ErrNotFound, ip, ans.Server)
		case status >= 400:
			msg := errorMessage(body)
			return ans, fmt.Errorf("%w: %s: HTTP %d %s", ErrServer, ans.Server, status, msg)
		}
		c.thr.OK(ans.Server)
		res, port43, err := Decode(body, ip)
		ans.Result = res
		ans.RIR = registryOf(ans.Server, port43)
		return ans, err
	}
	return ans, fmt.Errorf("%w: %s", ErrRateLimited, host)
}

func sleep(ctx context.Context, d time.Duration) error {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-t.C:
		return nil
	}
}

func hostOf(u string) string {
	pu, err := url.Parse(u)
	if err != nil {
		return ""
	}
	return strings.ToLower(pu.Hostname())
}

var rdapHosts = map[string]string{
	"rdap.arin.net": whois.ARIN, "rdap.db.ripe.net": whois.RIPE, "rdap.apnic.net": whois.APNIC,
	"rdap.lacnic.net": whois.LACNIC, "rdap.afrinic.net": whois.AFRINIC, "rdap.registro.br": whois.NICBR,
}

// registryOf names the registry whose object it is: the answer's port43
// server says it best (an RIR may serve another's object), else the host.
func registryOf(host, port43 string) string {
	if r := whois.RegistryOfServer(strings.TrimSpace(port43)); r != "" && r != whois.IANA {
		return r
	}
	return rdapHosts[host]
}

// get fetches u; it returns the body (bounded), the final URL, the status
// and a Retry-After delay.
func (c *Client) get(ctx context.Context, u string) ([]byte, string, int, time.Duration, error) {
	qctx, cancel := context.WithTimeout(ctx, c.opts.Timeout)
	defer cancel()
	req, err := http.NewRequestWithContext(qctx, http.MethodGet, u, nil)
	if err != nil {
		return nil, "", 0, 0, fmt.Errorf("%w: %w", ErrBadAnswer, err)
	}
	req.Header.Set("Accept", "application/rdap+json, application/json")
	req.Header.Set("User-Agent", "mailtrace")
	resp, err := c.http.Do(req)
	if err != nil {
		return nil, "", 0, 0, fmt.Errorf("%w: %s: %w", ErrUnreachable, hostOf(u), err)
	}
	defer resp.Body.Close()
	final := u
	if resp.Request != nil && resp.Request.URL != nil {
		final = resp.Request.URL.String()
	}
	body, err := io.ReadAll(io.LimitReader(resp.Body, c.opts.MaxAnswer+1))
	if err != nil {
		return nil, final, resp.StatusCode, 0, fmt.Errorf("%w: %s: %w", ErrUnreachable, hostOf(final), err)
	}
	if int64(len(body)) > c.opts.MaxAnswer {
		return nil, final, resp.StatusCode, 0, fmt.Errorf("%w: %s: body over %d bytes", ErrBadAnswer, hostOf(final), c.opts.MaxAnswer)
	}
	return body, final, resp.StatusCode, retryAfter(resp.Header.Get("Retry-After")), nil
}

// retryAfter reads RFC 9110 §10.2.3: seconds or an HTTP date.
func retryAfter(v string) time.Duration {
	v = strings.TrimSpace(v)
	if v == "" {
		return 0
	}
	if n, err := strconv.Atoi(v); err == nil && n >= 0 {
		return time.Duration(n) * time.Second
	}
	if t, err := http.ParseTime(v); err == nil {
		if d := time.Until(t); d > 0 {
			return d
		}
	}
	return 0
}

func errorMessage(body []byte) string {
	var e struct {
		Title       string   `json:"title"`
		Description []string `json:"description"`
	}
	if json.Unmarshal(body, &e) != nil {
		return ""
	}
	return strings.TrimSpace(e.Title + " " + strings.Join(e.Description, " "))
}

// Decode reads an RFC 9083 "ip network" object into a whois.Result: range
// (start/endAddress, zero-padded or with a "/len" suffix as 2015 servers
// wrote them), cidr0_cidrs, name, handle, country, the registrant's name,
// abuse entities at any depth (nested under the registrant too) and their
// vCard emails, the origin AS (arin_originas0). It also returns port43.
// An RFC 9083 error object is ErrServer.
func Decode(body []byte, ip netip.Addr) (whois.Result, string, error) {
	var r whois.Result
	var n network
	dec := json.NewDecoder(bytes.NewReader(body))
	if err := dec.Decode(&n); err != nil {
		return r, "", fmt.Errorf("%w: %w", ErrBadAnswer, err)
	}
	if n.ErrorCode != 0 {
		return r, n.Port43, fmt.Errorf("%w: error %d %s", ErrServer, n.ErrorCode, strings.TrimSpace(n.Title+" "+strings.Join(n.Description, " ")))
	}
	if n.ObjectClassName != "" && n.ObjectClassName != "ip network" {
		return r, n.Port43, fmt.Errorf("%w: object class %q", ErrBadAnswer, n.ObjectClassName)
	}
	first, ok1 := parseAddr(n.StartAddress)
	last, ok2 := parseAddr(n.EndAddress)
	var cidrs []netip.Prefix
	for _, c := range n.CIDR0 {
		a := c.V4Prefix
		if a == "" {
			a = c.V6Prefix
		}
		if p, ok := parseAddr(a); ok {
			if pf, err := p.Prefix(c.Length); err == nil {
				cidrs = append(cidrs, pf)
			}
		}
		if len(cidrs) >= 64 {
			break
		}
	}
	if ok1 && ok2 {
		r.Block = whois.Block{First: first, Last: last}
	}
	if !r.Block.Valid() && len(cidrs) > 0 {
		r.Block = whois.Block{First: cidrs[0].Masked().Addr(), Last: whois.BlockOfPrefix(cidrs[len(cidrs)-1]).Last}
	}
	if !r.Block.Valid() {
		return r, n.Port43, fmt.Errorf("%w: no address range", ErrBadAnswer)
	}
	// 2015 LACNIC answered start = end = the queried address; the CIDR
	// list or the range is all we have.
	for _, p := range cidrs {
		r.CIDR = append(r.CIDR, p.String())
	}
	if len(r.CIDR) == 0 {
		for _, p := range r.Block.Prefixes(32) {
			r.CIDR = append(r.CIDR, p.String())
		}
	}
	r.Name = n.Name
	r.Handle = n.Handle
	r.Country = strings.ToUpper(n.Country)
	for _, a := range n.OriginAS {
		r.ASN = a
		break
	}
	walk(n.Entities, 0, func(e *entity, depth int) {
		fn, emails := e.vcard()
		switch {
		case has(e.Roles, "abuse"):
			r.Abuse = addAbuse(r.Abuse, emails...)
		case has(e.Roles, "registrant") && r.Org == "":
			r.Org = fn
		}
	})
	if r.Org == "" {
		// AFRINIC 2015: entities without roles; the org-kind vCard.
		walk(n.Entities, 0, func(e *entity, _ int) {
			if r.Org == "" && e.kind() == "org" {
				r.Org, _ = e.vcard()
			}
		})
	}
	r.Abuse = whois.FilterAbuse(r.Abuse, r.Name+" "+r.Handle+" "+r.Org, strings.Contains(strings.ToLower(n.Type), "transferred"))
	if ip.IsValid() && !r.Block.Contains(ip) && !(r.Block.First == r.Block.Last) {
		return r, n.Port43, fmt.Errorf("%w: answer %s does not hold %s", ErrBadAnswer, r.Block, ip)
	}
	return r, n.Port43, nil
}

func has(list []string, s string) bool {
	for _, x := range list {
		if strings.EqualFold(x, s) {
			return true
		}
	}
	return false
}

func addAbuse(list []string, emails ...string) []string {
	for _, e := range emails {
		e = strings.TrimSpace(e)
		if e == "" || !strings.Contains(e, "@") || has(list, e) || len(list) >= 8 {
			continue
		}
		list = append(list, e)
	}
	return list
}

func walk(es []entity, depth int, f func(*entity, int)) {
	if depth > 8 {
		return
	}
	for i := range es {
		f(&es[i], depth)
		walk(es[i].Entities, depth+1, f)
	}
}

type network struct {
	ObjectClassName string   `json:"objectClassName"`
	Handle          string   `json:"handle"`
	StartAddress    string   `json:"startAddress"`
	EndAddress      string   `json:"endAddress"`
	Name            string   `json:"name"`
	Type            string   `json:"type"`
	Country         string   `json:"country"`
	Port43          string   `json:"port43"`
	CIDR0           []cidr0  `json:"cidr0_cidrs"`
	OriginAS        []uint32 `json:"arin_originas0_originautnums"`
	Entities        []entity `json:"entities"`
	ErrorCode       int      `json:"errorCode"`
	Title           string   `json:"title"`
	Description     []string `json:"description"`
}

type cidr0 struct {
	V4Prefix string `json:"v4prefix"`
	V6Prefix string `json:"v6prefix"`
	Length   int    `json:"length"`
}

type entity struct {
	Handle   string            `json:"handle"`
	Roles    []string          `json:"roles"`
	VCard    []json.RawMessage `json:"vcardArray"`
	Entities []entity          `json:"entities"`
}

// vcard returns the jCard (RFC 7095) fn and email values.
func (e *entity) vcard() (fn string, emails []string) {
	for _, p := range e.props() {
		switch p.name {
		case "fn":
			if fn == "" {
				fn = p.value
			}
		case "email":
			emails = append(emails, p.value)
		}
	}
	return fn, emails
}

func (e *entity) kind() string {
	for _, p := range e.props() {
		if p.name == "kind" {
			return strings.ToLower(p.value)
		}
	}
	return ""
}

type prop struct{ name, value string }

func (e *entity) props() []prop {
	if len(e.VCard) < 2 {
		return nil
	}
	var items []json.RawMessage
	if json.Unmarshal(e.VCard[1], &items) != nil {
		return nil
	}
	var out []prop
	for _, it := range items {
		var p []json.RawMessage
		if json.Unmarshal(it, &p) != nil || len(p) < 4 {
			continue
		}
		var name, val string
		if json.Unmarshal(p[0], &name) != nil {
			continue
		}
		if json.Unmarshal(p[3], &val) != nil {
			continue // structured values (adr) are not needed
		}
		out = append(out, prop{strings.ToLower(name), val})
	}
	return out
}

func parseAddr(s string) (netip.Addr, bool) { return whois.ParseAddr(s) }
