package auth

import (
	"fmt"
	"net/mail"
	"net/netip"
	"regexp"
	"strings"
	"time"

	"golang.org/x/net/publicsuffix"
)

// authFindings reports failed verdicts, unbelieved and spoofed
// Authentication-Results, DKIM-Signature problems and spam verdicts.
func (a *analysis) authFindings() {
	r := a.res
	switch r.SPF {
	case "fail", "hardfail":
		a.add(CodeFailSPF, Warning, 0, fmt.Sprintf("the recipient's SPF check failed for %s: the sending host is not authorised by the envelope domain", orUnknown(r.SPFMailFrom)))
	case "softfail":
		a.add(CodeFailSPF, Info, 0, fmt.Sprintf("the recipient's SPF check soft-failed for %s: the envelope domain does not vouch for the sending host", orUnknown(r.SPFMailFrom)))
	}
	var pass, fail []string
	for _, d := range r.DKIM {
		switch d.Result {
		case "pass":
			pass = append(pass, d.Domain)
		case "fail", "permerror", "policy":
			fail = append(fail, orUnknown(d.Domain))
		}
	}
	if len(fail) > 0 {
		sev, more := Warning, ""
		if len(pass) > 0 {
			sev, more = Info, fmt.Sprintf("; another signature (%s) passed", strings.Join(pass, ", "))
		}
		a.add(CodeFailDKIM, sev, 0, fmt.Sprintf("the recipient's DKIM check failed for %s%s", strings.Join(fail, ", "), more))
	}
	if r.DMARC == "fail" {
		a.add(CodeFailDMARC, Alert, 0, fmt.Sprintf("the recipient's DMARC check failed for %s: neither SPF nor DKIM vouches for the From domain", orUnknown(r.DMARCFrom)))
	}
	if r.ARC == "fail" {
		a.add(CodeFailARC, Info, 0, "the recipient found the ARC chain broken")
	}
	if r.CompAuth != nil && (r.CompAuth.Result == "fail" || r.CompAuth.Result == "softfail") {
		a.add(CodeFailCompAuth, Warning, 0, fmt.Sprintf("Microsoft composite authentication %s (reason %s)", r.CompAuth.Result, orUnknown(r.CompAuth.Reason)))
	}

	ids := map[string]bool{}
	anyTrusted := false
	for _, f := range r.Results {
		if f.Trusted {
			anyTrusted = true
			if f.AuthservID != "" {
				ids[strings.ToLower(f.AuthservID)] = true
			}
		}
	}
	if len(r.Results) > 0 && !anyTrusted {
		why := "none written by the recipient's side: they are claims and were not used (name the recipient's server with --authserv-id to use its own)"
		if len(a.in.AuthservIDs) > 0 {
			why = "none from an authserv-id given with --authserv-id: they were not used"
		}
		a.add(CodeResultsUntrusted, Info, 0, fmt.Sprintf("%d Authentication-Results field(s) found, %s", len(r.Results), why))
	}
	for _, f := range r.Results {
		if !f.Trusted && f.AuthservID != "" && ids[strings.ToLower(f.AuthservID)] {
			a.add(CodeResultsSpoofed, Warning, 0, fmt.Sprintf("an Authentication-Results field below the recipient's side claims the recipient's own authserv-id %q: forged, or the message passed the recipient twice", f.AuthservID))
		}
	}

	for _, s := range r.Signatures {
		if s.BodyLength != nil {
			a.add(CodeDKIMBodyLength, Warning, 0, fmt.Sprintf("the DKIM signature of %s signs only the first %d body bytes (l=): anything appended after them passes verification", orUnknown(s.Domain), *s.BodyLength))
		}
		if s.Error != "" {
			a.add(CodeDKIMMalformed, Info, 0, fmt.Sprintf("the DKIM signature of %s is malformed: %s", orUnknown(s.Domain), s.Error))
		}
	}

	said := map[string]bool{} // one finding per vendor, from its first header that classes the message
	for _, v := range r.Verdicts {
		if !v.Trusted || said[v.Vendor] || v.Class == "" || v.Class == ClassHam {
			continue
		}
		said[v.Vendor] = true
		switch v.Class {
		case ClassSpam, ClassPhish, ClassMalware:
			a.add(CodeSpamVerdict, Warning, 0, fmt.Sprintf("%s (%s) classed the message as %s: %s", v.Vendor, v.Header, v.Class, v.Summary))
		case ClassBulk:
			a.add(CodeSpamVerdict, Info, 0, fmt.Sprintf("%s (%s) classed the message as bulk: %s", v.Vendor, v.Header, v.Summary))
		}
	}
}

// identityFindings compares the identities the message claims by
// organisational domain (Public Suffix List, as DMARC's relaxed alignment
// does: RFC 7489 §3.2).
func (a *analysis) identityFindings() {
	h := a.in.Header
	fromRaw := unfold(h.Get("From"))
	from := addrSpec(fromRaw)
	fromOrg := OrgDomain(domainOf(from))
	if fromOrg == "" {
		return
	}
	if name := displayName(fromRaw); name != "" {
		if m := emailInText.FindString(name); m != "" && !strings.EqualFold(m, from) {
			sev := Warning
			if OrgDomain(domainOf(m)) == fromOrg {
				sev = Info
			}
			a.add(CodeDisplayName, sev, 0, fmt.Sprintf("the From display name shows the address %s but the message is from %s", m, from))
		}
	}

	rp := addrSpec(unfold(h.Get("Return-Path")))
	rpOrg := OrgDomain(domainOf(rp))
	if rpOrg != "" && rpOrg != fromOrg {
		a.add(CodeFromReturnPath, Info, 0, fmt.Sprintf("From is %s but the Return-Path (bounce address) is %s: normal for mailing lists and bulk senders, a sign of spoofing otherwise", fromOrg, rpOrg))
	}
	env := a.res.SPFMailFrom
	if env == "" {
		env = a.in.EnvelopeFrom
	}
	envDom := domainOf(env)
	if envDom == "" && env != "" && !strings.Contains(env, "@") {
		envDom = strings.Trim(env, "<>") // smtp.mailfrom may hold the domain alone
	}
	if envOrg := OrgDomain(envDom); envOrg != "" && envOrg != fromOrg && envOrg != rpOrg {
		a.add(CodeFromEnvelope, Info, 0, fmt.Sprintf("From is %s but the envelope sender the recipient saw is %s", fromOrg, envOrg))
	}

	for _, rt := range strings.Split(unfold(h.Get("Reply-To")), ",") {
		rtOrg := OrgDomain(domainOf(addrSpec(rt)))
		if rtOrg != "" && rtOrg != fromOrg {
			a.add(CodeFromReplyTo, Warning, 0, fmt.Sprintf("replies go to %s, not to the From domain %s", rtOrg, fromOrg))
			break
		}
	}

	if mid := unfold(h.Get("Message-ID")); mid != "" {
		dom := domainOf(strings.Trim(mid, "<> "))
		if midOrg := OrgDomain(dom); strings.Contains(dom, ".") && midOrg != fromOrg && midOrg != rpOrg {
			a.add(CodeMessageIDDomain, Info, 0, fmt.Sprintf("the Message-ID was made at %s, neither the From domain %s nor the bounce domain", dom, fromOrg))
		}
	}

	var dkimOrgs []string
	aligned := false
	seen := map[string]bool{}
	for _, d := range a.dkimDomains() {
		org := OrgDomain(d)
		if org == fromOrg {
			aligned = true
		}
		if !seen[org] {
			seen[org] = true
			dkimOrgs = append(dkimOrgs, d)
		}
	}
	if len(dkimOrgs) > 0 && !aligned {
		a.add(CodeDKIMDomain, Info, 0, fmt.Sprintf("no DKIM signature is from the From domain %s: signed by %s", fromOrg, strings.Join(dkimOrgs, ", ")))
	}
}

// dkimDomains are the d= of the signatures and of the believed dkim results.
func (a *analysis) dkimDomains() []string {
	var out []string
	for _, s := range a.res.Signatures {
		if s.Domain != "" {
			out = append(out, s.Domain)
		}
	}
	for _, d := range a.res.DKIM {
		if d.Domain != "" && d.Domain != "none" {
			out = append(out, d.Domain)
		}
	}
	return out
}

// entryFindings compares HELO, reverse DNS and IP at the entry hop.
func (a *analysis) entryFindings() {
	e := a.in.Entry
	if e == nil || e.HELO == "" {
		return
	}
	helo := strings.TrimSuffix(strings.ToLower(e.HELO), ".")
	if lit, ok := addressLiteral(helo); ok {
		if e.IP.IsValid() && lit.Unmap() != e.IP.Unmap() {
			a.add(CodeHELORDNS, Warning, e.Hop, fmt.Sprintf("the entry host said HELO [%s] but connected from %s", lit, e.IP))
		}
		return
	}
	rdns := strings.TrimSuffix(strings.ToLower(e.RDNS), ".")
	if rdns == "" || rdns == "unknown" || !strings.Contains(helo, ".") {
		return
	}
	if _, ok := addressLiteral(rdns); ok {
		return
	}
	if OrgDomain(helo) != OrgDomain(rdns) {
		a.add(CodeHELORDNS, Info, e.Hop, fmt.Sprintf("the entry host said HELO %s but %s resolves to %s", helo, addrOr(e.IP), rdns))
	}
}

// dateFindings compares the Date: header with the first hop's time.
func (a *analysis) dateFindings() {
	if a.in.Date.IsZero() || a.in.FirstHopTime.IsZero() {
		return
	}
	d := a.in.FirstHopTime.Sub(a.in.Date)
	if d > DateTolerance || d < -DateTolerance {
		dir := "before"
		if d < 0 {
			dir, d = "after", -d
		}
		a.add(CodeDateFar, Warning, a.in.FirstHop, fmt.Sprintf("the Date: header is %s %s the first hop's time (hop %d): backdated, held, or forged",
			d.Round(time.Minute), dir, a.in.FirstHop))
	}
}

// OrgDomain is the organisational domain (registrable domain, Public Suffix
// List) of a domain, lower case; the domain itself when the list does not
// give one, "" for "".
func OrgDomain(d string) string {
	d = strings.TrimSuffix(strings.ToLower(strings.TrimSpace(d)), ".")
	if d == "" {
		return ""
	}
	if org, err := publicsuffix.EffectiveTLDPlusOne(d); err == nil {
		return org
	}
	return d
}

var emailInText = regexp.MustCompile(`[A-Za-z0-9._%+\-]+@[A-Za-z0-9\-]+(\.[A-Za-z0-9\-]+)+`)

// addrSpec extracts the address of a mailbox leniently, lower-cased domain.
func addrSpec(s string) string {
	s = strings.TrimSpace(s)
	if s == "" || s == "<>" {
		return ""
	}
	if a, err := mail.ParseAddress(s); err == nil {
		return a.Address
	}
	if i := strings.LastIndexByte(s, '<'); i >= 0 {
		rest := s[i+1:]
		if j := strings.IndexByte(rest, '>'); j >= 0 {
			return strings.TrimSpace(rest[:j])
		}
	}
	return emailInText.FindString(s)
}

// displayName is the display name of a mailbox, decoded where net/mail can.
func displayName(s string) string {
	if a, err := mail.ParseAddress(s); err == nil {
		return a.Name
	}
	if i := strings.LastIndexByte(s, '<'); i > 0 {
		return strings.Trim(strings.TrimSpace(s[:i]), `"`)
	}
	return ""
}

// domainOf is the domain of an address, lower case; "" when it has none.
func domainOf(addr string) string {
	i := strings.LastIndexByte(addr, '@')
	if i < 0 {
		return ""
	}
	d := strings.Trim(addr[i+1:], "<>[] \t")
	if _, ok := addressLiteral(d); ok {
		return ""
	}
	return strings.TrimSuffix(strings.ToLower(d), ".")
}

// addressLiteral reads "[192.0.2.1]", "[IPv6:2001:db8::1]" or a bare address.
func addressLiteral(s string) (netip.Addr, bool) {
	s = strings.Trim(s, "[]")
	if len(s) > 5 && strings.EqualFold(s[:5], "ipv6:") {
		s = s[5:]
	}
	a, err := netip.ParseAddr(s)
	return a, err == nil
}

func orUnknown(s string) string {
	if s == "" {
		return "(unknown)"
	}
	return s
}

func addrOr(a netip.Addr) string {
	if !a.IsValid() {
		return "its address"
	}
	return a.String()
}
