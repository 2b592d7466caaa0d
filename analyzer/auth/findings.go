package auth

import (
	"errors"
	"fmt"
	"io"
	"mime"
	"net/mail"
	"net/netip"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/mailtrace/mailtrace/analyzer/internal/mailbox"
	"github.com/mailtrace/mailtrace/analyzer/internal/psl"
	"github.com/mailtrace/mailtrace/analyzer/ipclass"
)

// authFindings reports failed verdicts, unbelieved and spoofed
// Authentication-Results, DKIM-Signature problems and spam verdicts.
func (a *analysis) authFindings() {
	r := &a.res
	switch r.SPF {
	case "fail", "hardfail":
		a.add(CodeFailSPF, Warning, 0, "the recipient's SPF check failed for "+orUnknown(r.SPFMailFrom)+": the sending host is not authorised by the envelope domain")
	case "softfail":
		a.add(CodeFailSPF, Info, 0, "the recipient's SPF check soft-failed for "+orUnknown(r.SPFMailFrom)+": the envelope domain does not vouch for the sending host")
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
			sev, more = Info, "; another signature ("+strings.Join(pass, ", ")+") passed"
		}
		a.add(CodeFailDKIM, sev, 0, "the recipient's DKIM check failed for "+strings.Join(fail, ", ")+more)
	}
	if r.DMARC == "fail" {
		a.add(CodeFailDMARC, Alert, 0, "the recipient's DMARC check failed for "+orUnknown(r.DMARCFrom)+": neither SPF nor DKIM vouches for the From domain")
	}
	if r.ARC == "fail" {
		a.add(CodeFailARC, Info, 0, "the recipient found the ARC chain broken")
	}
	if r.CompAuth != nil && (r.CompAuth.Result == "fail" || r.CompAuth.Result == "softfail") {
		a.add(CodeFailCompAuth, Warning, 0, "Microsoft composite authentication "+r.CompAuth.Result+" (reason "+orUnknown(r.CompAuth.Reason)+")")
	}

	a.resultsFindings()

	for i := range r.Signatures {
		s := &r.Signatures[i]
		if s.BodyLength != nil {
			a.add(CodeDKIMBodyLength, Warning, 0, bodyLengthMessage(s.Domain, *s.BodyLength))
		}
		if s.Error != "" {
			a.add(CodeDKIMMalformed, Info, 0, "the DKIM signature of "+orUnknown(s.Domain)+" is malformed: "+s.Error)
		}
	}

	// One finding per vendor, from its first header that classes the
	// message. The vendors are the few of vendorHeaders: a list on the
	// stack holds those said.
	var saidBuf [8]string
	said := saidBuf[:0]
	for i := range r.Verdicts {
		v := &r.Verdicts[i]
		if !v.Trusted || v.Class == "" || v.Class == ClassHam || slices.Contains(said, v.Vendor) {
			continue
		}
		said = append(said, v.Vendor)
		switch v.Class {
		case ClassSpam, ClassPhish, ClassMalware:
			a.add(CodeSpamVerdict, Warning, 0, v.Vendor+" ("+v.Header+") classed the message as "+v.Class+": "+v.Summary)
		case ClassBulk:
			a.add(CodeSpamVerdict, Info, 0, v.Vendor+" ("+v.Header+") classed the message as bulk: "+v.Summary)
		}
	}
}

// resultsFindings reports Authentication-Results of which none is
// believed, and those below the recipient's side that claim the
// authserv-id of a believed one. The believed ids are gathered only when
// both kinds are there: most messages have one kind or none.
func (a *analysis) resultsFindings() {
	rs := a.res.Results
	anyTrusted, claims := false, false // claims: an unbelieved field names an authserv-id
	for i := range rs {
		if rs[i].Trusted {
			anyTrusted = true
		} else if rs[i].AuthservID != "" {
			claims = true
		}
	}
	if len(rs) > 0 && !anyTrusted {
		why := "none written by the recipient's side: they are claims and were not used (name the recipient's server with --authserv-id to use its own)"
		if len(a.in.AuthservIDs) > 0 {
			why = "none from an authserv-id given with --authserv-id: they were not used"
		}
		a.add(CodeResultsUntrusted, Info, 0, strconv.Itoa(len(rs))+" Authentication-Results field(s) found, "+why)
	}
	if !anyTrusted || !claims {
		return
	}
	ids := map[string]bool{}
	for i := range rs {
		if f := &rs[i]; f.Trusted && f.AuthservID != "" {
			ids[toLower(f.AuthservID)] = true
		}
	}
	for i := range rs {
		if f := &rs[i]; !f.Trusted && f.AuthservID != "" && ids[toLower(f.AuthservID)] {
			a.add(CodeResultsSpoofed, Warning, 0, fmt.Sprintf("an Authentication-Results field below the recipient's side claims the recipient's own authserv-id %q: forged, or the message passed the recipient twice", f.AuthservID))
		}
	}
}

// identityFindings compares the identities the message claims by
// organisational domain (Public Suffix List, as DMARC's relaxed alignment
// does: RFC 7489 §3.2).
func (a *analysis) identityFindings() {
	from, name := a.fromMailbox()
	fromOrg := a.orgDomain(domainOf(from))
	if fromOrg == "" {
		return
	}
	if name != "" {
		if m := findEmail(name); m != "" && !strings.EqualFold(m, from) {
			sev := Warning
			if a.orgDomain(domainOf(m)) == fromOrg {
				sev = Info
			}
			a.add(CodeDisplayName, sev, 0, "the From display name shows the address "+m+" but the message is from "+from)
		}
	}

	rp := addrSpec(unfold(a.identityValue(identityReturnPath)))
	rpOrg := a.orgDomain(domainOf(rp))
	if rpOrg != "" && rpOrg != fromOrg {
		a.add(CodeFromReturnPath, Info, 0, "From is "+fromOrg+" but the Return-Path (bounce address) is "+rpOrg+": normal for mailing lists and bulk senders, a sign of spoofing otherwise")
	}
	env := a.res.SPFMailFrom
	if env == "" {
		env = a.in.EnvelopeFrom
	}
	envDom := domainOf(env)
	if envDom == "" && env != "" && !strings.Contains(env, "@") {
		envDom = strings.Trim(env, "<>") // smtp.mailfrom may hold the domain alone
	}
	if envOrg := a.orgDomain(envDom); envOrg != "" && envOrg != fromOrg && envOrg != rpOrg {
		a.add(CodeFromEnvelope, Info, 0, "From is "+fromOrg+" but the envelope sender the recipient saw is "+envOrg)
	}

	// No Reply-To, the usual case, is one empty mailbox: no domain.
	for rest, more := unfold(a.identityValue(identityReplyTo)), a.identity[identityReplyTo] > 0; more; {
		var rt string
		rt, rest, more = cutByte(rest, ',')
		rtOrg := a.orgDomain(domainOf(addrSpec(rt)))
		if rtOrg != "" && rtOrg != fromOrg {
			a.add(CodeFromReplyTo, Warning, 0, "replies go to "+rtOrg+", not to the From domain "+fromOrg)
			break
		}
	}

	if mid := unfold(a.identityValue(identityMessageID)); mid != "" {
		dom := domainOf(midTrim.trim(mid))
		if midOrg := a.orgDomain(dom); strings.Contains(dom, ".") && midOrg != fromOrg && midOrg != rpOrg {
			a.add(CodeMessageIDDomain, Info, 0, "the Message-ID was made at "+dom+", neither the From domain "+fromOrg+" nor the bounce domain")
		}
	}

	// The signing domains, one per organisational domain, in order: the
	// d= of the signatures, then of the believed dkim results.
	var domainBuf, orgBuf [4]string // on the stack for the usual few
	domains, orgs := domainBuf[:0], orgBuf[:0]
	aligned := false
	sigs, results := a.res.Signatures, a.res.DKIM
	for i := range len(sigs) + len(results) {
		var d string
		if i < len(sigs) {
			d = sigs[i].Domain
		} else if d = results[i-len(sigs)].Domain; d == "none" {
			continue
		}
		if d == "" {
			continue
		}
		org := a.orgDomain(d)
		if org == fromOrg {
			aligned = true
		}
		if !slices.Contains(orgs, org) {
			orgs = append(orgs, org)
			domains = append(domains, d)
		}
	}
	if len(domains) > 0 && !aligned {
		a.add(CodeDKIMDomain, Info, 0, "no DKIM signature is from the From domain "+fromOrg+": signed by "+strings.Join(domains, ", "))
	}
}

// fromMailbox returns the address and display name of the first From
// field: those the caller read (Input.From) when it read that field.
func (a *analysis) fromMailbox() (addr, name string) {
	if m := a.in.From; m != nil && m.Field >= 0 && a.identity[identityFrom] == m.Field+1 {
		return m.Addr, m.Name
	}
	return parseMailbox(unfold(a.identityValue(identityFrom)))
}

// entryFindings compares HELO, reverse DNS and IP at the entry hop.
func (a *analysis) entryFindings() {
	e := a.in.Entry
	if e == nil || e.HELO == "" {
		return
	}
	helo := strings.TrimSuffix(toLower(e.HELO), ".")
	if lit, ok := addressLiteral(helo); ok {
		if e.IP.IsValid() && lit.Unmap() != e.IP.Unmap() {
			a.add(CodeHELORDNS, Warning, e.Hop, fmt.Sprintf("the entry host said HELO [%s] but connected from %s", lit, e.IP))
		}
		return
	}
	rdns := strings.TrimSuffix(toLower(e.RDNS), ".")
	if rdns == "" || rdns == "unknown" || !strings.Contains(helo, ".") {
		return
	}
	if _, ok := addressLiteral(rdns); ok {
		return
	}
	if helo != rdns && a.orgDomain(helo) != a.orgDomain(rdns) { // the same name, often, has the same organisation
		a.add(CodeHELORDNS, Info, e.Hop, "the entry host said HELO "+helo+" but "+addrOr(e.IP)+" resolves to "+rdns)
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
		a.add(CodeDateFar, Warning, a.in.FirstHop, dateMessage(d, dir, a.in.FirstHop))
	}
}

// bodyLengthMessage is the message of CodeDKIMBodyLength (built without
// fmt, as dateMessage; fmtModels in the tests hold them to fmt).
func bodyLengthMessage(domain string, n int64) string {
	return "the DKIM signature of " + orUnknown(domain) + " signs only the first " + strconv.FormatInt(n, 10) +
		" body bytes (l=): anything appended after them passes verification"
}

// dateMessage is the message of CodeDateFar.
func dateMessage(d time.Duration, dir string, hop int) string {
	return "the Date: header is " + d.Round(time.Minute).String() + " " + dir + " the first hop's time (hop " + strconv.Itoa(hop) +
		"): backdated, held, or forged"
}

// OrgDomain is the organisational domain (registrable domain, Public Suffix
// List) of a domain, lower case; the domain itself when the list does not
// give one, "" for "".
func OrgDomain(d string) string {
	if !trimmed(d) {
		d = strings.TrimSpace(d)
	}
	d = strings.TrimSuffix(toLower(d), ".")
	if d == "" {
		return ""
	}
	if strings.Count(d, ".") <= 1 {
		// One or two labels: the registrable domain, which has at least
		// two labels and ends the domain, can only be the domain itself,
		// and when there is none the domain is returned too. Spares the
		// list lookup (and its allocation) for the commonest domains.
		return d
	}
	if org, err := psl.EffectiveTLDPlusOne(d); err == nil {
		return org
	}
	return d
}

// orgDomain is OrgDomain, remembered: a message names the same few domains
// over and over (From, Return-Path, DKIM d=, Message-ID).
func (a *analysis) orgDomain(d string) string {
	if d == "" {
		return ""
	}
	for _, o := range a.orgs[:a.norgs] {
		if o[0] == d {
			return o[1]
		}
	}
	org := OrgDomain(d)
	if a.norgs < len(a.orgs) {
		a.orgs[a.norgs] = [2]string{d, org}
		a.norgs++
	}
	return org
}

// findEmail returns the leftmost text in s that looks like an address, as
// the regular expression [A-Za-z0-9._%+\-]+@[A-Za-z0-9\-]+(\.[A-Za-z0-9\-]+)+
// (leftmost-first, greedy) would find it; "" when there is none. Since '@'
// and '.' cannot be part of the runs around them, the match is determined by
// its '@': the local part is the whole run before it, the domain the longest
// dot-separated run of labels after it, with at least one dot.
func findEmail(s string) string {
	for at := strings.IndexByte(s, '@'); at >= 0; {
		start := at
		for start > 0 && isLocalChar(s[start-1]) {
			start--
		}
		if start < at {
			if end := domainEnd(s, at+1); end >= 0 {
				return s[start:end]
			}
		}
		next := strings.IndexByte(s[at+1:], '@')
		if next < 0 {
			break
		}
		at += 1 + next
	}
	return ""
}

// domainEnd returns the end of the domain findEmail matches at s[i:], -1
// when there is none.
func domainEnd(s string, i int) int {
	j := i
	for j < len(s) && isLabelChar(s[j]) {
		j++
	}
	if j == i {
		return -1
	}
	end := -1
	for j+1 < len(s) && s[j] == '.' && isLabelChar(s[j+1]) {
		for j++; j < len(s) && isLabelChar(s[j]); j++ {
		}
		end = j
	}
	return end
}

func isLabelChar(c byte) bool {
	return 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9' || c == '-'
}

func isLocalChar(c byte) bool {
	return isLabelChar(c) || c == '.' || c == '_' || c == '%' || c == '+'
}

// addrSpec extracts the address of a mailbox leniently, lower-cased domain.
func addrSpec(s string) string {
	if !trimmed(s) {
		s = strings.TrimSpace(s)
	}
	addr, _ := parseMailbox(s)
	return addr
}

// parseMailbox reads a mailbox s, already trimmed, leniently: its address,
// and its display name, decoded where net/mail can.
func parseMailbox(s string) (addr, name string) {
	if s == "" || s == "<>" {
		return "", ""
	}
	var rejected string // the encoded-word whose charset mailWords rejected
	decode := func(word string) (string, error) {
		d, err := mailWords.Decode(word)
		if err == errCharset {
			rejected = word
		}
		return d, err
	}
	if addr, name, ok := mailbox.Decoded(s, decode); ok {
		return addr, name // what mail.ParseAddress would return, without its allocations
	}
	if !firstWordRejected(s, rejected) && mayParse(s) {
		if a, err := mail.ParseAddress(s); err == nil {
			return a.Address, a.Name
		}
	}
	if i := strings.LastIndexByte(s, '<'); i >= 0 {
		if i > 0 {
			name = strings.Trim(strings.TrimSpace(s[:i]), `"`)
		}
		rest := s[i+1:]
		if j := strings.IndexByte(rest, '>'); j >= 0 {
			return strings.TrimSpace(rest[:j]), name
		}
	}
	return findEmail(s), name
}

// mayParse is false for an s on which mail.ParseAddress fails for want
// of an '@' or a ':': every address it reads has an addr-spec, whose '@'
// it reads as written (RFC 5322 §3.4.1), or is a group, named before a
// ':' (§3.4). The Return-Path of a bounce, "<MAILER-DAEMON>", spares
// net/mail's failure and its allocations.
func mayParse(s string) bool {
	return strings.IndexByte(s, '@') >= 0 || strings.IndexByte(s, ':') >= 0
}

// firstWordRejected reports that mail.ParseAddress fails on s, which
// mailbox.Decoded did not read, because s starts with the encoded-word
// whose charset mailWords rejected, ended by white space or '<': net/mail
// reads that word first as well (an addr-spec needs an '@' after it), and
// a display name whose first word has a charset it cannot decode is an
// error (it drops a later such word and what follows instead). A
// message from a sender whose name is written in GB2312 or ISO-2022-JP,
// say, spares net/mail's parse and its allocations.
func firstWordRejected(s, word string) bool {
	if word == "" || len(s) <= len(word) || s[:len(word)] != word {
		return false
	}
	switch s[len(word)] {
	case ' ', '\t', '<':
		return true
	}
	return false
}

// mailWords decodes the RFC 2047 encoded-words of a display name as
// mail.ParseAddress does: the charsets package mime reads itself (UTF-8,
// ISO-8859-1, US-ASCII), errCharset for any other, on which
// mailbox.Decoded leaves the name to net/mail (which fails on it too).
var mailWords = &mime.WordDecoder{CharsetReader: func(string, io.Reader) (io.Reader, error) {
	return nil, errCharset
}}

// errCharset is the error of mailWords for a charset it does not decode:
// one value, which the mime package returns as it is.
var errCharset = errors.New("auth: charset not decoded")

// domainOf is the domain of an address, lower case; "" when it has none.
func domainOf(addr string) string {
	if d, ok := plainDomain(addr); ok {
		return d
	}
	i := strings.LastIndexByte(addr, '@')
	if i < 0 {
		return ""
	}
	d := domainTrim.trim(addr[i+1:])
	if _, ok := addressLiteral(d); ok {
		return ""
	}
	return strings.TrimSuffix(toLower(d), ".")
}

// plainDomain is domainOf for the usual address, whose domain is lower
// case letters, digits, '-' and '.' with a letter or '-' in it, so that
// it is no IP address: of the rest of domainOf only a final dot's trim
// changes it. One walk back to the '@', by table; ok is false for any
// other address.
func plainDomain(addr string) (_ string, ok bool) {
	var seen uint8 // the classes of the domain's bytes
	i := len(addr) - 1
	for ; i >= 3; i -= 4 {
		// Four bytes at once while they are all of the domain: their
		// classes gathered are a digit's or a letter's alone.
		c := domainClass[addr[i]] | domainClass[addr[i-1]] | domainClass[addr[i-2]] | domainClass[addr[i-3]]
		if c > domainDigit|domainLetter {
			break
		}
		seen |= c
	}
	for ; i >= 0; i-- {
		c := domainClass[addr[i]]
		if c > domainLetter {
			if c != domainAt || seen&domainLetter == 0 {
				return "", false
			}
			return strings.TrimSuffix(addr[i+1:], "."), true
		}
		seen |= c
	}
	return "", false
}

// domainClass classes the bytes for plainDomain.
var domainClass = func() (t [256]uint8) {
	for c := range t {
		t[c] = domainOther
	}
	for c := '0'; c <= '9'; c++ {
		t[c] = domainDigit
	}
	t['.'] = domainDigit // as a digit: an IPv4 address has both
	for c := 'a'; c <= 'z'; c++ {
		t[c] = domainLetter
	}
	t['-'] = domainLetter
	t['@'] = domainAt
	return t
}()

// The classes of domainClass, bits that plainDomain gathers.
const (
	domainDigit  = 1
	domainLetter = 2
	domainAt     = 4
	domainOther  = 8
)

// The cutsets of strings.Trim calls, built once.
var (
	midTrim     = makeASCIISet("<> ")
	domainTrim  = makeASCIISet("<>[] \t")
	bracketTrim = makeASCIISet("[]")
)

// addressLiteral reads "[192.0.2.1]", "[IPv6:2001:db8::1]" or a bare address.
func addressLiteral(s string) (netip.Addr, bool) {
	s = bracketTrim.trim(s)
	if len(s) > 5 && s[4] == ':' && strings.EqualFold(s[:4], "ipv6") {
		s = s[5:]
	}
	if !addrChars(s) {
		return netip.Addr{}, false // a domain name, the usual case: spares the parse
	}
	return ipclass.ParseAddr(s)
}

// addrChars is false for an s netip.ParseAddr rejects for its characters:
// an address, IPv4 or IPv6, holds only hex digits, '.' and ':' before any
// %zone. FuzzEquivalents holds it to ipclass.ParseAddr.
func addrChars(s string) bool {
	for i := 0; i < len(s); i++ {
		switch c := s[i]; {
		case '0' <= c && c <= '9', 'a' <= c && c <= 'f', 'A' <= c && c <= 'F', c == '.', c == ':':
		case c == '%':
			return i > 0
		default:
			return false
		}
	}
	return s != ""
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
