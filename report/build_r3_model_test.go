package report

import (
	"net/netip"
	"reflect"
	"testing"
	"time"

	"github.com/mailtrace/mailtrace/analyzer"
	"github.com/mailtrace/mailtrace/analyzer/auth"
	"github.com/mailtrace/mailtrace/analyzer/ipclass"
)

// strtab's formatting as it was at the start of the fourth round (commit
// 9282917), renamed: the models FuzzStrtabR3 holds appendRFC3339 and
// appendIPv4 to (and appendIPv4Old, at the end, the append per digit of
// the rounds since).

// timeR3 is strtab.time of commit 9282917.
func (st *strtab) timeR3(t time.Time) string {
	start := len(st.buf)
	st.buf = t.UTC().AppendFormat(st.buf, time.RFC3339)
	return st.view(start)
}

// addrR3 is strtab.addr of commit 9282917.
func (st *strtab) addrR3(a netip.Addr) string {
	if !a.IsValid() {
		return ""
	}
	start := len(st.buf)
	st.buf = a.AppendTo(st.buf)
	return st.view(start)
}

// fillR3 is fill of commit 9282917, with strtab's round-three formatting.
//
// fill converts the analyzer's Trace into the v1 fields.
//
// Its allocations are few and do not grow with the number of hops: the
// hops' timestamps and delays live in one slice (a pointer per hop into
// it), the pointed-to values of the top level in top (allocated with r by
// Build), and the short strings it formats (timestamps, IP addresses) in
// one buffer.
func fillR3(r *Report, top *fillTop, t *analyzer.Trace) {
	var st strtab
	st.buf = make([]byte, 0, 64+48*len(t.Hops)) // in round three, in top up to six hops
	m := &t.Message
	r.Message = Message{MessageID: m.MessageID, DateRaw: m.DateRaw, From: m.From, To: m.To,
		Subject: m.Subject, ReturnPath: m.ReturnPath, ReplyTo: m.ReplyTo}
	if !m.Date.IsZero() {
		top.date = st.timeR3(m.Date)
		r.Message.Date = &top.date
	}
	if r.Message.To == nil {
		r.Message.To = []string{}
	}
	r.Hops = make([]Hop, len(t.Hops)) // in round three, in top up to six hops
	vals := make([]hopValues, len(t.Hops))
	for i := range t.Hops {
		h, out, v := &t.Hops[i], &r.Hops[i], &vals[i]
		// Field by field into the zeroed element: a composite literal is
		// built on the stack and copied.
		out.Index, out.Raw, out.Parsed, out.Trust = h.Index, h.Raw, h.Parsed, string(h.Trust)
		out.From.HELO, out.From.RDNS, out.From.IP = h.From.HELO, h.From.RDNS, st.addrR3(h.From.IP)
		out.From.IPClass, out.From.Ident, out.From.Port = string(ipclass.Of(h.From.IP)), h.From.Ident, h.From.Port
		out.By.Host, out.By.IP = h.By.Host, st.addrR3(h.By.IP)
		out.With, out.ID, out.For, out.EnvelopeFrom = h.With, h.ID, h.For, h.EnvelopeFrom
		out.TLS, out.Auth, out.TimestampRaw, out.Warnings = h.TLS, h.Auth, h.DateRaw, h.Warnings
		if !h.Date.IsZero() {
			v.stamp = st.timeR3(h.Date)
			out.Timestamp = &v.stamp
		}
		if h.HasDelay {
			v.delay = h.Delay
			out.DelaySeconds = &v.delay
		}
		if out.Warnings == nil {
			out.Warnings = []string{}
		}
	}
	if e := t.Entry; e != nil {
		top.entry = Entry{IP: st.ipR3(e.IP), Hop: e.Hop}
		r.Entry = &top.entry
	}
	if o := t.Origin; o != nil {
		top.origin = Origin{IP: st.ipR3(o.IP), Hop: o.Hop, Reason: o.Reason}
		r.Origin = &top.origin
	}
	if c := t.ClientIP; c != nil {
		top.clientIP = ClientIP{IP: st.ipR3(c.IP), Header: c.Header}
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

// ipR3 is strtab.ip of commit 9282917.
func (st *strtab) ipR3(a netip.Addr) string {
	if !a.IsValid() {
		return a.String()
	}
	return st.addrR3(a)
}

// sameFillR3 fails unless fill and fillAuth give the report they gave in
// round three for the analysis of header.
func sameFillR3(t *testing.T, header []byte) {
	t.Helper()
	tr := analyzer.Analyze(header, analyzer.Options{})
	type built struct {
		r   Report
		top fillTop
	}
	got, want := &built{}, &built{}
	_, _, room := newReport(len(tr.Hops))
	st := room.strtab(len(tr.Hops))
	fill(&got.r, &got.top, room, &st, tr)
	fillAuth(&got.r, &got.top, tr, nil)
	fillR3(&want.r, &want.top, tr)
	if tr.Auth != nil {
		convertAuthToR3(&want.top.auth, tr.Auth)
		want.r.Auth = &want.top.auth
	}
	// The hops' plain bits, which round three did not have, must be
	// true: each field they name needs no escape.
	for i := range got.r.Hops {
		h := &got.r.Hops[i]
		for _, f := range []struct {
			bit plainFields
			s   *string
		}{{plainFromIP, &h.From.IP}, {plainByIP, &h.By.IP}, {plainStamp, h.Timestamp}} {
			if h.plain&f.bit != 0 && (f.s == nil || plainPrefix(*f.s) != len(*f.s)) {
				t.Fatalf("hop %d: plain bit %d on a string that needs an escape or is not there", i+1, f.bit)
			}
		}
		h.plain = 0
	}
	if !reflect.DeepEqual(got.r, want.r) {
		t.Fatalf("fill\n%+v\nround three\n%+v", got.r, want.r)
	}
	// Every list capped at its size, as each had its own array: an
	// append moves it out.
	if a := got.r.Auth; a != nil {
		for _, rs := range [][]AuthResults{a.Results, a.ARCResults} {
			if cap(rs) != len(rs) {
				t.Fatalf("results: cap %d, len %d", cap(rs), len(rs))
			}
			for _, x := range rs {
				if cap(x.Methods) != len(x.Methods) {
					t.Fatalf("methods: cap %d, len %d", cap(x.Methods), len(x.Methods))
				}
			}
		}
		for _, v := range a.Verdicts {
			if cap(v.Fields) != len(v.Fields) {
				t.Fatalf("verdict fields: cap %d, len %d", cap(v.Fields), len(v.Fields))
			}
		}
	}
}

// convertAuthToR3 is convertAuthTo of commit 9282917.
func convertAuthToR3(out *Auth, a *auth.Result) {
	*out = Auth{SPF: a.SPF, DMARC: a.DMARC, ARC: a.ARC, AuthservID: a.AuthservID, Raw: a.Raw,
		SPFMailFrom: a.SPFMailFrom, DMARCFrom: a.DMARCFrom,
		// Lists at their size (make of none allocates nothing, and is not nil).
		DKIM: make([]DKIMResult, 0, len(a.DKIM)), Results: make([]AuthResults, 0, len(a.Results)),
		ARCResults: make([]AuthResults, 0, len(a.ARCResults)), ReceivedSPF: make([]ReceivedSPF, 0, len(a.ReceivedSPF)),
		DKIMSignatures: make([]DKIMSignature, 0, len(a.Signatures)), Verdicts: make([]Verdict, 0, len(a.Verdicts))}
	for _, d := range a.DKIM {
		out.DKIM = append(out.DKIM, DKIMResult{Result: d.Result, Domain: d.Domain, Selector: d.Selector,
			Identifier: d.Identifier, Reason: d.Reason})
	}
	if a.CompAuth != nil {
		out.CompAuth = &CompAuth{Result: a.CompAuth.Result, Reason: a.CompAuth.Reason}
	}
	for _, f := range a.Results {
		out.Results = append(out.Results, convertResultsR3(f))
	}
	for _, f := range a.ARCResults {
		out.ARCResults = append(out.ARCResults, convertResultsR3(f))
	}
	if c := a.ARCChain; c != nil {
		out.ARCChain = &ARCChain{Instances: c.Instances, CV: c.CV, Sealer: c.Sealer, Trusted: c.Trusted,
			Seals: make([]ARCSeal, 0, len(a.ARCSeals))}
		for _, s := range a.ARCSeals {
			out.ARCChain.Seals = append(out.ARCChain.Seals, ARCSeal{Instance: s.Instance, CV: s.CV, Domain: s.Domain,
				Selector: s.Selector, Trusted: s.Trusted, Error: s.Error})
		}
	}
	for _, s := range a.ReceivedSPF {
		x := ReceivedSPF{Result: s.Result, Comment: s.Comment, ClientIP: s.ClientIP, EnvelopeFrom: s.EnvelopeFrom,
			HELO: s.HELO, Identity: s.Identity, Receiver: s.Receiver, Mechanism: s.Mechanism, Extra: s.Extra,
			Trusted: s.Trusted, Raw: s.Raw}
		if x.Extra == nil {
			x.Extra = map[string]string{}
		}
		out.ReceivedSPF = append(out.ReceivedSPF, x)
	}
	for _, s := range a.Signatures {
		x := DKIMSignature{Domain: s.Domain, Selector: s.Selector, Algorithm: s.Algorithm,
			Canonicalization: s.Canonicalization, Identity: s.Identity, Headers: s.Headers,
			BodyLength: s.BodyLength, Timestamp: rfc3339(s.Timestamp), Expiration: rfc3339(s.Expiration),
			Error: s.Error, Raw: s.Raw}
		if x.Headers == nil {
			x.Headers = []string{}
		}
		out.DKIMSignatures = append(out.DKIMSignatures, x)
	}
	for _, v := range a.Verdicts {
		x := Verdict{Vendor: v.Vendor, Header: v.Header, Class: v.Class, Summary: v.Summary, Trusted: v.Trusted,
			Raw: v.Raw, Fields: make([]VerdictField, 0, len(v.Fields))}
		for _, f := range v.Fields {
			x.Fields = append(x.Fields, VerdictField{Key: f.Key, Value: f.Value, Meaning: f.Meaning})
		}
		out.Verdicts = append(out.Verdicts, x)
	}
}

// convertResultsR3 is convertResults of commit 9282917.
func convertResultsR3(f auth.ResultsField) AuthResults {
	x := AuthResults{Header: f.Header, Instance: f.Instance, AuthservID: f.AuthservID, Version: f.Version,
		Trusted: f.Trusted, Why: f.Why, Lenient: f.Lenient, Methods: make([]AuthMethod, 0, len(f.Methods)), Extra: f.Extra, Raw: f.Raw}
	if x.Extra == nil {
		x.Extra = []string{}
	}
	for _, m := range f.Methods {
		p := m.Properties
		if p == nil {
			p = map[string]string{}
		}
		x.Methods = append(x.Methods, AuthMethod{Method: m.Method, Result: m.Result, Reason: m.Reason,
			Comment: m.Comment, Properties: p})
	}
	return x
}

// FuzzFillR3 compares fill with its round-three code on the analyses of
// fuzzed headers.
func FuzzFillR3(f *testing.F) {
	f.Add([]byte("Received: from a ([62.239.237.1]) by mx.example.com ([10.0.0.1]); Tue, 24 Nov 2026 09:14:05 +0000\nDate: Tue, 24 Nov 2026 09:14:00 +0000\n\n"))
	f.Add([]byte("Received: from a ([::ffff:62.239.237.1]) by b; Tue, 24 Nov 2026 09:14:05 +0000\nReceived: from c ([2001:db8::1%eth0]) by d; 1 Jan 0001 00:00:00 +0000\n\n"))
	for _, h := range testdataHeaders(f) {
		f.Add(h)
	}
	f.Fuzz(func(t *testing.T, header []byte) { sameFillR3(t, header) })
}

// sameStrtabR3 fails unless strtab formats t and a as in round three.
func sameStrtabR3(t *testing.T, st *strtab, tm time.Time, a netip.Addr) {
	t.Helper()
	if got, want := st.time(tm), st.timeR3(tm); got != want {
		t.Fatalf("%v (Unix %d): time %q, round three %q", tm, tm.Unix(), got, want)
	}
	if got, want := st.addr(a), st.addrR3(a); got != want {
		t.Fatalf("%#v: addr %q, round three %q", a, got, want)
	}
	if got, want := st.ip(a), a.String(); got != want {
		t.Fatalf("%#v: ip %q, String %q", a, got, want)
	}
	if a.Is4() {
		pre := []byte("x")
		if got, want := appendIPv4(pre, a.As4()), appendIPv4Old(pre, a.As4()); string(got) != string(want) {
			t.Fatalf("%#v: appendIPv4 %q, old %q", a, got, want)
		}
	}
}

// FuzzStrtabR3 compares strtab's time and addr with their round-three code
// on arbitrary instants, zones and addresses.
func FuzzStrtabR3(f *testing.F) {
	f.Add(int64(1795511645), int64(0), int32(-6*3600), []byte{62, 239, 237, 1}, "")
	f.Add(int64(-62135596800), int64(1), int32(0), []byte{0, 0, 0, 0}, "")                // 0001-01-01
	f.Add(int64(-62167219200), int64(0), int32(3600), []byte{255, 255, 255, 255}, "")     // 0000-01-01 in UTC
	f.Add(int64(253402300799), int64(999999999), int32(0), []byte{10, 9, 100, 99}, "")    // 9999-12-31T23:59:59
	f.Add(int64(253402300800), int64(0), int32(0), make([]byte, 16), "")                  // year 10000
	f.Add(int64(-62167219201), int64(0), int32(0), []byte{0x20, 1, 0xd, 0xb8, 15: 1}, "") // year -1
	f.Add(int64(951782400), int64(0), int32(0), []byte{10: 0xff, 11: 0xff, 12: 192, 15: 7}, "")
	f.Add(int64(1<<62), int64(0), int32(0), []byte{0xfe, 0x80, 15: 1}, "eth0")
	f.Add(int64(-1<<62), int64(0), int32(0), []byte{1, 2, 3}, "")
	f.Add(int64(0), int64(0), int32(0), []byte{0x20, 1, 0xd, 0xb8, 7: 1, 10: 0xa, 15: 1}, "") // two runs of zeros
	f.Add(int64(0), int64(0), int32(0), []byte{2: 0x12, 3: 0x34, 14: 0xab, 15: 0xcd}, "")     // zeros at both ends
	f.Fuzz(func(t *testing.T, sec, nsec int64, offset int32, ip []byte, zone string) {
		tm := time.Unix(sec, nsec).In(time.FixedZone("", int(offset%(100*3600))))
		var a netip.Addr
		switch {
		case len(ip) >= 16:
			a = netip.AddrFrom16([16]byte(ip[:16])).WithZone(zone)
		case len(ip) >= 4:
			a = netip.AddrFrom4([4]byte(ip[:4]))
		}
		var st strtab
		sameStrtabR3(t, &st, tm, a)
		sameStrtabR3(t, &st, tm.UTC(), a.Unmap())
		// The day remembered: a day before, and back.
		sameStrtabR3(t, &st, tm.Add(-24*time.Hour), a)
		sameStrtabR3(t, &st, tm.Add(time.Duration(offset)), a)
	})
}

// TestStrtabDays walks every day of the years 0 to 9999 and a few beyond
// through appendRFC3339, at the first and the last second of the day.
func TestStrtabDays(t *testing.T) {
	var st strtab
	for tm := time.Date(-2, 12, 30, 0, 0, 0, 0, time.UTC); tm.Year() < 10002; tm = tm.AddDate(0, 0, 1) {
		st.buf = st.buf[:0]
		sameStrtabR3(t, &st, tm, netip.Addr{})
		sameStrtabR3(t, &st, tm.Add(24*time.Hour-time.Nanosecond), netip.Addr{})
	}
	for o := range 256 {
		st.buf = st.buf[:0]
		sameStrtabR3(t, &st, time.Time{}, netip.AddrFrom4([4]byte{byte(o), byte(255 - o), byte(o / 2), byte(o % 10)}))
	}
}

// appendIPv4Old is appendIPv4 before its octet table: an append per digit.
func appendIPv4Old(b []byte, ip [4]byte) []byte {
	for i, o := range ip {
		if i > 0 {
			b = append(b, '.')
		}
		switch {
		case o >= 100:
			b = append(b, '0'+o/100, digits2[o%100*2], digits2[o%100*2+1])
		case o >= 10:
			b = append(b, digits2[o%100*2], digits2[o%100*2+1])
		default:
			b = append(b, '0'+o)
		}
	}
	return b
}
