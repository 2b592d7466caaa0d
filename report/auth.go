package report

import (
	"context"
	"fmt"
	"net/netip"
	"strings"

	"github.com/mailtrace/mailtrace/analyzer"
	"github.com/mailtrace/mailtrace/analyzer/auth"
	"github.com/mailtrace/mailtrace/report/verify"
)

// CompAuth is Microsoft's composite authentication verdict.
type CompAuth struct {
	Result string `json:"result"`
	Reason string `json:"reason"` // numeric reason code as written
}

// AuthResults is one Authentication-Results or ARC-Authentication-Results field.
type AuthResults struct {
	Header     string       `json:"header"`   // field name as written
	Instance   int          `json:"instance"` // ARC i=, 0 for Authentication-Results
	AuthservID string       `json:"authserv_id"`
	Version    string       `json:"version"`
	Trusted    bool         `json:"trusted"` // written by the recipient's side
	Why        string       `json:"why"`     // why it is (not) believed
	Lenient    bool         `json:"lenient"` // not strict RFC 8601; read by the lenient fallback
	Methods    []AuthMethod `json:"methods"`
	Extra      []string     `json:"extra"` // stray tokens
	Raw        string       `json:"raw"`
}

// AuthMethod is one method=result of an Authentication-Results field.
type AuthMethod struct {
	Method     string            `json:"method"`
	Result     string            `json:"result"`
	Reason     string            `json:"reason"`
	Comment    string            `json:"comment"`
	Properties map[string]string `json:"properties"` // e.g. smtp.mailfrom, header.d, header.s
}

// ARCChain is the ARC chain status and its seals.
type ARCChain struct {
	Instances int       `json:"instances"`
	CV        string    `json:"cv"`      // cv= of the highest ARC-Seal
	Sealer    string    `json:"sealer"`  // d= of the highest ARC-Seal
	Trusted   bool      `json:"trusted"` // the highest seal was written on the recipient's side
	Seals     []ARCSeal `json:"seals"`
}

// ARCSeal is one ARC-Seal.
type ARCSeal struct {
	Instance int    `json:"instance"`
	CV       string `json:"cv"`
	Domain   string `json:"domain"`
	Selector string `json:"selector"`
	Trusted  bool   `json:"trusted"`
	Error    string `json:"error"`
}

// ReceivedSPF is one Received-SPF field.
type ReceivedSPF struct {
	Result       string            `json:"result"`
	Comment      string            `json:"comment"`
	ClientIP     string            `json:"client_ip"`
	EnvelopeFrom string            `json:"envelope_from"`
	HELO         string            `json:"helo"`
	Identity     string            `json:"identity"`
	Receiver     string            `json:"receiver"`
	Mechanism    string            `json:"mechanism"`
	Extra        map[string]string `json:"extra"`
	Trusted      bool              `json:"trusted"`
	Raw          string            `json:"raw"`
}

// DKIMSignature summarises one DKIM-Signature field.
type DKIMSignature struct {
	Domain           string   `json:"domain"`
	Selector         string   `json:"selector"`
	Algorithm        string   `json:"algorithm"`
	Canonicalization string   `json:"canonicalization"`
	Identity         string   `json:"identity"`    // i=
	Headers          []string `json:"headers"`     // h=, lower case
	BodyLength       *int64   `json:"body_length"` // l=, null when the whole body is signed
	Timestamp        *string  `json:"timestamp"`   // t=, RFC 3339 UTC or null
	Expiration       *string  `json:"expiration"`  // x=, RFC 3339 UTC or null
	Error            string   `json:"error"`
	Raw              string   `json:"raw"`
}

// Verdict is one vendor spam-filter header, decoded beside its raw value.
type Verdict struct {
	Vendor  string         `json:"vendor"`
	Header  string         `json:"header"`
	Class   string         `json:"class"` // spam, phish, bulk, malware, ham, or ""
	Summary string         `json:"summary"`
	Trusted bool           `json:"trusted"`
	Fields  []VerdictField `json:"fields"`
	Raw     string         `json:"raw"`
}

// VerdictField is one decoded part of a verdict header.
type VerdictField struct {
	Key     string `json:"key"`
	Value   string `json:"value"`
	Meaning string `json:"meaning"`
}

// Verification is the live re-check of --verify.
type Verification struct {
	DKIM   []VerifiedDKIM `json:"dkim"`
	SPF    *VerifiedSPF   `json:"spf"` // null when no entry IP or envelope domain is known
	Errors []string       `json:"errors"`
}

// VerifiedDKIM is the live verification of one signature.
type VerifiedDKIM struct {
	Domain     string `json:"domain"`
	Selector   string `json:"selector"`
	Identifier string `json:"identifier"`
	Result     string `json:"result"` // pass, fail, temperror, permerror
	Error      string `json:"error"`
}

// VerifiedSPF is the live SPF evaluation for the entry IP.
type VerifiedSPF struct {
	IP        string `json:"ip"`
	Domain    string `json:"domain"`
	Result    string `json:"result"` // pass, fail, softfail, neutral, none, temperror, permerror
	Mechanism string `json:"mechanism"`
	Record    string `json:"record"`
	Lookups   int    `json:"lookups"`
	Error     string `json:"error"`
}

// Finding codes of the live re-check.
const (
	CodeVerifyDKIM = "verify-fail-dkim"
	CodeVerifySPF  = "verify-fail-spf"
)

// fillAuth converts the analyzer's authentication summary into top.auth,
// allocated with r by Build, its lists in mem (nil: allocated).
func fillAuth(r *Report, top *fillTop, t *analyzer.Trace, mem *authMem) {
	if t.Auth != nil {
		convertAuthTo(&top.auth, t.Auth, mem)
		r.Auth = &top.auth
	}
}

// authMem is the memory of a report's Auth lists in a scan, used again
// for the next message's (see reportMem).
type authMem struct {
	lists    authLists
	compAuth CompAuth
	chain    ARCChain
}

// authLists are the arrays of an Auth's lists.
type authLists struct {
	dkim     list[DKIMResult]
	results  list[AuthResults] // the Results, then the ARCResults
	methods  list[AuthMethod]  // of all the results
	fields   list[VerdictField]
	spf      list[ReceivedSPF]
	sigs     list[DKIMSignature]
	verdicts list[Verdict]
	seals    list[ARCSeal]
}

// list is the array of one of an Auth's lists, and how much of it the
// list holds.
type list[T any] struct {
	buf  []T
	used int
}

func (l *list[T]) release() {
	clear(l.buf[:l.used])
	l.used = 0
}

// release zeroes m, but for the arrays it keeps.
func (m *authMem) release() {
	l := &m.lists
	l.dkim.release()
	l.results.release()
	l.methods.release()
	l.fields.release()
	l.spf.release()
	l.sigs.release()
	l.verdicts.release()
	l.seals.release()
	m.compAuth, m.chain = CompAuth{}, ARCChain{}
}

// maxAuthRoom is the longest list an authMem keeps room for (the bench
// mbox's are of up to 12): a message with more gets a list of its own,
// as with maxMemHops.
const maxAuthRoom = 16

// room is an empty list of capacity n in l's array, made when it is too
// small; never nil, as make gives.
func room[T any](l *list[T], n int) []T {
	if n > cap(l.buf) || l.buf == nil {
		if n > maxAuthRoom {
			return make([]T, 0, n)
		}
		l.buf = make([]T, max(n, cap(l.buf)))
	}
	l.used = n
	return l.buf[:0:n]
}

// convertAuth converts an auth.Result into the v1 Auth object; nil for nil.
// Lists are never null.
func convertAuth(a *auth.Result) *Auth {
	if a == nil {
		return nil
	}
	out := new(Auth)
	convertAuthTo(out, a, nil)
	return out
}

// convertAuthTo is convertAuth into *out, its lists and pointed-to values
// in mem (nil: allocated), which may hold an earlier report's: they are
// overwritten.
func convertAuthTo(out *Auth, a *auth.Result, mem *authMem) {
	// The Results and ARCResults fields, the methods of them all and the
	// fields of all the verdicts each in one array, an allocation each
	// instead of one per list; each list is capped at its size, so an
	// append moves it out rather than over its neighbour.
	nm, nf := 0, 0
	for i := range a.Results {
		nm += len(a.Results[i].Methods)
	}
	for i := range a.ARCResults {
		nm += len(a.ARCResults[i].Methods)
	}
	for i := range a.Verdicts {
		nf += len(a.Verdicts[i].Fields)
	}
	// Without mem, the arrays are made (own stays on the stack: only
	// the arrays escape).
	var own authLists
	l := &own
	if mem != nil {
		l = &mem.lists
	}
	nr := len(a.Results)
	results := room(&l.results, nr+len(a.ARCResults))
	methods := room(&l.methods, nm)[:nm]
	fields := room(&l.fields, nf)[:nf]
	*out = Auth{SPF: a.SPF, DMARC: a.DMARC, ARC: a.ARC, AuthservID: a.AuthservID, Raw: a.Raw,
		SPFMailFrom: a.SPFMailFrom, DMARCFrom: a.DMARCFrom,
		// Lists at their size (make of none allocates nothing, and is not nil).
		DKIM: room(&l.dkim, len(a.DKIM)), Results: results[:0:nr],
		ARCResults: results[nr:nr], ReceivedSPF: room(&l.spf, len(a.ReceivedSPF)),
		DKIMSignatures: room(&l.sigs, len(a.Signatures)), Verdicts: room(&l.verdicts, len(a.Verdicts))}
	for _, d := range a.DKIM {
		out.DKIM = append(out.DKIM, DKIMResult{Result: d.Result, Domain: d.Domain, Selector: d.Selector,
			Identifier: d.Identifier, Reason: d.Reason})
	}
	if a.CompAuth != nil {
		ca := new(CompAuth)
		if mem != nil {
			ca = &mem.compAuth
		}
		*ca = CompAuth{Result: a.CompAuth.Result, Reason: a.CompAuth.Reason}
		out.CompAuth = ca
	}
	for _, f := range a.Results {
		out.Results = append(out.Results, convertResults(f, &methods))
	}
	for _, f := range a.ARCResults {
		out.ARCResults = append(out.ARCResults, convertResults(f, &methods))
	}
	if c := a.ARCChain; c != nil {
		ch := new(ARCChain)
		if mem != nil {
			ch = &mem.chain
		}
		*ch = ARCChain{Instances: c.Instances, CV: c.CV, Sealer: c.Sealer, Trusted: c.Trusted,
			Seals: room(&l.seals, len(a.ARCSeals))}
		out.ARCChain = ch
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
			Raw: v.Raw, Fields: fields[:0:len(v.Fields)]}
		fields = fields[len(v.Fields):]
		for _, f := range v.Fields {
			x.Fields = append(x.Fields, VerdictField{Key: f.Key, Value: f.Value, Meaning: f.Meaning})
		}
		out.Verdicts = append(out.Verdicts, x)
	}
}

// convertResults converts one Authentication-Results field, its methods
// into the front of *methods, which it then moves past them.
func convertResults(f auth.ResultsField, methods *[]AuthMethod) AuthResults {
	x := AuthResults{Header: f.Header, Instance: f.Instance, AuthservID: f.AuthservID, Version: f.Version,
		Trusted: f.Trusted, Why: f.Why, Lenient: f.Lenient, Methods: (*methods)[:0:len(f.Methods)], Extra: f.Extra, Raw: f.Raw}
	*methods = (*methods)[len(f.Methods):]
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

// AddVerification puts the live re-check (verify.Verify) into the report:
// auth.verified, and a finding for each signature or SPF policy that does
// not pass now. A nil v changes nothing.
func AddVerification(r *Report, v *verify.Result) {
	if v == nil {
		return
	}
	if r.Auth == nil {
		r.Auth = convertAuth(&auth.Result{})
	}
	out := &Verification{DKIM: []VerifiedDKIM{}, Errors: append([]string{}, v.Errors...)}
	for _, d := range v.DKIM {
		out.DKIM = append(out.DKIM, VerifiedDKIM{Domain: d.Domain, Selector: d.Selector, Identifier: d.Identifier,
			Result: d.Result, Error: d.Error})
		if d.Result != verify.DKIMPass {
			r.Findings = append(r.Findings, Finding{Code: CodeVerifyDKIM, Severity: string(analyzer.Warning),
				Message: fmt.Sprintf("live check: the DKIM signature of %s (selector %s) gives %s now: %s", d.Domain, d.Selector, d.Result, d.Error)})
		}
	}
	if s := v.SPF; s != nil {
		out.SPF = &VerifiedSPF{IP: addrString(s.IP), Domain: s.Domain, Result: s.Result, Mechanism: s.Mechanism,
			Record: s.Record, Lookups: s.Lookups, Error: s.Error}
		switch s.Result {
		case verify.SPFFail, verify.SPFSoftFail, verify.SPFPermError:
			r.Findings = append(r.Findings, Finding{Code: CodeVerifySPF, Severity: string(analyzer.Warning),
				Message: fmt.Sprintf("live check: SPF of %s for %s gives %s now (%s)", s.Domain, s.IP, s.Result, orNone(s.Mechanism, s.Error))})
		}
	}
	r.Auth.Verified = out
}

func orNone(a, b string) string {
	switch {
	case a != "" && b != "":
		return a + ": " + b
	case a != "":
		return a
	case b != "":
		return b
	}
	return "no mechanism matched"
}

// VerifyTarget picks what --verify evaluates SPF for: the entry IP and the
// envelope domain. The domain is the believed smtp.mailfrom, else the
// Return-Path, else the entry hop's envelope-from; for a null sender (<>)
// it is the entry hop's HELO name (RFC 7208 §2.4). Either may be empty.
func VerifyTarget(t *analyzer.Trace) (netip.Addr, string) {
	var ip netip.Addr
	var entry *analyzer.Hop
	if t.Entry != nil {
		ip = t.Entry.IP
		if i := t.Entry.Hop - 1; i >= 0 && i < len(t.Hops) {
			entry = &t.Hops[i]
		}
	}
	candidates := []string{}
	if t.Auth != nil {
		candidates = append(candidates, t.Auth.SPFMailFrom)
	}
	candidates = append(candidates, t.Message.ReturnPath)
	if entry != nil {
		candidates = append(candidates, entry.EnvelopeFrom)
	}
	for _, c := range candidates {
		c = strings.Trim(strings.TrimSpace(c), "<>")
		if _, dom, ok := strings.Cut(c, "@"); ok {
			c = dom
		}
		if c = strings.TrimSuffix(strings.ToLower(strings.TrimSpace(c)), "."); c != "" {
			return ip, c
		}
	}
	null := strings.TrimSpace(t.Header.Get("Return-Path")) == "<>"
	if helo := strings.ToLower(strings.TrimSuffix(entry0(entry), ".")); null && strings.Contains(helo, ".") {
		if _, err := netip.ParseAddr(strings.Trim(helo, "[]")); err != nil { // a name, not an address literal
			return ip, helo
		}
	}
	return ip, ""
}

func entry0(h *analyzer.Hop) string {
	if h == nil {
		return ""
	}
	return h.From.HELO
}

// Reverify runs the live checks of --verify on raw, the whole message the
// report was built from (header and body: DKIM needs the body), and adds
// them to r. ctx bounds the whole check; each DNS query also has
// verify.LookupTimeout. The error is the first problem that stopped a check
// (for a header-only source it wraps verify.ErrNoBody); what could be
// checked is in r either way.
func Reverify(ctx context.Context, r *Report, t *analyzer.Trace, raw []byte, res verify.Resolver) error {
	ip, domain := VerifyTarget(t)
	v, err := verify.Verify(ctx, raw, ip, domain, res)
	AddVerification(r, v)
	return err
}
