package analyzer

import (
	"fmt"
	"net/netip"
	"strings"

	"github.com/mailtrace/mailtrace/analyzer/internal/psl"
	"github.com/mailtrace/mailtrace/analyzer/ipclass"
)

// normHost lower-cases a host name and strips a trailing dot and brackets.
func normHost(s string) string {
	s = strings.ToLower(strings.TrimSpace(s))
	s = strings.TrimPrefix(strings.TrimSuffix(s, "]"), "[")
	s = strings.TrimPrefix(s, "ipv6:")
	return strings.TrimSuffix(s, ".")
}

// genericHost reports names that identify no particular host.
func genericHost(s string) bool {
	switch s {
	case "", "localhost", "localhost.localdomain", "localhost6", "ip6-localhost", "unknown", "local", "localhost.local", "user", "helo":
		return true
	}
	return false
}

// hostAddr returns the address a host text holds when it is an address literal.
func hostAddr(s string) (netip.Addr, bool) {
	a, ok := ipclass.ParseAddr(normHost(s))
	return a.Unmap(), ok
}

// orgOf is the registrable domain (Public Suffix List eTLD+1) of a host
// name, "" for address literals, single labels and public suffixes.
func orgOf(host string) string {
	h := normHost(host)
	if h == "" || strings.IndexByte(h, '.') < 0 || genericHost(h) {
		return ""
	}
	if _, ok := hostAddr(h); ok {
		return ""
	}
	org, _ := psl.EffectiveTLDPlusOne(h) // "" on error
	return org
}

// side describes the recipient's infrastructure.
type side struct {
	org     string
	nets    []netip.Prefix
	domains []string
}

func (s *side) hasName(name string) bool {
	n := normHost(name)
	if n == "" || genericHost(n) {
		return false
	}
	for _, d := range s.domains {
		d = normHost(d)
		if n == d || strings.HasSuffix(n, "."+d) {
			return true
		}
	}
	return s.org != "" && orgOf(n) == s.org
}

func (s *side) hasAddr(a netip.Addr) bool {
	for _, p := range s.nets {
		if p.Contains(a) {
			return true
		}
	}
	return false
}

// peerInside tells whether a hop's `from` peer is on the recipient's side
// (DESIGN.md "Trust and origin"), and whether its HELO claims the
// organisation while the recorded reverse name says otherwise.
func (s *side) peerInside(h *Hop) (inside, heloClaim bool) {
	f := &h.From
	if h.Local || !h.Parsed {
		return true, false // a local pickup, or nothing we can read: no peer
	}
	ip := f.IP
	if !ip.IsValid() && f.RDNS == "" && f.HELO == "" {
		return true, false
	}
	if ip.IsValid() && (s.hasAddr(ip) || ipclass.IsInternal(ip)) {
		return true, false
	}
	if retrieval(h) {
		// fetchmail and the like: the peer is the user's own mailbox
		// server, from which the recipient's side collected the message.
		return true, false
	}
	if h.Auth != "" {
		// The recipient's server recorded that the peer authenticated
		// (ESMTPA, "Authenticated sender"): it holds the recipient side's
		// own credentials, as SpamAssassin and rspamd also hold.
		return true, false
	}
	if f.RDNS != "" && !genericHost(normHost(f.RDNS)) {
		if s.hasName(f.RDNS) {
			return true, false
		}
		return false, s.hasName(f.HELO)
	}
	return s.hasName(f.HELO), false
}

// walkTrust marks the recipient's hops by walking down from the top while
// each hop's peer is on the recipient's side; every hop below is external.
func walkTrust(t *Trace, opts Options) {
	n := len(t.Hops)
	if n == 0 {
		return
	}
	s := side{nets: opts.TrustNets, domains: opts.TrustDomains}
	for i := n - 1; i >= 0; i-- {
		if s.org = orgOf(t.Hops[i].By.Host); s.org != "" {
			break
		}
	}
	t.Recipient = s.org
	last := 0
	for i := n - 1; i >= 0; i-- {
		h := &t.Hops[i]
		h.Trust = TrustRecipient
		last = i
		inside, claim := s.peerInside(h)
		if claim {
			t.addFinding(CodeHELOMismatch, Warning, h.Index, fmt.Sprintf(
				"the sender said HELO %q, a name of the recipient's organisation, but its address %s resolves to %q",
				h.From.HELO, addrOrUnknown(h.From.IP), h.From.RDNS))
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

func addrOrUnknown(a netip.Addr) string {
	if !a.IsValid() {
		return "(unknown)"
	}
	return a.String()
}

// lastRecipient is the index of the lowest recipient hop, -1 when none.
func (t *Trace) lastRecipient() int {
	for i, h := range t.Hops {
		if h.Trust == TrustRecipient {
			return i
		}
	}
	return -1
}

// impossible reports classes that cannot be a real mail peer.
func impossible(c ipclass.Class) bool {
	switch c {
	case ipclass.Documentation, ipclass.Benchmarking, ipclass.Multicast, ipclass.Broadcast,
		ipclass.Unspecified, ipclass.ThisNetwork, ipclass.Reserved, ipclass.Discard:
		return true
	}
	return false
}

// markSuspects walks down the external hops and marks as suspect the first
// one that breaks the chain (its `by` is not the `from` of the hop above),
// claims a time later than the believed hop above, or comes from an address
// that cannot send mail; every hop below a suspect one hangs from it and is
// suspect too.
func markSuspects(t *Trace) {
	last := t.lastRecipient()
	suspect := false
	for i := last - 1; i >= 0; i-- {
		lower, upper := &t.Hops[i], &t.Hops[i+1]
		if suspect {
			lower.Trust = TrustSuspect
			continue
		}
		if linked, known := chainLinked(upper, lower); known && !linked {
			t.addFinding(CodeChainBreak, Warning, lower.Index, fmt.Sprintf(
				"says it was received by %q, but hop %d above says it came from %s: this hop and those below it cannot be verified",
				lower.By.Host, upper.Index, peerText(upper)))
			suspect = true
		}
		if !lower.Date.IsZero() && !upper.Date.IsZero() && lower.Date.Sub(upper.Date) > skewTolerance {
			// hopFindings reports the negative delay itself on the upper hop.
			lower.Warnings = append(lower.Warnings, fmt.Sprintf(
				"suspect: dated after hop %d above it, which received the message", upper.Index))
			suspect = true
		}
		if c := ipclass.Of(lower.From.IP); impossible(c) {
			t.addFinding(CodeSpecialAddress, Warning, lower.Index, fmt.Sprintf(
				"claims a sender at %s, a %s address that cannot send mail on the Internet", lower.From.IP, c))
			suspect = true
		}
		if suspect {
			lower.Trust = TrustSuspect
		}
	}
}

// peerText names a hop's sender for messages: its names, each once, and its address.
func peerText(h *Hop) string {
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

// retrieval reports a hop that records a mailbox being collected (POP3 or
// IMAP, as fetchmail writes) rather than an SMTP relay.
func retrieval(h *Hop) bool {
	switch h.Protocol() {
	case "POP3", "POP", "IMAP", "IMAP4", "POP3S", "IMAPS":
		return true
	}
	return false
}

// localPeer reports a hop whose peer is on the same host: a local pickup,
// a re-injection from a content filter over loopback, or a local user
// ("from jm@localhost", "from foka ... with local").
func localPeer(h *Hop) bool {
	if h.Local || h.Protocol() == "LOCAL" {
		return true
	}
	if ip := h.From.IP; ip.IsValid() {
		return ip.Unmap().IsLoopback()
	}
	for _, n := range []string{h.From.RDNS, h.From.HELO} {
		n = normHost(n)
		if n != "" && !genericHost(n) && strings.IndexByte(n, '.') >= 0 && strings.IndexByte(n, '@') < 0 {
			return false // a real host name
		}
	}
	return true
}

// sameHost compares two `by` hosts by name, first label or organisation;
// known is false when either names nothing.
func sameHost(a, b string) (same, known bool) {
	a, b = normHost(a), normHost(b)
	if genericHost(a) || genericHost(b) {
		return false, false
	}
	if a == b || firstLabel(a) == firstLabel(b) {
		return true, true
	}
	if oa := orgOf(a); oa != "" && oa == orgOf(b) {
		return true, true
	}
	// A dotless name ("IMSVA", "0") is a label, not a host others know.
	return false, strings.IndexByte(a, '.') >= 0 && strings.IndexByte(b, '.') >= 0
}

// chainLinked compares the `from` of the upper hop with the `by` of the hop
// below it. When the upper hop's peer is local (a re-injection on the same
// host), the chain goes on through that host: the lower hop must have been
// received by the same `by`. A mailbox retrieval proves nothing either way. known is false when either side names nothing comparable
// (no DNS is consulted, so a bare address against a bare name proves nothing).
func chainLinked(upper, lower *Hop) (linked, known bool) {
	if retrieval(upper) {
		return false, false
	}
	if localPeer(upper) {
		if same, known := sameHost(upper.By.Host, lower.By.Host); same || !known {
			return same, known
		}
		// A filter re-injecting over loopback may name the host it runs on.
		if linked, _ := peerMatchesBy(upper, lower); linked {
			return true, true
		}
		return false, true
	}
	return peerMatchesBy(upper, lower)
}

// peerMatchesBy compares the upper hop's recorded peer (names and address)
// with the lower hop's `by`.
func peerMatchesBy(upper, lower *Hop) (linked, known bool) {
	byHost := normHost(lower.By.Host)
	byIP := lower.By.IP
	if a, ok := hostAddr(byHost); ok {
		byIP, byHost = a, ""
	}
	if genericHost(byHost) {
		byHost = ""
	}
	if upper.From.IP.IsValid() && byIP.IsValid() {
		if upper.From.IP.Unmap() == byIP.Unmap() {
			return true, true
		}
	}
	var names []string
	for _, s := range []string{upper.From.RDNS, upper.From.HELO} {
		if n := normHost(s); n != "" && !genericHost(n) {
			if _, isAddr := hostAddr(n); !isAddr {
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
	byOrg, byLabel := orgOf(byHost), firstLabel(byHost)
	for _, n := range names {
		if n == byHost || firstLabel(n) == byLabel || (byOrg != "" && orgOf(n) == byOrg) {
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

func firstLabel(s string) string {
	if i := strings.IndexByte(s, '.'); i >= 0 {
		return s[:i]
	}
	return s
}

// chooseEndpoints sets entry (the peer of the lowest recipient hop) and
// origin (the peer of the oldest believable hop with a public address).
// An authenticated client is inside the recipient's side for the walk, but it
// is still a sender: when nothing outside lies below it, it is the entry, and
// it can be the origin.
func chooseEndpoints(t *Trace) {
	last := t.lastRecipient()
	if last < 0 {
		return
	}
	sender := func(h *Hop) bool {
		return h.Trust != TrustSuspect && (!h.PeerInside || h.Auth != "") && ipclass.IsPublic(h.From.IP)
	}
	if h := &t.Hops[last]; sender(h) {
		t.Entry = &Endpoint{IP: h.From.IP.Unmap(), Hop: h.Index}
	} else if h.PeerInside {
		// The walk reached the bottom: the lowest authenticated client, if any.
		for i := 0; i < len(t.Hops) && t.Hops[i].Trust == TrustRecipient; i++ {
			if h := &t.Hops[i]; h.Auth != "" && sender(h) {
				t.Entry = &Endpoint{IP: h.From.IP.Unmap(), Hop: h.Index}
				break
			}
		}
	}
	for i := range t.Hops {
		h := &t.Hops[i]
		if !sender(h) || (i > last && h.Auth == "") {
			continue
		}
		reason := "oldest believable hop with a public sender address"
		if t.Entry != nil && h.Index == t.Entry.Hop {
			reason = "entry: no believable older hop has a public sender address"
		}
		if h.Auth != "" {
			reason += " (authenticated submission)"
		}
		t.Origin = &Endpoint{IP: h.From.IP.Unmap(), Hop: h.Index, Reason: reason}
		break
	}
	if t.Origin == nil && len(t.Hops) > 0 {
		t.addFinding(CodeNoPublicOrigin, Info, 0, "no believable hop records a globally routable sender address")
	}
}

// clientIPHeaders name the headers webmail and submission services use for
// the client's own address, most specific first.
var clientIPHeaders = [...]string{
	"X-Originating-IP", "X-Sender-IP", "X-SenderIP", "X-Yahoo-Post-IP", "X-AOL-IP",
	"X-MS-Exchange-CrossTenant-OriginalAttributedTenantConnectingIp", "X-Source-IP",
	"X-Client-IP", "X-Real-IP", "X-Forwarded-For",
}

// findClientIP returns the first parsable address in a client-IP header.
func findClientIP(x *fieldIndex) *ClientIP {
	for c := range clientIPHeaders {
		k := fieldClientIP + fieldKind(c)
		for i := x.start(k); i < len(x.h); i++ {
			if x.kinds[i] != k {
				continue
			}
			f := x.h[i]
			v := strings.TrimSpace(unfold(f.Value))
			if i := strings.IndexAny(v, ", ;"); i >= 0 {
				v = v[:i]
			}
			v = strings.Trim(v, "[]()<>\"")
			if a, err := netip.ParseAddr(strings.TrimPrefix(strings.ToLower(v), "ipv6:")); err == nil {
				return &ClientIP{IP: a.Unmap().WithZone(""), Header: f.Name}
			}
		}
	}
	return nil
}
