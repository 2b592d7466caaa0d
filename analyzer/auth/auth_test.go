package auth

import (
	"net/netip"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/mailtrace/mailtrace/analyzer/header"
)

func readHeader(t testing.TB, name string) header.Header {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("..", "..", "testdata", "auth", name))
	if err != nil {
		t.Fatal(err)
	}
	h, _ := header.Parse(b)
	return h
}

func parseHeader(s string) header.Header {
	h, _ := header.Parse([]byte(strings.ReplaceAll(s, "\n\t\t", "\n")))
	return h
}

func dkimText(ds []DKIM) string {
	var out []string
	for _, d := range ds {
		out = append(out, d.Result+":"+d.Domain+"/"+d.Selector)
	}
	return strings.Join(out, " ")
}

func codeSet(fs []Finding) map[string]Finding {
	m := map[string]Finding{}
	for _, f := range fs {
		if _, ok := m[f.Code]; !ok {
			m[f.Code] = f
		}
	}
	return m
}

// TestConformance reads messages published by SpamAssassin, rspamd and
// SpamScope (see testdata/auth/README.md) with the recipient's side as a
// reader of their Received fields would infer it.
func TestConformance(t *testing.T) {
	type want struct {
		spf, dkim, dmarc, arc, id string
		trusted                   int // believed Authentication-Results fields
	}
	test := func(file string, in Input, w want, findings ...string) {
		t.Helper()
		in.Header = readHeader(t, filepath.Join("conformance", file))
		r, fs := Analyze(in)
		if r == nil {
			t.Fatalf("%s: no result", file)
		}
		n := 0
		for _, f := range r.Results {
			if f.Trusted {
				n++
			}
		}
		got := want{r.SPF, dkimText(r.DKIM), r.DMARC, r.ARC, r.AuthservID, n}
		if got != w {
			t.Errorf("%s:\n got %+v\nwant %+v", file, got, w)
		}
		cs := codeSet(fs)
		for _, c := range findings {
			if _, ok := cs[c]; !ok {
				t.Errorf("%s: finding %s missing from %v", file, c, fs)
			}
		}
	}
	// Gmail: A-R just below its entry Received; ARC i=2 sealed by Gmail.
	test("rspamd__test_functional_messages_arcallow.eml", Input{RecipientHops: 2, RecipientOrg: "google.com"},
		want{"pass", "pass:outlook.com/selector1", "pass", "pass", "mx.google.com", 1})
	// SpamAssassin's trusted/untrusted A-R test: with three recipient hops
	// "...int" (but version 2) and "...tru" are believed, "...ext" is not.
	test("spamassassin__t_data_nice_authres.eml", Input{RecipientHops: 3},
		want{"pass", "pass:example.org/ fail:another.signing.domain.example/", "none", "", "authrestest1int", 6},
		CodeFailDKIM, CodeFromReturnPath)
	test("spamassassin__t_data_nice_authres.eml", Input{RecipientHops: 2},
		want{"pass", "pass:example.org/ fail:another.signing.domain.example/", "none", "", "authrestest1int", 5})
	// --authserv-id picks a field wherever it is.
	test("spamassassin__t_data_nice_authres.eml", Input{RecipientHops: 3, AuthservIDs: []string{"authrestest3int"}},
		want{"fail", "", "", "", "authrestest3int", 1}, CodeFailSPF)
	// rspamd's arcbad: the only A-R is below every Received: not believed...
	test("rspamd__test_functional_messages_arcbad.eml", Input{RecipientHops: 1},
		want{"", "", "", "", "", 0}, CodeResultsUntrusted)
	// ...unless named.
	test("rspamd__test_functional_messages_arcbad.eml", Input{RecipientHops: 1, AuthservIDs: []string{"mail.highsecure.ru"}},
		want{"pass", "pass:freebsd.org/dkim fail:outlook.com/selector1", "fail", "", "mail.highsecure.ru", 1},
		CodeFailDMARC, CodeFailDKIM)
	// Received-SPF only.
	test("spamassassin__t_data_nice_spf5-received-spf-crlf.eml", Input{RecipientHops: 2},
		want{"fail", "", "", "", "", 0}, CodeFailSPF)
	test("spamscope-mail-parser__tests_mails_mail_test_17.eml", Input{RecipientHops: 1},
		want{"none", "", "", "", "mailb.triara.com", 1}, CodeFromReplyTo)
}

func TestConformanceDetails(t *testing.T) {
	r, _ := Analyze(Input{Header: readHeader(t, "conformance/rspamd__test_functional_messages_arcallow.eml"), RecipientHops: 2})
	if c := r.ARCChain; c == nil || c.Instances != 2 || c.CV != "pass" || c.Sealer != "google.com" || !c.Trusted {
		t.Errorf("ARC chain = %+v", r.ARCChain)
	}
	if len(r.ARCResults) != 2 || r.ARCResults[0].Instance != 2 || r.ARCResults[1].AuthservID != "mx.microsoft.com" {
		t.Errorf("ARC results = %+v", r.ARCResults)
	}
	if len(r.Signatures) != 1 || r.Signatures[0].Domain != "outlook.com" || r.Signatures[0].Headers[0] != "from" {
		t.Errorf("signatures = %+v", r.Signatures)
	}
	if len(r.ReceivedSPF) != 1 || r.ReceivedSPF[0].ClientIP != "40.92.74.29" || !r.ReceivedSPF[0].Trusted {
		t.Errorf("Received-SPF = %+v", r.ReceivedSPF)
	}
	// x-microsoft-antispam sits below the recipient's side: outlook.com's, not Gmail's.
	if len(r.Verdicts) != 1 || r.Verdicts[0].Trusted || r.Verdicts[0].Summary != "BCL 0 (not from a bulk sender)" {
		t.Errorf("verdicts = %+v", r.Verdicts)
	}

	r, fs := Analyze(Input{Header: readHeader(t, "conformance/spamassassin__t_data_spam_003.eml"), RecipientHops: 6})
	if len(r.Verdicts) != 4 || r.Verdicts[0].Class != ClassSpam {
		t.Errorf("verdicts = %+v", r.Verdicts)
	}
	if _, ok := codeSet(fs)[CodeSpamVerdict]; ok {
		t.Errorf("verdicts below the bottom Received are the sender's: %+v", fs)
	}

	// A message without any authentication header has no Result.
	if r, _ := Analyze(Input{Header: parseHeader("Received: by a.example; Mon, 2 Mar 2026 10:00:00 +0000\nFrom: a@a.example\n")}); r != nil {
		t.Errorf("want nil, got %+v", r)
	}
}

func TestCraftedMicrosoft365(t *testing.T) {
	h := readHeader(t, "crafted/microsoft365.eml")
	date := time.Date(2026, 2, 26, 9, 0, 0, 0, time.UTC)
	first := time.Date(2026, 3, 2, 10, 0, 1, 0, time.UTC)
	r, fs := Analyze(Input{Header: h, RecipientHops: 3, RecipientOrg: "outlook.com",
		Entry: &Peer{Hop: 2, HELO: "mail.shop.example", RDNS: "mail.shop.example", IP: netip.MustParseAddr("198.51.100.7")},
		Date:  date, FirstHop: 1, FirstHopTime: first})
	if r.SPF != "softfail" || r.DMARC != "fail" || dkimText(r.DKIM) != "fail:bank.example/" || r.AuthservID != "" {
		t.Errorf("verdicts: %+v", r)
	}
	if r.CompAuth == nil || r.CompAuth.Result != "fail" || r.CompAuth.Reason != "000" {
		t.Errorf("compauth = %+v", r.CompAuth)
	}
	if !r.Results[0].Lenient || !r.Results[0].Trusted {
		t.Errorf("A-R = %+v", r.Results[0])
	}
	cs := codeSet(fs)
	for code, sev := range map[string]string{
		CodeFailSPF: Info, CodeFailDKIM: Warning, CodeFailDMARC: Alert, CodeFailCompAuth: Warning,
		CodeDisplayName: Warning, CodeFromReplyTo: Warning, CodeMessageIDDomain: Info, CodeDKIMDomain: Info,
		CodeDKIMBodyLength: Warning, CodeDateFar: Warning, CodeSpamVerdict: Warning,
	} {
		if f, ok := cs[code]; !ok || f.Severity != sev {
			t.Errorf("finding %s: got %+v, want severity %s", code, f, sev)
		}
	}
	if _, ok := cs[CodeHELORDNS]; ok {
		t.Errorf("HELO equals rDNS: no %s expected", CodeHELORDNS)
	}
	// Return-Path bounce.shop.example and From shop.example share an organisation.
	if _, ok := cs[CodeFromReturnPath]; ok {
		t.Errorf("unexpected %s", CodeFromReturnPath)
	}
}

// TestFindings has one crafted case per finding code, and its negative.
func TestFindings(t *testing.T) {
	const base = "Received: from mx.recipient.example by mx.recipient.example; Mon, 2 Mar 2026 10:00:05 +0000\n"
	test := func(hdr string, in Input, code, sev string) {
		t.Helper()
		in.Header = parseHeader(hdr)
		if in.RecipientHops == 0 {
			in.RecipientHops = 1
		}
		_, fs := Analyze(in)
		f, ok := codeSet(fs)[code]
		switch {
		case sev == "" && ok:
			t.Errorf("%q: unexpected %s: %s", hdr, code, f.Message)
		case sev != "" && !ok:
			t.Errorf("%q: %s missing (got %v)", hdr, code, fs)
		case sev != "" && f.Severity != sev:
			t.Errorf("%q: %s severity %s, want %s", hdr, code, f.Severity, sev)
		}
	}
	none := Input{}

	test("From: a@shop.example\nReturn-Path: <b@bounce.example>\n", none, CodeFromReturnPath, Info)
	test("From: a@shop.example\nReturn-Path: <b@mail.shop.example>\n", none, CodeFromReturnPath, "")
	test("From: a@shop.example\nReturn-Path: <>\n", none, CodeFromReturnPath, "")
	// github.io is a public suffix: two of its subdomains are two organisations.
	test("From: a@one.github.io\nReturn-Path: <b@two.github.io>\n", none, CodeFromReturnPath, Info)

	test("From: a@shop.example\n", Input{EnvelopeFrom: "x@esp.example"}, CodeFromEnvelope, Info)
	test("Authentication-Results: mx.recipient.example; spf=pass smtp.mailfrom=esp.example\n"+base+"From: a@shop.example\n",
		none, CodeFromEnvelope, Info)
	test("From: a@shop.example\nReturn-Path: <x@esp.example>\n", Input{EnvelopeFrom: "x@esp.example"}, CodeFromEnvelope, "")

	test("From: a@shop.example\nReply-To: collect@other.example\n", none, CodeFromReplyTo, Warning)
	test("From: a@shop.example\nReply-To: \"Help\" <help@support.shop.example>\n", none, CodeFromReplyTo, "")

	test("From: a@shop.example\nMessage-ID: <1@mailer.other.example>\n", none, CodeMessageIDDomain, Info)
	test("From: a@shop.example\nMessage-ID: <1@mx.shop.example>\n", none, CodeMessageIDDomain, "")
	test("From: a@shop.example\nMessage-ID: <1@localhost>\n", none, CodeMessageIDDomain, "")

	test("From: a@shop.example\nDKIM-Signature: v=1; a=rsa-sha256; d=esp.example; s=s; h=from; bh=x; b=y\n",
		none, CodeDKIMDomain, Info)
	test("From: a@shop.example\nDKIM-Signature: v=1; a=rsa-sha256; d=esp.example; s=s; h=from; bh=x; b=y\n"+
		"DKIM-Signature: v=1; a=rsa-sha256; d=news.shop.example; s=s; h=from; bh=x; b=y\n", none, CodeDKIMDomain, "")

	test("From: \"service@bank.example\" <a@shop.example>\n", none, CodeDisplayName, Warning)
	test("From: \"a@shop.example\" <a@shop.example>\n", none, CodeDisplayName, "")
	test("From: \"b@shop.example\" <a@shop.example>\n", none, CodeDisplayName, Info)
	test("From: Shop <a@shop.example>\n", none, CodeDisplayName, "")

	entry := func(helo, rdns, ip string) Input {
		return Input{Entry: &Peer{Hop: 1, HELO: helo, RDNS: rdns, IP: netip.MustParseAddr(ip)}}
	}
	test("From: a@shop.example\n", entry("mail.shop.example", "host7.isp.example", "192.0.2.7"), CodeHELORDNS, Info)
	test("From: a@shop.example\n", entry("[192.0.2.8]", "", "192.0.2.7"), CodeHELORDNS, Warning)
	test("From: a@shop.example\n", entry("[192.0.2.7]", "", "192.0.2.7"), CodeHELORDNS, "")
	test("From: a@shop.example\n", entry("mail.shop.example", "out2.shop.example", "192.0.2.7"), CodeHELORDNS, "")
	test("From: a@shop.example\n", entry("mail.shop.example", "unknown", "192.0.2.7"), CodeHELORDNS, "")

	hop := time.Date(2026, 3, 2, 10, 0, 0, 0, time.UTC)
	test("From: a@shop.example\n", Input{Date: hop.Add(-48 * time.Hour), FirstHop: 1, FirstHopTime: hop}, CodeDateFar, Warning)
	test("From: a@shop.example\n", Input{Date: hop.Add(30 * time.Hour), FirstHop: 1, FirstHopTime: hop}, CodeDateFar, Warning)
	test("From: a@shop.example\n", Input{Date: hop.Add(-2 * time.Hour), FirstHop: 1, FirstHopTime: hop}, CodeDateFar, "")
	test("From: a@shop.example\n", Input{FirstHop: 1, FirstHopTime: hop}, CodeDateFar, "")

	test("DKIM-Signature: v=1; a=rsa-sha256; d=shop.example; s=s; l=100; h=from; bh=x; b=y\n", none, CodeDKIMBodyLength, Warning)
	test("DKIM-Signature: v=1; a=rsa-sha256; d=shop.example; s=s; h=from; bh=x; b=y\n", none, CodeDKIMBodyLength, "")
	test("DKIM-Signature: v=1; a=rsa-sha256; d=shop.example; s=s; h=to; bh=x; b=y\n", none, CodeDKIMMalformed, Info)
	test("DKIM-Signature: v=1; d=shop.example\n", none, CodeDKIMMalformed, Info)

	ar := func(results string) string {
		return "Authentication-Results: mx.recipient.example; " + results + "\n" + base
	}
	test(ar("spf=fail smtp.mailfrom=a@shop.example"), none, CodeFailSPF, Warning)
	test(ar("spf=softfail smtp.mailfrom=a@shop.example"), none, CodeFailSPF, Info)
	test(ar("spf=pass smtp.mailfrom=a@shop.example"), none, CodeFailSPF, "")
	test(ar("dkim=fail header.d=shop.example"), none, CodeFailDKIM, Warning)
	test(ar("dkim=fail header.d=shop.example; dkim=pass header.d=esp.example"), none, CodeFailDKIM, Info)
	test(ar("dmarc=fail header.from=shop.example"), none, CodeFailDMARC, Alert)
	test(ar("dmarc=pass header.from=shop.example"), none, CodeFailDMARC, "")
	test(ar("arc=fail"), none, CodeFailARC, Info)
	test("Authentication-Results: spf=fail smtp.mailfrom=shop.example;compauth=fail reason=001\n"+base, none, CodeFailCompAuth, Warning)
	test("Authentication-Results: compauth=pass reason=100\n"+base, none, CodeFailCompAuth, "")
	// A failing claim below the recipient's side is no failure.
	test(base+"Received: from x.example by y.example; Mon, 2 Mar 2026 10:00:00 +0000\nAuthentication-Results: y.example; spf=fail\n",
		none, CodeFailSPF, "")
	test(base+"Received: from x.example by y.example; Mon, 2 Mar 2026 10:00:00 +0000\nAuthentication-Results: y.example; spf=fail\n",
		none, CodeResultsUntrusted, Info)
	test(ar("spf=pass"), none, CodeResultsUntrusted, "")
	// A claim below the recipient's side in the recipient's own name.
	test(ar("spf=pass")+"Received: from x.example by y.example; Mon, 2 Mar 2026 10:00:00 +0000\n"+
		"Authentication-Results: mx.recipient.example; spf=pass; dkim=pass; dmarc=pass\n", none, CodeResultsSpoofed, Warning)

	test(base+"X-Spam-Flag: YES\n", none, CodeSpamVerdict, "")
	test("X-Spam-Flag: YES\n"+base, none, CodeSpamVerdict, Warning)
	test("X-Forefront-Antispam-Report: SFV:NSPM;SCL:1;CAT:NONE;\n"+base, none, CodeSpamVerdict, "")
	test("X-Microsoft-Antispam: BCL:7;\n"+base, none, CodeSpamVerdict, Info)
}

// TestTrustBoundary pins which fields count as the recipient's.
func TestTrustBoundary(t *testing.T) {
	hdr := func(s string) header.Header { return parseHeader(s) }
	const gmail = "Received: by 2002:a05:6000::1 with SMTP id x; Mon, 2 Mar 2026 10:00:06 +0000\n" +
		"Received: from mail.shop.example (mail.shop.example [192.0.2.7]) by mx.google.com with ESMTPS id y; Mon, 2 Mar 2026 10:00:05 +0000\n" +
		"Authentication-Results: mx.google.com; spf=pass smtp.mailfrom=shop.example\n"
	// Message straight from the sender to the MX: no external Received.
	r, _ := Analyze(Input{Header: hdr(gmail + "Authentication-Results: forged.example; dkim=pass header.d=bank.example\nFrom: a@shop.example\n"),
		RecipientHops: 2, RecipientOrg: "google.com"})
	if r.SPF != "pass" || r.AuthservID != "mx.google.com" || len(r.DKIM) != 0 || r.Results[1].Trusted {
		t.Errorf("direct: %+v", r.Results)
	}
	// Without the organisation the field below the bottom Received is not believed.
	r, _ = Analyze(Input{Header: hdr(gmail + "From: a@shop.example\n"), RecipientHops: 2})
	if r.SPF != "" || r.Results[0].Trusted {
		t.Errorf("no org: %+v", r.Results)
	}
	// No Received at all: the topmost only.
	r, _ = Analyze(Input{Header: hdr("Authentication-Results: a.example; spf=pass\nAuthentication-Results: b.example; spf=fail\n")})
	if r.SPF != "pass" || !r.Results[0].Trusted || r.Results[1].Trusted {
		t.Errorf("no Received: %+v", r.Results)
	}
	// --authserv-id is matched without regard to case, and excludes others.
	r, _ = Analyze(Input{Header: hdr("Authentication-Results: a.example; spf=pass\n" + gmail), RecipientHops: 2,
		AuthservIDs: []string{"MX.Google.com"}})
	if r.SPF != "pass" || r.AuthservID != "mx.google.com" || r.Results[0].Trusted {
		t.Errorf("authserv-id: %+v", r.Results)
	}
}

func TestTrustBelowBottom(t *testing.T) {
	const h = "Received: from mail.shop.example (mail.shop.example [192.0.2.7]) by mx.google.com with ESMTPS id y; Mon, 2 Mar 2026 10:00:05 +0000\n" +
		"Authentication-Results: mx.google.com; spf=softfail smtp.mailfrom=shop.example\n" +
		"Authentication-Results: mx.google.com; spf=pass; dkim=pass header.d=bank.example; dmarc=pass\n"
	r, fs := Analyze(Input{Header: parseHeader(h), RecipientHops: 1, RecipientOrg: "google.com"})
	if r.SPF != "softfail" || r.DMARC != "" || !r.Results[0].Trusted || r.Results[1].Trusted {
		t.Errorf("results: %+v", r.Results)
	}
	if _, ok := codeSet(fs)[CodeResultsSpoofed]; !ok {
		t.Errorf("findings: %+v", fs)
	}
}
