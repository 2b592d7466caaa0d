// Package whois names the registry that holds an IP address and asks it.
//
// Routing: the IANA IPv4 address-space and IPv6 unicast-assignment tables
// are embedded (data/, refreshed by `go generate`), so Lookup names the RIR
// and its whois server with no network at all.
//
// Querying: Client sends RFC 3912 queries through github.com/likexian/whois
// (stats off, referrals off, our dialer for redirection, bounds and
// cancellation) and follows the registries' referrals itself: IANA
// "refer:", ARIN's last "ReferralServer:" (ARIN is asked "n + IP"),
// whois:// and rwhois:// URLs, APNIC objects mirrored from JPNIC (asked
// with "/e" for English) and KRNIC, LACNIC to NIC.br. Each server is kept
// within its budget and backed off after a rate-limit answer
// (report/attrib/throttle).
//
// Parsing: each registry's answer becomes one Result — the narrowest
// network object holding the address, its CIDRs (LACNIC's abbreviated
// "200.57.128/19" expanded), name, handle, owner, country, abuse mailboxes
// (RIPE/APNIC "% Abuse contact for" first, ARIN RAbuse/OrgAbuseEmail,
// abuse-c and IRT objects; never a registry's placeholder mailbox) and the
// origin AS. Answers are decoded to UTF-8 (ISO-2022-JP, Latin-1).
package whois
