// Package received parses one RFC 5321 §4.4 trace field ("Received:") as
// real mail servers write it: the from/by/via/with/id/for clauses and the
// comments around them (HELO, reverse DNS, connecting IP, ident, port,
// envelope sender, TLS, authentication) and the date after the last ';'.
//
// Parsing is lenient: Parse always returns its best-effort result and never
// fails on wild input; what it could not understand is said in Warnings.
package received

import (
	"net/netip"
	"time"
)

// Peer is the sending side of a hop as the receiving server recorded it.
type Peer struct {
	HELO  string     // name the client gave in HELO/EHLO (or the only name recorded)
	RDNS  string     // reverse-DNS name the receiving server recorded ("" when unknown)
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
	With         string // protocol keyword, e.g. ESMTPS, LMTP, HTTP
	ID           string
	For          string    // recipient as written, angle brackets removed
	EnvelopeFrom string    // envelope-from / envelope-sender when recorded
	TLS          string    // TLS parameters as recorded ("TLSv1.3 TLS_AES_256_GCM_SHA384"), "" if none
	Auth         string    // authentication marker (ESMTPA, ESMTPSA, "Authenticated sender: x"...), "" if none
	Date         time.Time // instant of the date clause; zero when missing or unparsable
	DateRaw      string    // the date text as found, "" when none
	Warnings     []string  // what could not be understood
}
