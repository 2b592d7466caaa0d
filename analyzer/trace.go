// Package analyzer turns a message's header section into a Trace: the
// Received hops oldest first with their times and delays, which of them the
// recipient's own servers wrote, the entry and origin IPs, and findings.
//
// analyzer is pure: no network, no files. It imports neither fetch nor report.
package analyzer

import (
	"net/netip"
	"time"

	"github.com/mailtrace/mailtrace/analyzer/auth"
	"github.com/mailtrace/mailtrace/analyzer/header"
	"github.com/mailtrace/mailtrace/analyzer/received"
)

// Trust says whether a hop can be believed.
type Trust string

const (
	TrustRecipient Trust = "recipient" // written by the recipient's own servers
	TrustExternal  Trust = "external"  // written by a relay outside, as claimed
	TrustSuspect   Trust = "suspect"   // inconsistent: broken chain, time backwards, impossible address
)

// Severity of a finding.
type Severity string

const (
	Info    Severity = "info"
	Warning Severity = "warning"
	Alert   Severity = "alert"
)

// Finding codes. They are a contract: tests and pipelines match on them.
const (
	CodeNegativeDelay    = "negative-delay"
	CodeMissingTimestamp = "missing-timestamp"
	CodeUnparsedHop      = "unparsed-hop"
	CodeChainBreak       = "chain-break"
	CodeFutureTimestamp  = "future-timestamp"
	CodeNoPublicOrigin   = "no-public-origin"
	CodeNoReceived       = "no-received"
	CodeHELOMismatch     = "helo-rdns-mismatch"
	CodeSpecialAddress   = "special-address"
	CodeDateMismatch     = "date-mismatch"
	CodeMalformedHeader  = "malformed-header"
)

// Finding is one thing worth telling about the message.
type Finding struct {
	Code     string
	Severity Severity
	Hop      int // hop index (1 = oldest), 0 when about the whole message
	Message  string
}

// Hop is one Received field in route order.
type Hop struct {
	Index int // 1 = oldest (bottom-most)
	received.Received
	Trust    Trust
	Delay    int64 // signed seconds since the previous hop (hop 1: since Date:)
	HasDelay bool
	// PeerInside reports that the hop's `from` peer is itself on the
	// recipient's side (or there is none), so the walk went on below it.
	PeerInside bool
}

// Endpoint is an IP and the hop it was read from.
type Endpoint struct {
	IP     netip.Addr
	Hop    int
	Reason string // for Origin: why this address was chosen
}

// ClientIP is a webmail client address from a header such as X-Originating-IP.
type ClientIP struct {
	IP     netip.Addr
	Header string
}

// Summary holds the message's identifying headers, decoded.
type Summary struct {
	MessageID  string
	Date       time.Time // zero when missing or unparsable
	DateRaw    string
	From       string
	To         []string
	Subject    string // RFC 2047 decoded
	ReturnPath string
	ReplyTo    string
}

// Trace is the analysis of one message.
type Trace struct {
	Message    Summary
	Hops       []Hop  // oldest first
	Recipient  string // the recipient's organisation (registrable domain), "" if unknown
	Entry      *Endpoint
	Origin     *Endpoint
	ClientIP   *ClientIP
	TotalDelay int64 // seconds from the first known time to the last
	HasTotal   bool
	Auth       *auth.Result // nil when the message carries no authentication headers
	Findings   []Finding
	Header     header.Header // all fields, for later stages (authentication, vendor verdicts)
}

// Options tune the analysis.
type Options struct {
	// TrustNets and TrustDomains name the recipient's infrastructure
	// explicitly (--trust); they add to the inferred organisation.
	TrustNets    []netip.Prefix
	TrustDomains []string
	// Now is the clock for future-timestamp findings; zero means time.Now.
	Now time.Time
	// AuthservIDs (--authserv-id) name the recipient's authentication servers.
	AuthservIDs []string
}
