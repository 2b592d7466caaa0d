package attrib

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/netip"
	"strings"
	"sync"
	"time"

	"github.com/mailtrace/mailtrace/analyzer/ipclass"
	"github.com/mailtrace/mailtrace/report/attrib/throttle"
	"github.com/mailtrace/mailtrace/report/cache"
	"github.com/mailtrace/mailtrace/report/geo"
	"github.com/mailtrace/mailtrace/report/rdap"
	"github.com/mailtrace/mailtrace/report/whois"
)

// Sentinel errors.
var (
	ErrNotPublic = errors.New("attrib: not a globally routable address")
	ErrOffline   = errors.New("attrib: offline")
)

// Defaults.
const (
	DefaultTTL         = 7 * 24 * time.Hour
	DefaultNegativeTTL = 10 * time.Minute
	DefaultTimeout     = 4 * time.Second // per lookup, referrals included
)

// Resolver does reverse DNS (net.Resolver fits).
type Resolver interface {
	LookupAddr(ctx context.Context, addr string) ([]string, error)
}

// Options configure a Service. The zero value looks up over whois with
// an in-memory cache.
type Options struct {
	// Offline names the RIR from the embedded tables and sends nothing.
	Offline bool
	// RDAP asks RDAP servers instead of whois.
	RDAP bool
	// Whois and RDAPOptions configure the clients (servers, redirection,
	// per-query timeouts). Their Throttle is shared when left nil.
	Whois       whois.Options
	RDAPOptions rdap.Options
	// Geo holds the MaxMind-format databases; nil or empty: none.
	Geo *geo.DBs
	// Cache stores answers by network; nil: in memory for this run.
	Cache cache.Store
	// TTL of an answer in the cache, NegativeTTL of a failure.
	TTL, NegativeTTL time.Duration
	// Timeout is the deadline of one attribution, all queries included.
	Timeout time.Duration
	// Raw keeps the registries' raw answers in Attribution.Raw.
	Raw bool
	// Resolver, when set, fills Attribution.RDNS.
	Resolver Resolver
	// Throttle keeps per-server budgets; nil: throttle.New(nil).
	Throttle *throttle.Throttle
}

// Service attributes addresses; it implements Attributor and io.Closer and
// is safe for concurrent use. Callers asking at once for addresses of the
// same network share one query.
type Service struct {
	opts  Options
	whois *whois.Client
	rdap  *rdap.Client
	cache cache.Store

	mu      sync.Mutex
	flights map[netip.Prefix]*flight
}

type flight struct {
	done chan struct{}
}

var _ interface {
	Attributor
	io.Closer
} = (*Service)(nil)

// New returns a Service.
func New(opts Options) (*Service, error) {
	if opts.TTL <= 0 {
		opts.TTL = DefaultTTL
	}
	if opts.NegativeTTL <= 0 {
		opts.NegativeTTL = DefaultNegativeTTL
	}
	if opts.Timeout <= 0 {
		opts.Timeout = DefaultTimeout
	}
	if opts.Throttle == nil {
		opts.Throttle = throttle.New(nil)
	}
	if opts.Whois.Throttle == nil {
		opts.Whois.Throttle = opts.Throttle
	}
	if opts.RDAPOptions.Throttle == nil {
		opts.RDAPOptions.Throttle = opts.Throttle
	}
	if opts.Whois.Timeout <= 0 || opts.Whois.Timeout > opts.Timeout {
		opts.Whois.Timeout = opts.Timeout
	}
	if opts.RDAPOptions.Timeout <= 0 || opts.RDAPOptions.Timeout > opts.Timeout {
		opts.RDAPOptions.Timeout = opts.Timeout
	}
	s := &Service{opts: opts, flights: map[netip.Prefix]*flight{}, cache: opts.Cache}
	if s.cache == nil {
		s.cache = cache.NewMemory()
	}
	if !opts.Offline {
		if opts.RDAP {
			s.rdap = rdap.New(opts.RDAPOptions)
		}
		// whois answers everything without RDAP, and stands in for an
		// RDAP server that cannot answer (see lookup).
		s.whois = whois.New(opts.Whois)
	}
	return s, nil
}

// Close releases the cache and databases.
func (s *Service) Close() error {
	var errs []error
	if s.cache != nil {
		errs = append(errs, s.cache.Close())
	}
	if s.opts.Geo != nil {
		errs = append(errs, s.opts.Geo.Close())
	}
	return errors.Join(errs...)
}

// cached is what the cache keeps for a network.
type cached struct {
	RIR     string   `json:"rir"`
	Source  string   `json:"source"`
	Server  string   `json:"server"`
	Network *Network `json:"network"`
	Abuse   []string `json:"abuse"`
	ASN     uint32   `json:"asn,omitempty"`
	Error   string   `json:"error,omitempty"`
	Raw     string   `json:"raw,omitempty"`
}

// Attribute implements Attributor. It never fails outright: problems are in
// Attribution.Error beside whatever is known (at least the registry from
// the IANA tables).
func (s *Service) Attribute(ctx context.Context, ip netip.Addr) (a Attribution) {
	ip = ip.Unmap()
	a = Attribution{IP: ip.String(), Abuse: []string{}}
	if !ip.IsValid() {
		a.IP = ""
		a.Error = ErrNotPublic.Error() + ": no address"
		return a
	}
	if c := ipclass.Of(ip); c != ipclass.Public {
		a.Error = fmt.Sprintf("%v: %s address, not looked up", ErrNotPublic, c)
		return a
	}
	if r, ok := whois.Lookup(ip); ok {
		a.RIR = r.RIR
	}
	s.addGeo(&a, ip)
	if s.opts.Offline {
		a.Source = SourceOffline
		return a
	}
	ctx, cancel := context.WithTimeout(ctx, s.opts.Timeout)
	defer cancel()
	// Reverse DNS runs beside the registry lookup, within its deadline.
	if s.opts.Resolver != nil {
		ch := make(chan string, 1)
		go func() { ch <- s.rdns(ctx, ip) }()
		defer func() { a.RDNS = <-ch }()
	}
	s.registry(ctx, &a, ip)
	return a
}

// registry fills a from the cache or the registry, sharing one query among
// concurrent callers of the same bucket.
func (s *Service) registry(ctx context.Context, a *Attribution, ip netip.Addr) {
	key := bucket(ip)
	for range 3 {
		if e, ok := s.cache.Get(ip); ok {
			s.fromCache(a, e)
			return
		}
		s.mu.Lock()
		f, busy := s.flights[key]
		if !busy {
			f = &flight{done: make(chan struct{})}
			s.flights[key] = f
		}
		s.mu.Unlock()
		if !busy {
			defer func() {
				s.mu.Lock()
				delete(s.flights, key)
				s.mu.Unlock()
				close(f.done)
			}()
			s.lookup(ctx, a, ip)
			return
		}
		select {
		case <-f.done: // look in the cache again
		case <-ctx.Done():
			a.Error = fmt.Sprintf("attrib: waiting for a lookup of %s: %v", key, ctx.Err())
			return
		}
	}
	s.lookup(ctx, a, ip)
}

// bucket is the unit of de-duplication (written by hand; golang.org/x/sync
// is not a requirement of the module): concurrent callers of one /24
// (IPv4) or /48 (IPv6) wait for the first, then look in the cache again;
// only those whose address its network does not cover (a finer split, as
// KRNIC's /26s) ask for themselves.
func bucket(ip netip.Addr) netip.Prefix {
	bits := 24
	if ip.Is6() {
		bits = 48
	}
	p, _ := ip.Prefix(bits)
	return p
}

// maxCachedRaw bounds the raw answer kept in the cache for --raw.
const maxCachedRaw = 64 << 10

// minCacheBits is the widest network cached as such: an IANA /8 (IPv4), a
// /16 (IPv6; RIRs hold /12s and hand out /19 and longer).
func minCacheBits(a netip.Addr) int {
	if a.Is4() {
		return 8
	}
	return 16
}

func (s *Service) fromCache(a *Attribution, e cache.Entry) {
	var c cached
	if err := json.Unmarshal(e.Value, &c); err != nil {
		a.Error = fmt.Sprintf("%v: %v", cache.ErrCorrupt, err)
		return
	}
	a.Source = SourceCache
	if c.RIR != "" {
		a.RIR = c.RIR
	}
	a.Server, a.Network = c.Server, c.Network
	if c.Abuse != nil {
		a.Abuse = c.Abuse
	}
	if c.Error != "" {
		msg := c.Error
		if e.Negative {
			msg += " (remembered failure, retried after " + e.Expires.UTC().Format(time.RFC3339) + ")"
		}
		a.Error = joinErr(a.Error, msg)
	}
	if a.ASN == nil && c.ASN != 0 {
		a.ASN = &ASN{Number: c.ASN}
	}
	if s.opts.Raw {
		a.Raw = c.Raw
	}
}

// lookup asks the registry and stores the answer by network.
func (s *Service) lookup(ctx context.Context, a *Attribution, ip netip.Addr) {
	var res whois.Result
	var rir, server, raw, source string
	var err error
	askWhois := s.rdap == nil
	if s.rdap != nil {
		var ans rdap.Answer
		ans, err = s.rdap.Lookup(ctx, ip)
		res, rir, server, raw, source = ans.Result, ans.RIR, ans.Server, ans.Raw, SourceRDAP
		if rdapFallback(ctx, err, res) {
			// The RDAP service failed, not the address: whois is the
			// older, separate service of the same registry, so ask it,
			// and keep why in the error beside its answer.
			a.Error = joinErr(a.Error, err.Error()+" (whois asked instead)")
			err, askWhois = nil, true
		}
	}
	if askWhois {
		var ans whois.Answer
		ans, err = s.whois.Lookup(ctx, ip)
		if rir == "" || ans.RIR != "" {
			rir = ans.RIR
		}
		res, server, source = ans.Result, ans.Server, SourceWhois
		raw += ans.Raw()
	}
	a.Source = source
	if rir != "" {
		a.RIR = rir
	}
	a.Server = server
	if res.Found() {
		a.Network = &Network{CIDR: res.CIDR, Range: res.Block.String(), Name: res.Name,
			Handle: res.Handle, Org: res.Org, Country: res.Country}
		if a.Network.CIDR == nil {
			a.Network.CIDR = []string{}
		}
	}
	if res.Abuse != nil {
		a.Abuse = res.Abuse
	}
	if a.ASN == nil && res.ASN != 0 {
		a.ASN = &ASN{Number: res.ASN}
	}
	errText := ""
	if err != nil {
		errText = err.Error()
		a.Error = joinErr(a.Error, errText)
	}
	if s.opts.Raw {
		a.Raw = raw
	}

	if len(raw) > maxCachedRaw {
		raw = raw[:maxCachedRaw] + "\n% (cut: raw answer over 64 KiB)\n"
	}
	c := cached{RIR: a.RIR, Source: source, Server: server, Network: a.Network, Abuse: a.Abuse,
		ASN: res.ASN, Error: errText, Raw: raw}
	val, _ := json.Marshal(c)
	now := time.Now()
	e := cache.Entry{Value: val, Stored: now}
	switch {
	case res.Found() && len(res.CIDR) > 0:
		for _, cs := range res.CIDR {
			p, perr := netip.ParsePrefix(cs)
			if perr != nil || !(p.Contains(ip) || res.Block.Contains(p.Addr())) {
				continue
			}
			if p.Bits() < minCacheBits(p.Addr()) {
				// A registry-wide block (an answer for space the server
				// does not manage): never let it answer for everything.
				p = bucket(ip)
			}
			e.Networks = append(e.Networks, p)
		}
		e.Expires = now.Add(s.opts.TTL)
		if err != nil {
			// A usable answer beside an error (truncated, a referral that
			// failed): keep it, but not for long.
			e.Expires = now.Add(s.opts.NegativeTTL)
		}
	case isRateLimit(err) || errors.Is(err, context.Canceled):
		// Not the network's fault: the back-off is the throttle's.
	default:
		e.Negative = true
		e.Networks = []netip.Prefix{bucket(ip)}
		e.Expires = now.Add(s.opts.NegativeTTL)
	}
	if len(e.Networks) > 0 {
		if perr := s.cache.Put(e); perr != nil && a.Error == "" {
			a.Error = perr.Error()
		}
	}
}

// rdapFallback reports whether a failed RDAP lookup is the service's fault
// (no RDAP server for the address, unreachable, a server error or an
// unusable answer, rate limiting) rather than an answer that the network is
// unknown, and there is time left to ask whois.
func rdapFallback(ctx context.Context, err error, res whois.Result) bool {
	if err == nil || res.Found() || ctx.Err() != nil || errors.Is(err, rdap.ErrNotFound) {
		return false
	}
	return errors.Is(err, rdap.ErrNoServer) || errors.Is(err, rdap.ErrUnreachable) ||
		errors.Is(err, rdap.ErrServer) || errors.Is(err, rdap.ErrBadAnswer) || errors.Is(err, rdap.ErrRateLimited)
}

func isRateLimit(err error) bool {
	return errors.Is(err, whois.ErrRateLimited) || errors.Is(err, rdap.ErrRateLimited)
}

func (s *Service) addGeo(a *Attribution, ip netip.Addr) {
	if s.opts.Geo.Len() == 0 {
		return
	}
	g, err := s.opts.Geo.Lookup(ip)
	if g.ASN != 0 {
		a.ASN = &ASN{Number: g.ASN, Org: g.ASOrg}
	}
	if g.HasGeo {
		a.Geo = &Geo{Country: g.Country, City: g.City, Latitude: g.Latitude, Longitude: g.Longitude}
	}
	if err != nil {
		a.Error = joinErr(a.Error, err.Error())
	}
}

func (s *Service) rdns(ctx context.Context, ip netip.Addr) string {
	ctx, cancel := context.WithTimeout(ctx, 2*time.Second)
	defer cancel()
	names, err := s.opts.Resolver.LookupAddr(ctx, ip.String())
	if err != nil || len(names) == 0 {
		return ""
	}
	return strings.TrimSuffix(names[0], ".")
}

func joinErr(a, b string) string {
	if a == "" {
		return b
	}
	return a + "; " + b
}
