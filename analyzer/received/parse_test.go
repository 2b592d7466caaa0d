package received

import (
	"bufio"
	"encoding/json"
	"net/netip"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
	"unicode/utf8"
)

// want is the compact expectation of one table case: "-" leaves a field
// unchecked.
type want struct {
	name, helo, rdns, ip, by, with, id, for_, env, tls, auth, date string
	local                                                          bool
}

func check(t *testing.T, in string, w want) {
	t.Helper()
	r := Parse(in)
	ip := ""
	if r.From.IP.IsValid() {
		ip = r.From.IP.String()
	}
	date := ""
	if !r.Date.IsZero() {
		date = r.Date.UTC().Format(time.RFC3339)
	}
	for _, f := range []struct{ field, got, want string }{
		{"name", r.From.Name, w.name}, {"helo", r.From.HELO, w.helo}, {"rdns", r.From.RDNS, w.rdns},
		{"ip", ip, w.ip}, {"by", r.By.Host, w.by}, {"with", r.With, w.with}, {"id", r.ID, w.id},
		{"for", r.For, w.for_}, {"envelope-from", r.EnvelopeFrom, w.env}, {"tls", r.TLS, w.tls},
		{"auth", r.Auth, w.auth}, {"date", date, w.date},
	} {
		if f.want != "-" && f.got != f.want {
			t.Errorf("Parse(%.60q...): %s = %q, want %q", in, f.field, f.got, f.want)
		}
	}
	if r.Local != w.local {
		t.Errorf("Parse(%.60q...): local = %v, want %v", in, r.Local, w.local)
	}
	if r.Raw != in {
		t.Errorf("Raw changed")
	}
}

// TestRealServers: the Received lines real Postfix 3.7, Exim 4.96 and
// Dovecot 2.3 wrote on loopback (see the project's recipe on real mail
// servers). They must parse exactly.
func TestRealServers(t *testing.T) {
	test := func(in string, w want) { t.Helper(); check(t, in, w) }
	// Dovecot LMTP
	test("from mx.example.test ([127.0.0.3])\n\tby imap.example.test with LMTP\n\tid YAOUDZk+B2vTDQAAg+zDdQ\n\t(envelope-from <sender@client.example.test>)\n\tfor <alice@example.test>; Wed, 25 Nov 2026 20:01:29 +0000",
		want{"mx.example.test", "mx.example.test", "", "127.0.0.3", "imap.example.test", "LMTP", "YAOUDZk+B2vTDQAAg+zDdQ", "alice@example.test", "sender@client.example.test", "", "", "2026-11-25T20:01:29Z", false})
	test(" from mx.example.test ([127.0.0.3])\r\n\tby imap.example.test with LMTP\r\n\tid OIlREJk+B2vTDQAAg+zDdQ:T2\r\n\t(envelope-from <sender@client.example.test>)\r\n\tfor <alice@example.test>; Wed, 25 Nov 2026 20:01:29 +0000\r\n",
		want{"mx.example.test", "mx.example.test", "", "127.0.0.3", "imap.example.test", "LMTP", "OIlREJk+B2vTDQAAg+zDdQ:T2", "alice@example.test", "sender@client.example.test", "", "", "2026-11-25T20:01:29Z", false})
	// Postfix 3.7
	test("from hub.example.test (unknown [IPv6:::1])\n\t(using TLSv1.3 with cipher TLS_AES_256_GCM_SHA384 (256/256 bits)\n\t key-exchange X25519 server-signature RSA-PSS (2048 bits) server-digest SHA256)\n\t(No client certificate requested)\n\tby mx.example.test (Postfix) with ESMTPS id 226F49850CD\n\tfor <alice@example.test>; Wed, 25 Nov 2026 20:01:29 +0000 (UTC)",
		want{"hub.example.test", "hub.example.test", "", "::1", "mx.example.test", "ESMTPS", "226F49850CD", "alice@example.test", "", "TLSv1.3 TLS_AES_256_GCM_SHA384", "", "2026-11-25T20:01:29Z", false})
	test("from submit.example.test (unknown [127.0.0.2])\n\tby hub.example.test (Postfix) with ESMTP id E27D19850C8\n\tfor <alice@example.test>; Wed, 25 Nov 2026 20:01:28 +0000 (UTC)",
		want{"submit.example.test", "submit.example.test", "", "127.0.0.2", "hub.example.test", "ESMTP", "E27D19850C8", "alice@example.test", "", "", "", "2026-11-25T20:01:28Z", false})
	test("from laptop.example.test (unknown [127.0.0.10])\n\t(using TLSv1.3 with cipher TLS_AES_256_GCM_SHA384 (256/256 bits)\n\t key-exchange X25519 server-signature RSA-PSS (2048 bits) server-digest SHA256)\n\t(No client certificate requested)\n\t(Authenticated sender: alice@example.test)\n\tby submit.example.test (Postfix) with ESMTPSA id 8198A9840EE\n\tfor <bob@example.test>; Wed, 25 Nov 2026 20:01:23 +0000 (UTC)",
		want{"laptop.example.test", "laptop.example.test", "", "127.0.0.10", "submit.example.test", "ESMTPSA", "8198A9840EE", "bob@example.test", "", "TLSv1.3 TLS_AES_256_GCM_SHA384", "Authenticated sender: alice@example.test", "2026-11-25T20:01:23Z", false})
	test("from [IPv6:::1] (unknown [IPv6:::1]) by mx.example.test (Postfix) with ESMTP id 1A; Wed, 25 Nov 2026 20:01:28 +0000 (UTC)",
		want{"[IPv6:::1]", "[IPv6:::1]", "", "::1", "mx.example.test", "ESMTP", "1A", "", "", "", "", "2026-11-25T20:01:28Z", false})
	test("from hub.example.test (localhost [IPv6:::1]) by mx.example.test (Postfix) with ESMTP id 1A; Wed, 25 Nov 2026 20:01:28 +0000 (UTC)",
		want{"hub.example.test", "hub.example.test", "localhost", "::1", "mx.example.test", "ESMTP", "1A", "", "", "", "", "2026-11-25T20:01:28Z", false})
	test("from mail.bank.example (mail.bank.example [198.51.100.23])\n\tby mx.victim.example (Postfix) with ESMTPS id 4FAKE1D00\n\tfor <bob@example.test>; Wed, 25 Nov 2026 18:01:28 -0000",
		want{"mail.bank.example", "mail.bank.example", "mail.bank.example", "198.51.100.23", "mx.victim.example", "ESMTPS", "4FAKE1D00", "bob@example.test", "", "", "", "2026-11-25T18:01:28Z", false})
	// Exim 4.96
	test("from [::1] (helo=hub.example.test)\n\tby mx.example.test with esmtps  (TLS1.3) tls TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384\n\t(Exim 4.96)\n\t(envelope-from <v6sender@client.example.test>)\n\tid 1xWJDQ-0001Nx-07\n\tfor alice@example.test;\n\tWed, 25 Nov 2026 20:03:40 +0000",
		want{"[::1]", "hub.example.test", "", "::1", "mx.example.test", "esmtps", "1xWJDQ-0001Nx-07", "alice@example.test", "v6sender@client.example.test", "TLS1.3 TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384", "", "2026-11-25T20:03:40Z", false})
	test("from [127.0.0.2] (helo=submit.example.test)\n\tby hub.example.test with esmtp (Exim 4.96)\n\t(envelope-from <v6sender@client.example.test>)\n\tid 1xWJDP-0001Nd-1m\n\tfor alice@example.test;\n\tWed, 25 Nov 2026 20:03:39 +0000",
		want{"[127.0.0.2]", "submit.example.test", "", "127.0.0.2", "hub.example.test", "esmtp", "1xWJDP-0001Nd-1m", "alice@example.test", "v6sender@client.example.test", "", "", "2026-11-25T20:03:39Z", false})
	// Exim leaves helo= out when the HELO equals the address literal: the
	// HELO is then not known from the header.
	test("from [::1]\n\tby submit.example.test with esmtps  (TLS1.3) tls TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384\n\t(Exim 4.96)\n\t(envelope-from <v6sender@client.example.test>)\n\tid 1xWJDP-0001NT-0w\n\tfor alice@example.test;\n\tWed, 25 Nov 2026 20:03:39 +0000",
		want{"[::1]", "", "", "::1", "submit.example.test", "esmtps", "1xWJDP-0001NT-0w", "alice@example.test", "v6sender@client.example.test", "TLS1.3 TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384", "", "2026-11-25T20:03:39Z", false})
	test("from [10.9.8.7] (helo=trusted-workstation)\n\tby mail.bank.example with esmtpa (Exim 4.96)\n\tid 1rFAKE-000001-XY; Wed, 25 Nov 2026 17:59:48 -0000",
		want{"[10.9.8.7]", "trusted-workstation", "", "10.9.8.7", "mail.bank.example", "esmtpa", "1rFAKE-000001-XY", "", "", "", "esmtpa", "2026-11-25T17:59:48Z", false})
}

// TestFormats: one line per MTA shape; documentation addresses and names.
func TestFormats(t *testing.T) {
	test := func(in string, w want) { t.Helper(); check(t, in, w) }
	const d = "Mon, 21 Oct 2024 10:15:30 +0000"
	const dd = "2024-10-21T10:15:30Z"
	// Sendmail: helo (ident@rdns [ip]), may be forged, authenticated, TLS
	test("from helo.example (user@rdns.example [192.0.2.1] (may be forged)) (authenticated bits=0) by mx.example (8.17.1/8.17.1) with ESMTP id 49LAFUa1 (version=TLSv1.3 cipher=TLS_AES_256_GCM_SHA384 bits=256 verify=NO) for <to@example>; "+d,
		want{"helo.example", "helo.example", "rdns.example", "192.0.2.1", "mx.example", "ESMTP", "49LAFUa1", "to@example", "", "TLSv1.3 TLS_AES_256_GCM_SHA384", "authenticated bits=0", dd, false})
	// Sendmail local submission
	test("(from user@localhost) by host.example (8.17.1/8.17.1/Submit) id 49LAFUa2; "+d,
		want{"user@localhost", "", "", "", "host.example", "", "49LAFUa2", "", "", "", "", dd, true})
	// Postfix pickup
	test("by mx.example (Postfix, from userid 1000) id 4XYZ; "+d,
		want{"", "", "", "", "mx.example", "", "4XYZ", "", "", "", "", dd, true})
	// qmail
	test("from rdns.example (HELO helo.example) (user@192.0.2.7) by mx.example with SMTP; 21 Oct 2024 10:15:30 -0000",
		want{"rdns.example", "helo.example", "rdns.example", "192.0.2.7", "mx.example", "SMTP", "", "", "", "", "", dd, false})
	test("from unknown (HELO helo.example) (192.0.2.7) by mx.example with SMTP; 21 Oct 2024 10:15:30 -0000",
		want{"unknown", "helo.example", "", "192.0.2.7", "mx.example", "SMTP", "", "", "", "", "", dd, false})
	test("(qmail 1234 invoked by uid 89); 21 Oct 2024 10:15:30 -0000",
		want{"", "", "", "", "", "", "", "", "", "", "", dd, true})
	test("(qmail 1234 invoked from network); 21 Oct 2024 10:15:30 -0000",
		want{"", "", "", "", "", "", "", "", "", "", "", dd, true})
	// Exim with a verified name, port and ident
	test("from rdns.example ([192.0.2.9]:40000 helo=helo.example ident=joe) by mx.example with esmtps (TLS1.2:ECDHE_RSA_AES_128_GCM_SHA256:128) (Exim 4.89) (envelope-from <s@example>) id 1ABCDE-000123-XY for to@example; "+d,
		want{"rdns.example", "helo.example", "rdns.example", "192.0.2.9", "mx.example", "esmtps", "1ABCDE-000123-XY", "to@example", "s@example", "TLS1.2:ECDHE_RSA_AES_128_GCM_SHA256:128", "", dd, false})
	test("from rdns.example ([192.0.2.9]) by mx.example with esmtp (Exim 4.89) id 1ABCDE-000123-XY; "+d,
		want{"rdns.example", "rdns.example", "rdns.example", "192.0.2.9", "mx.example", "esmtp", "1ABCDE-000123-XY", "", "", "", "", dd, false})
	test("from user by mx.example with local (Exim 4.96) (envelope-from <user@example>) id 1ABCDE-000123-XY; "+d,
		want{"user", "user", "", "", "mx.example", "local", "1ABCDE-000123-XY", "", "user@example", "", "", dd, true})
	// Microsoft 365 / Exchange
	test("from DB8PR05MB1.eurprd05.prod.outlook.example (2001:db8:10::1) by DB8PR05MB2.eurprd05.prod.outlook.example (2001:db8:10::2) with Microsoft SMTP Server (version=TLS1_2, cipher=TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384) id 15.20.8069.1; "+d,
		want{"DB8PR05MB1.eurprd05.prod.outlook.example", "DB8PR05MB1.eurprd05.prod.outlook.example", "DB8PR05MB1.eurprd05.prod.outlook.example", "2001:db8:10::1", "DB8PR05MB2.eurprd05.prod.outlook.example", "Microsoft SMTP Server", "15.20.8069.1", "", "", "TLS1_2 TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384", "", dd, false})
	test("from User ([192.0.2.44]) by mail.example with Microsoft SMTPSVC(6.0.3790.4675); "+d,
		want{"User", "User", "", "192.0.2.44", "mail.example", "Microsoft SMTPSVC", "", "", "", "", "", dd, false})
	// Gmail
	test("by 2001:db8:a05::1 with SMTP id x17csp123456pxn;\n        Mon, 21 Oct 2024 03:15:31 -0700 (PDT)",
		want{"", "", "", "", "2001:db8:a05::1", "SMTP", "x17csp123456pxn", "", "", "", "", "2024-10-21T10:15:31Z", false})
	test("from mail-sor-f41.google.example (mail-sor-f41.google.example. [192.0.2.41])\n        by mx.google.example with SMTPS id a640c23a62f3a.9.2024.10.21.03.15.30\n        for <user@example>\n        (Google Transport Security);\n        Mon, 21 Oct 2024 03:15:30 -0700 (PDT)",
		want{"mail-sor-f41.google.example", "mail-sor-f41.google.example", "mail-sor-f41.google.example", "192.0.2.41", "mx.google.example", "SMTPS", "a640c23a62f3a.9.2024.10.21.03.15.30", "user@example", "", "", "", "2024-10-21T10:15:30Z", false})
	// CommuniGate
	test("from [192.0.2.5] (account user@example HELO [192.0.2.50]) by mail.example (CommuniGate Pro SMTP 6.3.1) with ESMTPSA id 1234 for to@example; "+d,
		want{"[192.0.2.5]", "[192.0.2.50]", "", "192.0.2.5", "mail.example", "ESMTPSA", "1234", "to@example", "", "", "account user@example", dd, false})
	test("from rdns.example ([192.0.2.5] verified) by mail.example (CommuniGate Pro SMTP 6.3.1) with ESMTP id 1234; "+d,
		want{"rdns.example", "rdns.example", "rdns.example", "192.0.2.5", "mail.example", "ESMTP", "1234", "", "", "", "", dd, false})
	// SendGrid: no ';' before a Go time.String date
	test("by filter0383p1iad2.sendgrid.example with SMTP id filter0383p1iad2-15318-5AB8F728-C\n 2018-03-26 13:35:36.270951634 +0000 UTC",
		want{"", "", "", "", "filter0383p1iad2.sendgrid.example", "SMTP", "filter0383p1iad2-15318-5AB8F728-C", "", "", "", "", "2018-03-26T13:35:36Z", false})
	// Yahoo webmail: no HELO
	test("from [192.0.2.66] by web40310.mail.yahoo.example via HTTP; Wed, 12 Feb 2003 14:22:21 PST",
		want{"[192.0.2.66]", "", "", "192.0.2.66", "web40310.mail.yahoo.example", "", "", "", "", "", "", "2003-02-12T22:22:21Z", false})
	// Haraka: envelope-from outside a comment, tls comment
	test("from mail-oi1.example (mail-oi1.example [192.0.2.179])\n\tby mx.example (Haraka/2.8.25) with ESMTPS id B3C0198B.1\n\tenvelope-from <a@example>\n\ttls TLS_AES_256_GCM_SHA384;\n\t"+d,
		want{"mail-oi1.example", "mail-oi1.example", "mail-oi1.example", "192.0.2.179", "mx.example", "ESMTPS", "B3C0198B.1", "", "a@example", "-", "", dd, false})
	// Courier: AUTH and TLS in one comment, the id after the date
	test("from mail.example ([192.0.2.1])\n  (AUTH: LOGIN user@example, TLS: TLSv1/SSLv3,256bits,AES256-SHA)\n  by mx.example with ESMTPSA; "+d+"\n  id 000ABC.12345678.0000DEF",
		want{"mail.example", "mail.example", "", "192.0.2.1", "mx.example", "ESMTPSA", "000ABC.12345678.0000DEF", "", "", "TLSv1/SSLv3,256bits,AES256-SHA", "AUTH: LOGIN user@example", dd, false})
	// amavis (Zimbra): the by host is the filter's, its address in a comment
	test("from mx.example ([127.0.0.1])\n\tby localhost (mx.example [127.0.0.1]) (amavisd-new, port 10032)\n\twith ESMTP id abcDEF; "+d+" (UTC)",
		want{"mx.example", "mx.example", "", "127.0.0.1", "localhost", "ESMTP", "abcDEF", "", "", "", "", dd, false})
	// IBM Domino
	test("from mail.example ([192.0.2.1]) by notes.example (Lotus Domino Release 8.5.3FP6) with ESMTP id 2014102110153000-1; "+d,
		want{"mail.example", "mail.example", "", "192.0.2.1", "notes.example", "ESMTP", "2014102110153000-1", "", "", "", "", dd, false})
	// Yahoo: a qmail-like line whose from word is the proxy address
	test("from 127.0.0.1 (EHLO mail.example) (192.0.2.1)\n  by mta1.mail.yahoo.example with SMTP; "+d,
		want{"127.0.0.1", "mail.example", "", "192.0.2.1", "mta1.mail.yahoo.example", "SMTP", "", "", "", "", "", dd, false})
	// MDaemon: the address in "[(ip)]"
	test("from smtp510.example [(192.0.2.21)] by mail.example (192.0.2.24) (MDaemon PRO v19.0.2)  with ESMTP id md50018233933.msg; "+d,
		want{"smtp510.example", "smtp510.example", "smtp510.example", "192.0.2.21", "mail.example", "ESMTP", "md50018233933.msg", "", "", "", "", dd, false})
	// IPv4-mapped and link-local with a zone
	test("from h.example (h.example [IPv6:::ffff:192.0.2.3]) by mx.example (Postfix) with ESMTP id 1; "+d,
		want{"h.example", "h.example", "h.example", "192.0.2.3", "mx.example", "ESMTP", "1", "", "", "", "", dd, false})
	test("from fe80::1%eth0 by mx.example; "+d,
		want{"fe80::1%eth0", "", "", "fe80::1", "mx.example", "", "", "", "", "", "", dd, false})
	// a name without an address leaves the IP invalid
	test("from helo.example by mx.example with SMTP; "+d,
		want{"helo.example", "helo.example", "", "", "mx.example", "SMTP", "", "", "", "", "", dd, false})
	// date recovered without ';'
	test("from h.example ([192.0.2.1]) by mx.example with ESMTP id X Mon, 21 Oct 2024 10:15:30 +0000",
		want{"h.example", "h.example", "", "192.0.2.1", "mx.example", "ESMTP", "X", "", "", "", "", dd, false})
	// date followed by more clauses
	test("from h.example ([192.0.2.1]) by mx.example with esmtp; "+d+" id 000000DB.43735815",
		want{"h.example", "h.example", "", "192.0.2.1", "mx.example", "esmtp", "000000DB.43735815", "", "", "", "", dd, false})
}

func TestPort(t *testing.T) {
	test := func(in string, ip string, port int) {
		t.Helper()
		r := Parse(in)
		if r.From.IP != netip.MustParseAddr(ip) || r.From.Port != port {
			t.Errorf("Parse(%q): %v port %d, want %s port %d", in, r.From.IP, r.From.Port, ip, port)
		}
	}
	test("from h.example ([192.0.2.1]:2525 helo=x) by mx.example", "192.0.2.1", 2525)
	test("from h.example (192.0.2.1:2525) by mx.example", "192.0.2.1", 2525)
	test("from h.example (h) [192.0.2.1.2525] by mx.example", "192.0.2.1", 2525)
	test("from ([192.0.2.1:2525] helo=h.example) by mx.example", "192.0.2.1", 2525)
	test("from [192.0.2.1] (port=2525 helo=h.example) by mx.example", "192.0.2.1", 2525)
}

// TestGarbage: best effort, never a panic, Raw kept.
func TestGarbage(t *testing.T) {
	for _, in := range []string{
		"", ";", "(", ")", "[", "<", "\"", "from", "by", "from (", "from [", "from <", "by (",
		"from \x00\x00 by \x00", "from \xff\xfe\xfd by \xc3\x28", "from h\u00e9llo.example (\u00e9 [192.0.2.1]) by mx; garbage",
		strings.Repeat("(", 1000), strings.Repeat(")", 1000), strings.Repeat("from ", 1000), strings.Repeat("; ", 1000),
		"from [IPv6:", "from [192.0.2.1]:",
		"(\x8300000000000Cipher=",    // fuzz: ToLower changed byte offsets on invalid UTF-8
		"from x by y 0 JAn 0 0:0(\\", // fuzz: a trailing backslash in a date comment
		"from x (helo=", "from x (HELO", "from x (envelope-from", "from x (using",
	} {
		r := Parse(in)
		if r.Raw != in {
			t.Errorf("Raw changed for %q", in)
		}
		for _, w := range r.Warnings {
			_ = utf8.ValidString(w)
		}
	}
	r := Parse("from smtp11.mailt\x00rack.example (smtp11.mail\x00track.example [192.0.2.\x0090])")
	if r.From.Name != "smtp11.mailtrack.example" || r.From.IP != netip.MustParseAddr("192.0.2.90") {
		t.Errorf("NUL not filtered: %+v", r.From)
	}
}

// TestLinear: big inputs come back (no super-linear blow-up); the time is
// not asserted, the algorithm is linear by construction (one scan, each
// date attempt bounded to a few tokens).
func TestLinear(t *testing.T) {
	var b strings.Builder
	b.WriteString("from h.example (h.example [192.0.2.1])")
	for b.Len() < 1<<20 {
		b.WriteString("\r\n\t(comment 1 Jan Mon (nested) [x] <y> \"z\")")
	}
	b.WriteString(" by mx.example; Mon, 21 Oct 2024 10:15:30 +0000")
	r := Parse(b.String())
	if r.By.Host != "mx.example" || r.Date.IsZero() {
		t.Errorf("1 MiB folded value: by %q date %v", r.By.Host, r.Date)
	}
	toks := strings.Repeat("Mon 1 Jan ", 100000/3) // 100k tokens, each a date start
	Parse("from x by y " + toks)
	Parse(strings.Repeat("(", 1<<20))
	Parse(strings.Repeat("[", 1<<20))
	Parse(strings.Repeat("from x ", 100000))
}

func conformanceInputs(tb testing.TB) []string {
	files, _ := filepath.Glob(filepath.Join("..", "..", "testdata", "conformance", "received", "*.jsonl"))
	var out []string
	for _, f := range files {
		fh, err := os.Open(f)
		if err != nil {
			tb.Fatal(err)
		}
		sc := bufio.NewScanner(fh)
		sc.Buffer(make([]byte, 0, 1<<20), 8<<20)
		for sc.Scan() {
			var c struct {
				Kind  string          `json:"kind"`
				Input json.RawMessage `json:"input"`
			}
			if json.Unmarshal(sc.Bytes(), &c) != nil {
				continue
			}
			var s string
			var list []string
			if json.Unmarshal(c.Input, &s) == nil && len(s) < 4096 && !strings.Contains(s, "\nReceived:") {
				out = append(out, strings.TrimPrefix(strings.TrimPrefix(s, "Received:"), "Received: "))
			} else if json.Unmarshal(c.Input, &list) == nil {
				out = append(out, list...)
			}
		}
		fh.Close()
	}
	if len(out) == 0 {
		tb.Fatal("no conformance inputs")
	}
	return out
}

func FuzzParse(f *testing.F) {
	for _, s := range conformanceInputs(f) {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		r := Parse(s)
		if r.Raw != s {
			t.Fatal("Raw changed")
		}
		if r.From.IP.IsValid() && (r.From.IP.Is4In6() || r.From.IP.Zone() != "") {
			t.Fatalf("IP not cleaned: %v", r.From.IP)
		}
		if r.From.Port < 0 || r.From.Port > 65535 {
			t.Fatalf("port %d", r.From.Port)
		}
	})
}

// messageInputs returns the Received field values of the conformance
// messages and the bundled sample, as the analyzer receives them: the value
// after "Received:" with its folding kept and CRLF turned to LF.
func messageInputs(tb testing.TB) []string {
	files, _ := filepath.Glob(filepath.Join("..", "..", "testdata", "conformance", "messages", "*.eml"))
	files = append(files, filepath.Join("..", "..", "testdata", "sample.eml"))
	var out []string
	for _, f := range files {
		b, err := os.ReadFile(f)
		if err != nil {
			tb.Fatal(err)
		}
		open := false
		for line := range strings.SplitSeq(strings.ReplaceAll(string(b), "\r\n", "\n"), "\n") {
			if line == "" {
				break // end of the header section
			}
			if line[0] == ' ' || line[0] == '\t' {
				if open {
					out[len(out)-1] += "\n" + line
				}
				continue
			}
			name, value, ok := strings.Cut(line, ":")
			open = ok && strings.EqualFold(strings.TrimSpace(name), "received")
			if open {
				out = append(out, strings.TrimLeft(value, " \t"))
			}
		}
	}
	if len(out) == 0 {
		tb.Fatal("no message inputs")
	}
	return out
}

// corpusInputs: every Received value of the conformance suites, the
// conformance messages and the sample.
func corpusInputs(tb testing.TB) []string {
	return append(conformanceInputs(tb), messageInputs(tb)...)
}

// BenchmarkParse parses the whole corpus once per iteration: ns/op, B/op
// and allocs/op are per corpus pass; fields/op says how many values that is.
func BenchmarkParse(b *testing.B) {
	benchCorpus(b, func(s string) { Parse(s) })
}

// BenchmarkParseTo is BenchmarkParse as a trace parses its fields: with
// one Parser, into Received values of the caller's.
func BenchmarkParseTo(b *testing.B) {
	var ps Parser
	var r Received
	benchCorpus(b, func(s string) { ps.ParseTo(&r, s) })
}

// benchCorpus runs parse over the corpus once per iteration.
func benchCorpus(b *testing.B, parse func(string)) {
	in := corpusInputs(b)
	n := 0
	for _, s := range in {
		n += len(s)
	}
	b.SetBytes(int64(n))
	b.ReportAllocs()
	for b.Loop() {
		for _, s := range in {
			parse(s)
		}
	}
	b.ReportMetric(float64(len(in)), "fields/op")
}
