package analyzer_test

import (
	"strings"
	"testing"

	"github.com/mailtrace/mailtrace/analyzer"
	"github.com/mailtrace/mailtrace/analyzer/ipclass"
	"github.com/mailtrace/mailtrace/internal/corpus"
)

// seeds are real messages from testdata: the sample and the conformance set.
func seeds(tb testing.TB) [][]byte { return corpus.Messages(tb) }

// check asserts the invariants every trace keeps, whatever the input.
func check(t *testing.T, raw []byte, tr *analyzer.Trace) {
	t.Helper()
	last := -1
	for i, h := range tr.Hops {
		if h.Index != i+1 {
			t.Fatalf("hop %d has index %d", i+1, h.Index)
		}
		switch h.Trust {
		case analyzer.TrustRecipient:
			last = i
		case analyzer.TrustExternal, analyzer.TrustSuspect:
			if last >= 0 {
				t.Fatalf("hop %d is %s above a recipient hop", h.Index, h.Trust)
			}
		default:
			t.Fatalf("hop %d has no trust", h.Index)
		}
	}
	if len(tr.Hops) > 0 && tr.Hops[len(tr.Hops)-1].Trust != analyzer.TrustRecipient {
		t.Fatal("the top hop must be the recipient's")
	}
	for _, e := range []*analyzer.Endpoint{tr.Entry, tr.Origin} {
		if e == nil {
			continue
		}
		if !ipclass.IsPublic(e.IP) {
			t.Fatalf("endpoint %s is not public", e.IP)
		}
		if e.Hop < 1 || e.Hop > len(tr.Hops) || tr.Hops[e.Hop-1].Trust == analyzer.TrustSuspect {
			t.Fatalf("endpoint from hop %d", e.Hop)
		}
	}
	if tr.Origin != nil && tr.Entry != nil && tr.Origin.Hop > tr.Entry.Hop {
		t.Fatalf("origin hop %d above entry hop %d", tr.Origin.Hop, tr.Entry.Hop)
	}
	for _, f := range tr.Findings {
		if f.Code == "" || f.Hop < 0 || f.Hop > len(tr.Hops) {
			t.Fatalf("bad finding %+v", f)
		}
	}
}

func FuzzAnalyze(f *testing.F) {
	for _, s := range seeds(f) {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, raw []byte) {
		check(t, raw, analyzer.Analyze(raw, analyzer.Options{}))
	})
}

func TestSeedsKeepInvariants(t *testing.T) {
	for _, s := range seeds(t) {
		check(t, s, analyzer.Analyze(s, analyzer.Options{}))
	}
}

func BenchmarkAnalyze(b *testing.B) {
	all := seeds(b)
	n := 0
	for _, s := range all {
		n += len(s)
	}
	b.SetBytes(int64(n / len(all)))
	b.ReportAllocs()
	i := 0
	for b.Loop() {
		analyzer.Analyze(all[i%len(all)], analyzer.Options{})
		i++
	}
}

// BenchmarkAnalyzeManyReceived: 10,000 Received fields stay linear.
func BenchmarkAnalyzeManyReceived(b *testing.B) {
	var sb strings.Builder
	for i := range 10000 {
		sb.WriteString("Received: from relay")
		sb.WriteString(strings.Repeat("x", i%7))
		sb.WriteString(".example.net (relay.example.net [62.239.237.1]) by mx.example.com with ESMTP id A; Tue, 24 Nov 2026 09:14:05 +0000\n")
	}
	raw := []byte(sb.String())
	b.SetBytes(int64(len(raw)))
	for b.Loop() {
		analyzer.Analyze(raw, analyzer.Options{})
	}
}

// TestRealServerChains: Received fields exactly as Dovecot 2.3, Postfix 3.7
// and Exim 4.96 write them today, with a forged tail below a public forger.
func TestRealServerChains(t *testing.T) {
	test := func(name, raw, wantTrust, wantEntry, wantOrigin string) {
		t.Helper()
		tr := analyzer.Analyze([]byte(raw), analyzer.Options{})
		var trust strings.Builder
		for _, h := range tr.Hops {
			if !h.Parsed || h.Date.IsZero() {
				t.Errorf("%s: hop %d parsed %v date %v", name, h.Index, h.Parsed, h.Date)
			}
			trust.WriteByte(string(h.Trust)[0])
		}
		ep := func(e *analyzer.Endpoint) string {
			if e == nil {
				return "-"
			}
			return e.IP.String()
		}
		if trust.String() != wantTrust || ep(tr.Entry) != wantEntry || ep(tr.Origin) != wantOrigin {
			t.Errorf("%s: trust %s entry %s origin %s, want %s %s %s", name, trust.String(), ep(tr.Entry), ep(tr.Origin), wantTrust, wantEntry, wantOrigin)
		}
		check(t, []byte(raw), tr)
	}
	test("postfix chain with a forged tail", `Received: from mx.example.test ([127.0.0.3])
	by imap.example.test with LMTP
	id YAOUDZk+B2vTDQAAg+zDdQ
	(envelope-from <sender@client.example.test>)
	for <alice@example.test>; Wed, 25 Nov 2026 20:01:29 +0000
Received: from hub.example.test (unknown [IPv6:::1])
	(using TLSv1.3 with cipher TLS_AES_256_GCM_SHA384 (256/256 bits)
	 key-exchange X25519 server-signature RSA-PSS (2048 bits) server-digest SHA256)
	(No client certificate requested)
	by mx.example.test (Postfix) with ESMTPS id 226F49850CD
	for <alice@example.test>; Wed, 25 Nov 2026 20:01:29 +0000 (UTC)
Received: from submit.example.test (unknown [127.0.0.2])
	by hub.example.test (Postfix) with ESMTP id E27D19850C8
	for <alice@example.test>; Wed, 25 Nov 2026 20:01:28 +0000 (UTC)
Received: from forger.example (unknown [62.239.237.1])
	by submit.example.test (Postfix) with ESMTP id E94FC9850CA
	for <bob@example.test>; Wed, 25 Nov 2026 20:01:28 +0000 (UTC)
Received: from mail.bank.example (mail.bank.example [198.51.100.23])
	by mx.victim.example (Postfix) with ESMTPS id 4FAKE1D00
	for <bob@example.test>; Wed, 25 Nov 2026 18:01:28 -0000
Received: from [10.9.8.7] (helo=trusted-workstation)
	by mail.bank.example with esmtpa (Exim 4.96)
	id 1rFAKE-000001-XY; Wed, 25 Nov 2026 17:59:48 -0000

`, "ssrrrr", "62.239.237.1", "62.239.237.1")
	test("exim chain", `Received: from [62.239.237.1] (helo=hub.example.test)
	by mx.example.test with esmtps  (TLS1.3) tls TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384
	(Exim 4.96)
	(envelope-from <v6sender@client.example.test>)
	id 1xWJDQ-0001Nx-07
	for alice@example.test;
	Wed, 25 Nov 2026 20:03:40 +0000
Received: from [200.57.141.161] (helo=submit.client.test)
	by hub.example.test with esmtp (Exim 4.96)
	(envelope-from <v6sender@client.example.test>)
	id 1xWJDP-0001Nd-1m
	for alice@example.test;
	Wed, 25 Nov 2026 20:03:39 +0000

`, "rr", "200.57.141.161", "200.57.141.161")
}
