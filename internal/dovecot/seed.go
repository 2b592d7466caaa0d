package dovecot

import (
	"fmt"
	"math/rand/v2"
	"strings"
	"time"
)

// Origins the seeded messages come from: public addresses in blocks of the
// five RIRs (synthetic hosts; only ever looked up offline in tests), plus
// documentation and private addresses for the hops that have no public
// origin.
var seedOrigins = []string{
	"23.22.14.7", "52.95.110.2", "104.47.18.33", // ARIN
	"81.169.146.12", "185.70.42.9", "2a00:1450:4001:80b::1005", // RIPE NCC
	"1.179.112.5", "43.224.4.17", "202.12.29.140", // APNIC
	"177.71.207.40", "200.160.2.3", // LACNIC
	"41.203.18.9", "196.216.2.6", // AFRINIC
	"192.0.2.44", "10.20.30.40", // documentation, private
}

// SeedMessages makes n deterministic messages for folder (seeded by
// seed): Received chains in the Postfix, Exim, Sendmail, Exchange and
// Dovecot LMTP shapes real servers write, a Date, Message-ID, Subject and
// a small body; about 15% unseen in new/, the rest \Seen, some also
// answered or flagged. Times ascend from start.
func SeedMessages(folder string, n int, seed uint64, start time.Time) []Seed {
	r := rand.New(rand.NewPCG(seed, 0x6d61696c74726163))
	out := make([]Seed, 0, n)
	t := start
	for i := 1; i <= n; i++ {
		t = t.Add(time.Duration(60+r.IntN(3600)) * time.Second)
		origin := seedOrigins[r.IntN(len(seedOrigins))]
		sent := t.Add(-time.Duration(5+r.IntN(600)) * time.Second)
		var b strings.Builder
		arrive := t
		hop := func(d int) time.Time { arrive = arrive.Add(-time.Duration(d) * time.Second); return arrive }
		// Newest (top) first, as delivered.
		fmt.Fprintf(&b, "Return-Path: <sender%d@sender%d.example>\n", i, i%7)
		fmt.Fprintf(&b, "Delivered-To: alice@example.test\n")
		fmt.Fprintf(&b, "Received: from mx.example.test ([127.0.0.3])\n\tby imap.example.test with LMTP\n\tid %s\n\t(envelope-from <sender%d@sender%d.example>)\n\tfor <alice@example.test>; %s\n",
			lmtpID(r), i, i%7, rfc5322(hop(0)))
		relay := fmt.Sprintf("out%d.sender%d.example", r.IntN(9), i%7)
		shape := r.IntN(4)
		switch shape {
		case 0: // Postfix with TLS
			fmt.Fprintf(&b, "Received: from %s (%s [%s])\n\t(using TLSv1.3 with cipher TLS_AES_256_GCM_SHA384 (256/256 bits)\n\t key-exchange X25519 server-signature RSA-PSS (2048 bits) server-digest SHA256)\n\t(No client certificate requested)\n\tby mx.example.test (Postfix) with ESMTPS id %X\n\tfor <alice@example.test>; %s (UTC)\n",
				relay, relay, bracketPostfix(origin), r.Uint64()&0xFFFFFFFFFF, rfc5322(hop(1+r.IntN(5))))
		case 1: // Exim
			fmt.Fprintf(&b, "Received: from [%s] (helo=%s)\n\tby mx.example.test with esmtps  (TLS1.3) tls TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384\n\t(Exim 4.96)\n\t(envelope-from <sender%d@sender%d.example>)\n\tid 1x%s-000%d-%02d\n\tfor alice@example.test;\n\t%s\n",
				origin, relay, i, i%7, base62(r, 4), r.IntN(10000), r.IntN(100), rfc5322(hop(1+r.IntN(5))))
		case 2: // Sendmail
			fmt.Fprintf(&b, "Received: from %s (%s [%s])\n\tby mx.example.test (8.17.1/8.17.1) with ESMTP id 5A%dQ%06d\n\tfor <alice@example.test>; %s\n",
				relay, relay, origin, r.IntN(100), i, rfc5322(hop(1+r.IntN(5))))
		default: // Exchange Online
			fmt.Fprintf(&b, "Received: from %s (%s) by\n mx.example.test (10.167.242.10) with Microsoft SMTP Server (version=TLS1_2,\n cipher=TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384) id 15.20.7409.%d via Frontend\n Transport; %s\n",
				relay, origin, r.IntN(100), exchangeDate(hop(1+r.IntN(5))))
		}
		if r.IntN(3) > 0 { // the sender's own submission hop
			fmt.Fprintf(&b, "Received: from workstation.sender%d.example (unknown [10.0.%d.%d])\n\t(Authenticated sender: sender%d@sender%d.example)\n\tby %s (Postfix) with ESMTPSA id %X\n\tfor <alice@example.test>; %s (UTC)\n",
				i%7, r.IntN(255), 1+r.IntN(254), i, i%7, relay, r.Uint64()&0xFFFFFFFFFF, rfc5322(hop(r.IntN(30)-3)))
		}
		if folder == "Spam" {
			fmt.Fprintf(&b, "X-Spam-Flag: YES\nX-Spam-Status: Yes, score=%d.%d\n", 5+r.IntN(20), r.IntN(10))
		}
		fmt.Fprintf(&b, "Authentication-Results: mx.example.test;\n\tspf=%s smtp.mailfrom=sender%d.example;\n\tdkim=%s header.d=sender%d.example header.s=s1\n",
			pick(r, "pass", "pass", "pass", "fail", "softfail", "none"), i%7, pick(r, "pass", "pass", "fail", "none"), i%7)
		fmt.Fprintf(&b, "Date: %s\n", rfc5322(sent))
		fmt.Fprintf(&b, "From: Sender %d <sender%d@sender%d.example>\n", i, i, i%7)
		fmt.Fprintf(&b, "To: alice@example.test\n")
		fmt.Fprintf(&b, "Subject: %s message %d =?UTF-8?Q?gr=C3=BC=C3=9Fe?=\n", folder, i)
		fmt.Fprintf(&b, "Message-ID: <%d.%d@sender%d.example>\n", seed, i, i%7)
		fmt.Fprintf(&b, "MIME-Version: 1.0\nContent-Type: text/plain; charset=utf-8\n\n")
		for range 1 + r.IntN(20) {
			fmt.Fprintf(&b, "Body line of message %d in %s.\n", i, folder)
		}
		s := Seed{Raw: []byte(b.String()), Time: t, Flags: "S"}
		switch x := r.IntN(20); {
		case x < 3:
			s.New, s.Flags = true, ""
		case x < 5:
			s.Flags = "RS"
		case x < 6:
			s.Flags = "FS"
		case x < 7:
			s.Flags = "" // read elsewhere, unseen again
		}
		out = append(out, s)
	}
	return out
}

func bracketPostfix(ip string) string {
	if strings.Contains(ip, ":") {
		return "IPv6:" + ip
	}
	return ip
}

func rfc5322(t time.Time) string { return t.UTC().Format("Mon, 2 Jan 2006 15:04:05 -0700") }

func exchangeDate(t time.Time) string {
	return t.UTC().Format("Mon, 2 Jan 2006 15:04:05 -0700")
}

func pick(r *rand.Rand, xs ...string) string { return xs[r.IntN(len(xs))] }

func lmtpID(r *rand.Rand) string { return base62(r, 22) }

func base62(r *rand.Rand, n int) string {
	const a = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789"
	b := make([]byte, n)
	for i := range b {
		b[i] = a[r.IntN(len(a))]
	}
	return string(b)
}

// DefaultUsers is the standard test set: alice with 355 messages in five
// folders (one with a non-ASCII name), bob with 20.
func DefaultUsers() []User {
	start := time.Date(2026, 1, 5, 8, 0, 0, 0, time.UTC)
	return []User{
		{Name: "alice@example.test", Password: "alice-pass", Folders: []Folder{
			{Name: "INBOX", Messages: SeedMessages("INBOX", 200, 1, start)},
			{Name: "Archive", Messages: SeedMessages("Archive", 100, 2, start)},
			{Name: "Archive/2023", Messages: SeedMessages("Archive/2023", 20, 3, start)},
			{Name: "Spam", Messages: SeedMessages("Spam", 30, 4, start)},
			{Name: "Entwürfe", Messages: SeedMessages("Entwürfe", 5, 5, start)},
		}},
		{Name: "bob@example.test", Password: "bob-pass", Folders: []Folder{
			{Name: "INBOX", Messages: SeedMessages("INBOX", 20, 6, start)},
		}},
	}
}
