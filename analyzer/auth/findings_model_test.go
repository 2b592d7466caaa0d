package auth

import (
	"fmt"
	"strconv"
	"strings"
)

// The models of the findings: authFindings as it was before the believed
// authserv-ids were gathered only when an unbelieved field claims one and
// the vendors said were listed on the stack (both were maps made for every
// message), and entryFindings before it compared the organisations of a
// HELO and a reverse name only when they differ. analyzeModel calls them.
// domainOfModel is domainOf before plainDomain read the usual address in
// one walk; FuzzEquivalents holds domainOf to it.

func (a *analysis) authFindingsModel() {
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

	ids := map[string]bool{}
	anyTrusted := false
	for _, f := range r.Results {
		if f.Trusted {
			anyTrusted = true
			if f.AuthservID != "" {
				ids[toLower(f.AuthservID)] = true
			}
		}
	}
	if len(r.Results) > 0 && !anyTrusted {
		why := "none written by the recipient's side: they are claims and were not used (name the recipient's server with --authserv-id to use its own)"
		if len(a.in.AuthservIDs) > 0 {
			why = "none from an authserv-id given with --authserv-id: they were not used"
		}
		a.add(CodeResultsUntrusted, Info, 0, strconv.Itoa(len(r.Results))+" Authentication-Results field(s) found, "+why)
	}
	for _, f := range r.Results {
		if !f.Trusted && f.AuthservID != "" && ids[toLower(f.AuthservID)] {
			a.add(CodeResultsSpoofed, Warning, 0, fmt.Sprintf("an Authentication-Results field below the recipient's side claims the recipient's own authserv-id %q: forged, or the message passed the recipient twice", f.AuthservID))
		}
	}

	for _, s := range r.Signatures {
		if s.BodyLength != nil {
			a.add(CodeDKIMBodyLength, Warning, 0, bodyLengthMessage(s.Domain, *s.BodyLength))
		}
		if s.Error != "" {
			a.add(CodeDKIMMalformed, Info, 0, "the DKIM signature of "+orUnknown(s.Domain)+" is malformed: "+s.Error)
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
			a.add(CodeSpamVerdict, Warning, 0, v.Vendor+" ("+v.Header+") classed the message as "+v.Class+": "+v.Summary)
		case ClassBulk:
			a.add(CodeSpamVerdict, Info, 0, v.Vendor+" ("+v.Header+") classed the message as bulk: "+v.Summary)
		}
	}
}

func (a *analysis) entryFindingsModel() {
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
	if a.orgDomain(helo) != a.orgDomain(rdns) {
		a.add(CodeHELORDNS, Info, e.Hop, "the entry host said HELO "+helo+" but "+addrOr(e.IP)+" resolves to "+rdns)
	}
}

func domainOfModel(addr string) string {
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

// plainDomainOld is plainDomain before it read four bytes of the domain
// at a time; FuzzEquivalents holds plainDomain to it.
func plainDomainOld(addr string) (_ string, ok bool) {
	var seen uint8 // the classes of the domain's bytes
	for i := len(addr) - 1; i >= 0; i-- {
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
