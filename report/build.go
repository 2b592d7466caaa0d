package report

import (
	"context"
	"net/netip"
	"time"

	"github.com/mailtrace/mailtrace/analyzer"
	"github.com/mailtrace/mailtrace/analyzer/ipclass"
	"github.com/mailtrace/mailtrace/fetch"
	"github.com/mailtrace/mailtrace/report/attrib"
	"github.com/mailtrace/mailtrace/report/verify"
)

// Lookup modes: which addresses are attributed.
const (
	LookupNone   = "none"
	LookupOrigin = "origin"
	LookupAll    = "all"
)

// Options say how to build a report.
type Options struct {
	Analyzer   analyzer.Options
	Attributor attrib.Attributor // nil: no attribution
	Lookup     string            // LookupOrigin (default), LookupAll or LookupNone
	// Verify re-checks DKIM signatures and SPF live (--verify) through
	// Resolver; DKIM needs the whole message (fetch.Message.Raw).
	Verify   bool
	Resolver verify.Resolver
}

// verifyTimeout bounds the live checks of one message.
const verifyTimeout = 30 * time.Second

// Build analyzes one fetched message and attributes its origin. A message
// that could not be read gives a report with Error set; Build never fails.
func Build(ctx context.Context, msg *fetch.Message, opts Options) *Report {
	r := &Report{Schema: Schema, Source: sourceOf(msg.Origin), Hops: []Hop{}, Findings: []Finding{},
		Message: Message{To: []string{}}}
	if msg.Err != nil {
		r.Error = msg.Err.Error()
	}
	if msg.Err != nil && len(msg.Header) == 0 {
		return r
	}
	t := analyzer.Analyze(msg.Header, opts.Analyzer)
	fill(r, t)
	fillAuth(r, t)
	if opts.Verify && opts.Resolver != nil {
		raw := msg.Raw
		if raw == nil {
			raw = msg.Header
		}
		vctx, cancel := context.WithTimeout(ctx, verifyTimeout)
		// What could be checked is in r; the error only names what could not.
		_ = Reverify(vctx, r, t, raw, opts.Resolver)
		cancel()
	}
	attribute(ctx, r, t, opts)
	return r
}

func sourceOf(o fetch.Origin) Source {
	return Source{Kind: o.Kind, Name: o.Name, Mailbox: o.Mailbox, UID: o.UID,
		UIDValidity: o.UIDValidity, Index: o.Index, POP3UID: o.POP3UID}
}

// fill converts the analyzer's Trace into the v1 fields.
func fill(r *Report, t *analyzer.Trace) {
	m := t.Message
	r.Message = Message{MessageID: m.MessageID, Date: rfc3339(m.Date), DateRaw: m.DateRaw,
		From: m.From, To: m.To, Subject: m.Subject, ReturnPath: m.ReturnPath, ReplyTo: m.ReplyTo}
	if r.Message.To == nil {
		r.Message.To = []string{}
	}
	r.Hops = make([]Hop, len(t.Hops))
	// The hops' timestamps and delays live in one slice each: a pointer
	// per hop into it instead of an allocation per hop.
	stamps, delays := make([]string, len(t.Hops)), make([]int64, len(t.Hops))
	for i := range t.Hops {
		h := &t.Hops[i]
		out := &r.Hops[i]
		*out = Hop{Index: h.Index, Raw: h.Raw, Parsed: h.Parsed, Trust: string(h.Trust),
			From: HopFrom{HELO: h.From.HELO, RDNS: h.From.RDNS, IP: addrString(h.From.IP),
				IPClass: string(ipclass.Of(h.From.IP)), Ident: h.From.Ident, Port: h.From.Port},
			By:   HopBy{Host: h.By.Host, IP: addrString(h.By.IP)},
			With: h.With, ID: h.ID, For: h.For, EnvelopeFrom: h.EnvelopeFrom, TLS: h.TLS, Auth: h.Auth,
			TimestampRaw: h.DateRaw, Warnings: h.Warnings}
		if !h.Date.IsZero() {
			stamps[i] = h.Date.UTC().Format(time.RFC3339)
			out.Timestamp = &stamps[i]
		}
		if h.HasDelay {
			delays[i] = h.Delay
			out.DelaySeconds = &delays[i]
		}
		if out.Warnings == nil {
			out.Warnings = []string{}
		}
	}
	if t.Entry != nil {
		r.Entry = &Entry{IP: t.Entry.IP.String(), Hop: t.Entry.Hop}
	}
	if t.Origin != nil {
		r.Origin = &Origin{IP: t.Origin.IP.String(), Hop: t.Origin.Hop, Reason: t.Origin.Reason}
	}
	if t.ClientIP != nil {
		r.ClientIP = &ClientIP{IP: t.ClientIP.IP.String(), Header: t.ClientIP.Header}
	}
	if t.HasTotal {
		d := t.TotalDelay
		r.TotalDelaySeconds = &d
	}
	r.Findings = make([]Finding, len(t.Findings))
	for i, f := range t.Findings {
		r.Findings[i] = Finding{Code: f.Code, Severity: string(f.Severity), Hop: f.Hop, Message: f.Message}
	}
}

// attribute looks up the origin (and with LookupAll every public hop IP).
func attribute(ctx context.Context, r *Report, t *analyzer.Trace, opts Options) {
	if opts.Attributor == nil || opts.Lookup == LookupNone {
		return
	}
	if t.Origin != nil {
		a := opts.Attributor.Attribute(ctx, t.Origin.IP)
		r.Attribution = &a
	}
	if opts.Lookup != LookupAll {
		return
	}
	for i := range t.Hops {
		ip := t.Hops[i].From.IP
		if !ipclass.IsPublic(ip) {
			continue
		}
		if r.Attribution != nil && t.Origin.IP == ip {
			a := *r.Attribution
			r.Hops[i].Attribution = &a
			continue
		}
		a := opts.Attributor.Attribute(ctx, ip)
		r.Hops[i].Attribution = &a
	}
}

func rfc3339(t time.Time) *string {
	if t.IsZero() {
		return nil
	}
	s := t.UTC().Format(time.RFC3339)
	return &s
}

func addrString(a netip.Addr) string {
	if !a.IsValid() {
		return ""
	}
	return a.String()
}
