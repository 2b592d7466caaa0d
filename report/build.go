package report

import (
	"context"
	"encoding/binary"
	"net/netip"
	"slices"
	"strconv"
	"time"
	"unsafe"

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
	if msg.Err != nil && len(msg.Header) == 0 {
		return unreadable(new(Report), msg)
	}
	t := analyzer.AnalyzeOwned(msg.Header, opts.Analyzer) // never modified: fetch.Message's promise
	r, top, room := newReport(len(t.Hops))
	st := room.strtab(len(t.Hops))
	build(ctx, r, top, room, &st, nil, nil, t, msg, opts)
	return r
}

// unreadable makes *r, zero, the report of a message that could not be
// read at all.
func unreadable(r *Report, msg *fetch.Message) *Report {
	r.Schema, r.Source, r.Hops, r.Findings = Schema, sourceOf(msg.Origin), []Hop{}, []Finding{}
	r.Message.To, r.Error = []string{}, msg.Err.Error()
	return r
}

// build makes the report of t, the analysis of msg, in *r (zero), top and
// room, its short strings in st, its Auth lists in mem and its origin's
// attribution in att (nil: made).
func build(ctx context.Context, r *Report, top *fillTop, room hopRoom, st *strtab, mem *authMem, att *attrib.Attribution, t *analyzer.Trace, msg *fetch.Message, opts Options) {
	r.Schema, r.Source = Schema, sourceOf(msg.Origin)
	if msg.Err != nil {
		r.Error = msg.Err.Error()
	}
	fill(r, top, room, st, t)
	fillAuth(r, top, t, mem)
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
	attribute(ctx, r, att, t, opts)
}

// reportBlock is a report and what fill points into from its top level.
type reportBlock struct {
	r   Report
	top fillTop
}

// The room for a message's short strings (strtab): the top level's and
// each hop's (a timestamp and two addresses).
const (
	strsBase   = 64
	strsPerHop = 48
)

// strsSize is the room for the short strings of a message of n hops.
func strsSize(n int) int { return strsBase + strsPerHop*n }

// The report blocks with room for a message's hops, in sizes that fill
// the allocator's size classes well (2688, 3456, 4864 and 6144 bytes): a
// message's report is one allocation of about its size, where a block for
// six hops was cleared for every message and a seventh hop made three
// more allocations.
type (
	block4 struct {
		reportBlock
		hops [4]Hop
		vals [4]hopValues
		strs [strsBase + strsPerHop*4]byte
	}
	block6 struct {
		reportBlock
		hops [6]Hop
		vals [6]hopValues
		strs [strsBase + strsPerHop*6]byte
	}
	block9 struct {
		reportBlock
		hops [9]Hop
		vals [9]hopValues
		strs [strsBase + strsPerHop*9]byte
	}
	block12 struct {
		reportBlock
		hops [12]Hop
		vals [12]hopValues
		strs [strsBase + strsPerHop*12]byte
	}
)

// newReport allocates a report for a message of n hops, with the room
// fill puts its hops in when there are few (more: fill makes it).
func newReport(n int) (*Report, *fillTop, hopRoom) {
	switch {
	case n <= 4:
		b := new(block4)
		return &b.r, &b.top, hopRoom{b.hops[:], b.vals[:], b.strs[:0]}
	case n <= 6:
		b := new(block6)
		return &b.r, &b.top, hopRoom{b.hops[:], b.vals[:], b.strs[:0]}
	case n <= 9:
		b := new(block9)
		return &b.r, &b.top, hopRoom{b.hops[:], b.vals[:], b.strs[:0]}
	case n <= 12:
		b := new(block12)
		return &b.r, &b.top, hopRoom{b.hops[:], b.vals[:], b.strs[:0]}
	}
	b := new(reportBlock)
	return &b.r, &b.top, hopRoom{}
}

// reportMem is the memory of one report of a scan, used again for
// another message once the report is written and counted: the report,
// what its pointers point to, its hops and their values, and its short
// strings (strs, the strtab's buffer while the report is made). Nothing
// may keep a string of a report once it is counted: the summary copies
// the few it keeps (an origin's address is one of these short strings).
//
// Once the report is written and counted, release drops what it points
// to: a batch waiting in the free list, and the room past a shorter
// report, would else keep earlier messages alive (their headers: a
// scan's live heap went from 9 MB to 15-23 MB).
type reportMem struct {
	r    Report
	top  fillTop
	hops []Hop
	vals []hopValues
	used int // the hops (and vals) r holds of hops
	auth authMem
	strs []byte
	// attribution is the origin's: an allocation per message else.
	attribution attrib.Attribution
}

// poisonMem, set by tests, fills a report's strings with poisonByte when
// it is released: a string kept after would show plainly changed.
var poisonMem bool

const poisonByte = '~'

// release zeroes m, but for the room it keeps.
func (m *reportMem) release() {
	clear(m.hops[:m.used])
	clear(m.vals[:m.used])
	m.used = 0
	m.r, m.top, m.attribution = Report{}, fillTop{}, attrib.Attribution{}
	m.auth.release()
	if poisonMem {
		full := m.strs[:cap(m.strs)]
		for i := range full {
			full[i] = poisonByte
		}
	}
	m.strs = m.strs[:0]
}

// maxMemHops is the most hops a reportMem keeps room for (the bench
// mbox's messages have up to 15): the odd message of more gets its own,
// so that the memory the batches keep stays small (some 300 reportMems
// are in flight) whatever the messages.
const maxMemHops = 16

// scanBuilder is a scan worker's memory for its reports: the analysis,
// used again for each message (the report keeps none of its memory,
// only strings and slices the analysis allocated), and the strtab the
// reports' short strings go to, in the buffer of the report's reportMem.
type scanBuilder struct {
	an analyzer.Scratch
	st strtab
}

// maxMemStrs is the most room for short strings a reportMem keeps, that
// of maxMemHops hops, as a multiple of 256 bytes.
const maxMemStrs = (strsBase + strsPerHop*maxMemHops + 255) &^ 255

// build is Build in m: a report made there before is gone, overwritten
// (released or not: release only drops what it kept alive), and its
// strings stay as they were.
func (b *scanBuilder) build(ctx context.Context, msg *fetch.Message, opts Options, m *reportMem) *Report {
	r := &m.r
	*r = Report{}
	if msg.Err != nil && len(msg.Header) == 0 {
		return unreadable(r, msg)
	}
	t := b.an.AnalyzeOwnedLines(msg.Header, msg.FieldStarts, opts.Analyzer) // never modified: fetch.Message's promise
	n := len(t.Hops)
	if n > len(m.hops) && n <= maxMemHops {
		size := max(n, 8)
		m.hops, m.vals = make([]Hop, size), make([]hopValues, size)
	}
	if n <= len(m.hops) {
		m.used = n // as fill takes them
	}
	b.st.buf = m.strs[:0]
	if size := strsSize(n); size > cap(m.strs) {
		b.st.buf = make([]byte, 0, max(size, maxMemStrs))
	}
	build(ctx, r, &m.top, hopRoom{hops: m.hops, vals: m.vals}, &b.st, &m.auth, &m.attribution, t, msg, opts)
	if cap(b.st.buf) <= maxMemStrs {
		// Kept for the next report made in m, once this one is
		// released. When fill wrote more than strsSize and the buffer
		// grew, the strings before lie in the old one, which the garbage
		// collector keeps for them; a larger one is not kept, so that
		// the room stays small.
		m.strs = b.st.buf
	}
	b.st.buf = nil
	return r
}

// hopRoom is where fill puts the hops and their values, when there is
// room enough, and the room for the short strings of newReport's block.
type hopRoom struct {
	hops []Hop
	vals []hopValues
	strs []byte // empty, with the room as its capacity
}

// strtab is a strtab in the room's strings when they are room enough for
// a message of n hops, else in a buffer of its own.
func (room hopRoom) strtab(n int) strtab {
	if size := strsSize(n); size > cap(room.strs) {
		return strtab{buf: make([]byte, 0, size)}
	}
	return strtab{buf: room.strs[:0]}
}

func sourceOf(o fetch.Origin) Source {
	return Source{Kind: o.Kind, Name: o.Name, Mailbox: o.Mailbox, UID: o.UID,
		UIDValidity: o.UIDValidity, Index: o.Index, POP3UID: o.POP3UID}
}

// fill converts the analyzer's Trace into the v1 fields of r, zero.
//
// Its allocations are few and do not grow with the number of hops: the
// hops' timestamps and delays live in one slice (a pointer per hop into
// it), the pointed-to values of the top level in top, and the short
// strings it formats (timestamps, IP addresses) in st; Build allocates
// all of them with r (room), but for messages of many hops, and Scan
// reuses them (room's hops may hold an earlier message's: fill writes
// every field of a hop, but for Attribution, which attribute sets).
func fill(r *Report, top *fillTop, room hopRoom, st *strtab, t *analyzer.Trace) {
	m := &t.Message
	r.Message = Message{MessageID: m.MessageID, DateRaw: m.DateRaw, From: m.From, To: m.To,
		Subject: m.Subject, ReturnPath: m.ReturnPath, ReplyTo: m.ReplyTo}
	if !m.Date.IsZero() {
		top.date = st.time(m.Date)
		r.Message.Date = &top.date
	}
	if r.Message.To == nil {
		r.Message.To = []string{}
	}
	if len(t.Hops) <= len(room.hops) && room.hops != nil { // none: [], not null
		r.Hops = room.hops[:len(t.Hops):len(t.Hops)]
	} else {
		r.Hops = make([]Hop, len(t.Hops))
	}
	var vals []hopValues
	if len(t.Hops) <= len(room.vals) {
		vals = room.vals[:len(t.Hops)]
	} else {
		vals = make([]hopValues, len(t.Hops))
	}
	for i := range t.Hops {
		h, out, v := &t.Hops[i], &r.Hops[i], &vals[i]
		// Field by field into the zeroed element: a composite literal is
		// built on the stack and copied.
		out.Index, out.Raw, out.Parsed, out.Trust = h.Index, h.Raw, h.Parsed, string(h.Trust)
		out.From.HELO, out.From.RDNS, out.From.IP = h.From.HELO, h.From.RDNS, st.addr(h.From.IP)
		out.From.IPClass, out.From.Ident, out.From.Port = string(ipclass.Of(h.From.IP)), h.From.Ident, h.From.Port
		out.By.Host, out.By.IP = h.By.Host, st.addr(h.By.IP)
		out.With, out.ID, out.For, out.EnvelopeFrom = h.With, h.ID, h.For, h.EnvelopeFrom
		out.TLS, out.Auth, out.TimestampRaw, out.Warnings = h.TLS, h.Auth, h.DateRaw, h.Warnings
		out.Timestamp, out.DelaySeconds, out.Attribution = nil, nil, nil
		out.plain = plainAddr(h.From.IP, plainFromIP) | plainAddr(h.By.IP, plainByIP)
		if !h.Date.IsZero() {
			v.stamp = st.time(h.Date)
			out.Timestamp = &v.stamp
			out.plain |= plainStamp // RFC 3339: digits, "-:TZ" and maybe a sign
		}
		if h.HasDelay {
			v.delay = h.Delay
			out.DelaySeconds = &v.delay
		}
		if out.Warnings == nil {
			out.Warnings = []string{}
		}
	}
	// st.ip(a), or the string of the hop's own address when a is it: the
	// entry and the origin are hops' addresses, made once.
	hopIP := func(a netip.Addr, hop int) string {
		if i := hop - 1; i >= 0 && i < len(t.Hops) && a.IsValid() && t.Hops[i].From.IP == a {
			return r.Hops[i].From.IP
		}
		return st.ip(a)
	}
	if e := t.Entry; e != nil {
		top.entry = Entry{IP: hopIP(e.IP, e.Hop), Hop: e.Hop}
		r.Entry = &top.entry
	}
	if o := t.Origin; o != nil {
		top.origin = Origin{IP: hopIP(o.IP, o.Hop), Reason: o.Reason, Hop: o.Hop}
		r.Origin = &top.origin
	}
	if c := t.ClientIP; c != nil {
		top.clientIP = ClientIP{IP: st.ip(c.IP), Header: c.Header}
		r.ClientIP = &top.clientIP
	}
	if t.HasTotal {
		top.total = t.TotalDelay
		r.TotalDelaySeconds = &top.total
	}
	if len(t.Findings) <= len(top.findings) {
		// Capped: a finding appended later (AddVerification) moves them out.
		r.Findings = top.findings[:len(t.Findings):len(t.Findings)]
	} else {
		r.Findings = make([]Finding, len(t.Findings))
	}
	for i := range t.Findings {
		f := &t.Findings[i]
		r.Findings[i] = Finding{Code: f.Code, Severity: string(f.Severity), Hop: f.Hop, Message: f.Message}
	}
}

// plainAddr is bit when st.addr(a) needs no escape: always but for an
// IPv6 zone, which is any text the Received field gave (an invalid a
// gives "", plain).
func plainAddr(a netip.Addr, bit plainFields) plainFields {
	if !a.Is6() || a.Zone() == "" {
		return bit
	}
	return 0
}

// hopValues holds what a Hop's pointer fields point to.
type hopValues struct {
	stamp string
	delay int64
}

// fillTop holds what the pointers fill and fillAuth set point to, and the
// findings of most messages (few findings).
type fillTop struct {
	date     string
	entry    Entry
	origin   Origin
	clientIP ClientIP
	total    int64
	auth     Auth
	findings [4]Finding
}

// strtab makes short strings without an allocation each: it appends them
// to buf and returns views of buf's bytes. A view is not written again
// while its report lives, since buf is only appended to (and when append
// moves it, the old bytes stay as they were, held by the views); a scan
// writes a reportMem's buffer again only once its report is released.
type strtab struct {
	buf []byte
	// day is the day time formatted last, as days since 0000-01-01 plus
	// one (zero: none yet), and date its "YYYY-MM-DDT": a message's hops
	// are mostly of one day, whose date is then worked out once.
	day  uint64
	date [11]byte
}

func (st *strtab) view(start int) string {
	if len(st.buf) == start {
		return ""
	}
	return unsafe.String(&st.buf[start], len(st.buf)-start)
}

// time is t.UTC().Format(time.RFC3339), written here: the library's
// AppendFormat, generic over layouts, took seven times the instructions.
// Years outside 0-9999, which the layout writes otherwise, go to it.
func (st *strtab) time(t time.Time) string {
	start := len(st.buf)
	sec := t.Unix()
	if sec < year0 || sec >= year10000 {
		st.buf = t.UTC().AppendFormat(st.buf, time.RFC3339)
		return st.view(start)
	}
	u := uint64(sec - year0)
	day, rem := u/86400, u%86400
	if day+1 != st.day {
		st.date, st.day = civilDate(day), day+1
	}
	// Written straight into the buffer's spare room (grown first when
	// short), rather than into an array appended after: a call of
	// memmove less.
	b := slices.Grow(st.buf, 20)
	out := (*[20]byte)(b[start : start+20])
	*(*[11]byte)(out[:11]) = st.date
	hh, mm, ss := rem/3600, rem/60%60, rem%60
	out[11], out[12], out[13] = digits2[hh*2], digits2[hh*2+1], ':'
	out[14], out[15], out[16] = digits2[mm*2], digits2[mm*2+1], ':'
	out[17], out[18], out[19] = digits2[ss*2], digits2[ss*2+1], 'Z'
	st.buf = b[:start+20]
	return st.view(start)
}

// The Unix times of 0000-01-01 and 10000-01-01, UTC.
const (
	year0     = -62167219200
	year10000 = 253402300800
)

// civilDate returns "YYYY-MM-DDT" of the day that is day days after
// 0000-01-01, in the years 0-9999: Howard Hinnant's civil_from_days.
func civilDate(day uint64) [11]byte {
	// Days since -0400-03-01 (0000-01-01 is day 60 of year -1 counted from
	// March, and an era of 400 years, 146097 days, earlier keeps z
	// unsigned); with the year starting in March, the leap day ends it.
	z := day - 60 + 146097
	era := z / 146097
	doe := z - era*146097                                  // [0, 146096]
	yoe := (doe - doe/1460 + doe/36524 - doe/146096) / 365 // [0, 399]
	doy := doe - (365*yoe + yoe/4 - yoe/100)               // [0, 365], from March 1
	mp := (5*doy + 2) / 153                                // [0, 11], from March
	d := doy - (153*mp+2)/5 + 1
	m := mp + 3
	y := yoe + era*400
	if mp >= 10 {
		m = mp - 9
		y++
	}
	y -= 400
	hi, lo := y/100%100, y%100
	return [11]byte{digits2[hi*2], digits2[hi*2+1], digits2[lo*2], digits2[lo*2+1], '-',
		digits2[m%100*2], digits2[m%100*2+1], '-', digits2[d%100*2], digits2[d%100*2+1], 'T'}
}

// addr is addrString(a).
func (st *strtab) addr(a netip.Addr) string {
	if !a.IsValid() {
		return ""
	}
	start := len(st.buf)
	switch {
	case a.Is4():
		st.buf = appendIPv4(st.buf, a.As4())
	case a.Is4In6() || a.Zone() != "": // seldom: the library's text
		st.buf = a.AppendTo(st.buf)
	default:
		st.buf = appendIPv6(st.buf, a.As16())
	}
	return st.view(start)
}

// appendIPv6 appends an IPv6 address, neither IPv4-mapped nor zoned, as
// netip.Addr.AppendTo does (RFC 5952: lower-case hex groups without
// leading zeros, the first longest run of two or more zero groups as
// "::"), in a third of its instructions: its run search starts again at
// each group, and it appends byte by byte. FuzzStrtabR3 holds it to
// AppendTo.
func appendIPv6(b []byte, ip [16]byte) []byte {
	var w [8]uint16
	for i := range w {
		w[i] = uint16(ip[2*i])<<8 | uint16(ip[2*i+1])
	}
	zs, ze, longest := 8, 8, 1 // the run shown as "::": none yet
	for i := 0; i < len(w); {
		if w[i] != 0 {
			i++
			continue
		}
		j := i + 1
		for j < len(w) && w[j] == 0 {
			j++
		}
		if j-i > longest {
			zs, ze, longest = i, j, j-i
		}
		i = j
	}
	var out [40]byte // eight groups of up to four digits, a colon between each two
	n := 0
	for i := 0; i < len(w); i++ {
		if i == zs {
			out[n], out[n+1] = ':', ':'
			n += 2
			if i = ze; i >= len(w) {
				break
			}
		} else if i > 0 {
			out[n] = ':'
			n++
		}
		n = putHex(&out, n, w[i])
	}
	return append(b, out[:n]...)
}

// putHex writes x in lower-case hex without leading zeros at out[n:], and
// returns the index past it. n is at most 35: room for four digits.
func putHex(out *[40]byte, n int, x uint16) int {
	const hex = "0123456789abcdef"
	if x >= 0x1000 {
		out[n] = hex[x>>12]
		n++
	}
	if x >= 0x100 {
		out[n] = hex[x>>8&0xf]
		n++
	}
	if x >= 0x10 {
		out[n] = hex[x>>4&0xf]
		n++
	}
	out[n] = hex[x&0xf]
	return n + 1
}

// digits2 holds the two digits of each number below 100.
const digits2 = "00010203040506070809" + "10111213141516171819" + "20212223242526272829" + "30313233343536373839" +
	"40414243444546474849" + "50515253545556575859" + "60616263646566676869" + "70717273747576777879" +
	"80818283848586878889" + "90919293949596979899"

// appendIPv4 appends the dotted quad of an IPv4 address, as
// netip.Addr.AppendTo does: each octet's text and a dot, four bytes from
// octetDot, stored whole into b's spare room (grown first when short),
// the last dot left out. An append per digit, each checking b's capacity,
// cost 60% more instructions. FuzzStrtabR3 holds it to AppendTo and to
// appendIPv4Old, the append per digit.
func appendIPv4(b []byte, ip [4]byte) []byte {
	n := len(b)
	// Four octets of up to three digits, a dot after each, and room for
	// the store at k&15: k is at most 12, and the mask tells the compiler
	// that no store goes past p.
	b = slices.Grow(b, 19)
	p := (*[19]byte)(b[n : n+19])
	t := octetDot[ip[0]]
	binary.LittleEndian.PutUint32(p[:], uint32(t))
	k := int(t >> 32)
	t = octetDot[ip[1]]
	binary.LittleEndian.PutUint32(p[k&15:], uint32(t))
	k += int(t >> 32)
	t = octetDot[ip[2]]
	binary.LittleEndian.PutUint32(p[k&15:], uint32(t))
	k += int(t >> 32)
	t = octetDot[ip[3]]
	binary.LittleEndian.PutUint32(p[k&15:], uint32(t))
	k += int(t >> 32)
	return b[:n+k-1]
}

// octetDot holds each octet's decimal text and a dot, the first character
// lowest, in the low four bytes, and the text's length with the dot above
// them.
var octetDot = func() (t [256]uint64) {
	for o := range t {
		s := strconv.Itoa(o) + "."
		var w [4]byte
		copy(w[:], s)
		t[o] = uint64(binary.LittleEndian.Uint32(w[:])) | uint64(len(s))<<32
	}
	return t
}()

// ip is a.String().
func (st *strtab) ip(a netip.Addr) string {
	if !a.IsValid() {
		return a.String()
	}
	return st.addr(a)
}

// attribute looks up the origin (and with LookupAll every public hop IP),
// the origin's attribution in *att (nil: allocated).
func attribute(ctx context.Context, r *Report, att *attrib.Attribution, t *analyzer.Trace, opts Options) {
	if opts.Attributor == nil || opts.Lookup == LookupNone {
		return
	}
	if t.Origin != nil {
		if att == nil {
			att = new(attrib.Attribution)
		}
		*att = opts.Attributor.Attribute(ctx, t.Origin.IP)
		r.Attribution = att
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
