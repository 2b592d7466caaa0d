package analyzer

import "github.com/mailtrace/mailtrace/analyzer/auth"

// analyzeAuth runs the authentication stage once hops and trust are known;
// the entry's peer, when there is one, is written to *peer. from is the
// From field as summarize read it for the stage (nil: the stage reads it).
// The result is made in mem (nil: allocated).
func analyzeAuth(t *Trace, opts Options, peer *auth.Peer, from *auth.Mailbox, mem *auth.Mem) {
	in := auth.Input{
		Header:       t.Header,
		RecipientOrg: t.Recipient,
		AuthservIDs:  opts.AuthservIDs,
		Date:         t.Message.Date,
		From:         from,
		Mem:          mem,
	}
	for i := range t.Hops {
		h := &t.Hops[i]
		if h.Trust == TrustRecipient {
			in.RecipientHops++
			if in.EnvelopeFrom == "" {
				in.EnvelopeFrom = h.EnvelopeFrom // lowest recipient hop first: the entry
			}
		}
		if in.FirstHop == 0 && !h.Date.IsZero() {
			in.FirstHop, in.FirstHopTime = h.Index, h.Date
		}
	}
	if t.Entry != nil && t.Entry.Hop >= 1 && t.Entry.Hop <= len(t.Hops) {
		h := &t.Hops[t.Entry.Hop-1]
		*peer = auth.Peer{Hop: h.Index, HELO: h.From.HELO, RDNS: h.From.RDNS, IP: h.From.IP}
		in.Entry = peer
	}
	var buf [8]auth.Finding // copied into t below: the usual few need no allocation
	res, findings := auth.AnalyzeTo(in, buf[:0])
	t.Auth = res
	for _, f := range findings {
		if f.Code == CodeHELOMismatch && t.hasFinding(f.Code, f.Hop) {
			continue // the trust walk already said it about this hop
		}
		t.appendFinding(Finding{Code: f.Code, Severity: Severity(f.Severity), Hop: f.Hop, Message: f.Message})
	}
}

func (t *Trace) hasFinding(code string, hop int) bool {
	for _, f := range t.Findings {
		if f.Code == code && f.Hop == hop {
			return true
		}
	}
	return false
}
