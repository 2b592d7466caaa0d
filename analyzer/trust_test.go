package analyzer

import (
	"net/netip"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/mailtrace/mailtrace/analyzer/header"
	"github.com/mailtrace/mailtrace/analyzer/received"
)

// mk builds a parsed hop: "helo|rdns|ip > by @ time" with empty parts allowed.
func mk(spec string) Hop {
	var r received.Received
	r.Parsed = true
	left, right, _ := strings.Cut(spec, ">")
	right, when, _ := strings.Cut(right, "@")
	p := strings.Split(strings.TrimSpace(left), "|")
	for len(p) < 3 {
		p = append(p, "")
	}
	r.From.HELO, r.From.RDNS = p[0], p[1]
	if p[2] != "" {
		r.From.IP = netip.MustParseAddr(p[2])
	}
	r.By.Host = strings.TrimSpace(right)
	if w := strings.TrimSpace(when); w != "" {
		r.Date = mustTime(w)
	}
	r.Raw = spec
	return Hop{Received: r}
}

func mustTime(s string) time.Time {
	t, err := time.Parse(time.RFC3339, s)
	if err != nil {
		panic(err)
	}
	return t
}

// trace runs the route stages on hops given oldest first.
func trace(opts Options, hops ...Hop) *Trace {
	t := &Trace{Hops: hops}
	for i := range t.Hops {
		t.Hops[i].Index = i + 1
	}
	computeDelays(t)
	r := newRoute(t.Hops, nil, new(orgMemo))
	walkTrust(t, r, opts)
	markSuspects(t, r)
	chooseEndpoints(t, new([2]Endpoint))
	hopFindings(t, Options{Now: mustTime("2026-11-25T00:00:00Z")})
	return t
}

func trusts(t *Trace) string {
	var b strings.Builder
	for _, h := range t.Hops {
		b.WriteByte(string(h.Trust)[0]) // r, e, s
	}
	return b.String()
}

func ep(e *Endpoint) string {
	if e == nil {
		return "-"
	}
	return e.IP.String()
}

func codes(t *Trace) []string {
	var out []string
	for _, f := range t.Findings {
		out = append(out, f.Code)
	}
	return out
}

func TestTrustWalk(t *testing.T) {
	test := func(name string, opts Options, wantTrust, wantEntry, wantOrigin string, wantCodes []string, hops ...Hop) {
		t.Helper()
		tr := trace(opts, hops...)
		if got := trusts(tr); got != wantTrust {
			t.Errorf("%s: trust %s, want %s", name, got, wantTrust)
		}
		if got := ep(tr.Entry); got != wantEntry {
			t.Errorf("%s: entry %s, want %s", name, got, wantEntry)
		}
		if got := ep(tr.Origin); got != wantOrigin {
			t.Errorf("%s: origin %s, want %s", name, got, wantOrigin)
		}
		for _, c := range wantCodes {
			if !slices.Contains(codes(tr), c) {
				t.Errorf("%s: findings %v lack %s", name, codes(tr), c)
			}
		}
	}
	none := Options{}

	// The sample's shape: client -> sender's MSA -> recipient MX -> filter -> LMTP.
	test("submission then relay", none, "errr", "200.57.141.161", "62.239.237.1", nil,
		mk("[192.168.1.20]||62.239.237.1 > mail.shop.example.net"),
		mk("mail.shop.example.net|mail.shop.example.net|200.57.141.161 > mx1.example.com"),
		mk("localhost|localhost|127.0.0.1 > mx1.example.com"),
		mk("mx1.example.com||10.0.0.25 > imap.example.com"))

	// Private sender hops below stay external; origin is then the entry.
	test("sender's private hops", none, "err", "200.57.141.161", "200.57.141.161", nil,
		mk("ws1||10.9.8.7 > mail.shop.example.net"),
		mk("mail.shop.example.net|mail.shop.example.net|200.57.141.161 > mx1.example.com"),
		mk("mx1.example.com||10.0.0.25 > imap.example.com"))

	// Entirely internal: the walk reaches the bottom; nothing public.
	test("internal only", none, "rr", "-", "-", []string{CodeNoPublicOrigin},
		mk("ws1||10.1.1.1 > mx.corp.example.com"),
		mk("mx.corp.example.com||10.0.0.25 > imap.corp.example.com"))

	// A host of the organisation by its reverse name is inside.
	test("org relay by rdns", none, "rr", "62.239.237.1", "62.239.237.1", nil,
		mk("sender.example.net|sender.example.net|62.239.237.1 > mx2.example.com"),
		mk("mx2.example.com|mx2.example.com|74.125.225.229 > mx1.example.com"))

	// A HELO that claims the organisation while rDNS says otherwise is outside.
	test("helo claim", none, "r", "62.239.237.1", "62.239.237.1", []string{CodeHELOMismatch},
		mk("mx9.example.com|dsl-1.isp.example.net|62.239.237.1 > mx1.example.com"))

	// --trust names a public relay as our own.
	tn := Options{TrustNets: []netip.Prefix{netip.MustParsePrefix("74.125.225.0/24")}}
	test("trust net", tn, "rr", "62.239.237.1", "62.239.237.1", nil,
		mk("a.example.net||62.239.237.1 > relay.partner.example.org"),
		mk("relay.partner.example.org||74.125.225.229 > mx1.example.com"))
	td := Options{TrustDomains: []string{"partner.example.org"}}
	test("trust domain", td, "rr", "62.239.237.1", "62.239.237.1", nil,
		mk("a.example.net||62.239.237.1 > relay.partner.example.org"),
		mk("relay.partner.example.org|relay.partner.example.org|74.125.225.229 > mx1.example.com"))

	// Forged hops below a chain break are suspect; the origin is the entry.
	test("chain break", none, "ssr", "62.239.237.1", "62.239.237.1", []string{CodeChainBreak},
		mk("[10.9.8.7]||10.9.8.7 > mail.bank.test"),
		mk("mail.bank.test|mail.bank.test|200.57.141.161 > mx.victim.test"),
		mk("dsl.forger-isp.test||62.239.237.1 > mx1.example.com"))

	// A hop dated after the believed hop above it is suspect.
	test("time backwards", none, "sr", "200.57.141.161", "200.57.141.161", nil,
		mk("c||62.239.237.1 > mail.shop.example.net @ 2026-11-24T12:00:00Z"),
		mk("mail.shop.example.net|mail.shop.example.net|200.57.141.161 > mx1.example.com @ 2026-11-24T09:00:00Z"))
	tr := trace(none,
		mk("c||62.239.237.1 > mail.shop.example.net @ 2026-11-24T12:00:00Z"),
		mk("mail.shop.example.net|mail.shop.example.net|200.57.141.161 > mx1.example.com @ 2026-11-24T09:00:00Z"))
	if tr.Hops[0].Trust != TrustSuspect {
		t.Errorf("time backwards: hop 1 is %s, want suspect", tr.Hops[0].Trust)
	}

	// An address that cannot send mail makes its hop suspect.
	test("documentation address", none, "sr", "200.57.141.161", "200.57.141.161", []string{CodeSpecialAddress},
		mk("mail.bank.example.org||192.0.2.7 > mail.shop.example.net"),
		mk("mail.shop.example.net|mail.shop.example.net|200.57.141.161 > mx1.example.com"))

	// An authenticated client is inside: the walk goes on below it...
	auth := mk("mail.ietf.example.org||62.239.237.1 > localhost")
	auth.Auth = "ESMTPA"
	test("authenticated relay", none, "rrr", "200.57.141.161", "200.57.141.161", nil,
		mk("mail.example.org||200.57.141.161 > localhost"), auth,
		mk("localhost||127.0.0.1 > ietfa.amsl.example.com"))
	// ...and when nothing lies below it, it is the entry and the origin.
	sub := mk("[192.168.1.20]||62.239.237.1 > mail.example.com")
	sub.Auth = "esmtpsa"
	test("internal submission", none, "rr", "62.239.237.1", "62.239.237.1", nil,
		sub, mk("mail.example.com||10.0.0.25 > imap.example.com"))

	// Chain rules that legitimate mail needs (seen in the conformance
	// messages): a local re-injection continues through its `by` host...
	relocal := mk("foka > master.debian.example.org")
	relocal.With = "local"
	test("local re-injection", none, "eeer", "65.125.64.135", "202.145.134.6", nil,
		mk("x.example.net||202.145.134.6 > master.debian.example.org"), relocal,
		mk("master.debian.example.org|master.debian.example.org|65.125.64.134 > murphy.debian.example.org"),
		mk("murphy.debian.example.org|murphy.debian.example.org|65.125.64.135 > mx.example.com"))
	// ...a dotless `by` (a product label) proves nothing...
	test("dotless by", none, "eer", "200.57.141.161", "62.239.237.1", nil,
		mk("d06av25.portsmouth.example.org||62.239.237.1 > IMSVA"),
		mk("d06av25.portsmouth.example.org||62.239.237.2 > smtp.example.org"),
		mk("smtp.example.org|smtp.example.org|200.57.141.161 > mx.example.com"))
	// ...and a mailbox retrieval (fetchmail) is the user's own mailbox server.
	fetch := mk("pop.mailbox.example.net||207.115.63.84 > localhost")
	fetch.With = "POP3"
	test("retrieval", none, "rrr", "64.49.198.145", "64.49.198.145", nil,
		mk("mail1.sender.example.org||64.49.198.145 > vm4.mailbox.example.net"), fetch,
		mk("localhost||127.0.0.1 > laptop.example.com"))

	// A local pickup (no peer) continues the walk.
	local := mk("> mx1.example.com")
	local.Local = true
	test("local pickup", none, "rrr", "62.239.237.1", "62.239.237.1", nil,
		mk("x.example.net||62.239.237.1 > mx1.example.com"), local,
		mk("mx1.example.com||127.0.0.1 > mx1.example.com"))
}

func TestDelays(t *testing.T) {
	tr := &Trace{Message: Summary{Date: mustTime("2026-11-24T09:00:00Z")}, Hops: []Hop{
		mk("a||62.239.237.1 > b @ 2026-11-24T09:00:05Z"),
		mk("b||62.239.237.2 > c @ 2026-11-24T08:59:00Z"),
		mk("c||62.239.237.3 > d"),
		mk("d||62.239.237.4 > e @ 2026-11-24T09:10:00Z"),
	}}
	for i := range tr.Hops {
		tr.Hops[i].Index = i + 1
	}
	computeDelays(tr)
	want := []struct {
		d  int64
		ok bool
	}{{5, true}, {-65, true}, {0, false}, {0, false}}
	for i, w := range want {
		h := tr.Hops[i]
		if h.HasDelay != w.ok || h.Delay != w.d {
			t.Errorf("hop %d delay %d/%v, want %d/%v", i+1, h.Delay, h.HasDelay, w.d, w.ok)
		}
	}
	if !tr.HasTotal || tr.TotalDelay != 600 {
		t.Errorf("total %d/%v, want 600", tr.TotalDelay, tr.HasTotal)
	}
	hopFindings(tr, Options{Now: mustTime("2026-11-25T00:00:00Z")})
	if !slices.Contains(codes(tr), CodeNegativeDelay) || !slices.Contains(codes(tr), CodeMissingTimestamp) {
		t.Errorf("findings %v", codes(tr))
	}
	future := &Trace{Hops: []Hop{mk("a||62.239.237.1 > b @ 2027-01-01T00:00:00Z")}}
	future.Hops[0].Index = 1
	hopFindings(future, Options{Now: mustTime("2026-11-25T00:00:00Z")})
	if !slices.Contains(codes(future), CodeFutureTimestamp) {
		t.Errorf("future: findings %v", codes(future))
	}
}

func TestClientIP(t *testing.T) {
	test := func(raw string, wantIP, wantHeader string) {
		t.Helper()
		h, _ := header.Parse([]byte(raw))
		x := indexFields(h, nil)
		c := findClientIP(&x)
		got, gotH := "-", ""
		if c != nil {
			got, gotH = c.IP.String(), c.Header
		}
		if got != wantIP || gotH != wantHeader {
			t.Errorf("%q: %s %s, want %s %s", raw, got, gotH, wantIP, wantHeader)
		}
	}
	test("X-Originating-IP: [198.51.100.1]\n", "198.51.100.1", "X-Originating-IP")
	test("X-Forwarded-For: 62.239.237.1, 10.0.0.1\nX-Sender-IP: 200.57.141.161\n", "200.57.141.161", "X-Sender-IP")
	test("X-Originating-IP: [IPv6:2001:db8::1]\n", "2001:db8::1", "X-Originating-IP")
	test("X-Originating-IP: garbage\n", "-", "")
	test("Subject: none\n", "-", "")
}

func TestNoReceived(t *testing.T) {
	tr := Analyze([]byte("From: a@example.com\nSubject: hi\n\nbody\n"), Options{})
	if len(tr.Hops) != 0 || !slices.Contains(codes(tr), CodeNoReceived) {
		t.Fatalf("hops %d findings %v", len(tr.Hops), codes(tr))
	}
	if tr.Message.Subject != "hi" || tr.Message.From != "a@example.com" {
		t.Errorf("summary %+v", tr.Message)
	}
}

func TestSummaryDecoding(t *testing.T) {
	raw := "From: =?UTF-8?Q?Caf=C3=A9?= <a@example.com>\nTo: A <a@example.com>, b@example.org\nSubject: =?ISO-2022-JP?B?GyRCN29MPiVGJTklSBsoQg==?=\nReturn-Path: <bounce@example.net>\nDate: Tue, 24 Nov 2026 10:13:55 +0100\n\n"
	tr := Analyze([]byte(raw), Options{})
	m := tr.Message
	if m.From != "Café <a@example.com>" || len(m.To) != 2 || m.To[1] != "b@example.org" || m.ReturnPath != "bounce@example.net" {
		t.Errorf("summary %+v", m)
	}
	if m.Subject != "件名テスト" {
		t.Errorf("subject %q", m.Subject)
	}
	if !m.Date.Equal(mustTime("2026-11-24T09:13:55Z")) {
		t.Errorf("date %v", m.Date)
	}
}
