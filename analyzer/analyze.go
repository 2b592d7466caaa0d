package analyzer

import (
	"cmp"
	"fmt"
	"slices"
	"time"

	"github.com/mailtrace/mailtrace/analyzer/auth"
	"github.com/mailtrace/mailtrace/analyzer/header"
	"github.com/mailtrace/mailtrace/analyzer/received"
)

// skewTolerance is how far back in time a hop may appear to go before the
// delay counts as more than ordinary clock skew between servers.
const skewTolerance = 5 * time.Minute

// futureTolerance is how far ahead of the clock a timestamp may be.
const futureTolerance = 15 * time.Minute

// Analyze traces one message from its header section (or a whole message:
// it stops at the first empty line). It never fails: problems are findings.
func Analyze(raw []byte, opts Options) *Trace {
	h, malformed := header.Parse(raw)
	var names [16]hopNames // room for most messages' hops
	return analyze(h, malformed, opts, new(traceBlock), nil, names[:0], nil)
}

// AnalyzeOwned is Analyze of bytes that are never modified again, as
// fetch.Message.Header: the Trace's strings may point into them
// (header.ParseOwned) instead of into a copy.
func AnalyzeOwned(raw []byte, opts Options) *Trace {
	h, malformed := header.ParseOwned(raw)
	var names [16]hopNames // room for most messages' hops
	return analyze(h, malformed, opts, new(traceBlock), nil, names[:0], nil)
}

// Scratch is the memory of one analysis at a time, used again by the
// next: a bulk scan analyses message after message in the same Trace and
// hops instead of allocating them for each. The zero Scratch is ready.
//
// The Trace points into the Scratch by its own fields, Hops, Header and
// the authentication result (Auth and its lists); what they hold (strings
// of the header section, warnings, the methods of an Authentication-Results
// field) lies outside it, in the message's bytes or allocated for each
// message, so it may be kept when the Scratch is used again.
type Scratch struct {
	b    traceBlock
	hops []Hop
	used int // the hops of hops the last Trace holds
	// names is the trust stages' room for the hops' names, zero between
	// analyses: cleared after each as far as it was used, rather than a
	// whole array of them zeroed on the stack for every message (356
	// instructions a message, for six hops in sixteen slots).
	names [16]hopNames
	// fields is the room the header section's fields are parsed into
	// (header.ParseOwnedIn), and nfields how many of them the last
	// section used.
	fields  header.Header
	nfields int
	auth    auth.Mem // the authentication result and its lists
}

// maxScratchFields is the most fields a Scratch keeps room for: the odd
// header of thousands of fields gets its own.
const maxScratchFields = 512

// maxScratchHops is the most hops a Scratch keeps room for: the odd
// message with hundreds of them (hostile, or a mail loop) gets its own.
const maxScratchHops = 64

// AnalyzeOwned is analyzer.AnalyzeOwned in s: the Trace and its Hops are
// valid until the next call on s, which overwrites them.
func (s *Scratch) AnalyzeOwned(raw []byte, opts Options) *Trace {
	return s.AnalyzeOwnedLines(raw, nil, opts)
}

// AnalyzeOwnedLines is AnalyzeOwned of a section whose field starts are
// known (fetch.Message.FieldStarts; nil: unknown), which the parse then
// does not look for again (header.ParseOwnedLines).
func (s *Scratch) AnalyzeOwnedLines(raw []byte, fieldStarts []int32, opts Options) *Trace {
	h, malformed := header.ParseOwnedLines(raw, fieldStarts, s.fields)
	s.keepFields(h)
	return s.analyze(h, malformed, opts)
}

// keepFields makes h, the section just parsed, the room for the next one
// when it is larger than the room (and not huge). The fields an earlier
// section left past h's are cleared: they would keep its bytes alive.
func (s *Scratch) keepFields(h header.Header) {
	n := len(h)
	if cap(h) == 0 || cap(s.fields) == 0 || &h[:1][0] != &s.fields[:1][0] { // not in the room
		n = 0
	}
	if s.nfields > n {
		clear(s.fields[n:s.nfields])
	}
	s.nfields = n
	if c := cap(h); c > cap(s.fields) && c <= maxScratchFields {
		s.fields, s.nfields = h[:c], len(h)
	}
}

func (s *Scratch) analyze(h header.Header, malformed int, opts Options) *Trace {
	s.b = traceBlock{}
	t := analyze(h, malformed, opts, &s.b, s.hops, s.names[:0], &s.auth)
	n := len(t.Hops)
	if n <= len(s.names) { // else newRoute made room of its own
		clear(s.names[:n])
	}
	inHops := n > 0 && n <= cap(s.hops)
	if !inHops {
		n = 0
	}
	// The hops an earlier message left past this one's are cleared: they
	// would keep its strings (its whole header) alive.
	if s.used > n {
		clear(s.hops[n:s.used])
	}
	s.used = n
	if c := cap(t.Hops); !inHops && c > cap(s.hops) && c <= maxScratchHops {
		s.hops, s.used = t.Hops[:c], len(t.Hops)
	}
	return t
}

// analyze is Analyze of the parsed section into b, zeroed, with hops'
// storage for the hops when it has room for them, names' (zero) for
// their names, and the authentication result in am (nil: allocated).
func analyze(h header.Header, malformed int, opts Options, b *traceBlock, hops []Hop, names []hopNames, am *auth.Mem) *Trace {
	var kinds [64]fieldKind // room for most headers' field kinds
	var x fieldIndex
	x.kinds = kindsRoom(h, kinds[:0])
	x.index(h)
	t := &b.t
	t.Header = h
	summarizeTo(&t.Message, &x, &b.from)
	t.Findings = b.findings[:0]
	if malformed > 0 {
		t.addFinding(CodeMalformedHeader, Info, 0, fmt.Sprintf("%d header line(s) are neither a field nor a continuation and were skipped", malformed))
	}
	t.Hops = parseHops(&x, hops)
	if len(t.Hops) == 0 {
		t.addFinding(CodeNoReceived, Warning, 0, "the message has no Received fields: nothing shows the route it took")
	}
	computeDelays(t)
	var orgs orgMemo
	r := newRoute(t.Hops, names, &orgs)
	walkTrust(t, r, opts)
	markSuspects(t, r)
	chooseEndpoints(t, &b.eps)
	t.ClientIP = findClientIP(&x)
	hopFindings(t, opts)
	analyzeAuth(t, opts, &b.peer, &b.from, am)
	if len(t.Findings) == 0 {
		t.Findings = nil // none: as appendFinding leaves it
	}
	// Message-wide findings first, then by hop, oldest first.
	slices.SortStableFunc(t.Findings, func(a, b Finding) int { return cmp.Compare(a.Hop, b.Hop) })
	return t
}

// traceBlock is a Trace and what Analyze points it into, in one
// allocation instead of four: the entry and origin, the first findings
// (most messages have a few), the entry as the authentication stage
// reads it and the From as the summary read it for that stage.
type traceBlock struct {
	t        Trace
	eps      [2]Endpoint
	findings [4]Finding
	peer     auth.Peer
	from     auth.Mailbox
}

func (t *Trace) addFinding(code string, sev Severity, hop int, msg string) {
	t.appendFinding(Finding{Code: code, Severity: sev, Hop: hop, Message: msg})
}

// appendFinding adds a finding, making room for several at the first: a
// message with findings mostly has a few. With none, Findings stays nil.
func (t *Trace) appendFinding(f Finding) {
	if t.Findings == nil {
		t.Findings = make([]Finding, 0, 4)
	}
	t.Findings = append(t.Findings, f)
}

// parseHops parses the Received fields, newest first in the header, into
// hops oldest first (RFC 5321 §4.4: each relay prepends its own), in buf's
// storage when it has room (its hops, of an earlier message, are
// overwritten whole), else in a slice of its own.
func parseHops(x *fieldIndex, buf []Hop) []Hop {
	n := x.count[fieldReceived]
	var hops []Hop
	if n > 0 && n <= cap(buf) { // none: an empty slice, not nil, as make gives
		hops = buf[:n]
	} else {
		hops = make([]Hop, n)
	}
	i := n
	// One parser for the message's fields: its token array is cleared once.
	var ps received.Parser
	// The loop ends at the last Received field (i == 0), not at the last
	// field: the trace fields are at the top, most fields below them.
	for j := x.start(fieldReceived); i > 0; j++ {
		if x.kinds[j] != fieldReceived {
			continue
		}
		i--
		// Written field by field into the slice, the Received in place: a
		// Hop literal or a returned Received would be built on the stack
		// and copied whole a second time.
		h := &hops[i]
		h.Index = i + 1
		ps.ParseTo(&h.Received, x.h[j].Value)
		// What the later stages set, zero as make leaves it.
		h.Trust, h.Delay, h.HasDelay, h.PeerInside = "", 0, false, false
		if !h.Date.IsZero() {
			h.Date = h.Date.UTC()
		}
	}
	return hops
}

// computeDelays sets each hop's signed delay against the hop before it
// (hop 1 against the Date: header) and the total transit time, in one
// pass over the hops (FuzzStagesOld holds it to computeDelaysOld, two).
func computeDelays(t *Trace) {
	prev := t.Message.Date
	first := t.Message.Date
	var last time.Time
	for i := range t.Hops { // by index: a Hop is a few hundred bytes to copy
		h := &t.Hops[i]
		if !h.Date.IsZero() {
			if !prev.IsZero() {
				h.Delay = int64(sub(h.Date, prev) / time.Second)
				h.HasDelay = true
			}
			if first.IsZero() {
				first = h.Date
			}
			last = h.Date
		}
		prev = h.Date
	}
	if !first.IsZero() && !last.IsZero() {
		t.TotalDelay = int64(sub(last, first) / time.Second)
		t.HasTotal = true
	}
}

// sub is t.Sub(u) for times without a monotonic clock reading (parsed
// dates, and a clock reading against one of them), without Sub's check for
// overflow by a second Add where the difference is far from overflowing:
// within ±2^32 s, where a Duration reaches ±2^63 ns (±292 years).
// FuzzSub holds it to Time.Sub.
func sub(t, u time.Time) time.Duration {
	const far = 1 << 61 // seconds from 1970: no overflow of the difference below
	a, b := t.Unix(), u.Unix()
	if a > -far && a < far && b > -far && b < far {
		if d := a - b; d > -1<<32 && d < 1<<32 {
			return time.Duration(d)*time.Second + time.Duration(t.Nanosecond()-u.Nanosecond())
		}
	}
	return t.Sub(u)
}
