// Package received parses one RFC 5321 §4.4 trace field ("Received:") as
// real mail servers write it: the from/by/via/with/id/for clauses and the
// comments around them (HELO, reverse DNS, connecting IP, ident, port,
// envelope sender, TLS, authentication) and the date after the last ';'.
//
// Parsing is lenient: Parse always returns its best-effort result and never
// fails on wild input; what it could not understand is said in Warnings.
//
// How the peer fields are read (the trust walk builds on these):
//
//   - From.IP is the address the receiving server recorded for the TCP
//     peer: the address in the TCP-info comment ("(rdns [192.0.2.1])",
//     qmail's "(192.0.2.1)", Exim's "([192.0.2.1]:port helo=x)"), else a
//     literal after the name (Exim 3 "host (helo) [192.0.2.1]"), else the
//     from word itself ("from [192.0.2.1] by", "from 192.0.2.1 by"). An
//     address inside a HELO literal never wins over a recorded one. A from
//     clause with only a name leaves IP invalid. IPv4-mapped IPv6 is
//     unmapped, an "IPv6:" prefix and a zone are dropped.
//   - From.HELO is the HELO/EHLO argument as written: an address literal
//     keeps its brackets ("[192.0.2.1]", "[IPv6:2001:db8::1]"). It is the
//     from word for Sendmail/Postfix-style fields, the "(HELO x)", "helo=x"
//     or `claiming to be "x"` text where the MTA wrote one, and "" when the
//     field names no HELO: a bare address as the from word, or a web (HTTP)
//     submission.
//   - From.RDNS is the reverse-DNS name the server recorded: the name
//     beside the address in the TCP-info, the from word when the format puts
//     the verified name there (Exim with "(Exim" or "helo=", qmail's
//     "name (ip)", CommuniGate's "[ip] verified"). "" when the server wrote
//     unknown / unverified / softdnserr, an address, or a single-label name
//     where a PTR name was expected. A trailing root dot is dropped.
//   - Local is true for hand-offs with no network peer: qmail "invoked by
//     uid" / "invoked from network", Postfix "from userid N", Exim "with
//     local", qmail-scanner "by uid N".
//   - Auth holds what the MTA wrote: the with-protocol of RFC 3848 / 6531
//     (ESMTPA, ESMTPSA, LMTPA, UTF8SMTPA...), Exim's "asmtp", a webmail
//     submission (HTTP, HTTPS, HTTPU, as SpamAssassin counts them), or the
//     marker comment ("Authenticated sender: x", "authenticated bits=0",
//     "authenticated as x", "AUTH: LOGIN x", "account x").
package received

import (
	"net/netip"
	"strings"
	"time"
)

// Peer is the sending side of a hop as the receiving server recorded it.
type Peer struct {
	// Name is the word written right after "from", as written (a host name,
	// an address literal such as "[192.0.2.1]", a bare IP, or ""). Which of
	// HELO or RDNS it stands for depends on the MTA; both are derived below.
	Name  string
	HELO  string     // name the client gave in HELO/EHLO (or the only name recorded); an address literal keeps its brackets: "[192.0.2.1]"
	RDNS  string     // reverse-DNS name the receiving server recorded ("" when unknown, unverified or an IP); no trailing dot
	IP    netip.Addr // connecting IP (IPv4-mapped forms unmapped); invalid when absent
	Ident string     // RFC 1413 ident user, or qmail's user@ part
	Port  int        // client port when recorded, else 0
}

// Host is the receiving side of a hop.
type Host struct {
	Host string     // the `by` host name (or address literal text)
	IP   netip.Addr // IP of the receiving server when recorded
}

// Received is one parsed trace field.
type Received struct {
	Raw          string // the field value as given (without the "Received:" name)
	Parsed       bool   // false when no from/by structure was recognised at all
	Local        bool   // no network peer: local pickup, "invoked by uid", internal hand-off
	From         Peer
	By           Host
	Via          string
	With         string // protocol as written, e.g. ESMTPS, LMTP, HTTP, "Microsoft SMTP Server" (TLS details removed)
	ID           string
	For          string    // recipient as written, angle brackets removed
	EnvelopeFrom string    // envelope-from / envelope-sender when recorded
	TLS          string    // TLS parameters as recorded ("TLSv1.3 TLS_AES_256_GCM_SHA384"), "" if none
	Auth         string    // authentication marker (ESMTPA, ESMTPSA, "Authenticated sender: x"...), "" if none
	Date         time.Time // instant of the date clause; zero when missing or unparsable
	DateRaw      string    // the date text as found, "" when none
	Warnings     []string  // what could not be understood
}

// Protocol is the protocol keyword of the `with` clause, upper case
// ("ESMTPSA", "LMTP", "POP3"), without what follows it.
func (r *Received) Protocol() string {
	proto := r.With
	if i := strings.IndexAny(proto, " \t("); i >= 0 {
		proto = proto[:i]
	}
	// A common keyword in lower case (Exim writes "esmtps", "local") comes
	// back as the constant rather than a copy from strings.ToUpper: a
	// match under ASCII folding is ASCII and upper-cases to it.
	for _, k := range protocols {
		if asciiFold(proto, k) {
			return k
		}
	}
	return strings.ToUpper(proto)
}

// protocols: the with-keywords Protocol returns without a copy.
var protocols = [...]string{
	"SMTP", "ESMTP", "ESMTPS", "ESMTPA", "ESMTPSA", "LMTP", "LMTPS", "LMTPA", "LMTPSA",
	"UTF8SMTP", "UTF8SMTPS", "UTF8SMTPA", "UTF8SMTPSA", "SMTPS", "HTTP", "HTTPS", "LOCAL",
	"ASMTP", "POP3", "IMAP",
}

// Encrypted reports whether the hop ran over TLS: TLS parameters were
// recorded, or the with-protocol says so (RFC 3848 ESMTPS/ESMTPSA/LMTPS...,
// RFC 6531 UTF8SMTPS..., "SMTPS", "HTTPS").
func (r *Received) Encrypted() bool {
	if r.TLS != "" {
		return true
	}
	switch r.Protocol() {
	case "ESMTPS", "ESMTPSA", "LMTPS", "LMTPSA", "UTF8SMTPS", "UTF8SMTPSA", "UTF8LMTPS", "UTF8LMTPSA", "SMTPS", "HTTPS":
		return true
	}
	return false
}
