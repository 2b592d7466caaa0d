package analyzer

import (
	"net/netip"
	"reflect"
	"testing"
	"time"

	"github.com/mailtrace/mailtrace/analyzer/auth"
	"github.com/mailtrace/mailtrace/analyzer/header"
	"github.com/mailtrace/mailtrace/analyzer/received"
)

// TestAnalyzeAuthWiring checks what the auth stage receives from the trace:
// the recipient's hop count, the entry peer, the first hop's time, and that
// a helo-rdns-mismatch the trust walk already reported is not repeated.
func TestAnalyzeAuthWiring(t *testing.T) {
	h, _ := header.Parse([]byte("Received: from a by mx.recipient.example; Mon, 2 Mar 2026 10:00:05 +0000\n" +
		"Authentication-Results: mx.recipient.example; spf=fail smtp.mailfrom=bounce.other.example\n" +
		"Received: from mail.shop.example (host7.isp.example [192.0.2.7]) by mx.recipient.example; Mon, 2 Mar 2026 10:00:04 +0000\n" +
		"Received: from x by mail.shop.example; Mon, 2 Mar 2026 10:00:00 +0000\n" +
		"Authentication-Results: mx.recipient.example; spf=pass\n" +
		"From: a@shop.example\n" +
		"Date: Fri, 27 Feb 2026 10:00:00 +0000\n"))
	hop := func(i int, trust Trust, helo, rdns, ip string, at time.Time) Hop {
		var a netip.Addr
		if ip != "" {
			a = netip.MustParseAddr(ip)
		}
		return Hop{Index: i, Trust: trust, Received: received.Received{
			From: received.Peer{HELO: helo, RDNS: rdns, IP: a}, EnvelopeFrom: "x@env.other.example", Date: at}}
	}
	t0 := time.Date(2026, 3, 2, 10, 0, 0, 0, time.UTC)
	tr := &Trace{Header: h, Recipient: "recipient.example",
		Message: Summary{Date: time.Date(2026, 2, 27, 10, 0, 0, 0, time.UTC)},
		Hops: []Hop{
			hop(1, TrustExternal, "x", "", "", t0),
			hop(2, TrustRecipient, "mail.shop.example", "host7.isp.example", "192.0.2.7", t0.Add(4*time.Second)),
			hop(3, TrustRecipient, "a", "", "", t0.Add(5*time.Second)),
		},
		Entry: &Endpoint{IP: netip.MustParseAddr("192.0.2.7"), Hop: 2},
	}
	tr.addFinding(CodeHELOMismatch, Warning, 2, "already said")
	analyzeAuth(tr, Options{}, new(auth.Peer), nil, nil)
	if tr.Auth == nil || tr.Auth.SPF != "fail" || len(tr.Auth.Results) != 2 || tr.Auth.Results[1].Trusted {
		t.Fatalf("auth = %+v", tr.Auth)
	}
	count := map[string]int{}
	for _, f := range tr.Findings {
		count[f.Code]++
	}
	for code, n := range map[string]int{CodeHELOMismatch: 1, "auth-fail-spf": 1, "date-far-from-first-hop": 1, "from-envelope-mismatch": 1} {
		if count[code] != n {
			t.Errorf("%s: %d findings, want %d (%v)", code, count[code], n, tr.Findings)
		}
	}
	// Without the walk's finding, the entry comparison reports it on hop 2.
	tr.Findings = nil
	analyzeAuth(tr, Options{AuthservIDs: []string{"none.example"}}, new(auth.Peer), nil, nil)
	found := false
	for _, f := range tr.Findings {
		if f.Code == CodeHELOMismatch && f.Hop == 2 {
			found = true
		}
	}
	if !found || tr.Auth.SPF != "" {
		t.Errorf("findings %v, spf %q", tr.Findings, tr.Auth.SPF)
	}
}

// TestFromShared checks when summarize hands the From it read to the
// authentication stage: a lone mailbox on one line whose encoded-words
// are of the charsets package mime decodes itself.
func TestFromShared(t *testing.T) {
	test := func(from string, shared bool) {
		t.Helper()
		h, _ := header.Parse([]byte("To: b@example.org\nFrom: " + from + "\n"))
		x := indexFields(h, nil)
		var m auth.Mailbox
		summarize(&x, &m)
		if got := m.Field >= 0; got != shared {
			t.Errorf("From: %q: shared %v (%+v), want %v", from, got, m, shared)
		}
		if shared && m.Field != 1 {
			t.Errorf("From: %q: field %d, want 1", from, m.Field)
		}
	}
	test("a@shop.example", true)
	test("Shop <a@shop.example>", true)
	test("=?UTF-8?Q?Caf=C3=A9?= <a@shop.example>", true)
	test("=?iso-8859-1?q?Caf=E9?= <a@shop.example>", true)
	test("=?gb2312?B?xOO6ww==?= <a@shop.example>", false)
	test("Shop\n <a@shop.example>", false)
	test("a@shop.example, b@shop.example", false)
	test("<>", false)
	test("", false)
}

// FuzzFromShared holds the authentication stage given the From that
// summarize read to the stage reading it itself: the same result and
// findings, whatever the From field and the fields around it.
func FuzzFromShared(f *testing.F) {
	for _, s := range []string{"a@shop.example", "Shop <a@shop.example>", "=?UTF-8?Q?Caf=C3=A9?= <a@shop.example>",
		"=?gb2312?B?xOO6ww==?= <a@shop.example>", "=?utf-8?q?a@evil.example?= <a@shop.example>", "\"x@evil.example\" <a@b.example>",
		"=?UTF-8?B?YkBvdGhlci5leGFtcGxl?= =?koi8-r?B?8NLJ18XU?= <a@b.example>", "=?uſ-ascii?q?x@y.example?= <a@b.example>",
		"Shop\n <a@shop.example>", "a@b, c@d", "<>", " a@b.example\r", "=?utf-8?q?=E2=84=96?= \"q\" <a@b.example>"} {
		f.Add(s, "Return-Path: <bounce@mail.example>\nReply-To: r@other.example\nDKIM-Signature: v=1; d=shop.example; s=x\n")
	}
	f.Fuzz(func(t *testing.T, from, rest string) {
		h, _ := header.Parse([]byte("From: " + from + "\n" + rest))
		x := indexFields(h, nil)
		var m auth.Mailbox
		summarize(&x, &m)
		in := auth.Input{Header: h, RecipientHops: 1}
		res, findings := auth.Analyze(in)
		in.From = &m
		sres, sfindings := auth.Analyze(in)
		if !reflect.DeepEqual(res, sres) || !reflect.DeepEqual(findings, sfindings) {
			t.Fatalf("From %q (%+v): given the From\n%+v\n%v\nreading it\n%+v\n%v", from, m, sres, sfindings, res, findings)
		}
	})
}
