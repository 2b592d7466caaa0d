package analyzer

import (
	"net/netip"
	"strconv"
	"strings"

	"github.com/mailtrace/mailtrace/analyzer/internal/psl"
	"github.com/mailtrace/mailtrace/analyzer/ipclass"
	"github.com/mailtrace/mailtrace/internal/swar"
)

// normHost lower-cases a host name and strips a trailing dot and brackets.
// Most names are written that way already: hostPlain answers for them
// without a copy or a second scan (FuzzNormHost holds it to normHostModel).
func normHost(s string) string {
	if hostPlain(s) {
		return s
	}
	s = strings.ToLower(strings.TrimSpace(s))
	s = strings.TrimPrefix(strings.TrimSuffix(s, "]"), "[")
	s = strings.TrimPrefix(s, "ipv6:")
	return strings.TrimSuffix(s, ".")
}

// hostPlain reports a non-empty name that normHost leaves as it is: ASCII
// without capitals, nothing to trim at either end, no "ipv6:" prefix.
// The inside is read eight bytes at a time (a message's names are three
// per hop, each read again for its organisation); FuzzNamesOld holds it to
// hostPlainOld, the byte loop.
func hostPlain(s string) bool {
	n := len(s)
	if n == 0 || !plainFirst[s[0]] || !plainLast[s[n-1]] || s[0] == 'i' && strings.HasPrefix(s, "ipv6:") {
		return false
	}
	if n < 8 {
		for i := 0; i < n; i++ {
			if !plainByte[s[i]] {
				return false
			}
		}
		return true
	}
	// Whole words, the last one ending at the end (it may overlap the one
	// before): no byte loop for the tail.
	for i := 0; i < n-8; i += 8 {
		if !plainWord(swar.Load(s[i:])) {
			return false
		}
	}
	return plainWord(swar.Load(s[n-8:]))
}

// plainWord reports eight bytes that are all plainByte.
func plainWord(w uint64) bool { return w&swar.Hi == 0 && capitals(w) == 0 }

// capitals has the high bit set in each byte of w that is 'A' to 'Z', for
// w of ASCII bytes: adding 0x80-'A' sets a byte's high bit from 'A' up,
// adding 0x80-'Z'-1 from past 'Z', and neither carries out of a byte
// below 0x80.
func capitals(w uint64) uint64 {
	return (w + (0x80-'A')*swar.Lo) &^ (w + (0x80-'Z'-1)*swar.Lo) & swar.Hi
}

// plainByte holds the bytes strings.ToLower keeps (ASCII but capitals);
// plainEdge those of them strings.TrimSpace keeps at an end as well;
// plainFirst and plainLast those of them normHost keeps as a name's
// first byte (no '[') and its last (no ']' or '.').
var plainByte, plainEdge, plainFirst, plainLast = func() (in, edge, first, last [256]bool) {
	for c := range 0x80 {
		in[c] = c < 'A' || c > 'Z'
		edge[c] = in[c] && !strings.ContainsRune("\t\n\v\f\r ", rune(c))
		first[c] = edge[c] && c != '['
		last[c] = edge[c] && c != ']' && c != '.'
	}
	return in, edge, first, last
}()

// genericHost reports names that identify no particular host.
func genericHost(s string) bool {
	switch s {
	case "", "localhost", "localhost.localdomain", "localhost6", "ip6-localhost", "unknown", "local", "localhost.local", "user", "helo":
		return true
	}
	return false
}

// hostName is one host name of a hop, normalized once: the trust walk and
// the chain checks look at each name several times, and the names of
// Microsoft's relays, written in capitals, cost a copy at every look. It
// is normalized at the first look (names): the stages never look at a
// good part of a message's names (the oldest hop's peer, the recipient
// side's relays but the top one, the hops below a suspect one).
type hostName struct {
	raw     string // the name as recorded
	n       string // normHost of the name as recorded, once done
	n2      string // normHost(n): what an address or organisation is read from
	org     string // the organisation of n, once orgDone
	done    bool   // n, n2 and plain are set
	orgDone bool
	plain   bool // n2 is the name as recorded, which normHost leaves as it is
}

// names returns h with its names worked out.
func (h *hostName) names() *hostName {
	if !h.done {
		h.set(h.raw)
		h.done = true
	}
	return h
}

// set fills a zero hostName with the names of s: s itself when normHost
// would leave it as it is, else normHost(s) and normHost of that.
func (h *hostName) set(s string) {
	switch {
	case s == "": // no RDNS or HELO recorded: normHost has nothing to do
	case hostPlain(s):
		h.n, h.n2, h.plain = s, s, true
	default:
		h.n = normHost(s)
		h.n2 = normHost(h.n)
	}
}

// addr returns the address the name holds when it is an address literal.
func (h *hostName) addr() (netip.Addr, bool) {
	a, ok := ipclass.ParseAddr(h.names().n2)
	return a.Unmap(), ok
}

// hopNames holds a hop's names and protocol keyword, worked out once.
type hopNames struct {
	by, rdns, helo hostName
	proto          protoClass // what Received.Protocol() says, once known
}

// protoClass is what the trust stages ask of a hop's protocol keyword
// (Received.Protocol()): whether it records a retrieval, or is LOCAL.
type protoClass uint8

const (
	protoUnknown   protoClass = iota // not worked out yet
	protoOther                       // neither
	protoRetrieval                   // retrieval(Protocol())
	protoLocal                       // Protocol() == "LOCAL"
)

// protocol classes h.Protocol(), worked out at the first call: the top
// hop and the lowest seldom need it.
func (nm *hopNames) protocol(h *Hop) protoClass {
	if nm.proto == protoUnknown {
		nm.proto = classifyProto(h)
	}
	return nm.proto
}

// classifyProto classes h.Protocol(). Protocol upper-cases the first word
// of With, so only a word that starts with p, i or l in either case, or
// with a byte from 0x80 up (strings.ToUpper makes U+0131 ı an I), can come
// out as one of the keywords asked about: the rest (ESMTP, SMTP, HTTP,
// "Microsoft SMTP Server"...) are spared Protocol's scan and its keyword
// table.
// FuzzNamesOld holds it to Protocol itself.
func classifyProto(h *Hop) protoClass {
	if w := h.With; w == "" || w[0] < 0x80 && w[0]|0x20 != 'p' && w[0]|0x20 != 'i' && w[0]|0x20 != 'l' {
		return protoOther
	}
	switch p := h.Protocol(); {
	case retrieval(p):
		return protoRetrieval
	case p == "LOCAL":
		return protoLocal
	}
	return protoOther
}

// route is the per-message state of the trust stages: each hop's names,
// and the organisations looked up. It goes by value: the hops' array can
// then stay on Analyze's stack.
type route struct {
	hops []hopNames // parallel to Trace.Hops
	orgs *orgMemo
}

// newRoute gives the hops' names, to be worked out when looked at, in
// buf's storage (zero) when it has room.
func newRoute(hops []Hop, buf []hopNames, orgs *orgMemo) route {
	r := route{hops: buf[:0], orgs: orgs}
	if len(hops) > cap(buf) {
		r.hops = make([]hopNames, 0, len(hops))
	}
	// The names are set in place: buf's storage and make's are zeroed,
	// and a hopNames built apart would be copied in whole.
	r.hops = r.hops[:len(hops)]
	for i := range hops {
		h, nm := &hops[i], &r.hops[i]
		nm.by.raw, nm.rdns.raw, nm.helo.raw = h.By.Host, h.From.RDNS, h.From.HELO
	}
	return r
}

// orgMemo remembers the last few organisations looked up for a message:
// a relay's name comes back as the peer of the hop above it, and a slice
// searched in order beats the shared memo's hashing for so few names.
type orgMemo struct {
	last [8]struct{ host, org string }
	n    int // answers stored so far; the next goes to last[n%len(last)]
}

// of is orgOf(h.n), computed once.
func (m *orgMemo) of(h *hostName) string {
	if !h.orgDone {
		m.set(h) // apart: of stays small enough to be inlined
	}
	return h.org
}

// set works out h's organisation.
func (m *orgMemo) set(h *hostName) {
	h.names()
	h.org, h.orgDone = m.normAs(h.n2, h.plain), true
}

// raw is orgOf of the name as recorded.
func (m *orgMemo) raw(h *hostName) string {
	if h.names(); h.n2 == h.n {
		return m.of(h)
	}
	return m.norm(h.n)
}

// norm is the registrable domain (Public Suffix List eTLD+1) of a host
// name normHost has returned, "" for address literals, single labels and
// public suffixes.
func (m *orgMemo) norm(h string) string { return m.normAs(h, false) }

// normAs is norm(h), where plain says that normHost(h) is h (hostPlain):
// the address test below then spares normHost's check of every byte.
func (m *orgMemo) normAs(h string, plain bool) string {
	// The memo first: it holds only names that passed the tests below,
	// and the relay names that come back pass them all.
	for i := range min(m.n, len(m.last)) {
		if m.last[i].host == h {
			return m.last[i].org
		}
	}
	if h == "" || strings.IndexByte(h, '.') < 0 || genericHost(h) {
		return ""
	}
	a := h
	if !plain {
		a = normHost(h)
	}
	if _, ok := ipclass.ParseAddr(a); ok {
		return ""
	}
	org, _ := psl.EffectiveTLDPlusOne(h) // "" on error
	m.last[m.n%len(m.last)] = struct{ host, org string }{h, org}
	m.n++
	return org
}

// side describes the recipient's infrastructure.
type side struct {
	org     string
	nets    []netip.Prefix
	domains []string // normalized
}

func (s *side) hasName(r route, h *hostName) bool {
	n := h.names().n
	if n == "" || genericHost(n) {
		return false
	}
	for _, d := range s.domains {
		// n == d or n ends in "." + d
		if strings.HasSuffix(n, d) && (len(n) == len(d) || n[len(n)-len(d)-1] == '.') {
			return true
		}
	}
	return s.org != "" && r.orgs.of(h) == s.org
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
func (s *side) peerInside(r route, h *Hop, nm *hopNames) (inside, heloClaim bool) {
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
	if nm.protocol(h) == protoRetrieval {
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
	if f.RDNS != "" && !genericHost(nm.rdns.names().n) {
		if s.hasName(r, &nm.rdns) {
			return true, false
		}
		return false, s.hasName(r, &nm.helo)
	}
	return s.hasName(r, &nm.helo), false
}

// walkTrust marks the recipient's hops by walking down from the top while
// each hop's peer is on the recipient's side; every hop below is external.
func walkTrust(t *Trace, r route, opts Options) {
	n := len(t.Hops)
	if n == 0 {
		return
	}
	s := side{nets: opts.TrustNets}
	if len(opts.TrustDomains) > 0 {
		s.domains = make([]string, len(opts.TrustDomains))
		for i, d := range opts.TrustDomains {
			s.domains[i] = normHost(d)
		}
	}
	for i := n - 1; i >= 0; i-- {
		if s.org = r.orgs.raw(&r.hops[i].by); s.org != "" {
			break
		}
	}
	t.Recipient = s.org
	last := 0
	for i := n - 1; i >= 0; i-- {
		h := &t.Hops[i]
		h.Trust = TrustRecipient
		last = i
		inside, claim := s.peerInside(r, h, &r.hops[i])
		if claim {
			t.addFinding(CodeHELOMismatch, Warning, h.Index, "the sender said HELO "+strconv.Quote(h.From.HELO)+
				", a name of the recipient's organisation, but its address "+addrOrUnknown(h.From.IP)+
				" resolves to "+strconv.Quote(h.From.RDNS))
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
	for i := range t.Hops { // by index: a Hop is a few hundred bytes to copy
		if t.Hops[i].Trust == TrustRecipient {
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
// suspect too. The messages are built as fmt would print them (%q as
// strconv.Quote, %d as strconv.Itoa), in a buffer on the stack made a
// string once, without boxing the arguments or a string for each part.
func markSuspects(t *Trace, r route) {
	last := t.lastRecipient()
	suspect := false
	var buf [256]byte // most messages' room
	for i := last - 1; i >= 0; i-- {
		lower, upper := &t.Hops[i], &t.Hops[i+1]
		if suspect {
			lower.Trust = TrustSuspect
			continue
		}
		if linked, known := chainLinked(r, upper, lower, &r.hops[i+1], &r.hops[i]); known && !linked {
			t.addFinding(CodeChainBreak, Warning, lower.Index, string(appendChainBreak(buf[:0], lower, upper)))
			suspect = true
		}
		if !lower.Date.IsZero() && !upper.Date.IsZero() && sub(lower.Date, upper.Date) > skewTolerance {
			// hopFindings reports the negative delay itself on the upper hop.
			lower.Warnings = append(lower.Warnings, "suspect: dated after hop "+strconv.Itoa(upper.Index)+
				" above it, which received the message")
			suspect = true
		}
		if c := ipclass.Of(lower.From.IP); impossible(c) {
			b := append(buf[:0], "claims a sender at "...)
			b = appendAddrString(b, lower.From.IP)
			b = append(b, ", a "...)
			b = append(b, c...)
			b = append(b, " address that cannot send mail on the Internet"...)
			t.addFinding(CodeSpecialAddress, Warning, lower.Index, string(b))
			suspect = true
		}
		if suspect {
			lower.Trust = TrustSuspect
		}
	}
}

// appendChainBreak appends the message of a chain break between lower
// and the hop above it.
func appendChainBreak(b []byte, lower, upper *Hop) []byte {
	b = append(b, "says it was received by "...)
	b = strconv.AppendQuote(b, lower.By.Host)
	b = append(b, ", but hop "...)
	b = strconv.AppendInt(b, int64(upper.Index), 10)
	b = append(b, " above says it came from "...)
	b = appendPeerText(b, upper)
	return append(b, ": this hop and those below it cannot be verified"...)
}

// appendAddrString appends a.String().
func appendAddrString(b []byte, a netip.Addr) []byte {
	if !a.IsValid() {
		return append(b, "invalid IP"...) // as String; AppendTo appends nothing
	}
	return a.AppendTo(b)
}

// appendPeerText appends the name of a hop's sender for messages: its
// names, each once, and its address, a space between each two (each is
// non-empty); "an unnamed peer" when it has none.
func appendPeerText(b []byte, h *Hop) []byte {
	start := len(b)
	if h.From.RDNS != "" {
		b = strconv.AppendQuote(b, h.From.RDNS)
	}
	if h.From.HELO != "" && !strings.EqualFold(h.From.HELO, h.From.RDNS) {
		if len(b) > start {
			b = append(b, ' ')
		}
		b = strconv.AppendQuote(b, h.From.HELO)
	}
	if h.From.IP.IsValid() {
		if len(b) > start {
			b = append(b, ' ')
		}
		b = h.From.IP.AppendTo(b)
	}
	if len(b) == start {
		b = append(b, "an unnamed peer"...)
	}
	return b
}

// retrieval reports a hop whose protocol keyword records a mailbox being
// collected (POP3 or IMAP, as fetchmail writes) rather than an SMTP relay.
func retrieval(proto string) bool {
	switch proto {
	case "POP3", "POP", "IMAP", "IMAP4", "POP3S", "IMAPS":
		return true
	}
	return false
}

// localPeer reports a hop whose peer is on the same host: a local pickup,
// a re-injection from a content filter over loopback, or a local user
// ("from jm@localhost", "from foka ... with local").
func localPeer(h *Hop, nm *hopNames) bool {
	if h.Local || nm.protocol(h) == protoLocal {
		return true
	}
	if ip := h.From.IP; ip.IsValid() {
		return ip.Unmap().IsLoopback()
	}
	for _, n := range [...]string{nm.rdns.names().n, nm.helo.names().n} {
		if n != "" && !genericHost(n) && strings.IndexByte(n, '.') >= 0 && strings.IndexByte(n, '@') < 0 {
			return false // a real host name
		}
	}
	return true
}

// sameHost compares two `by` hosts by name, first label or organisation;
// known is false when either names nothing.
func sameHost(r route, a, b *hostName) (same, known bool) {
	a, b = a.names(), b.names()
	if genericHost(a.n) || genericHost(b.n) {
		return false, false
	}
	if a.n == b.n || firstLabel(a.n) == firstLabel(b.n) {
		return true, true
	}
	if oa := r.orgs.of(a); oa != "" && oa == r.orgs.of(b) {
		return true, true
	}
	// A dotless name ("IMSVA", "0") is a label, not a host others know.
	return false, strings.IndexByte(a.n, '.') >= 0 && strings.IndexByte(b.n, '.') >= 0
}

// chainLinked compares the `from` of the upper hop with the `by` of the hop
// below it. When the upper hop's peer is local (a re-injection on the same
// host), the chain goes on through that host: the lower hop must have been
// received by the same `by`. A mailbox retrieval proves nothing either way. known is false when either side names nothing comparable
// (no DNS is consulted, so a bare address against a bare name proves nothing).
func chainLinked(r route, upper, lower *Hop, un, ln *hopNames) (linked, known bool) {
	if un.protocol(upper) == protoRetrieval {
		return false, false
	}
	if localPeer(upper, un) {
		if same, known := sameHost(r, &un.by, &ln.by); same || !known {
			return same, known
		}
		// A filter re-injecting over loopback may name the host it runs on.
		if linked, _ := peerMatchesBy(r, upper, lower, un, ln); linked {
			return true, true
		}
		return false, true
	}
	return peerMatchesBy(r, upper, lower, un, ln)
}

// peerMatchesBy compares the upper hop's recorded peer (names and address)
// with the lower hop's `by`.
func peerMatchesBy(r route, upper, lower *Hop, un, ln *hopNames) (linked, known bool) {
	byName := ln.by.names()
	byHost := byName.n
	byIP := lower.By.IP
	if a, ok := byName.addr(); ok {
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
	var names [2]*hostName
	nNames := 0
	for _, nm := range [...]*hostName{un.rdns.names(), un.helo.names()} {
		if nm.n != "" && !genericHost(nm.n) {
			if _, isAddr := nm.addr(); !isAddr {
				names[nNames] = nm
				nNames++
			}
		}
	}
	if byHost == "" || nNames == 0 {
		// Address against address: only two public addresses that differ
		// are a known break (private ones may be NAT).
		if byHost == "" && byIP.IsValid() && upper.From.IP.IsValid() &&
			ipclass.IsPublic(byIP) && ipclass.IsPublic(upper.From.IP) {
			return false, true
		}
		return false, false
	}
	byOrg, byLabel := r.orgs.of(byName), firstLabel(byHost)
	for _, nm := range names[:nNames] {
		if nm.n == byHost || firstLabel(nm.n) == byLabel || (byOrg != "" && r.orgs.of(nm) == byOrg) {
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
// it can be the origin. Entry and origin point into eps.
func chooseEndpoints(t *Trace, eps *[2]Endpoint) {
	last := t.lastRecipient()
	if last < 0 {
		return
	}
	sender := func(h *Hop) bool {
		return h.Trust != TrustSuspect && (!h.PeerInside || h.Auth != "") && ipclass.IsPublic(h.From.IP)
	}
	if h := &t.Hops[last]; sender(h) {
		eps[0] = Endpoint{IP: h.From.IP.Unmap(), Hop: h.Index}
		t.Entry = &eps[0]
	} else if h.PeerInside {
		// The walk reached the bottom: the lowest authenticated client, if any.
		for i := 0; i < len(t.Hops) && t.Hops[i].Trust == TrustRecipient; i++ {
			if h := &t.Hops[i]; h.Auth != "" && sender(h) {
				eps[0] = Endpoint{IP: h.From.IP.Unmap(), Hop: h.Index}
				t.Entry = &eps[0]
				break
			}
		}
	}
	for i := range t.Hops {
		h := &t.Hops[i]
		if !sender(h) || (i > last && h.Auth == "") {
			continue
		}
		entry := t.Entry != nil && h.Index == t.Entry.Hop
		var reason string
		switch {
		case entry && h.Auth != "":
			reason = "entry: no believable older hop has a public sender address (authenticated submission)"
		case entry:
			reason = "entry: no believable older hop has a public sender address"
		case h.Auth != "":
			reason = "oldest believable hop with a public sender address (authenticated submission)"
		default:
			reason = "oldest believable hop with a public sender address"
		}
		eps[1] = Endpoint{IP: h.From.IP.Unmap(), Hop: h.Index, Reason: reason}
		t.Origin = &eps[1]
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
