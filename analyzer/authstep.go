package analyzer

import "github.com/mailtrace/mailtrace/analyzer/auth"

// analyzeAuth runs the authentication stage once hops and trust are known.
func analyzeAuth(t *Trace, opts Options) {
	in := auth.Input{Header: t.Header, RecipientOrg: t.Recipient, AuthservIDs: opts.AuthservIDs}
	for _, h := range t.Hops {
		if h.Trust == TrustRecipient {
			in.RecipientHops++
		}
	}
	res, findings := auth.Analyze(in)
	t.Auth = res
	for _, f := range findings {
		t.Findings = append(t.Findings, Finding{Code: f.Code, Severity: Severity(f.Severity), Hop: f.Hop, Message: f.Message})
	}
}
