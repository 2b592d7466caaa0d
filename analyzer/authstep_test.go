package analyzer

import (
	"net/netip"
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
	analyzeAuth(tr, Options{}, new(auth.Peer))
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
	analyzeAuth(tr, Options{AuthservIDs: []string{"none.example"}}, new(auth.Peer))
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
