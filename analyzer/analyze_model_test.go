package analyzer

// The functions of this round's changes as they were before it: the
// models FuzzNamesOld and FuzzStagesOld hold the new code to.

import (
	"reflect"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/mailtrace/mailtrace/analyzer/auth"
	"github.com/mailtrace/mailtrace/analyzer/header"
	"github.com/mailtrace/mailtrace/analyzer/internal/mailbox"
	"github.com/mailtrace/mailtrace/analyzer/internal/psl"
	"github.com/mailtrace/mailtrace/analyzer/ipclass"
	"github.com/mailtrace/mailtrace/analyzer/maildate"
	"github.com/mailtrace/mailtrace/analyzer/received"
	"github.com/mailtrace/mailtrace/internal/corpus"
	"github.com/mailtrace/mailtrace/internal/swar"
)

// kindsByLen (classifyFieldOld's) lists the kinds whose (ASCII) name is that many bytes long.
var kindsByLen = func() (m [][]fieldKind) {
	for k := fieldOther + 1; k < numFieldKinds; k++ {
		n := len(fieldNames[k])
		for len(m) <= n {
			m = append(m, nil)
		}
		m[n] = append(m[n], k)
	}
	return m
}()

// classifyFieldOld: every name scanned for bytes from 0x80 up first, then
// strings.EqualFold with the names of its length.
func classifyFieldOld(name string) fieldKind {
	for i := 0; i < len(name); i++ {
		if name[i] >= 0x80 {
			for k := fieldOther + 1; k < numFieldKinds; k++ {
				if strings.EqualFold(name, fieldNames[k]) {
					return k
				}
			}
			return fieldOther
		}
	}
	if len(name) >= len(kindsByLen) {
		return fieldOther
	}
	for _, k := range kindsByLen[len(name)] {
		if strings.EqualFold(name, fieldNames[k]) {
			return k
		}
	}
	return fieldOther
}

// classifyFieldSlot: classifyField before slotLen and foldLen, every name
// that missed its slot's known name scanned for bytes from 0x80 up.
func classifyFieldSlot(name string) fieldKind {
	if name == "" {
		return fieldOther
	}
	if k := kindSlots[nameSlot(name)]; lowerEqual(name, lowerNames[k]) {
		return k
	}
	if isASCII(name) {
		return fieldOther
	}
	for k := fieldOther + 1; k < numFieldKinds; k++ {
		if strings.EqualFold(name, fieldNames[k]) {
			return k
		}
	}
	return fieldOther
}

// peerText is the sender's name in markSuspectsOld's messages, as it was
// before appendPeerText: a string for each part, joined.
func peerText(h *Hop) string {
	var parts [3]string
	n := 0
	if h.From.RDNS != "" {
		parts[n] = strconv.Quote(h.From.RDNS)
		n++
	}
	if h.From.HELO != "" && !strings.EqualFold(h.From.HELO, h.From.RDNS) {
		parts[n] = strconv.Quote(h.From.HELO)
		n++
	}
	if h.From.IP.IsValid() {
		parts[n] = h.From.IP.String()
		n++
	}
	if n == 0 {
		return "an unnamed peer"
	}
	return strings.Join(parts[:n], " ")
}

// hopFindingsOld is hopFindings before its messages were built in a
// buffer: a string for each part, concatenated.
func hopFindingsOld(t *Trace, opts Options) {
	now := opts.Now
	if now.IsZero() {
		now = time.Now()
	}
	for i := range t.Hops {
		h := &t.Hops[i]
		if !h.Parsed {
			t.addFinding(CodeUnparsedHop, Warning, h.Index, "this Received field could not be parsed; its raw text is kept")
		}
		switch {
		case !h.Parsed && h.Date.IsZero():
		case h.Date.IsZero() && h.DateRaw != "":
			t.addFinding(CodeMissingTimestamp, Warning, h.Index, "the date cannot be read: "+strconv.Quote(h.DateRaw))
		case h.Date.IsZero():
			t.addFinding(CodeMissingTimestamp, Warning, h.Index, "no date")
		case sub(h.Date, now) > futureTolerance:
			t.addFinding(CodeFutureTimestamp, Warning, h.Index, "dated "+h.Date.Format(time.RFC3339)+", in the future")
		}
		if h.HasDelay && h.Delay < 0 {
			sev, what := Info, "clock skew"
			if -h.Delay > int64(skewTolerance/time.Second) {
				sev, what = Warning, "clock skew or forgery"
			}
			against := "the Date: header"
			if i > 0 {
				against = "hop " + strconv.Itoa(h.Index-1)
			}
			t.addFinding(CodeNegativeDelay, sev, h.Index, strconv.FormatInt(-h.Delay, 10)+"s earlier than "+against+" ("+what+")")
		}
	}
}

// hostPlainOld: the byte loop.
func hostPlainOld(s string) bool {
	if s == "" || !plainEdge[s[0]] || s[0] == '[' || !plainEdge[s[len(s)-1]] ||
		s[len(s)-1] == ']' || s[len(s)-1] == '.' || strings.HasPrefix(s, "ipv6:") {
		return false
	}
	for i := 0; i < len(s); i++ {
		if !plainByte[s[i]] {
			return false
		}
	}
	return true
}

func newHostNameOld(s string) hostName {
	if hostPlain(s) {
		return hostName{n: s, n2: s}
	}
	n := normHost(s)
	return hostName{n: n, n2: normHost(n)}
}

// newRouteOld: each hop's names built apart and appended.
func newRouteOld(hops []Hop, buf []hopNames, orgs *orgMemo) route {
	r := route{hops: buf[:0], orgs: orgs}
	if len(hops) > cap(buf) {
		r.hops = make([]hopNames, 0, len(hops))
	}
	for i := range hops {
		h := &hops[i]
		r.hops = append(r.hops, hopNames{
			by:   newHostNameOld(h.By.Host),
			rdns: newHostNameOld(h.From.RDNS),
			helo: newHostNameOld(h.From.HELO),
		})
	}
	return r
}

// normOld is orgMemo.norm with the memo looked at after the tests.
func (m *orgMemo) normOld(h string) string {
	if h == "" || strings.IndexByte(h, '.') < 0 || genericHost(h) {
		return ""
	}
	if _, ok := ipclass.ParseAddr(normHost(h)); ok {
		return ""
	}
	for i := range min(m.n, len(m.last)) {
		if m.last[i].host == h {
			return m.last[i].org
		}
	}
	org, _ := psl.EffectiveTLDPlusOne(h) // "" on error
	m.last[m.n%len(m.last)] = struct{ host, org string }{h, org}
	m.n++
	return org
}

func parseHopsOld(x *fieldIndex) []Hop {
	n := x.count[fieldReceived]
	hops := make([]Hop, n)
	i := n
	for j := x.start(fieldReceived); j < len(x.h); j++ {
		if x.kinds[j] != fieldReceived {
			continue
		}
		i--
		hops[i] = Hop{Index: i + 1, Received: received.Parse(x.h[j].Value)}
		if hops[i].Date.IsZero() {
			continue
		}
		hops[i].Date = hops[i].Date.UTC()
	}
	return hops
}

func computeDelaysOld(t *Trace) {
	prev := t.Message.Date
	for i := range t.Hops {
		h := &t.Hops[i]
		if !h.Date.IsZero() && !prev.IsZero() {
			h.Delay = int64(sub(h.Date, prev) / time.Second)
			h.HasDelay = true
		}
		prev = h.Date
	}
	first := t.Message.Date
	var last time.Time
	for _, h := range t.Hops {
		if h.Date.IsZero() {
			continue
		}
		if first.IsZero() {
			first = h.Date
		}
		last = h.Date
	}
	if !first.IsZero() && !last.IsZero() {
		t.TotalDelay = int64(sub(last, first) / time.Second)
		t.HasTotal = true
	}
}

func (t *Trace) lastRecipientOld() int {
	for i, h := range t.Hops {
		if h.Trust == TrustRecipient {
			return i
		}
	}
	return -1
}

// plainMailboxOld: strings.Trim for the blanks, the display text always
// built.
func plainMailboxOld(s string) (string, bool) {
	addr, name, ok := mailbox.Decoded(strings.Trim(s, " \t"), wordDecoder.Decode)
	switch {
	case !ok:
		return "", false
	case name == "":
		return addr, true
	}
	return name + " <" + addr + ">", true
}

// The trust stages as they were before the protocol keyword was classed
// (protoClass): each looked the keyword up as h.Protocol() (memoized per
// hop, which changes nothing), and lastRecipientOld copied each hop.
func (s *side) peerInsideOld(r route, h *Hop, nm *hopNames) (inside, heloClaim bool) {
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
	if retrieval(h.Protocol()) {
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
	if f.RDNS != "" && !genericHost(nm.rdns.n) {
		if s.hasName(r, &nm.rdns) {
			return true, false
		}
		return false, s.hasName(r, &nm.helo)
	}
	return s.hasName(r, &nm.helo), false
}

func walkTrustOld(t *Trace, r route, opts Options) {
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
		inside, claim := s.peerInsideOld(r, h, &r.hops[i])
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

func markSuspectsOld(t *Trace, r route) {
	last := t.lastRecipientOld()
	suspect := false
	for i := last - 1; i >= 0; i-- {
		lower, upper := &t.Hops[i], &t.Hops[i+1]
		if suspect {
			lower.Trust = TrustSuspect
			continue
		}
		if linked, known := chainLinkedOld(r, upper, lower, &r.hops[i+1], &r.hops[i]); known && !linked {
			t.addFinding(CodeChainBreak, Warning, lower.Index, "says it was received by "+strconv.Quote(lower.By.Host)+
				", but hop "+strconv.Itoa(upper.Index)+" above says it came from "+peerText(upper)+
				": this hop and those below it cannot be verified")
			suspect = true
		}
		if !lower.Date.IsZero() && !upper.Date.IsZero() && sub(lower.Date, upper.Date) > skewTolerance {
			// hopFindings reports the negative delay itself on the upper hop.
			lower.Warnings = append(lower.Warnings, "suspect: dated after hop "+strconv.Itoa(upper.Index)+
				" above it, which received the message")
			suspect = true
		}
		if c := ipclass.Of(lower.From.IP); impossible(c) {
			t.addFinding(CodeSpecialAddress, Warning, lower.Index, "claims a sender at "+lower.From.IP.String()+
				", a "+string(c)+" address that cannot send mail on the Internet")
			suspect = true
		}
		if suspect {
			lower.Trust = TrustSuspect
		}
	}
}

func localPeerOld(h *Hop, nm *hopNames) bool {
	if h.Local || h.Protocol() == "LOCAL" {
		return true
	}
	if ip := h.From.IP; ip.IsValid() {
		return ip.Unmap().IsLoopback()
	}
	for _, n := range [...]string{nm.rdns.n, nm.helo.n} {
		if n != "" && !genericHost(n) && strings.IndexByte(n, '.') >= 0 && strings.IndexByte(n, '@') < 0 {
			return false // a real host name
		}
	}
	return true
}

func chainLinkedOld(r route, upper, lower *Hop, un, ln *hopNames) (linked, known bool) {
	if retrieval(upper.Protocol()) {
		return false, false
	}
	if localPeerOld(upper, un) {
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

// unfoldOld: byte by byte.
func unfoldOld(s string) string {
	if strings.IndexByte(s, '\n') < 0 {
		return strings.TrimSpace(s)
	}
	var b strings.Builder
	b.Grow(len(s))
	for i := 0; i < len(s); i++ {
		switch c := s[i]; c {
		case '\r':
		case '\n':
			if b.Len() > 0 && i+1 < len(s) && s[i+1] != ' ' && s[i+1] != '\t' {
				b.WriteByte(' ')
			}
		default:
			b.WriteByte(c)
		}
	}
	return strings.TrimSpace(b.String())
}

// indexFieldsOld: the fields ranged over by value.
func indexFieldsOld(h header.Header, kinds []fieldKind) fieldIndex {
	x := fieldIndex{h: h}
	if len(h) <= cap(kinds) {
		x.kinds = kinds[:len(h)]
	} else {
		x.kinds = make([]fieldKind, len(h))
	}
	for i, f := range h {
		k := classifyField(f.Name)
		x.kinds[i] = k
		if x.first[k] == 0 {
			x.first[k] = i + 1
		}
		x.count[k]++
	}
	return x
}

// isASCIIOld: the tail byte by byte.
func isASCIIOld(s string) bool {
	i := 0
	for ; i+8 <= len(s); i += 8 {
		if swar.Load(s[i:])&swar.Hi != 0 {
			return false
		}
	}
	for ; i < len(s); i++ {
		if s[i] >= 0x80 {
			return false
		}
	}
	return true
}

// summarizeOld: the To fields looked for down to the last field.
func summarizeOld(x *fieldIndex) Summary {
	var s Summary
	s.MessageID = unfold(x.get(fieldMessageID))
	if raw := unfold(x.get(fieldDate)); raw != "" {
		s.DateRaw = raw
		if t, err := maildate.Parse(raw); err == nil {
			s.Date = t.UTC()
		}
	}
	s.From = oneAddress(x.get(fieldFrom))
	for i := x.start(fieldTo); i < len(x.h); i++ {
		if x.kinds[i] != fieldTo {
			continue
		}
		if l := addressList(x.h[i].Value); s.To == nil {
			s.To = l // the first list as it is: most messages have one To
		} else {
			s.To = append(s.To, l...)
		}
	}
	s.Subject = decodeText(x.get(fieldSubject))
	s.ReturnPath = strings.Trim(unfold(x.get(fieldReturnPath)), "<> ")
	s.ReplyTo = oneAddress(x.get(fieldReplyTo))
	return s
}

// checkNames compares the name-level functions with their models on s.
func checkNames(t *testing.T, s string) {
	t.Helper()
	if got, want := hostPlain(s), hostPlainOld(s); got != want {
		t.Fatalf("hostPlain(%q) = %v, model %v", s, got, want)
	}
	if got, want := classifyField(s), classifyFieldOld(s); got != want {
		t.Fatalf("classifyField(%q) = %d, model %d", s, got, want)
	}
	if got, want := classifyField(s), classifyFieldSlot(s); got != want {
		t.Fatalf("classifyField(%q) = %d, slot model %d", s, got, want)
	}
	if d, ok := plainMailbox(s); true {
		if d2, ok2 := plainMailboxOld(s); d != d2 || ok != ok2 {
			t.Fatalf("plainMailbox(%q) = %q, %v; model %q, %v", s, d, ok, d2, ok2)
		}
	}
	hop := Hop{Received: received.Received{With: s}}
	p := hop.Protocol()
	want := protoOther
	switch {
	case retrieval(p):
		want = protoRetrieval
	case p == "LOCAL":
		want = protoLocal
	}
	if got := classifyProto(&hop); got != want {
		t.Fatalf("classifyProto(With %q) = %d, model %d (Protocol %q)", s, got, want, p)
	}
	if got, want := unfold(s), unfoldOld(s); got != want {
		t.Fatalf("unfold(%q) = %q, model %q", s, got, want)
	}
	if got, want := isASCII(s), isASCIIOld(s); got != want {
		t.Fatalf("isASCII(%q) = %v, model %v", s, got, want)
	}
	var h hostName
	h.set(s)
	if want := newHostNameOld(s); h.n != want.n || h.n2 != want.n2 || h.org != want.org || h.orgDone != want.orgDone || h.plain != (h.n2 == s && hostPlain(s)) {
		t.Fatalf("set(%q) = %+v, model %+v", s, h, want)
	}
}

// checkNorm feeds names to a memo and its model in the same order.
func checkNorm(t *testing.T, names []string) {
	t.Helper()
	var m, old orgMemo
	for _, n := range names {
		for _, h := range []string{n, normHost(n)} {
			if got, want := m.norm(h), old.normOld(h); got != want {
				t.Fatalf("norm(%q) = %q, model %q (names %q)", h, got, want, names)
			}
			if hostPlain(h) {
				if got, want := m.normAs(h, true), old.normOld(h); got != want {
					t.Fatalf("normAs(%q, true) = %q, model %q (names %q)", h, got, want, names)
				}
			}
		}
	}
}

// FuzzNamesOld holds the name-level functions to their models on any
// string, and the organisation memo on the string's parts.
func FuzzNamesOld(f *testing.F) {
	for _, s := range []string{"", "mx.example.com", "MX.Example.COM", "[192.0.2.1]", "ipv6:2001:db8::1", "a.b.c.d.e.f.g.h.i",
		"received", "X-Originating-IP", "a\n b\r\n\tc\nd\n", "\n x\r", "x\n", "\r\n\r\n y \n", "pop3", "IMAPS (x)", "local", "ımap", "Local\tx", "(LOCAL)", "esmtps", " \tJo <jo@x.org> \t", "Jo  <jo@x.org>", "\"Jo\" <jo@x.org>", "Jo Doe <jo@x.org>", "Jo <<jo@x.org>", "=?utf-8?q?J=C3=B6?= <j@x.org>", "x-\u017fender-ip", "mail.example.co.uk.", " a.b ", "abcdefgh", "abcdefg.", "localhost",
		"mx1.example.com mx2.example.com mx1.example.com 10.0.0.1 mx.other.org MX1.EXAMPLE.COM"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		checkNames(t, s)
		checkNorm(t, strings.Fields(s))
	})
}

// FuzzStagesOld holds the message-level stages to their models on any
// header section: the field kinds, the hops, their names, the delays and
// the lowest recipient hop.
func FuzzStagesOld(f *testing.F) {
	for _, s := range corpus.Messages(f) {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, raw []byte) {
		h, _ := header.Parse(raw)
		x := indexFields(h, nil)
		if old := indexFieldsOld(h, nil); !reflect.DeepEqual(x, old) {
			t.Fatalf("indexFields:\n%+v\nmodel:\n%+v", x, old)
		}
		var small [4]fieldKind
		if x, old := indexFields(h, small[:0]), indexFieldsOld(h, make([]fieldKind, 0, 4)); !reflect.DeepEqual(x, old) {
			t.Fatalf("indexFields in a buffer:\n%+v\nmodel:\n%+v", x, old)
		}
		if got, want := summarize(&x, new(auth.Mailbox)), summarizeOld(&x); !reflect.DeepEqual(got, want) {
			t.Fatalf("summarize:\n%+v\nmodel:\n%+v", got, want)
		}
		var names []string
		for _, fl := range h {
			checkNames(t, fl.Name)
		}
		hops, want := parseHops(&x, nil), parseHopsOld(&x)
		if !reflect.DeepEqual(hops, want) {
			t.Fatalf("parseHops:\n%+v\nmodel:\n%+v", hops, want)
		}
		for i := range hops {
			names = append(names, hops[i].By.Host, hops[i].From.RDNS, hops[i].From.HELO)
		}
		for _, n := range names {
			checkNames(t, n)
		}
		checkNorm(t, names)
		var buf, oldBuf [4]hopNames
		var orgs, oldOrgs orgMemo
		r, old := newRoute(hops, buf[:0], &orgs), newRouteOld(hops, oldBuf[:0], &oldOrgs)
		for i := range r.hops {
			// plain is new: it says the name as recorded is plain; raw
			// and done are newer: the names are worked out when looked
			// at (here, all of them).
			nm := &r.hops[i]
			for _, c := range []struct {
				h *hostName
				s string
			}{{&nm.by, hops[i].By.Host}, {&nm.rdns, hops[i].From.RDNS}, {&nm.helo, hops[i].From.HELO}} {
				if c.h.raw != c.s || c.h.done {
					t.Fatalf("raw %q, done %v for %q", c.h.raw, c.h.done, c.s)
				}
				c.h.names()
				if c.h.plain != (c.s != "" && hostPlain(c.s)) {
					t.Fatalf("plain %v for %q", c.h.plain, c.s)
				}
				c.h.plain, c.h.raw, c.h.done = false, "", false
			}
		}
		if !reflect.DeepEqual(r.hops, old.hops) {
			t.Fatalf("newRoute:\n%+v\nmodel:\n%+v", r.hops, old.hops)
		}
		opts := Options{Now: time.Date(2025, 6, 1, 0, 0, 0, 0, time.UTC)}
		tr := Analyze(raw, opts)
		a, b := *tr, *tr
		a.Hops, b.Hops = slices0(tr.Hops), slices0(tr.Hops)
		for i := range a.Hops {
			a.Hops[i].Delay, a.Hops[i].HasDelay = 0, false
			b.Hops[i].Delay, b.Hops[i].HasDelay = 0, false
		}
		a.TotalDelay, a.HasTotal, b.TotalDelay, b.HasTotal = 0, false, 0, false
		computeDelays(&a)
		computeDelaysOld(&b)
		if !reflect.DeepEqual(a, b) {
			t.Fatalf("computeDelays:\n%+v\nmodel:\n%+v", a, b)
		}
		for _, now := range []time.Time{opts.Now, time.Date(1990, 1, 1, 0, 0, 0, 0, time.UTC)} {
			a, b := &Trace{Hops: slices0(tr.Hops)}, &Trace{Hops: slices0(tr.Hops)}
			hopFindings(a, Options{Now: now})
			hopFindingsOld(b, Options{Now: now})
			if !reflect.DeepEqual(a.Findings, b.Findings) {
				t.Fatalf("hopFindings:\n%+v\nmodel:\n%+v", a.Findings, b.Findings)
			}
		}
		if got, want := tr.lastRecipient(), tr.lastRecipientOld(); got != want {
			t.Fatalf("lastRecipient = %d, model %d", got, want)
		}
		// The trust stages on the hops as parsed, and with the domains
		// of their names trusted.
		for _, opts := range []Options{{}, {TrustDomains: names}} {
			got, old := &Trace{Hops: slices0(hops)}, &Trace{Hops: slices0(hops)}
			r, rOld := newRoute(got.Hops, nil, new(orgMemo)), newRouteOld(old.Hops, nil, new(orgMemo))
			walkTrust(got, r, opts)
			markSuspects(got, r)
			walkTrustOld(old, rOld, opts)
			markSuspectsOld(old, rOld)
			if !reflect.DeepEqual(got, old) {
				t.Fatalf("trust stages:\n%+v\nmodel:\n%+v", got, old)
			}
		}
	})
}

func slices0(h []Hop) []Hop { return append([]Hop(nil), h...) }
