// Package auth reads what the recipient's side concluded about a message's
// authentication (Authentication-Results, ARC, Received-SPF, DKIM-Signature),
// compares the identities the message claims, and decodes vendor spam
// verdicts. Pure: no network (live checks live in report/verify).
//
// Only what the recipient's own servers wrote is believed (RFC 8601 §5,
// §7.1): Authentication-Results and the like above the first Received field
// written outside the recipient's side, or those whose authserv-id the user
// named. Everything else is kept, marked untrusted, as the sender's claims.
package auth

import (
	"maps"
	"net/netip"
	"slices"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/mailtrace/mailtrace/analyzer/header"
	"github.com/mailtrace/mailtrace/internal/swar"
)

// Result is the authentication summary of one message.
type Result struct {
	// Verdicts from the believed Authentication-Results (topmost first; a
	// method missing from the topmost field is taken from the next believed
	// one). SPF falls back to a believed Received-SPF; ARC to the cv= of the
	// recipient's own ARC-Seal.
	SPF        string
	DKIM       []DKIM
	DMARC      string
	ARC        string
	CompAuth   *CompAuth // Microsoft composite authentication, nil when absent
	AuthservID string    // authserv-id of the primary believed field
	Raw        string    // the primary believed field, unfolded

	SPFMailFrom string // smtp.mailfrom of the believed spf result
	DMARCFrom   string // header.from of the believed dmarc result

	Results     []ResultsField  // every Authentication-Results, top first, Trusted marked
	ARCResults  []ResultsField  // every ARC-Authentication-Results, top first
	ARCSeals    []ARCSeal       // every ARC-Seal, top first
	ARCChain    *ARCChain       // nil when the message has no ARC-Seal
	ReceivedSPF []ReceivedSPF   // every Received-SPF, top first
	Signatures  []DKIMSignature // every DKIM-Signature, top first
	Verdicts    []Verdict       // vendor spam-filter headers, top first
}

// DKIM is one DKIM verdict from a believed Authentication-Results.
type DKIM struct {
	Result     string
	Domain     string // header.d (or the domain of header.i)
	Selector   string // header.s
	Identifier string // header.i
	Reason     string
}

// CompAuth is Microsoft's composite authentication verdict
// (compauth=pass reason=100).
type CompAuth struct {
	Result string
	Reason string // numeric reason code as written
}

// ARCChain is the ARC chain status: the highest ARC-Seal's cv=.
type ARCChain struct {
	Instances int    // highest i=
	CV        string // cv= of the highest ARC-Seal
	Sealer    string // d= of the highest ARC-Seal
	Trusted   bool   // the highest seal was written on the recipient's side
}

// Peer is the sending side of the entry hop as the recipient recorded it.
type Peer struct {
	Hop  int
	HELO string
	RDNS string
	IP   netip.Addr
}

// Input is what the analyzer knows when auth runs.
type Input struct {
	Header        header.Header // all fields, top first
	RecipientHops int           // how many Received fields at the top the recipient's side wrote
	RecipientOrg  string        // registrable domain of the recipient's side, "" if unknown
	AuthservIDs   []string      // --authserv-id: accept Authentication-Results from these

	Entry        *Peer     // the entry hop's peer, nil when unknown
	EnvelopeFrom string    // envelope sender recorded by the recipient's hops, "" if none
	Date         time.Time // the Date: header, zero when missing
	FirstHop     int       // index of the oldest hop that has a time, 0 when none
	FirstHopTime time.Time // its time

	// From is the first From field read already by the caller (the
	// header summary), nil when it was not: the identity findings then
	// read it themselves. See Mailbox for what it must hold.
	From *Mailbox

	// Mem, when not nil, is where the Result and its lists are made: a
	// bulk scan analyses message after message in the same Mem. The
	// Result is then valid until the next analysis in Mem, which
	// overwrites it; nil: allocated, the caller's to keep.
	Mem *Mem
}

// Mem is the memory of one analysis at a time, used again by the next
// (Input.Mem): the Result and its lists, each grown to the most an
// analysis needed so far (up to maxMemList). What the lists' elements
// hold (strings, the methods of a field) is not in it. The zero Mem is
// ready.
type Mem struct {
	res        Result
	results    memList[ResultsField]
	arcResults memList[ResultsField]
	seals      memList[ARCSeal]
	spf        memList[ReceivedSPF]
	sigs       memList[DKIMSignature]
	verdicts   memList[Verdict]
	methods    methodRoom // of the Results and ARCResults
}

// methodRoom is the room the methods of an analysis's
// Authentication-Results fields are taken from, each field's a part of it.
type methodRoom struct {
	buf  []Method
	used int // taken by the analysis (and cleared by the next)
	want int // asked for by the analysis, taken or not
}

// maxMemMethods is the most methods a Mem keeps room for.
const maxMemMethods = 256

// take is an empty list with room for n methods, a part of r's room when
// it has room left, else made (as with r nil). It is capped at n: an
// append past n moves out, never into the next field's.
func (r *methodRoom) take(n int) []Method {
	if r == nil {
		return make([]Method, 0, n)
	}
	r.want += n
	if r.used+n > len(r.buf) {
		return make([]Method, 0, n)
	}
	s := r.buf[r.used : r.used : r.used+n]
	r.used += n
	return s
}

// reset readies r for the next analysis: the methods the last one left
// are cleared (they would keep its message's strings alive), and the
// room grows to what it asked for, up to maxMemMethods.
func (r *methodRoom) reset() {
	clear(r.buf[:r.used])
	if r.want > len(r.buf) && r.want <= maxMemMethods {
		r.buf = make([]Method, r.want)
	}
	r.used, r.want = 0, 0
}

// memList is the room of one of a Result's lists, and how much of it the
// last analysis used.
type memList[T any] struct {
	buf  []T
	used int
}

// maxMemList is the longest list a Mem keeps room for: a message with
// more (hostile, mostly) gets a list of its own.
const maxMemList = 32

// take is withCap(n) in l's room when it has room for n (grown to n when
// not, up to maxMemList). The elements an earlier analysis left past n
// are cleared: they would keep its message's strings alive. With l nil,
// it is withCap(n).
func take[T any](l *memList[T], n int) []T {
	if l == nil {
		return withCap[T](n)
	}
	if l.used > n {
		clear(l.buf[n:l.used])
	}
	l.used = 0
	if n == 0 {
		return nil
	}
	if n > cap(l.buf) {
		if n > maxMemList {
			return make([]T, 0, n)
		}
		l.buf = make([]T, n)
	}
	l.used = n
	return l.buf[:0:n] // capped: an append past n moves out
}

// Mailbox is a From field as the identity findings read it, read by the
// caller: Addr and Name are what internal/mailbox.Decoded returns, ok,
// for the field's value trimmed, when the value holds no line break (auth
// unfolds as a trim alone then) and every encoded-word Decoded hands to
// its decode is one mailbox.MIMECharset accepts (auth's decoder and the
// caller's then decode it alike).
type Mailbox struct {
	Field      int // header index of the field, -1 when there is none such
	Addr, Name string
}

// Finding is an observation with a stable code; the analyzer adds it to the trace.
type Finding struct {
	Code     string
	Severity string // info | warning | alert
	Hop      int
	Message  string
}

// Finding codes. They are a contract: tests and pipelines match on them.
const (
	CodeFromReturnPath   = "from-returnpath-mismatch"
	CodeFromEnvelope     = "from-envelope-mismatch"
	CodeFromReplyTo      = "from-replyto-mismatch"
	CodeMessageIDDomain  = "messageid-domain-mismatch"
	CodeDKIMDomain       = "dkim-domain-mismatch"
	CodeDisplayName      = "display-name-address"
	CodeHELORDNS         = "helo-rdns-mismatch"
	CodeDateFar          = "date-far-from-first-hop"
	CodeDKIMBodyLength   = "dkim-body-length"
	CodeDKIMMalformed    = "dkim-signature-malformed"
	CodeFailSPF          = "auth-fail-spf"
	CodeFailDKIM         = "auth-fail-dkim"
	CodeFailDMARC        = "auth-fail-dmarc"
	CodeFailARC          = "auth-fail-arc"
	CodeFailCompAuth     = "auth-fail-compauth"
	CodeResultsUntrusted = "auth-results-untrusted"
	CodeResultsSpoofed   = "auth-results-spoofed"
	CodeSpamVerdict      = "spam-verdict"
)

// Severities.
const (
	Info    = "info"
	Warning = "warning"
	Alert   = "alert"
)

// DateTolerance is how far the Date: header may be from the first hop's
// time before it is worth a finding.
const DateTolerance = 24 * time.Hour

// Analyze reads the authentication headers and compares the identities the
// message claims. The Result is nil when the message carries no
// authentication or verdict header; findings are returned either way.
func Analyze(in Input) (*Result, []Finding) {
	return AnalyzeTo(in, nil)
}

// AnalyzeTo is Analyze appending the findings to findings[:0]: a caller
// that copies them elsewhere passes an array on its stack, sparing their
// allocation.
func AnalyzeTo(in Input, findings []Finding) (*Result, []Finding) {
	var a analysis // zeroed in place: analysis{in: in} is built aside and copied
	a.in = in
	var buf [32]collected // the fields collect reads first, to allocate each list once
	fields, count := a.classify(buf[:0])
	a.collect(fields, &count)
	a.trustResults()
	a.summarise()
	a.authFindings()
	a.identityFindings()
	a.entryFindings()
	a.dateFindings()
	r := &a.res
	if len(r.Results) == 0 && len(r.ARCResults) == 0 && len(r.ARCSeals) == 0 && len(r.ReceivedSPF) == 0 &&
		len(r.Signatures) == 0 && len(r.Verdicts) == 0 {
		return nil, a.appendFindings(findings[:0])
	}
	if m := in.Mem; m != nil {
		m.res = a.res
		return &m.res, a.appendFindings(findings[:0])
	}
	res := a.res // the analysis stays on the stack; only a Result returned is allocated
	return &res, a.appendFindings(findings[:0])
}

type analysis struct {
	in         Input
	res        Result
	entry      int                    // header index of the entry hop's Received field, -1 when none
	boundary   int                    // header index of the first Received field written outside the recipient's side, len(Header) when none
	noReceived bool                   // the message has no Received field at all
	few        [4]Finding             // the first findings, most messages' all: in place
	nfew       int                    // how many of few are set
	more       []Finding              // the findings after those
	identity   [numIdentityFields]int // 1 + header index of the first From, Return-Path, Reply-To, Message-ID; 0 when none

	orgs  [8][2]string // orgDomain's memory: domain, organisational domain
	norgs int
}

// add adds a finding. The findings are kept in the analysis (a slice of
// its own array would move it to the heap) and copied out by
// appendFindings.
func (a *analysis) add(code, sev string, hop int, msg string) {
	f := Finding{Code: code, Severity: sev, Hop: hop, Message: msg}
	if a.nfew < len(a.few) {
		a.few[a.nfew] = f
		a.nfew++
		return
	}
	a.more = append(a.more, f)
}

// appendFindings appends the findings, in order, to dst.
func (a *analysis) appendFindings(dst []Finding) []Finding {
	return append(append(dst, a.few[:a.nfew]...), a.more...)
}

// trustedAt reports whether the field at header index i was written on the
// recipient's side: above the first Received field written outside it.
// When no such field exists (every hop is the recipient's, as for a message
// sent straight to its MX), the fields below the bottom Received were
// written by the originator, not the recipient: only those above it count.
func (a *analysis) trustedAt(i int) bool {
	if a.boundary < len(a.in.Header) {
		return i < a.boundary
	}
	return i < a.entry
}

// Kinds of field collect reads.
const (
	fieldNone = iota
	fieldReceived
	fieldResults
	fieldARCResults
	fieldARCSeal
	fieldReceivedSPF
	fieldDKIMSignature
	fieldVerdict
	numFieldKinds
)

// fieldKind is what collect does with a field.
type fieldKind struct {
	kind    int
	decoder vendorDecoder // for fieldVerdict
}

// fieldKinds maps the lower-case names of the fields collect reads to their
// kind; every other field is skipped without further work.
var fieldKinds = func() map[string]fieldKind {
	m := map[string]fieldKind{
		"received":                   {kind: fieldReceived},
		"authentication-results":     {kind: fieldResults},
		"arc-authentication-results": {kind: fieldARCResults},
		"arc-seal":                   {kind: fieldARCSeal},
		"received-spf":               {kind: fieldReceivedSPF},
		"dkim-signature":             {kind: fieldDKIMSignature},
	}
	for name, d := range vendorHeaders {
		m[name] = fieldKind{kind: fieldVerdict, decoder: d}
	}
	return m
}()

// lookupLower returns m[strings.ToLower(name)], without allocating the
// lower-case name when it is short ASCII (as field names are).
func lookupLower[V any](m map[string]V, name string) (V, bool) {
	var buf [64]byte
	if len(name) <= len(buf) {
		ascii := true
		for i := 0; i < len(name); i++ {
			c := name[i]
			if c >= utf8.RuneSelf {
				ascii = false // strings.ToLower folds some runes to ASCII ones
				break
			}
			if 'A' <= c && c <= 'Z' {
				c += 'a' - 'A'
			}
			buf[i] = c
		}
		if ascii {
			v, ok := m[string(buf[:len(name)])] // no allocation: the compiler looks the bytes up
			return v, ok
		}
	}
	v, ok := m[strings.ToLower(name)]
	return v, ok
}

// classify walks the fields once. It appends to fields the place and kind
// of each field collect reads (so that collect and rawValues walk those
// only) and counts each kind; it sets a.entry to the header index of the
// in.RecipientHops-th Received field from the top (the entry hop's, -1 when
// that is 0 or there are fewer) and a.boundary to the next one's (the first
// written outside the recipient's side, len(h) when there is none): fields
// above the boundary were written on the recipient's side (RFC 5321 §4.4:
// each server prepends its trace fields; classifyName's fold is
// strings.EqualFold here, as no letter of "received" folds to another
// rune). It notes the first field of each identity name for
// identityFindings. A Received field, a third of a header section, is
// told by isReceived before the look-up of the other names.
func (a *analysis) classify(fields []collected) ([]collected, [numFieldKinds]int) {
	h := a.in.Header
	var count [numFieldKinds]int
	a.entry, a.boundary = -1, len(h)
	seen, n, found := 0, a.in.RecipientHops, false
	for i := range h {
		name := h[i].Name // classifyName(name), inlined for the commonest names
		if name == "" || !mayBeKnown(name) {
			continue
		}
		if !isReceived(name) {
			k, id := classifyKnown(name)
			if k != fieldReceived {
				if k != fieldNone {
					fields = append(fields, collected{pos: int32(i), kind: uint8(k)})
					count[k]++
				}
				if id >= 0 && a.identity[id] == 0 {
					a.identity[id] = i + 1
				}
				continue
			}
		}
		count[fieldReceived]++
		switch {
		case found:
		case seen == n:
			a.boundary, found = i, true
		default:
			seen++
			a.entry = i
		}
	}
	count[fieldNone] = len(h) // the fields skipped above are none too
	for k := fieldNone + 1; k < numFieldKinds; k++ {
		count[fieldNone] -= count[k]
	}
	return fields, count
}

// isReceived reports whether name is "Received" in ASCII letters of any
// case: a third of the fields, told apart with one load. Setting bit 5
// lower-cases exactly the letters, and a byte that is not one cannot end
// as one; a name it misses goes on to classifyKnown, which reads every
// name.
func isReceived(name string) bool {
	return len(name) == len("received") && swar.Load(name)|0x2020202020202020 == receivedWord
}

// receivedWord is "received" as swar.Load reads it, first byte lowest
// (TestClassify checks it).
const receivedWord = 0x6465766965636572

// classifyName returns the kind of a field (fieldKinds[strings.ToLower(name)],
// fieldNone when absent) and its identity number (identityField). Most
// names (To, Subject, Content-Type, Date, MIME-Version...) start with a
// byte none of the known names starts with, or are of a length none of
// those starting with it has, and are done with a table look-up (which
// classify makes itself, saving the call).
func classifyName(name string) (kind, id int) {
	if name != "" && mayBeKnown(name) {
		return classifyKnown(name)
	}
	return fieldNone, -1 // whatever the rest of the name
}

// mayBeKnown is false for a non-empty name that is none of the known
// names, ASCII case folded or as strings.ToLower and strings.EqualFold
// fold it: by its first byte and its length (knownLengths).
func mayBeKnown(name string) bool {
	return knownLengths[name[0]]>>min(len(name), 63)&1 != 0
}

// knownLengths holds, for each byte, the lengths (bit n for n bytes, bit
// 63 for 63 or more) of the names starting with it that may be known
// names: for an ASCII letter, those of the known names starting with it
// in either case, and those the names have with some of their letters
// written as the runes that fold to them (U+212A K for k, U+017F ſ for s,
// U+0130 İ for i: TestFoldRunes checks there are no others); for a byte
// that is not ASCII, every length; for any other byte, none.
var knownLengths = func() (t [256]uint64) {
	for c := utf8.RuneSelf; c < len(t); c++ {
		t[c] = ^uint64(0)
	}
	add := func(name string) {
		longer := 0 // the most bytes the fold runes add
		for _, r := range name {
			if f, ok := foldRunes[r]; ok {
				longer += utf8.RuneLen(f) - 1
			}
		}
		for n := len(name); n <= len(name)+longer; n++ {
			c := name[0] // a lower-case letter (TestClassify)
			t[c] |= 1 << min(n, 63)
			t[c-'a'+'A'] |= 1 << min(n, 63)
		}
	}
	for name := range fieldKinds {
		add(name)
	}
	for _, name := range identityNames {
		add(strings.ToLower(name))
	}
	return t
}()

// foldRunes maps the ASCII letters that a rune outside ASCII folds to
// (strings.EqualFold) or lower-cases to (strings.ToLower) to that rune.
var foldRunes = map[rune]rune{'k': '\u212a', 's': '\u017f', 'i': '\u0130'}

// classifyKnown is classifyName for a name mayBeKnown lets through.
func classifyKnown(name string) (kind, id int) {
	if name[0] < utf8.RuneSelf {
		if e := knownField(name); e != nil {
			return int(e.kind), int(e.id)
		}
		if isASCII(name) {
			return fieldNone, -1
		}
	}
	// strings.ToLower and strings.EqualFold fold some runes to ASCII
	k := fieldNone
	if mayCollect(name) {
		fk, _ := lookupLower(fieldKinds, name)
		k = fk.kind
	}
	return k, identityField(name)
}

// knownField returns the entry of knownNames that an ASCII name is, ASCII
// case folded; nil for another name, or one that is not ASCII. The names
// but "from" are 8 bytes or longer: a name is looked up by its first eight
// bytes lower-cased, its length and two more bytes, which part the known
// names (knownNames has each in a slot of its own), then compared with the
// one name in that slot: cheaper than lower-casing it for a map look-up,
// and than a probe sequence. FuzzClassify holds classifyName to the
// look-ups it replaced.
func knownField(name string) *knownName {
	n := len(name)
	if n < 8 {
		// Setting bit 5 lower-cases exactly the letters, and "from" is
		// all letters (as in isReceived).
		if n == len("from") && load4(name)|0x20202020 == fromWord {
			return knownFrom
		}
		return nil
	}
	w := swar.Load(name)
	if w&swar.Hi != 0 {
		return nil
	}
	first := lowerWord(w)
	for i := nameSlot(first, n, name[n/2], name[n-3]); ; i = (i + 1) % knownSlots {
		e := &knownNames[i]
		if e.name == "" {
			return nil
		}
		if e.first == first && len(e.name) == n && e.equalTail(name) {
			return e
		}
	}
}

// equalTail reports whether the bytes of name after its first eight are
// those of e.name, ASCII case folded, for a name as long as e.name: the
// last eight bytes (overlapping the first eight for a name shorter than
// 16) at once, which is the whole of the tail but for the longer names.
func (e *knownName) equalTail(name string) bool {
	n := len(name)
	w := swar.Load(name[n-8:])
	if w&swar.Hi != 0 || lowerWord(w) != e.last {
		return false
	}
	return n <= 16 || equalLowerASCII(name[8:n-8], e.name[8:n-8])
}

// fromWord is "from" as load4 reads it, first byte lowest (TestClassify
// checks it).
const fromWord = 0x6d6f7266

// knownName is a lower-case field name classify looks for.
type knownName struct {
	name    string
	first   uint64 // the first eight bytes, as swar.Load reads them
	last    uint64 // the last eight
	kind    uint8  // fieldNone for an identity field
	id      int8   // identity number, -1 for none
	decoder vendorDecoder
}

// knownNames are the names of fieldKinds and identityNames of 8 bytes or
// more, each in the slot nameSlot gives it (or, should two share one, the
// next free one: TestClassify checks they do not); knownFrom is "from".
var knownNames, knownFrom = func() (t [knownSlots]knownName, from *knownName) {
	from = &knownName{name: "from", id: identityFrom}
	add := func(n knownName) {
		if n.name == from.name {
			*from = n
			return
		}
		n.first, n.last = swar.Load(n.name), swar.Load(n.name[len(n.name)-8:])
		i := nameSlot(n.first, len(n.name), n.name[len(n.name)/2], n.name[len(n.name)-3])
		for t[i].name != "" {
			i = (i + 1) % knownSlots
		}
		t[i] = n
	}
	names := slices.Sorted(maps.Keys(fieldKinds)) // a fixed order
	for _, name := range names {
		add(knownName{name: name, kind: uint8(fieldKinds[name].kind), id: -1, decoder: fieldKinds[name].decoder})
	}
	for id, name := range identityNames {
		add(knownName{name: strings.ToLower(name), kind: fieldNone, id: int8(id)})
	}
	return t, from
}()

// nameSlot hashes the first eight bytes of a name lower-cased, its length
// and two more of its bytes (ASCII case folded): together they part the
// known names (x-mimecast-spam-signature and x-mimecast-bulk-signature
// differ only in the middle; x-ms-exchange-organization-bcl, -pcl and -scl
// only third from the end).
func nameSlot(first uint64, n int, mid, last3 byte) int {
	h := first ^ uint64(n)<<56 ^ uint64(mid|0x20)<<40 ^ uint64(last3|0x20)<<48
	return int((h * knownMul) >> (64 - knownSlotBits))
}

// knownSlots is the size of knownNames: a power of two, at least twice
// the names (TestClassify), so that a search soon meets a free slot.
// knownMul is the odd multiplier of nameSlot, the first one from the
// golden ratio's (0x9e3779b97f4a7c15) up with which the names all have a
// slot of their own; TestClassify tells when a name added needs another.
const (
	knownSlotBits = 7
	knownSlots    = 1 << knownSlotBits
	knownMul      = 0x9e3779b97f4a7c17
)

// The identity fields identityFindings reads, as identityField numbers them.
const (
	identityFrom = iota
	identityReturnPath
	identityReplyTo
	identityMessageID
	numIdentityFields
)

// identityNames are the identity fields' names, by number.
var identityNames = [numIdentityFields]string{"From", "Return-Path", "Reply-To", "Message-ID"}

// identityField returns the number of the identity field named name
// (compared as strings.EqualFold does: FuzzClassify holds it to that), -1
// when it names none. The names are ASCII and of different
// lengths, and an ASCII name can only fold-equal an ASCII name of the same
// length; a name with other bytes (U+017F ſ folds to s) is compared with
// them all.
func identityField(name string) int {
	for i := 0; i < len(name); i++ {
		if name[i] >= utf8.RuneSelf {
			for id, n := range identityNames {
				if strings.EqualFold(name, n) {
					return id
				}
			}
			return -1
		}
	}
	id := -1
	switch len(name) {
	case len("From"):
		id = identityFrom
	case len("Return-Path"):
		id = identityReturnPath
	case len("Reply-To"):
		id = identityReplyTo
	case len("Message-ID"):
		id = identityMessageID
	default:
		return -1
	}
	if !strings.EqualFold(name, identityNames[id]) {
		return -1
	}
	return id
}

// identityValue returns the first value of an identity field, "" if none
// (as header.Header.Get).
func (a *analysis) identityValue(id int) string {
	if i := a.identity[id]; i > 0 {
		return a.in.Header[i-1].Value
	}
	return ""
}

// collect parses every authentication and verdict field.
func (a *analysis) collect(fields []collected, count *[numFieldKinds]int) {
	h := a.in.Header
	r := &a.res
	var methods *methodRoom // nil: each field's of its own
	if m := a.in.Mem; m != nil {
		m.methods.reset()
		methods = &m.methods
		r.Results = take(&m.results, count[fieldResults])
		r.ARCResults = take(&m.arcResults, count[fieldARCResults])
		r.ARCSeals = take(&m.seals, count[fieldARCSeal])
		r.ReceivedSPF = take(&m.spf, count[fieldReceivedSPF])
		r.Signatures = take(&m.sigs, count[fieldDKIMSignature])
		r.Verdicts = take(&m.verdicts, count[fieldVerdict])
	} else {
		r.Results = withCap[ResultsField](count[fieldResults])
		r.ARCResults = withCap[ResultsField](count[fieldARCResults])
		r.ARCSeals = withCap[ARCSeal](count[fieldARCSeal])
		r.ReceivedSPF = withCap[ReceivedSPF](count[fieldReceivedSPF])
		r.Signatures = withCap[DKIMSignature](count[fieldDKIMSignature])
		r.Verdicts = withCap[Verdict](count[fieldVerdict])
	}
	a.noReceived = count[fieldReceived] == 0
	rawValues(h, fields)
	for _, c := range fields {
		i, raw := int(c.pos), c.s
		f := h[i]
		trusted := a.trustedAt(i)
		switch c.kind {
		case fieldResults:
			ar := parseResultsIn(f.Value, methods)
			ar.Header, ar.Position, ar.Raw = f.Name, i, raw
			r.Results = append(r.Results, ar)
		case fieldARCResults:
			ar := parseARCResultsIn(f.Value, methods)
			ar.Header, ar.Position, ar.Trusted, ar.Raw = f.Name, i, trusted, raw
			r.ARCResults = append(r.ARCResults, ar)
		case fieldARCSeal:
			s := parseARCSeal(f.Value, raw)
			s.Position, s.Trusted = i, trusted
			r.ARCSeals = append(r.ARCSeals, s)
		case fieldReceivedSPF:
			s := parseReceivedSPF(f.Value, raw)
			s.Position, s.Trusted = i, trusted
			r.ReceivedSPF = append(r.ReceivedSPF, s)
		case fieldDKIMSignature:
			s := parseDKIMSignature(f.Value, raw)
			s.Position = i
			r.Signatures = append(r.Signatures, s)
		case fieldVerdict:
			// decoded in place: a Verdict on its own would escape
			var d vendorDecoder
			if e := knownField(f.Name); e != nil {
				d = e.decoder
			} else {
				k, _ := lookupLower(fieldKinds, f.Name)
				d = k.decoder
			}
			r.Verdicts = append(r.Verdicts, Verdict{Vendor: d.vendor, Header: f.Name, Raw: raw})
			v := &r.Verdicts[len(r.Verdicts)-1]
			d.decode(v)
			v.Position, v.Trusted = i, trusted
		}
	}
}

// collected is a field collect reads: its header index and kind, and
// (from rawValues) its value unfolded. While rawValues runs, a folded
// value holds the value as written, then its place [start, end) in the
// text the folded ones share.
type collected struct {
	s          string
	pos        int32 // index in the header section
	kind       uint8
	folded     bool
	start, end int
}

// rawValues sets the s of each field to unfold of its value. The folded
// values are unfolded into one string that they share: one allocation for
// the message rather than one per field (these fields usually are folded).
func rawValues(h header.Header, dst []collected) {
	size := 0
	for i := range dst {
		v := h[dst[i].pos].Value
		if strings.IndexByte(v, '\n') < 0 {
			if !trimmed(v) {
				v = strings.TrimSpace(v)
			}
			dst[i].s = v
			continue
		}
		dst[i].s, dst[i].folded = v, true
		size += len(v) // writeUnfolded writes no more
	}
	if size == 0 {
		return
	}
	var b strings.Builder
	b.Grow(size)
	for i := range dst {
		if v := &dst[i]; v.folded {
			v.start = b.Len()
			writeUnfolded(&b, v.s)
			v.end = b.Len()
		}
	}
	text := b.String()
	for i := range dst {
		if v := &dst[i]; v.folded {
			if v.s = text[v.start:v.end]; !trimmed(v.s) {
				v.s = strings.TrimSpace(v.s)
			}
		}
	}
}

// mayCollect is false for a field name fieldKinds cannot hold: all its
// names start with a, d, r or x (checked on ASCII only: strings.ToLower
// maps some other runes to ASCII letters).
func mayCollect(name string) bool {
	if name == "" || name[0] >= utf8.RuneSelf {
		return true
	}
	switch name[0] | 0x20 {
	case 'a', 'd', 'r', 'x':
		return true
	}
	return false
}

// withCap is an empty slice with room for n elements, nil when n is 0.
func withCap[T any](n int) []T {
	if n == 0 {
		return nil
	}
	return make([]T, 0, n)
}

// trustResults decides which Authentication-Results fields are believed.
func (a *analysis) trustResults() {
	rs := a.res.Results
	named := len(a.in.AuthservIDs) > 0
	below := false // a field below the bottom Received was already believed
	for i := range rs {
		f := &rs[i]
		switch {
		case f.Version != "" && f.Version != "1":
			f.Why = "authres-version " + f.Version + " is not 1: ignored (RFC 8601 §2.2)"
		case named && f.AuthservID != "" && containsFold(a.in.AuthservIDs, f.AuthservID):
			f.Trusted, f.Why = true, "authserv-id named by --authserv-id"
		case named:
			f.Why = "authserv-id not named by --authserv-id"
		case a.noReceived && i == 0:
			f.Trusted, f.Why = true, "topmost field of a message without Received fields"
		case a.noReceived:
			f.Why = "not the topmost field of a message without Received fields"
		case a.trustedAt(f.Position):
			f.Trusted, f.Why = true, "above the first Received field written outside the recipient's side"
		case !below && f.Position < a.boundary && a.in.RecipientOrg != "" && f.AuthservID != "" &&
			OrgDomain(f.AuthservID) == toLower(a.in.RecipientOrg):
			// Below the bottom Received, where Gmail writes its own results
			// when no external Received follows: only the first such field,
			// the originator's own fields come after it.
			below = true
			f.Trusted, f.Why = true, "first field below the bottom Received field, in the name of the recipient's organisation"
		default:
			f.Why = "below the recipient's side: the sender's or a relay's claim"
		}
	}
}

// summarise sets the flat verdicts from the believed fields.
func (a *analysis) summarise() {
	r := &a.res
	var primary *ResultsField
	for i := range r.Results {
		f := &r.Results[i]
		if !f.Trusted {
			continue
		}
		if primary == nil {
			primary = f
			r.AuthservID, r.Raw = f.AuthservID, f.Raw
		}
		for _, m := range f.Methods {
			switch m.Method {
			case "spf":
				if r.SPF == "" {
					r.SPF, r.SPFMailFrom = m.Result, m.Prop("smtp.mailfrom")
				}
			case "dmarc":
				if r.DMARC == "" {
					r.DMARC, r.DMARCFrom = m.Result, m.Prop("header.from")
				}
			case "arc":
				if r.ARC == "" {
					r.ARC = m.Result
				}
			case "compauth":
				if r.CompAuth == nil {
					r.CompAuth = &CompAuth{Result: m.Result, Reason: m.Reason}
				}
			}
		}
		if len(r.DKIM) == 0 {
			for _, m := range f.Methods {
				if m.Method != "dkim" {
					continue
				}
				d := DKIM{Result: m.Result, Domain: toLower(m.Prop("header.d")), Selector: m.Prop("header.s"),
					Identifier: m.Prop("header.i"), Reason: m.Reason}
				if d.Domain == "" {
					if _, dom, ok := strings.Cut(d.Identifier, "@"); ok {
						d.Domain = toLower(dom)
					}
				}
				r.DKIM = append(r.DKIM, d)
			}
		}
	}
	if r.SPF == "" {
		for _, s := range r.ReceivedSPF {
			if s.Trusted && s.Result != "" {
				r.SPF = s.Result
				if r.SPFMailFrom == "" {
					r.SPFMailFrom = s.EnvelopeFrom
				}
				break
			}
		}
	}
	var top *ARCSeal
	for i := range r.ARCSeals {
		if s := &r.ARCSeals[i]; top == nil || s.Instance > top.Instance {
			top = s
		}
	}
	if top != nil {
		r.ARCChain = &ARCChain{Instances: top.Instance, CV: top.CV, Sealer: top.Domain, Trusted: top.Trusted}
		if r.ARC == "" && top.Trusted {
			r.ARC = top.CV
		}
	}
}

func containsFold(list []string, s string) bool {
	for _, x := range list {
		if strings.EqualFold(strings.TrimSpace(x), s) {
			return true
		}
	}
	return false
}
