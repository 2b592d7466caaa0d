package verify

import (
	"context"
	"errors"
	"fmt"
	"net/netip"
	"strconv"
	"strings"
)

// SPF results (RFC 7208 §2.6).
const (
	SPFNone      = "none"
	SPFNeutral   = "neutral"
	SPFPass      = "pass"
	SPFFail      = "fail"
	SPFSoftFail  = "softfail"
	SPFTempError = "temperror"
	SPFPermError = "permerror"
)

// Sentinel errors of the SPF evaluator; the cause is kept as text after them.
var (
	ErrSPFPerm = errors.New("verify: spf permanent error")
	ErrSPFTemp = errors.New("verify: spf temporary error")
)

// RFC 7208 §4.6.4 processing limits.
const (
	maxDNSLookups  = 10 // include, a, mx, ptr, exists and redirect
	maxVoidLookups = 2  // lookups answered with no data or NXDOMAIN
	maxMXNames     = 10 // MX names looked at per mx mechanism
)

// SPFCheck is the outcome of check_host() (RFC 7208 §4) for one IP and domain.
type SPFCheck struct {
	IP        netip.Addr
	Domain    string
	Sender    string
	Result    string // one of the SPF* constants
	Mechanism string // the term that decided, "" when none matched
	Record    string // the domain's SPF record, "" when none was found
	Lookups   int    // DNS-querying terms evaluated
	Error     string // why a temperror or permerror, "" otherwise
}

// CheckSPF evaluates the SPF policy of domain for ip, as an MTA receiving
// MAIL FROM:<sender> would (RFC 7208 §4). sender may be a bare domain or ""
// (then "postmaster@domain" is used, §4.3). The ptr mechanism is never a
// match (it is deprecated, §5.5); exp= is not evaluated.
func CheckSPF(ctx context.Context, r Resolver, ip netip.Addr, domain, sender string) SPFCheck {
	domain = strings.TrimSuffix(strings.ToLower(strings.TrimSpace(domain)), ".")
	ip = ip.Unmap()
	c := SPFCheck{IP: ip, Domain: domain, Sender: sender}
	if sender == "" || !strings.Contains(sender, "@") {
		c.Sender = "postmaster@" + domain
	}
	e := &spfEval{ctx: ctx, r: r, ip: ip, sender: c.Sender, helo: domain}
	res, mech, rec, err := e.checkHost(domain, 0)
	c.Result, c.Mechanism, c.Record, c.Lookups = res, mech, rec, e.lookups
	if err != nil {
		c.Error = err.Error()
	}
	return c
}

type spfEval struct {
	ctx     context.Context
	r       Resolver
	ip      netip.Addr
	sender  string
	helo    string
	lookups int
	voids   int
}

func permErr(format string, a ...any) error {
	return fmt.Errorf("%w: %s", ErrSPFPerm, fmt.Sprintf(format, a...))
}

func tempErr(format string, a ...any) error {
	return fmt.Errorf("%w: %s", ErrSPFTemp, fmt.Sprintf(format, a...))
}

// errResult maps an evaluator error to its result.
func errResult(err error) string {
	if errors.Is(err, ErrSPFTemp) {
		return SPFTempError
	}
	return SPFPermError
}

// validDomain applies RFC 7208 §4.3: a multi-label name of at most 253
// octets with labels of 1..63 octets.
func validDomain(d string) bool {
	if len(d) == 0 || len(d) > 253 || !strings.Contains(d, ".") {
		return false
	}
	for _, l := range strings.Split(d, ".") {
		if len(l) == 0 || len(l) > 63 {
			return false
		}
	}
	return true
}

// lookupCtx bounds one DNS query.
func (e *spfEval) lookupCtx() (context.Context, context.CancelFunc) {
	return context.WithTimeout(e.ctx, LookupTimeout)
}

// record fetches the one SPF record of domain (RFC 7208 §4.4, §4.5).
func (e *spfEval) record(domain string) (rec string, result string, err error) {
	ctx, cancel := e.lookupCtx()
	defer cancel()
	txts, err := e.r.LookupTXT(ctx, domain)
	if err != nil {
		if isNotFound(err) {
			return "", SPFNone, nil
		}
		return "", SPFTempError, tempErr("TXT %s: %v", domain, err)
	}
	var found []string
	for _, t := range txts {
		if len(t) >= 6 && strings.EqualFold(t[:6], "v=spf1") && (len(t) == 6 || t[6] == ' ') {
			found = append(found, t)
		}
	}
	switch len(found) {
	case 0:
		return "", SPFNone, nil
	case 1:
		return found[0], "", nil
	}
	return "", SPFPermError, permErr("%s publishes %d SPF records", domain, len(found))
}

// checkHost is RFC 7208 §4: it returns the result, the deciding term and
// the record.
func (e *spfEval) checkHost(domain string, depth int) (result, mech, rec string, err error) {
	if err := e.ctx.Err(); err != nil {
		return SPFTempError, "", "", tempErr("%v", err)
	}
	if !validDomain(domain) {
		return SPFNone, "", "", nil
	}
	if depth > maxDNSLookups { // cannot happen within the lookup limit; a guard
		return SPFPermError, "", "", permErr("include/redirect nested too deep")
	}
	rec, result, err = e.record(domain)
	if rec == "" {
		return result, "", "", err
	}
	terms := strings.Fields(rec)[1:]
	var redirect string
	seenRedirect, seenExp := false, false
	// Modifiers first: a syntax error anywhere is a permerror (§4.6).
	for _, t := range terms {
		name, value, isMod := modifier(t)
		if !isMod {
			continue
		}
		switch name {
		case "redirect":
			if seenRedirect {
				return SPFPermError, "", rec, permErr("redirect= given twice")
			}
			seenRedirect, redirect = true, value
		case "exp":
			if seenExp {
				return SPFPermError, "", rec, permErr("exp= given twice")
			}
			seenExp = true
		}
	}
	hasAll := false
	for _, t := range terms {
		if _, _, isMod := modifier(t); isMod {
			continue
		}
		qual := SPFPass
		body := t
		switch t[0] {
		case '+':
			body = t[1:]
		case '-':
			qual, body = SPFFail, t[1:]
		case '~':
			qual, body = SPFSoftFail, t[1:]
		case '?':
			qual, body = SPFNeutral, t[1:]
		}
		if strings.EqualFold(body, "all") {
			hasAll = true
		}
		match, err := e.mechanism(body, domain, depth)
		if err != nil {
			return errResult(err), t, rec, err
		}
		if match {
			return qual, t, rec, nil
		}
	}
	if seenRedirect && !hasAll {
		// §6.1: redirect counts as a lookup; none at the target is a permerror.
		if err := e.count(); err != nil {
			return SPFPermError, "redirect=" + redirect, rec, err
		}
		target, err := e.expand(redirect, domain)
		if err != nil {
			return SPFPermError, "redirect=" + redirect, rec, err
		}
		res, _, _, err := e.checkHost(target, depth+1)
		if res == SPFNone {
			return SPFPermError, "redirect=" + redirect, rec, permErr("redirect target %s has no SPF record", target)
		}
		return res, "redirect=" + redirect, rec, err
	}
	return SPFNeutral, "", rec, nil // §4.7: no match, no redirect
}

// modifier splits "name=value" (RFC 7208 §4.6.1). A mechanism's ':' or '/'
// before any '=' makes the term a mechanism.
func modifier(t string) (name, value string, ok bool) {
	i := strings.IndexByte(t, '=')
	if i <= 0 || strings.ContainsAny(t[:i], ":/") {
		return "", "", false
	}
	name = strings.ToLower(t[:i])
	for j, c := range name {
		if !(c >= 'a' && c <= 'z' || j > 0 && (c >= '0' && c <= '9' || c == '-' || c == '_' || c == '.')) {
			return "", "", false
		}
	}
	return name, t[i+1:], true
}

// count spends one of the ten DNS-querying terms (§4.6.4).
func (e *spfEval) count() error {
	e.lookups++
	if e.lookups > maxDNSLookups {
		return permErr("more than %d DNS-querying terms", maxDNSLookups)
	}
	return nil
}

// void records a lookup that returned nothing (§4.6.4).
func (e *spfEval) void() error {
	e.voids++
	if e.voids > maxVoidLookups {
		return permErr("more than %d void lookups", maxVoidLookups)
	}
	return nil
}

// mechanism evaluates one mechanism (without qualifier) (§5).
func (e *spfEval) mechanism(body, domain string, depth int) (bool, error) {
	name, arg := body, ""
	if i := strings.IndexAny(body, ":/"); i >= 0 {
		name, arg = body[:i], body[i:]
	}
	name = strings.ToLower(name)
	switch name {
	case "all":
		if arg != "" {
			return false, permErr("all takes no argument: %q", body)
		}
		return true, nil
	case "ip4", "ip6":
		if !strings.HasPrefix(arg, ":") {
			return false, permErr("%s needs an address: %q", name, body)
		}
		return e.matchIP(name, arg[1:])
	case "include":
		if !strings.HasPrefix(arg, ":") || len(arg) < 2 {
			return false, permErr("include needs a domain: %q", body)
		}
		if err := e.count(); err != nil {
			return false, err
		}
		target, err := e.expand(arg[1:], domain)
		if err != nil {
			return false, err
		}
		res, _, _, err := e.checkHost(target, depth+1)
		switch res {
		case SPFPass:
			return true, nil
		case SPFFail, SPFSoftFail, SPFNeutral:
			return false, nil
		case SPFTempError:
			return false, err
		case SPFNone:
			return false, permErr("include:%s has no SPF record", target)
		}
		return false, err
	case "a", "mx":
		if err := e.count(); err != nil {
			return false, err
		}
		spec, v4, v6, err := splitCIDR(arg)
		if err != nil {
			return false, err
		}
		target := domain
		if spec != "" {
			if target, err = e.expand(spec, domain); err != nil {
				return false, err
			}
		}
		if name == "a" {
			return e.matchHost(target, v4, v6, true)
		}
		return e.matchMX(target, v4, v6)
	case "ptr":
		if err := e.count(); err != nil {
			return false, err
		}
		return false, nil // deprecated (§5.5): never a match here
	case "exists":
		if !strings.HasPrefix(arg, ":") || len(arg) < 2 {
			return false, permErr("exists needs a domain: %q", body)
		}
		if err := e.count(); err != nil {
			return false, err
		}
		target, err := e.expand(arg[1:], domain)
		if err != nil {
			return false, err
		}
		ctx, cancel := e.lookupCtx()
		defer cancel()
		addrs, err := e.r.LookupNetIP(ctx, "ip4", target)
		if err != nil && !isNotFound(err) {
			return false, tempErr("A %s: %v", target, err)
		}
		if len(addrs) == 0 {
			return false, e.void()
		}
		return true, nil
	}
	return false, permErr("unknown mechanism %q", body)
}

// matchIP evaluates ip4:/ip6: (§5.6).
func (e *spfEval) matchIP(name, arg string) (bool, error) {
	addr, bits := arg, -1
	if i := strings.IndexByte(arg, '/'); i >= 0 {
		n, err := strconv.Atoi(arg[i+1:])
		if err != nil {
			return false, permErr("bad prefix length in %s:%s", name, arg)
		}
		addr, bits = arg[:i], n
	}
	a, err := netip.ParseAddr(addr)
	if err != nil || (name == "ip4") != a.Is4() || a.Zone() != "" {
		return false, permErr("bad address in %s:%s", name, arg)
	}
	if bits < 0 {
		bits = a.BitLen()
	}
	p, err := a.Prefix(bits)
	if err != nil {
		return false, permErr("bad prefix length in %s:%s", name, arg)
	}
	return p.Contains(e.ip), nil
}

// splitCIDR splits "[:domain-spec][/ip4-cidr][//ip6-cidr]" (§5.3).
func splitCIDR(arg string) (spec string, v4, v6 int, err error) {
	v4, v6 = 32, 128
	rest := arg
	if strings.HasPrefix(rest, ":") {
		i := strings.IndexByte(rest, '/')
		if i < 0 {
			i = len(rest)
		}
		spec, rest = rest[1:i], rest[i:]
		if spec == "" {
			return "", 0, 0, permErr("empty domain in %q", arg)
		}
	}
	if j := strings.Index(rest, "//"); j >= 0 {
		if v6, err = strconv.Atoi(rest[j+2:]); err != nil || v6 < 0 || v6 > 128 {
			return "", 0, 0, permErr("bad ip6-cidr-length in %q", arg)
		}
		rest = rest[:j]
	}
	if rest != "" {
		if !strings.HasPrefix(rest, "/") {
			return "", 0, 0, permErr("bad cidr in %q", arg)
		}
		if v4, err = strconv.Atoi(rest[1:]); err != nil || v4 < 0 || v4 > 32 {
			return "", 0, 0, permErr("bad ip4-cidr-length in %q", arg)
		}
	}
	return spec, v4, v6, nil
}

// matchHost looks up host's addresses of the IP's family (§5.3).
func (e *spfEval) matchHost(host string, v4, v6 int, countVoid bool) (bool, error) {
	network, bits := "ip4", v4
	if e.ip.Is6() {
		network, bits = "ip6", v6
	}
	ctx, cancel := e.lookupCtx()
	defer cancel()
	addrs, err := e.r.LookupNetIP(ctx, network, host)
	if err != nil && !isNotFound(err) {
		return false, tempErr("%s %s: %v", network, host, err)
	}
	if len(addrs) == 0 {
		if countVoid {
			return false, e.void()
		}
		return false, nil
	}
	for _, a := range addrs {
		a = a.Unmap()
		if a.Is4() != e.ip.Is4() {
			continue
		}
		if p, err := a.Prefix(bits); err == nil && p.Contains(e.ip) {
			return true, nil
		}
	}
	return false, nil
}

// matchMX evaluates mx (§5.4): at most ten MX names, each looked up.
func (e *spfEval) matchMX(domain string, v4, v6 int) (bool, error) {
	ctx, cancel := e.lookupCtx()
	mxs, err := e.r.LookupMX(ctx, domain)
	cancel()
	if err != nil && !isNotFound(err) {
		return false, tempErr("MX %s: %v", domain, err)
	}
	if len(mxs) == 0 {
		return false, e.void()
	}
	if len(mxs) > maxMXNames {
		return false, permErr("%s has more than %d MX records", domain, maxMXNames)
	}
	for _, mx := range mxs {
		ok, err := e.matchHost(strings.TrimSuffix(mx.Host, "."), v4, v6, false)
		if err != nil || ok {
			return ok, err
		}
	}
	return false, nil
}

// expand expands the macros of a domain-spec (RFC 7208 §7) and shortens the
// result to 253 octets by dropping labels from the left (§7.3).
func (e *spfEval) expand(spec, domain string) (string, error) {
	if !strings.Contains(spec, "%") {
		return strings.TrimSuffix(spec, "."), nil
	}
	var b strings.Builder
	for i := 0; i < len(spec); i++ {
		c := spec[i]
		if c != '%' {
			b.WriteByte(c)
			continue
		}
		if i+1 >= len(spec) {
			return "", permErr("macro ends early in %q", spec)
		}
		i++
		switch spec[i] {
		case '%':
			b.WriteByte('%')
		case '_':
			b.WriteByte(' ')
		case '-':
			b.WriteString("%20")
		case '{':
			end := strings.IndexByte(spec[i:], '}')
			if end < 0 {
				return "", permErr("unclosed macro in %q", spec)
			}
			v, err := e.macro(spec[i+1:i+end], domain)
			if err != nil {
				return "", err
			}
			b.WriteString(v)
			i += end
		default:
			return "", permErr("bad macro %%%c in %q", spec[i], spec)
		}
	}
	out := strings.TrimSuffix(b.String(), ".")
	for len(out) > 253 {
		i := strings.IndexByte(out, '.')
		if i < 0 {
			break
		}
		out = out[i+1:]
	}
	return out, nil
}

// macro expands the inside of one %{...} (§7.2, §7.3).
func (e *spfEval) macro(m, domain string) (string, error) {
	if m == "" {
		return "", permErr("empty macro")
	}
	letter := m[0] | 0x20 // lower case; upper case asks for URL escaping (exp= only)
	rest := m[1:]
	local, sdom, _ := strings.Cut(e.sender, "@")
	var v string
	switch letter {
	case 's':
		v = e.sender
	case 'l':
		v = local
	case 'o':
		v = sdom
	case 'd':
		v = domain
	case 'i':
		v = dottedIP(e.ip)
	case 'p':
		v = "unknown"
	case 'v':
		v = "in-addr"
		if e.ip.Is6() {
			v = "ip6"
		}
	case 'h':
		v = e.helo
	default:
		return "", permErr("macro letter %q not allowed here", m[0])
	}
	digits := 0
	for len(rest) > 0 && rest[0] >= '0' && rest[0] <= '9' {
		digits = digits*10 + int(rest[0]-'0')
		if digits > 128 {
			digits = 128
		}
		rest = rest[1:]
	}
	reverse := false
	if len(rest) > 0 && (rest[0] == 'r' || rest[0] == 'R') {
		reverse, rest = true, rest[1:]
	}
	delims := "."
	if rest != "" {
		for _, c := range rest {
			if !strings.ContainsRune(".-+,/_=", c) {
				return "", permErr("bad delimiter %q in macro %q", c, m)
			}
		}
		delims = rest
	}
	parts := strings.FieldsFunc(v, func(r rune) bool { return strings.ContainsRune(delims, r) })
	if reverse {
		for i, j := 0, len(parts)-1; i < j; i, j = i+1, j-1 {
			parts[i], parts[j] = parts[j], parts[i]
		}
	}
	if len(m) > 1 && m[1] == '0' {
		return "", permErr("zero label count in macro %q", m)
	}
	if digits > 0 && digits < len(parts) {
		parts = parts[len(parts)-digits:]
	}
	return strings.Join(parts, "."), nil
}

// dottedIP is the %{i} form: dotted quad, or 32 dot-separated nibbles (§7.3).
func dottedIP(a netip.Addr) string {
	if a.Is4() {
		return a.String()
	}
	b := a.As16()
	var s strings.Builder
	for i, x := range b {
		if i > 0 {
			s.WriteByte('.')
		}
		fmt.Fprintf(&s, "%x.%x", x>>4, x&0xf)
	}
	return s.String()
}
