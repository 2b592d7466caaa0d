package analyzer

// The trust stages as they were before hop names were normalized once per
// message (route): the model FuzzTrustStages holds the new code to.

import (
	"fmt"
	"net/netip"
	"reflect"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/mailtrace/mailtrace/analyzer/header"
	"github.com/mailtrace/mailtrace/analyzer/internal/psl"
	"github.com/mailtrace/mailtrace/analyzer/ipclass"
	"github.com/mailtrace/mailtrace/internal/corpus"
)

// normHostModel lower-cases a host name and strips a trailing dot and brackets.
func normHostModel(s string) string {
	s = strings.ToLower(strings.TrimSpace(s))
	s = strings.TrimPrefix(strings.TrimSuffix(s, "]"), "[")
	s = strings.TrimPrefix(s, "ipv6:")
	return strings.TrimSuffix(s, ".")
}

// genericHostModel reports names that identify no particular host.
func genericHostModel(s string) bool {
	switch s {
	case "", "localhost", "localhost.localdomain", "localhost6", "ip6-localhost", "unknown", "local", "localhost.local", "user", "helo":
		return true
	}
	return false
}

// hostAddrModel returns the address a host text holds when it is an address literal.
func hostAddrModel(s string) (netip.Addr, bool) {
	a, ok := ipclass.ParseAddr(normHostModel(s))
	return a.Unmap(), ok
}

// orgOfModel is the registrable domain (Public Suffix List eTLD+1) of a host
// name, "" for address literals, single labels and public suffixes.
func orgOfModel(host string) string {
	h := normHostModel(host)
	if h == "" || strings.IndexByte(h, '.') < 0 || genericHostModel(h) {
		return ""
	}
	if _, ok := hostAddrModel(h); ok {
		return ""
	}
	org, _ := psl.EffectiveTLDPlusOne(h) // "" on error
	return org
}

// sideModel describes the recipient's infrastructure.
type sideModel struct {
	org     string
	nets    []netip.Prefix
	domains []string
}

func (s *sideModel) hasNameModel(name string) bool {
	n := normHostModel(name)
	if n == "" || genericHostModel(n) {
		return false
	}
	for _, d := range s.domains {
		d = normHostModel(d)
		if n == d || strings.HasSuffix(n, "."+d) {
			return true
		}
	}
	return s.org != "" && orgOfModel(n) == s.org
}

func (s *sideModel) hasAddrModel(a netip.Addr) bool {
	for _, p := range s.nets {
		if p.Contains(a) {
			return true
		}
	}
	return false
}

// peerInsideModel tells whether a hop's `from` peer is on the recipient's sideModel
// (DESIGN.md "Trust and origin"), and whether its HELO claims the
// organisation while the recorded reverse name says otherwise.
func (s *sideModel) peerInsideModel(h *Hop) (inside, heloClaim bool) {
	f := &h.From
	if h.Local || !h.Parsed {
		return true, false // a local pickup, or nothing we can read: no peer
	}
	ip := f.IP
	if !ip.IsValid() && f.RDNS == "" && f.HELO == "" {
		return true, false
	}
	if ip.IsValid() && (s.hasAddrModel(ip) || ipclass.IsInternal(ip)) {
		return true, false
	}
	if retrievalModel(h) {
		// fetchmail and the like: the peer is the user's own mailbox
		// server, from which the recipient's sideModel collected the message.
		return true, false
	}
	if h.Auth != "" {
		// The recipient's server recorded that the peer authenticated
		// (ESMTPA, "Authenticated sender"): it holds the recipient sideModel's
		// own credentials, as SpamAssassin and rspamd also hold.
		return true, false
	}
	if f.RDNS != "" && !genericHostModel(normHostModel(f.RDNS)) {
		if s.hasNameModel(f.RDNS) {
			return true, false
		}
		return false, s.hasNameModel(f.HELO)
	}
	return s.hasNameModel(f.HELO), false
}

// walkTrustModel marks the recipient's hops by walking down from the top while
// each hop's peer is on the recipient's sideModel; every hop below is external.
func walkTrustModel(t *Trace, opts Options) {
	n := len(t.Hops)
	if n == 0 {
		return
	}
	s := sideModel{nets: opts.TrustNets, domains: opts.TrustDomains}
	for i := n - 1; i >= 0; i-- {
		if s.org = orgOfModel(t.Hops[i].By.Host); s.org != "" {
			break
		}
	}
	t.Recipient = s.org
	last := 0
	for i := n - 1; i >= 0; i-- {
		h := &t.Hops[i]
		h.Trust = TrustRecipient
		last = i
		inside, claim := s.peerInsideModel(h)
		if claim {
			t.addFinding(CodeHELOMismatch, Warning, h.Index, fmt.Sprintf(
				"the sender said HELO %q, a name of the recipient's organisation, but its address %s resolves to %q",
				h.From.HELO, addrOrUnknownModel(h.From.IP), h.From.RDNS))
		}
		if !inside {
			break
		}
		h.PeerInside = true
	}
	for i := 0; i < last; i++ {
		t.Hops[i].Trust = TrustExternal
	}
}

func addrOrUnknownModel(a netip.Addr) string {
	if !a.IsValid() {
		return "(unknown)"
	}
	return a.String()
}

// impossibleModel reports classes that cannot be a real mail peer.
func impossibleModel(c ipclass.Class) bool {
	switch c {
	case ipclass.Documentation, ipclass.Benchmarking, ipclass.Multicast, ipclass.Broadcast,
		ipclass.Unspecified, ipclass.ThisNetwork, ipclass.Reserved, ipclass.Discard:
		return true
	}
	return false
}

// markSuspectsModel walks down the external hops and marks as suspect the first
// one that breaks the chain (its `by` is not the `from` of the hop above),
// claims a time later than the believed hop above, or comes from an address
// that cannot send mail; every hop below a suspect one hangs from it and is
// suspect too.
func markSuspectsModel(t *Trace) {
	last := t.lastRecipient()
	suspect := false
	for i := last - 1; i >= 0; i-- {
		lower, upper := &t.Hops[i], &t.Hops[i+1]
		if suspect {
			lower.Trust = TrustSuspect
			continue
		}
		if linked, known := chainLinkedModel(upper, lower); known && !linked {
			t.addFinding(CodeChainBreak, Warning, lower.Index, fmt.Sprintf(
				"says it was received by %q, but hop %d above says it came from %s: this hop and those below it cannot be verified",
				lower.By.Host, upper.Index, peerTextModel(upper)))
			suspect = true
		}
		if !lower.Date.IsZero() && !upper.Date.IsZero() && lower.Date.Sub(upper.Date) > skewTolerance {
			// hopFindings reports the negative delay itself on the upper hop.
			lower.Warnings = append(lower.Warnings, fmt.Sprintf(
				"suspect: dated after hop %d above it, which received the message", upper.Index))
			suspect = true
		}
		if c := ipclass.Of(lower.From.IP); impossibleModel(c) {
			t.addFinding(CodeSpecialAddress, Warning, lower.Index, fmt.Sprintf(
				"claims a sender at %s, a %s address that cannot send mail on the Internet", lower.From.IP, c))
			suspect = true
		}
		if suspect {
			lower.Trust = TrustSuspect
		}
	}
}

// peerTextModel names a hop's sender for messages: its names, each once, and its address.
func peerTextModel(h *Hop) string {
	var parts []string
	if h.From.RDNS != "" {
		parts = append(parts, fmt.Sprintf("%q", h.From.RDNS))
	}
	if h.From.HELO != "" && !strings.EqualFold(h.From.HELO, h.From.RDNS) {
		parts = append(parts, fmt.Sprintf("%q", h.From.HELO))
	}
	if h.From.IP.IsValid() {
		parts = append(parts, h.From.IP.String())
	}
	if len(parts) == 0 {
		return "an unnamed peer"
	}
	return strings.Join(parts, " ")
}

// retrievalModel reports a hop that records a mailbox being collected (POP3 or
// IMAP, as fetchmail writes) rather than an SMTP relay.
func retrievalModel(h *Hop) bool {
	switch h.Protocol() {
	case "POP3", "POP", "IMAP", "IMAP4", "POP3S", "IMAPS":
		return true
	}
	return false
}

// localPeerModel reports a hop whose peer is on the same host: a local pickup,
// a re-injection from a content filter over loopback, or a local user
// ("from jm@localhost", "from foka ... with local").
func localPeerModel(h *Hop) bool {
	if h.Local || h.Protocol() == "LOCAL" {
		return true
	}
	if ip := h.From.IP; ip.IsValid() {
		return ip.Unmap().IsLoopback()
	}
	for _, n := range []string{h.From.RDNS, h.From.HELO} {
		n = normHostModel(n)
		if n != "" && !genericHostModel(n) && strings.IndexByte(n, '.') >= 0 && strings.IndexByte(n, '@') < 0 {
			return false // a real host name
		}
	}
	return true
}

// sameHostModel compares two `by` hosts by name, first label or organisation;
// known is false when either names nothing.
func sameHostModel(a, b string) (same, known bool) {
	a, b = normHostModel(a), normHostModel(b)
	if genericHostModel(a) || genericHostModel(b) {
		return false, false
	}
	if a == b || firstLabelModel(a) == firstLabelModel(b) {
		return true, true
	}
	if oa := orgOfModel(a); oa != "" && oa == orgOfModel(b) {
		return true, true
	}
	// A dotless name ("IMSVA", "0") is a label, not a host others know.
	return false, strings.IndexByte(a, '.') >= 0 && strings.IndexByte(b, '.') >= 0
}

// chainLinkedModel compares the `from` of the upper hop with the `by` of the hop
// below it. When the upper hop's peer is local (a re-injection on the same
// host), the chain goes on through that host: the lower hop must have been
// received by the same `by`. A mailbox retrievalModel proves nothing either way. known is false when either sideModel names nothing comparable
// (no DNS is consulted, so a bare address against a bare name proves nothing).
func chainLinkedModel(upper, lower *Hop) (linked, known bool) {
	if retrievalModel(upper) {
		return false, false
	}
	if localPeerModel(upper) {
		if same, known := sameHostModel(upper.By.Host, lower.By.Host); same || !known {
			return same, known
		}
		// A filter re-injecting over loopback may name the host it runs on.
		if linked, _ := peerMatchesByModel(upper, lower); linked {
			return true, true
		}
		return false, true
	}
	return peerMatchesByModel(upper, lower)
}

// peerMatchesByModel compares the upper hop's recorded peer (names and address)
// with the lower hop's `by`.
func peerMatchesByModel(upper, lower *Hop) (linked, known bool) {
	byHost := normHostModel(lower.By.Host)
	byIP := lower.By.IP
	if a, ok := hostAddrModel(byHost); ok {
		byIP, byHost = a, ""
	}
	if genericHostModel(byHost) {
		byHost = ""
	}
	if upper.From.IP.IsValid() && byIP.IsValid() {
		if upper.From.IP.Unmap() == byIP.Unmap() {
			return true, true
		}
	}
	var names []string
	for _, s := range []string{upper.From.RDNS, upper.From.HELO} {
		if n := normHostModel(s); n != "" && !genericHostModel(n) {
			if _, isAddr := hostAddrModel(n); !isAddr {
				names = append(names, n)
			}
		}
	}
	if byHost == "" || len(names) == 0 {
		// Address against address: only two public addresses that differ
		// are a known break (private ones may be NAT).
		if byHost == "" && byIP.IsValid() && upper.From.IP.IsValid() &&
			ipclass.IsPublic(byIP) && ipclass.IsPublic(upper.From.IP) {
			return false, true
		}
		return false, false
	}
	byOrg, byLabel := orgOfModel(byHost), firstLabelModel(byHost)
	for _, n := range names {
		if n == byHost || firstLabelModel(n) == byLabel || (byOrg != "" && orgOfModel(n) == byOrg) {
			return true, true
		}
	}
	if strings.IndexByte(byHost, '.') < 0 {
		// A dotless `by` ("IMSVA", "0", a product label) names no host
		// that another server would know it by.
		return false, false
	}
	return false, true
}

func firstLabelModel(s string) string {
	if i := strings.IndexByte(s, '.'); i >= 0 {
		return s[:i]
	}
	return s
}

// hopsFromSpec builds hops from lines of "helo|rdns|ip|by|byip|with|auth|flags|unix",
// flags holding L for a local hop and U for an unparsed one.
func hopsFromSpec(spec string) []Hop {
	var hops []Hop
	for i, line := range strings.Split(spec, "\n") {
		if i == 64 {
			break
		}
		p := strings.Split(line, "|")
		for len(p) < 9 {
			p = append(p, "")
		}
		var h Hop
		h.Index = i + 1
		h.From.HELO, h.From.RDNS, h.By.Host, h.With, h.Auth = p[0], p[1], p[3], p[5], p[6]
		h.From.IP, _ = netip.ParseAddr(p[2])
		h.By.IP, _ = netip.ParseAddr(p[4])
		h.Local = strings.Contains(p[7], "L")
		h.Parsed = !strings.Contains(p[7], "U")
		if sec, err := strconv.ParseInt(p[8], 10, 64); err == nil {
			h.Date = time.Unix(sec%(1<<40), 0).UTC()
		}
		hops = append(hops, h)
	}
	return hops
}

// specOf writes a trace's hops as hopsFromSpec reads them.
func specOf(hops []Hop) string {
	var lines []string
	for _, h := range hops {
		ip, byIP := "", ""
		if h.From.IP.IsValid() {
			ip = h.From.IP.String()
		}
		if h.By.IP.IsValid() {
			byIP = h.By.IP.String()
		}
		flags := ""
		if h.Local {
			flags += "L"
		}
		if !h.Parsed {
			flags += "U"
		}
		date := ""
		if !h.Date.IsZero() {
			date = strconv.FormatInt(h.Date.Unix(), 10)
		}
		lines = append(lines, strings.Join([]string{h.From.HELO, h.From.RDNS, ip, h.By.Host, byIP, h.With, h.Auth, flags, date}, "|"))
	}
	return strings.Join(lines, "\n")
}

// FuzzTrustStages holds walkTrust and markSuspects, which read each hop's
// names once through a route, to the model stages that normalized them at
// every look.
func FuzzTrustStages(f *testing.F) {
	for _, raw := range corpus.Messages(f) {
		h, _ := header.Parse(raw)
		x := indexFields(h, nil)
		f.Add(specOf(parseHops(&x, nil)), "", "")
	}
	f.Add("mx9.example.com|dsl-1.isp.example.net|62.239.237.1|MX1.Example.COM.|||||", "Example.com,.,", "62.239.237.0/24")
	f.Add("[[a.example]]|IPv6:[2001:db8::1]|192.0.2.1|[IPV6:2001:DB8::1]|2001:db8::1|pop3|||1\n a.b. |localhost|10.0.0.1|x.co.uk.||LOCAL|ESMTPA|L|2\n|||b||IMAP4||U|", "co.uk", "")
	f.Fuzz(func(t *testing.T, spec, domains, nets string) {
		var opts Options
		if domains != "" {
			opts.TrustDomains = strings.Split(domains, ",")
		}
		for _, s := range strings.Split(nets, ",") {
			if p, err := netip.ParsePrefix(s); err == nil {
				opts.TrustNets = append(opts.TrustNets, p)
			}
		}
		got := &Trace{Hops: hopsFromSpec(spec)}
		want := &Trace{Hops: hopsFromSpec(spec)}
		r := newRoute(got.Hops, nil, new(orgMemo))
		walkTrust(got, r, opts)
		markSuspects(got, r)
		walkTrustModel(want, opts)
		markSuspectsModel(want)
		if !reflect.DeepEqual(got, want) {
			t.Fatalf("spec %q domains %q nets %q:\n got %+v\nwant %+v", spec, domains, nets, got, want)
		}
	})
}

func FuzzNormHost(f *testing.F) {
	for _, s := range []string{"", "mx.example.com", "MX.Example.COM.", "[192.0.2.1]", "[IPv6:2001:db8::1]", " a ", "ipv6:", "a..", "[[a]]", "ſ", "\u00a0a\u0085", "İ.example"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		if got, want := normHost(s), normHostModel(s); got != want {
			t.Fatalf("normHost(%q) = %q, want %q", s, got, want)
		}
	})
}
