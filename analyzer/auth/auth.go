// Package auth reads what the recipient's side concluded about a message's
// authentication (Authentication-Results, ARC, Received-SPF, DKIM-Signature),
// compares the identities the message claims, and decodes vendor spam
// verdicts. Pure: no network (live checks live in report/verify).
package auth

import (
	"github.com/mailtrace/mailtrace/analyzer/header"
)

// Result is the authentication summary of one message.
type Result struct {
	SPF        string
	DKIM       []DKIM
	DMARC      string
	ARC        string
	AuthservID string
	Raw        string
}

// DKIM is one DKIM verdict.
type DKIM struct {
	Result   string
	Domain   string
	Selector string
}

// Input is what the analyzer knows when auth runs.
type Input struct {
	Header        header.Header // all fields, top first
	RecipientHops int           // how many Received fields at the top the recipient's side wrote
	RecipientOrg  string        // registrable domain of the recipient's side, "" if unknown
	AuthservIDs   []string      // --authserv-id: accept Authentication-Results from these
}

// Finding is an observation with a stable code; the analyzer adds it to the trace.
type Finding struct {
	Code     string
	Severity string // info | warning | alert
	Hop      int
	Message  string
}

// Analyze reads the authentication headers. It returns nil when the message
// carries none.
func Analyze(in Input) (*Result, []Finding) {
	return nil, nil
}
