package report

import "github.com/mailtrace/mailtrace/analyzer"

// fillAuth converts the analyzer's authentication summary.
func fillAuth(r *Report, t *analyzer.Trace) {
	a := t.Auth
	if a == nil {
		return
	}
	r.Auth = &Auth{SPF: a.SPF, DMARC: a.DMARC, ARC: a.ARC, AuthservID: a.AuthservID, Raw: a.Raw, DKIM: []DKIMResult{}}
	for _, d := range a.DKIM {
		r.Auth.DKIM = append(r.Auth.DKIM, DKIMResult{Result: d.Result, Domain: d.Domain, Selector: d.Selector})
	}
}
