// Package report turns a Trace and its attribution into the mailtrace/v1
// report and renders it as text, JSON or JSON Lines; Scan runs the bulk
// pipeline over a whole source.
package report

import (
	"github.com/mailtrace/mailtrace/report/attrib"
)

// Schema is the value of the `schema` field.
const Schema = "mailtrace/v1"

// Report is one message's report, schema mailtrace/v1. The JSON field names
// are a contract pinned by tests.
type Report struct {
	Schema            string              `json:"schema"`
	Source            Source              `json:"source"`
	Message           Message             `json:"message"`
	Hops              []Hop               `json:"hops"`
	Entry             *Entry              `json:"entry"`
	Origin            *Origin             `json:"origin"`
	ClientIP          *ClientIP           `json:"client_ip"`
	Attribution       *attrib.Attribution `json:"attribution"`
	Auth              *Auth               `json:"auth"`
	TotalDelaySeconds *int64              `json:"total_delay_seconds"`
	Findings          []Finding           `json:"findings"`
	Error             string              `json:"error,omitempty"` // the message could not be read
}

// Source says where the message came from; never a password.
type Source struct {
	Kind        string `json:"kind"`
	Name        string `json:"name"`
	Mailbox     string `json:"mailbox,omitempty"`
	UID         uint32 `json:"uid,omitempty"`
	UIDValidity uint32 `json:"uidvalidity,omitempty"`
	Index       int    `json:"index"`
	POP3UID     string `json:"pop3_uid,omitempty"`
}

// Message is the message's identifying headers.
type Message struct {
	MessageID  string   `json:"message_id"`
	Date       *string  `json:"date"` // RFC 3339 UTC, null when missing or unparsable
	DateRaw    string   `json:"date_raw"`
	From       string   `json:"from"`
	To         []string `json:"to"`
	Subject    string   `json:"subject"`
	ReturnPath string   `json:"return_path"`
	ReplyTo    string   `json:"reply_to"`
}

// Hop is one Received field, index 1 = oldest.
type Hop struct {
	Index        int                 `json:"index"`
	Raw          string              `json:"raw"`
	Parsed       bool                `json:"parsed"`
	Trust        string              `json:"trust"`
	From         HopFrom             `json:"from"`
	By           HopBy               `json:"by"`
	With         string              `json:"with"`
	ID           string              `json:"id"`
	For          string              `json:"for"`
	EnvelopeFrom string              `json:"envelope_from"`
	TLS          string              `json:"tls"`
	Auth         string              `json:"auth"`
	Timestamp    *string             `json:"timestamp"` // RFC 3339 UTC or null
	TimestampRaw string              `json:"timestamp_raw"`
	DelaySeconds *int64              `json:"delay_seconds"`
	Attribution  *attrib.Attribution `json:"attribution,omitempty"`
	Warnings     []string            `json:"warnings"`

	// plain says which of the strings fill made itself (addresses,
	// the timestamp) it knows to need no escape: the encoder copies
	// them without a look. Only fill sets it; whatever changes one of
	// those fields after fill must clear its bit.
	plain plainFields
}

// plainFields are the bits of Hop.plain.
type plainFields uint8

const (
	plainFromIP plainFields = 1 << iota
	plainByIP
	plainStamp
)

// HopFrom is the sending side of a hop.
type HopFrom struct {
	HELO    string `json:"helo"`
	RDNS    string `json:"rdns"`
	IP      string `json:"ip"`
	IPClass string `json:"ip_class"`
	Ident   string `json:"ident"`
	Port    int    `json:"port"`
}

// HopBy is the receiving side of a hop.
type HopBy struct {
	Host string `json:"host"`
	IP   string `json:"ip"`
}

// Entry is the IP that handed the message to the recipient's side.
type Entry struct {
	IP  string `json:"ip"`
	Hop int    `json:"hop"`
}

// Origin is the best estimate of the sender's own IP.
type Origin struct {
	IP     string `json:"ip"`
	Hop    int    `json:"hop"`
	Reason string `json:"reason"`
}

// ClientIP is a webmail client address and the header it came from.
type ClientIP struct {
	IP     string `json:"ip"`
	Header string `json:"header"`
}

// Finding is one observation about the message.
type Finding struct {
	Code     string `json:"code"`
	Severity string `json:"severity"`
	Hop      int    `json:"hop"`
	Message  string `json:"message"`
}

// Auth is what the recipient's side concluded about authentication. The flat
// verdicts (spf, dkim, dmarc, arc, compauth) come only from headers the
// recipient's side wrote; every header read is listed below them with
// trusted and why. Types other than Auth and DKIMResult are in auth.go.
type Auth struct {
	SPF        string       `json:"spf"`
	DKIM       []DKIMResult `json:"dkim"`
	DMARC      string       `json:"dmarc"`
	ARC        string       `json:"arc"`
	AuthservID string       `json:"authserv_id"`
	Raw        string       `json:"raw"`

	CompAuth       *CompAuth       `json:"compauth"`           // Microsoft composite authentication, null when absent
	SPFMailFrom    string          `json:"spf_mailfrom"`       // smtp.mailfrom of the believed spf result
	DMARCFrom      string          `json:"dmarc_from"`         // header.from of the believed dmarc result
	Results        []AuthResults   `json:"results"`            // every Authentication-Results, top first
	ARCChain       *ARCChain       `json:"arc_chain"`          // null when there is no ARC-Seal
	ARCResults     []AuthResults   `json:"arc_results"`        // every ARC-Authentication-Results, top first
	ReceivedSPF    []ReceivedSPF   `json:"received_spf"`       // every Received-SPF, top first
	DKIMSignatures []DKIMSignature `json:"dkim_signatures"`    // every DKIM-Signature, top first
	Verdicts       []Verdict       `json:"verdicts"`           // vendor spam-filter headers decoded, top first
	Verified       *Verification   `json:"verified,omitempty"` // live re-check (--verify); absent when not asked
}

// DKIMResult is one DKIM verdict.
type DKIMResult struct {
	Result     string `json:"result"`
	Domain     string `json:"domain"`
	Selector   string `json:"selector"`
	Identifier string `json:"identifier"` // header.i
	Reason     string `json:"reason"`
}
