package report

import (
	"encoding/binary"
	"encoding/json"
	"math"
	"math/bits"
	"reflect"
	"slices"
	"strconv"
	"unicode/utf8"
	"unsafe"

	"github.com/mailtrace/mailtrace/internal/swar"
	"github.com/mailtrace/mailtrace/report/attrib"
)

// A hand-written JSON encoder for Report, for the JSON Lines of scan: it
// writes, byte for byte, what a json.Encoder with SetEscapeHTML(false)
// writes, without reflection and with no allocation beyond the buffer. The
// field names and order, omitempty, null for nil pointers, slices and maps,
// sorted map keys, number and string forms all follow encoding/json; tests
// (jsonenc_test.go) compare the two on every type reachable from Report, so
// a field added to a type must be added here too. Strings are scanned eight
// bytes at a time (plainPrefix).

// appendReport appends r as one compact JSON value and a newline, as
// json.Encoder.Encode writes it. The error, as encoding/json's, is a
// *json.UnsupportedValueError for a NaN or infinite float; b is then
// returned unchanged.
func appendReport(b []byte, r *Report) ([]byte, error) {
	if r == nil {
		return append(b, "null\n"...), nil
	}
	if err := checkFloats(r); err != nil {
		return b, err
	}
	if r.Schema == Schema {
		b = appendRun(b, &schemaRun)
	} else {
		b = append(b, `{"schema":"`...)
		b = appendQuoted(b, r.Schema)
		b = append(b, `,"source":`...)
	}
	b = appendSource(b, &r.Source)
	b = append(b, `,"message":`...)
	b = appendMessage(b, &r.Message)
	b = append(b, `,"hops":`...)
	if r.Hops == nil {
		b = append(b, "null"...)
	} else {
		b = append(b, '[')
		for i := range r.Hops {
			if i > 0 {
				b = append(b, ',')
			}
			b = appendHop(b, &r.Hops[i])
		}
		b = append(b, ']')
	}
	b = append(b, `,"entry":`...)
	if e := r.Entry; e == nil {
		b = append(b, "null"...)
	} else {
		b = append(b, `{"ip":"`...)
		b = appendQuoted(b, e.IP)
		b = append(b, `,"hop":`...)
		b = appendInt(b, int64(e.Hop))
		b = append(b, '}')
	}
	b = append(b, `,"origin":`...)
	if o := r.Origin; o == nil {
		b = append(b, "null"...)
	} else {
		b = append(b, `{"ip":"`...)
		b = appendQuoted(b, o.IP)
		b = append(b, `,"hop":`...)
		b = appendInt(b, int64(o.Hop))
		b = append(b, `,"reason":"`...)
		b = appendQuoted(b, o.Reason)
		b = append(b, '}')
	}
	b = append(b, `,"client_ip":`...)
	if c := r.ClientIP; c == nil {
		b = append(b, "null"...)
	} else {
		b = append(b, `{"ip":"`...)
		b = appendQuoted(b, c.IP)
		b = append(b, `,"header":"`...)
		b = appendQuoted(b, c.Header)
		b = append(b, '}')
	}
	b = append(b, `,"attribution":`...)
	b = appendAttribution(b, r.Attribution)
	b = append(b, `,"auth":`...)
	b = appendAuth(b, r.Auth)
	b = appendKey(b, &keyTotalDelay)
	b = appendInt64Ptr(b, r.TotalDelaySeconds)
	b = append(b, `,"findings":`...)
	if r.Findings == nil {
		b = append(b, "null"...)
	} else {
		b = append(b, '[')
		for i := range r.Findings {
			f := &r.Findings[i]
			if i > 0 {
				b = append(b, ',')
			}
			b = append(b, `{"code":"`...)
			b = appendQuoted(b, f.Code)
			if r := severityRun(f.Severity); r != nil {
				b = appendRun(b, r)
			} else {
				b = append(b, `,"severity":"`...)
				b = appendQuoted(b, f.Severity)
				b = append(b, `,"hop":`...)
			}
			b = appendInt(b, int64(f.Hop))
			b = append(b, `,"message":"`...)
			b = appendQuoted(b, f.Message)
			b = append(b, '}')
		}
		b = append(b, ']')
	}
	if r.Error != "" { // omitempty
		b = append(b, `,"error":"`...)
		b = appendQuoted(b, r.Error)
	}
	return append(b, "}\n"...), nil
}

func appendSource(b []byte, s *Source) []byte {
	b = append(b, `{"kind":"`...)
	b = appendQuoted(b, s.Kind)
	b = append(b, `,"name":"`...)
	b = appendQuoted(b, s.Name)
	if s.Mailbox != "" { // omitempty
		b = append(b, `,"mailbox":"`...)
		b = appendQuoted(b, s.Mailbox)
	}
	if s.UID != 0 { // omitempty
		b = append(b, `,"uid":`...)
		b = strconv.AppendUint(b, uint64(s.UID), 10)
	}
	if s.UIDValidity != 0 { // omitempty
		b = append(b, `,"uidvalidity":`...)
		b = strconv.AppendUint(b, uint64(s.UIDValidity), 10)
	}
	b = append(b, `,"index":`...)
	b = appendInt(b, int64(s.Index))
	if s.POP3UID != "" { // omitempty
		b = append(b, `,"pop3_uid":"`...)
		b = appendQuoted(b, s.POP3UID)
	}
	return append(b, '}')
}

func appendMessage(b []byte, m *Message) []byte {
	b = append(b, `{"message_id":"`...)
	b = appendQuoted(b, m.MessageID)
	b = append(b, `,"date":`...)
	b = appendStringPtr(b, m.Date)
	b = append(b, `,"date_raw":"`...)
	b = appendQuoted(b, m.DateRaw)
	b = append(b, `,"from":"`...)
	b = appendQuoted(b, m.From)
	b = append(b, `,"to":`...)
	b = appendStrings(b, m.To)
	b = append(b, `,"subject":"`...)
	b = appendQuoted(b, m.Subject)
	b = append(b, `,"return_path":"`...)
	b = appendQuoted(b, m.ReturnPath)
	b = append(b, `,"reply_to":"`...)
	b = appendQuoted(b, m.ReplyTo)
	return append(b, '}')
}

func appendHop(b []byte, h *Hop) []byte {
	b = append(b, `{"index":`...)
	b = appendInt(b, int64(h.Index))
	b = append(b, `,"raw":"`...)
	c := cleanRaw{raw: h.Raw}
	b, c.head, c.tail = appendRaw(b, h.Raw)
	// The runs of keys and the values that are mostly one of a few (trust,
	// ip_class) or empty (ident, port, by.ip, envelope_from, tls, auth),
	// each written at once when they are, as hopRuns has them.
	if r := hopRuns.trust(h.Parsed, h.Trust); r != nil {
		b = appendRun(b, r)
	} else {
		b = append(b, `,"parsed":`...)
		b = strconv.AppendBool(b, h.Parsed)
		b = append(b, `,"trust":"`...)
		b = appendQuoted(b, h.Trust)
		b = appendKey(b, &keyFromHELO)
	}
	if c.has(h.From.HELO) { // on the first line, mostly
		b = appendPlain(b, h.From.HELO)
	} else {
		b = appendQuoted(b, h.From.HELO)
	}
	b = append(b, `,"rdns":"`...)
	if c.has(h.From.RDNS) { // on the first line, mostly
		b = appendPlain(b, h.From.RDNS)
	} else {
		b = appendQuoted(b, h.From.RDNS)
	}
	b = append(b, `,"ip":"`...)
	if h.plain&plainFromIP != 0 {
		b = appendPlain(b, h.From.IP)
	} else {
		b = appendQuoted(b, h.From.IP)
	}
	if r := hopRuns.class(h.From.IPClass); r != nil && h.From.Ident == "" && h.From.Port == 0 {
		b = appendRun(b, r)
	} else {
		b = append(b, `,"ip_class":"`...)
		b = appendQuoted(b, h.From.IPClass)
		b = append(b, `,"ident":"`...)
		b = appendQuoted(b, h.From.Ident)
		b = append(b, `,"port":`...)
		b = appendInt(b, int64(h.From.Port))
		b = append(b, `},"by":{"host":"`...)
	}
	b = appendQuoted(b, h.By.Host)
	if h.By.IP == "" {
		b = appendKey(b, &keyNoByIP)
	} else {
		b = append(b, `,"ip":"`...)
		if h.plain&plainByIP != 0 {
			b = appendPlain(b, h.By.IP)
		} else {
			b = appendQuoted(b, h.By.IP)
		}
		b = append(b, `},"with":"`...)
	}
	b = appendQuoted(b, h.With)
	b = append(b, `,"id":"`...)
	b = appendQuoted(b, h.ID)
	b = append(b, `,"for":"`...)
	if c.has(h.For) { // as the date, mostly
		b = appendPlain(b, h.For)
	} else {
		b = appendQuoted(b, h.For)
	}
	if h.EnvelopeFrom == "" && h.TLS == "" && h.Auth == "" {
		b = appendRun(b, &hopRuns.noEnvelope)
	} else {
		b = appendKey(b, &keyEnvelopeFrom)
		b = appendQuoted(b, h.EnvelopeFrom)
		b = append(b, `,"tls":"`...)
		b = appendQuoted(b, h.TLS)
		b = append(b, `,"auth":"`...)
		b = appendQuoted(b, h.Auth)
		b = append(b, `,"timestamp":`...)
	}
	if p := h.Timestamp; p != nil && h.plain&plainStamp != 0 {
		b = appendPlain(append(b, '"'), *p)
	} else {
		b = appendStringPtr(b, h.Timestamp)
	}
	b = appendKey(b, &keyTimestampRaw)
	// The date is the end of the raw text, mostly after its last fold:
	// its bytes were tested with the raw text's.
	if c.has(h.TimestampRaw) {
		b = appendPlain(b, h.TimestampRaw)
	} else {
		b = appendQuoted(b, h.TimestampRaw)
	}
	b = appendKey(b, &keyDelay)
	if d := h.DelaySeconds; d != nil && uint64(*d) < 10 { // most: no call
		b = append(b, byte('0'+*d))
	} else {
		b = appendInt64Ptr(b, d)
	}
	if h.Attribution != nil { // omitempty
		b = append(b, `,"attribution":`...)
		b = appendAttribution(b, h.Attribution)
	}
	if h.Warnings != nil && len(h.Warnings) == 0 {
		return append(b, `,"warnings":[]}`...)
	}
	b = append(b, `,"warnings":`...)
	b = appendStrings(b, h.Warnings)
	return append(b, '}')
}

// hopRuns are appendHop's runs of constant bytes, keys with the values
// between them that are mostly one of a few.
var hopRuns = func() (r hopRunTable) {
	for i, t := range trustWords {
		r.trustRuns[0][i] = makeRun(`,"parsed":false,"trust":"` + t + `","from":{"helo":"`)
		r.trustRuns[1][i] = makeRun(`,"parsed":true,"trust":"` + t + `","from":{"helo":"`)
	}
	for i, c := range classWords {
		r.classRuns[i] = makeRun(`,"ip_class":"` + c + `","ident":"","port":0},"by":{"host":"`)
	}
	r.noEnvelope = makeRun(`,"envelope_from":"","tls":"","auth":"","timestamp":`)
	return r
}()

// keyNoByIP is the run from by.host's closing quote to with's opening one
// when by.ip is empty.
var keyNoByIP = makeLongKey(`,"ip":""},"with":"`)

// The trust and ip_class words hopRuns has runs for: every trust the
// analyzer gives, and the address classes of most hops.
var (
	trustWords = [...]string{"recipient", "external", "suspect"}
	classWords = [...]string{"", "public", "private", "loopback"}
)

type hopRunTable struct {
	trustRuns  [2][len(trustWords)]run // by parsed, then trust
	classRuns  [len(classWords)]run    // with an empty ident and port 0
	noEnvelope run
}

// trust returns the run from raw's closing quote to helo's opening one
// for parsed and trust, nil if there is none.
func (t *hopRunTable) trust(parsed bool, trust string) *run {
	i := 0
	switch trust {
	case trustWords[0]:
	case trustWords[1]:
		i = 1
	case trustWords[2]:
		i = 2
	default:
		return nil
	}
	if parsed {
		return &t.trustRuns[1][i]
	}
	return &t.trustRuns[0][i]
}

// class returns the run from ip's closing quote to by.host's opening one
// for the class, with an empty ident and port 0; nil if there is none.
func (t *hopRunTable) class(class string) *run {
	i := 0
	switch class {
	case classWords[0]:
	case classWords[1]:
		i = 1
	case classWords[2]:
		i = 2
	case classWords[3]:
		i = 3
	default:
		return nil
	}
	return &t.classRuns[i]
}

// offlineTail is the rest of an attribution after rir's closing quote
// when offlineOnly.
const offlineTail = `,"source":"` + attrib.SourceOffline +
	`","server":"","network":null,"abuse":[],"asn":null,"geo":null,"rdns":"","error":""}`

// offlineOnly reports whether a is what the offline attributor gives
// (the registry of the address block and nothing more), written with
// offlineTail at once.
func offlineOnly(a *attrib.Attribution) bool {
	return a.Source == attrib.SourceOffline && a.Server == "" && a.Network == nil && a.Abuse != nil &&
		len(a.Abuse) == 0 && a.ASN == nil && a.Geo == nil && a.RDNS == "" && a.Error == "" && a.Raw == ""
}

func appendAttribution(b []byte, a *attrib.Attribution) []byte {
	if a == nil {
		return append(b, "null"...)
	}
	b = append(b, `{"ip":"`...)
	b = appendQuoted(b, a.IP)
	b = append(b, `,"rir":"`...)
	b = appendQuoted(b, a.RIR)
	if offlineOnly(a) {
		return append(b, offlineTail...)
	}
	b = append(b, `,"source":"`...)
	b = appendQuoted(b, a.Source)
	b = append(b, `,"server":"`...)
	b = appendQuoted(b, a.Server)
	b = append(b, `,"network":`...)
	if n := a.Network; n == nil {
		b = append(b, "null"...)
	} else {
		b = append(b, `{"cidr":`...)
		b = appendStrings(b, n.CIDR)
		b = append(b, `,"range":"`...)
		b = appendQuoted(b, n.Range)
		b = append(b, `,"name":"`...)
		b = appendQuoted(b, n.Name)
		b = append(b, `,"handle":"`...)
		b = appendQuoted(b, n.Handle)
		b = append(b, `,"org":"`...)
		b = appendQuoted(b, n.Org)
		b = append(b, `,"country":"`...)
		b = appendQuoted(b, n.Country)
		b = append(b, '}')
	}
	b = append(b, `,"abuse":`...)
	b = appendStrings(b, a.Abuse)
	b = append(b, `,"asn":`...)
	if n := a.ASN; n == nil {
		b = append(b, "null"...)
	} else {
		b = append(b, `{"number":`...)
		b = strconv.AppendUint(b, uint64(n.Number), 10)
		b = append(b, `,"org":"`...)
		b = appendQuoted(b, n.Org)
		b = append(b, '}')
	}
	b = append(b, `,"geo":`...)
	if g := a.Geo; g == nil {
		b = append(b, "null"...)
	} else {
		b = append(b, `{"country":"`...)
		b = appendQuoted(b, g.Country)
		b = append(b, `,"city":"`...)
		b = appendQuoted(b, g.City)
		b = append(b, `,"latitude":`...)
		b = appendFloat(b, g.Latitude)
		b = append(b, `,"longitude":`...)
		b = appendFloat(b, g.Longitude)
		b = append(b, '}')
	}
	b = append(b, `,"rdns":"`...)
	b = appendQuoted(b, a.RDNS)
	b = append(b, `,"error":"`...)
	b = appendQuoted(b, a.Error)
	if a.Raw != "" { // omitempty
		b = append(b, `,"raw":"`...)
		b = appendQuoted(b, a.Raw)
	}
	return append(b, '}')
}

func appendAuth(b []byte, a *Auth) []byte {
	if a == nil {
		return append(b, "null"...)
	}
	b = append(b, `{"spf":"`...)
	b = appendQuoted(b, a.SPF)
	b = append(b, `,"dkim":`...)
	if a.DKIM == nil {
		b = append(b, "null"...)
	} else {
		b = append(b, '[')
		for i := range a.DKIM {
			d := &a.DKIM[i]
			if i > 0 {
				b = append(b, ',')
			}
			b = append(b, `{"result":"`...)
			b = appendQuoted(b, d.Result)
			b = append(b, `,"domain":"`...)
			b = appendQuoted(b, d.Domain)
			b = append(b, `,"selector":"`...)
			b = appendQuoted(b, d.Selector)
			b = append(b, `,"identifier":"`...)
			b = appendQuoted(b, d.Identifier)
			b = append(b, `,"reason":"`...)
			b = appendQuoted(b, d.Reason)
			b = append(b, '}')
		}
		b = append(b, ']')
	}
	b = append(b, `,"dmarc":"`...)
	b = appendQuoted(b, a.DMARC)
	b = append(b, `,"arc":"`...)
	b = appendQuoted(b, a.ARC)
	b = append(b, `,"authserv_id":"`...)
	b = appendQuoted(b, a.AuthservID)
	b = append(b, `,"raw":"`...)
	b = appendQuoted(b, a.Raw)
	b = append(b, `,"compauth":`...)
	if c := a.CompAuth; c == nil {
		b = append(b, "null"...)
	} else {
		b = append(b, `{"result":"`...)
		b = appendQuoted(b, c.Result)
		b = append(b, `,"reason":"`...)
		b = appendQuoted(b, c.Reason)
		b = append(b, '}')
	}
	b = appendKey(b, &keySPFMailFrom)
	b = appendQuoted(b, a.SPFMailFrom)
	b = append(b, `,"dmarc_from":"`...)
	b = appendQuoted(b, a.DMARCFrom)
	b = append(b, `,"results":`...)
	b = appendAuthResultsList(b, a.Results)
	b = append(b, `,"arc_chain":`...)
	b = appendARCChain(b, a.ARCChain)
	b = append(b, `,"arc_results":`...)
	b = appendAuthResultsList(b, a.ARCResults)
	b = append(b, `,"received_spf":`...)
	if a.ReceivedSPF == nil {
		b = append(b, "null"...)
	} else {
		b = append(b, '[')
		for i := range a.ReceivedSPF {
			if i > 0 {
				b = append(b, ',')
			}
			b = appendReceivedSPF(b, &a.ReceivedSPF[i])
		}
		b = append(b, ']')
	}
	b = appendKey(b, &keyDKIMSignatures)
	if a.DKIMSignatures == nil {
		b = append(b, "null"...)
	} else {
		b = append(b, '[')
		for i := range a.DKIMSignatures {
			if i > 0 {
				b = append(b, ',')
			}
			b = appendDKIMSignature(b, &a.DKIMSignatures[i])
		}
		b = append(b, ']')
	}
	b = append(b, `,"verdicts":`...)
	if a.Verdicts == nil {
		b = append(b, "null"...)
	} else {
		b = append(b, '[')
		for i := range a.Verdicts {
			if i > 0 {
				b = append(b, ',')
			}
			b = appendVerdict(b, &a.Verdicts[i])
		}
		b = append(b, ']')
	}
	if a.Verified != nil { // omitempty
		b = append(b, `,"verified":`...)
		b = appendVerification(b, a.Verified)
	}
	return append(b, '}')
}

func appendAuthResultsList(b []byte, rs []AuthResults) []byte {
	if rs == nil {
		return append(b, "null"...)
	}
	b = append(b, '[')
	for i := range rs {
		if i > 0 {
			b = append(b, ',')
		}
		b = appendAuthResults(b, &rs[i])
	}
	return append(b, ']')
}

func appendAuthResults(b []byte, r *AuthResults) []byte {
	b = append(b, `{"header":"`...)
	b = appendQuoted(b, r.Header)
	b = append(b, `,"instance":`...)
	b = appendInt(b, int64(r.Instance))
	b = append(b, `,"authserv_id":"`...)
	b = appendQuoted(b, r.AuthservID)
	b = append(b, `,"version":"`...)
	b = appendQuoted(b, r.Version)
	b = append(b, `,"trusted":`...)
	b = strconv.AppendBool(b, r.Trusted)
	b = append(b, `,"why":"`...)
	b = appendQuoted(b, r.Why)
	b = append(b, `,"lenient":`...)
	b = strconv.AppendBool(b, r.Lenient)
	b = append(b, `,"methods":`...)
	if r.Methods == nil {
		b = append(b, "null"...)
	} else {
		b = append(b, '[')
		for i := range r.Methods {
			m := &r.Methods[i]
			if i > 0 {
				b = append(b, ',')
			}
			b = append(b, `{"method":"`...)
			b = appendQuoted(b, m.Method)
			b = append(b, `,"result":"`...)
			b = appendQuoted(b, m.Result)
			b = append(b, `,"reason":"`...)
			b = appendQuoted(b, m.Reason)
			b = append(b, `,"comment":"`...)
			b = appendQuoted(b, m.Comment)
			b = append(b, `,"properties":`...)
			b = appendStringMap(b, m.Properties)
			b = append(b, '}')
		}
		b = append(b, ']')
	}
	b = append(b, `,"extra":`...)
	b = appendStrings(b, r.Extra)
	b = append(b, `,"raw":"`...)
	b = appendQuoted(b, r.Raw)
	return append(b, '}')
}

func appendARCChain(b []byte, c *ARCChain) []byte {
	if c == nil {
		return append(b, "null"...)
	}
	b = append(b, `{"instances":`...)
	b = appendInt(b, int64(c.Instances))
	b = append(b, `,"cv":"`...)
	b = appendQuoted(b, c.CV)
	b = append(b, `,"sealer":"`...)
	b = appendQuoted(b, c.Sealer)
	b = append(b, `,"trusted":`...)
	b = strconv.AppendBool(b, c.Trusted)
	b = append(b, `,"seals":`...)
	if c.Seals == nil {
		b = append(b, "null"...)
	} else {
		b = append(b, '[')
		for i := range c.Seals {
			s := &c.Seals[i]
			if i > 0 {
				b = append(b, ',')
			}
			b = append(b, `{"instance":`...)
			b = appendInt(b, int64(s.Instance))
			b = append(b, `,"cv":"`...)
			b = appendQuoted(b, s.CV)
			b = append(b, `,"domain":"`...)
			b = appendQuoted(b, s.Domain)
			b = append(b, `,"selector":"`...)
			b = appendQuoted(b, s.Selector)
			b = append(b, `,"trusted":`...)
			b = strconv.AppendBool(b, s.Trusted)
			b = append(b, `,"error":"`...)
			b = appendQuoted(b, s.Error)
			b = append(b, '}')
		}
		b = append(b, ']')
	}
	return append(b, '}')
}

func appendReceivedSPF(b []byte, s *ReceivedSPF) []byte {
	b = append(b, `{"result":"`...)
	b = appendQuoted(b, s.Result)
	b = append(b, `,"comment":"`...)
	b = appendQuoted(b, s.Comment)
	b = append(b, `,"client_ip":"`...)
	b = appendQuoted(b, s.ClientIP)
	b = appendKey(b, &keyEnvelopeFrom)
	b = appendQuoted(b, s.EnvelopeFrom)
	b = append(b, `,"helo":"`...)
	b = appendQuoted(b, s.HELO)
	b = append(b, `,"identity":"`...)
	b = appendQuoted(b, s.Identity)
	b = append(b, `,"receiver":"`...)
	b = appendQuoted(b, s.Receiver)
	b = append(b, `,"mechanism":"`...)
	b = appendQuoted(b, s.Mechanism)
	b = append(b, `,"extra":`...)
	b = appendStringMap(b, s.Extra)
	b = append(b, `,"trusted":`...)
	b = strconv.AppendBool(b, s.Trusted)
	b = append(b, `,"raw":"`...)
	b = appendQuoted(b, s.Raw)
	return append(b, '}')
}

func appendDKIMSignature(b []byte, s *DKIMSignature) []byte {
	b = append(b, `{"domain":"`...)
	b = appendQuoted(b, s.Domain)
	b = append(b, `,"selector":"`...)
	b = appendQuoted(b, s.Selector)
	b = append(b, `,"algorithm":"`...)
	b = appendQuoted(b, s.Algorithm)
	b = appendKey(b, &keyCanonicalization)
	b = appendQuoted(b, s.Canonicalization)
	b = append(b, `,"identity":"`...)
	b = appendQuoted(b, s.Identity)
	b = append(b, `,"headers":`...)
	b = appendStrings(b, s.Headers)
	b = append(b, `,"body_length":`...)
	b = appendInt64Ptr(b, s.BodyLength)
	b = append(b, `,"timestamp":`...)
	b = appendStringPtr(b, s.Timestamp)
	b = append(b, `,"expiration":`...)
	b = appendStringPtr(b, s.Expiration)
	b = append(b, `,"error":"`...)
	b = appendQuoted(b, s.Error)
	b = append(b, `,"raw":"`...)
	b = appendQuoted(b, s.Raw)
	return append(b, '}')
}

func appendVerdict(b []byte, v *Verdict) []byte {
	b = append(b, `{"vendor":"`...)
	b = appendQuoted(b, v.Vendor)
	b = append(b, `,"header":"`...)
	b = appendQuoted(b, v.Header)
	b = append(b, `,"class":"`...)
	b = appendQuoted(b, v.Class)
	b = append(b, `,"summary":"`...)
	b = appendQuoted(b, v.Summary)
	b = append(b, `,"trusted":`...)
	b = strconv.AppendBool(b, v.Trusted)
	b = append(b, `,"fields":`...)
	if v.Fields == nil {
		b = append(b, "null"...)
	} else {
		b = append(b, '[')
		for i := range v.Fields {
			f := &v.Fields[i]
			if i > 0 {
				b = append(b, ',')
			}
			b = append(b, `{"key":"`...)
			b = appendQuoted(b, f.Key)
			b = append(b, `,"value":"`...)
			b = appendQuoted(b, f.Value)
			b = append(b, `,"meaning":"`...)
			b = appendQuoted(b, f.Meaning)
			b = append(b, '}')
		}
		b = append(b, ']')
	}
	b = append(b, `,"raw":"`...)
	b = appendQuoted(b, v.Raw)
	return append(b, '}')
}

func appendVerification(b []byte, v *Verification) []byte {
	b = append(b, `{"dkim":`...)
	if v.DKIM == nil {
		b = append(b, "null"...)
	} else {
		b = append(b, '[')
		for i := range v.DKIM {
			d := &v.DKIM[i]
			if i > 0 {
				b = append(b, ',')
			}
			b = append(b, `{"domain":"`...)
			b = appendQuoted(b, d.Domain)
			b = append(b, `,"selector":"`...)
			b = appendQuoted(b, d.Selector)
			b = append(b, `,"identifier":"`...)
			b = appendQuoted(b, d.Identifier)
			b = append(b, `,"result":"`...)
			b = appendQuoted(b, d.Result)
			b = append(b, `,"error":"`...)
			b = appendQuoted(b, d.Error)
			b = append(b, '}')
		}
		b = append(b, ']')
	}
	b = append(b, `,"spf":`...)
	if s := v.SPF; s == nil {
		b = append(b, "null"...)
	} else {
		b = append(b, `{"ip":"`...)
		b = appendQuoted(b, s.IP)
		b = append(b, `,"domain":"`...)
		b = appendQuoted(b, s.Domain)
		b = append(b, `,"result":"`...)
		b = appendQuoted(b, s.Result)
		b = append(b, `,"mechanism":"`...)
		b = appendQuoted(b, s.Mechanism)
		b = append(b, `,"record":"`...)
		b = appendQuoted(b, s.Record)
		b = append(b, `,"lookups":`...)
		b = appendInt(b, int64(s.Lookups))
		b = append(b, `,"error":"`...)
		b = appendQuoted(b, s.Error)
		b = append(b, '}')
	}
	b = append(b, `,"errors":`...)
	b = appendStrings(b, v.Errors)
	return append(b, '}')
}

// The constant runs of the encoder longer than 16 bytes: append copies
// those with a call of runtime.memmove (it moves up to 16 bytes inline),
// appendKey with three word stores.
var (
	keyCanonicalization = makeLongKey(`,"canonicalization":"`)
	keyDKIMSignatures   = makeLongKey(`,"dkim_signatures":`)
	keyDelay            = makeLongKey(`,"delay_seconds":`)
	keyEnvelopeFrom     = makeLongKey(`,"envelope_from":"`)
	keyFromHELO         = makeLongKey(`,"from":{"helo":"`)
	keySPFMailFrom      = makeLongKey(`,"spf_mailfrom":"`)
	keyTimestampRaw     = makeLongKey(`,"timestamp_raw":"`)
	keyTotalDelay       = makeLongKey(`,"total_delay_seconds":`)
)

// The runs of a finding's severity, from the key to hop's, for the three
// the analyzer gives, and of the schema, from the start to source's
// value.
var (
	severityRuns = [...]run{makeRun(`,"severity":"info","hop":`),
		makeRun(`,"severity":"warning","hop":`), makeRun(`,"severity":"alert","hop":`)}
	schemaRun = makeRun(`{"schema":"` + Schema + `","source":`)
)

// severityRun returns the run of severity s, nil if there is none.
func severityRun(s string) *run {
	switch s {
	case "info":
		return &severityRuns[0]
	case "warning":
		return &severityRuns[1]
	case "alert":
		return &severityRuns[2]
	}
	return nil
}

// A longKey is a constant run of 17 to 24 bytes.
type longKey struct {
	a [24]byte
	n int
}

// makeLongKey returns the longKey of s, which must be at most 24 bytes.
func makeLongKey(s string) longKey {
	var k longKey
	if k.n = copy(k.a[:], s); k.n < len(s) {
		panic("report: constant run too long: " + s)
	}
	return k
}

// appendKey appends the bytes of k: one 24-byte move, its spare bytes
// past the new length.
func appendKey(b []byte, k *longKey) []byte {
	n := len(b)
	if cap(b)-n < len(k.a) {
		b = append(b, k.a[:]...)
	} else {
		*(*[24]byte)(b[n : n+24]) = k.a
	}
	return b[:n+k.n]
}

// A run is a constant run of up to 64 bytes.
type run struct {
	a [64]byte
	n int
}

// makeRun returns the run of s, which must be at most 64 bytes.
func makeRun(s string) run {
	var r run
	if r.n = copy(r.a[:], s); r.n < len(s) {
		panic("report: constant run too long: " + s)
	}
	return r
}

// appendRun appends the bytes of r: as appendKey, one move of the whole
// array when there is room for it.
func appendRun(b []byte, r *run) []byte {
	n := len(b)
	if cap(b)-n < len(r.a) {
		return append(b, r.a[:r.n]...)
	}
	*(*[64]byte)(b[n : n+64]) = r.a
	return b[:n+r.n]
}

// checkFloats returns the error encoding/json gives for the first NaN or
// infinite float of r, in the order it writes them; the only floats are the
// Geo coordinates, and the hops come before the top-level attribution.
func checkFloats(r *Report) error {
	for i := range r.Hops {
		if a := r.Hops[i].Attribution; a != nil && a.Geo != nil { // most hops have none: no call
			if err := checkGeo(a); err != nil {
				return err
			}
		}
	}
	return checkGeo(r.Attribution)
}

func checkGeo(a *attrib.Attribution) error {
	if a == nil || a.Geo == nil {
		return nil
	}
	for _, f := range [...]float64{a.Geo.Latitude, a.Geo.Longitude} {
		if math.IsInf(f, 0) || math.IsNaN(f) {
			return &json.UnsupportedValueError{Value: reflect.ValueOf(f), Str: strconv.FormatFloat(f, 'g', -1, 64)}
		}
	}
	return nil
}

// appendFloat appends a finite float64 as encoding/json does (its
// floatEncoder): like ES6 number-to-string, 'f' format unless the magnitude
// is below 1e-6 or at least 1e21, and then 'e' with the exponent unpadded.
func appendFloat(b []byte, f float64) []byte {
	format := byte('f')
	if abs := math.Abs(f); abs != 0 && (abs < 1e-6 || abs >= 1e21) {
		format = 'e'
	}
	b = strconv.AppendFloat(b, f, format, -1, 64)
	if format == 'e' {
		// clean up e-09 to e-9
		n := len(b)
		if n >= 4 && b[n-4] == 'e' && b[n-3] == '-' && b[n-2] == '0' {
			b[n-2] = b[n-1]
			b = b[:n-1]
		}
	}
	return b
}

// appendInt64Ptr appends *p, or null for nil.
func appendInt64Ptr(b []byte, p *int64) []byte {
	if p == nil {
		return append(b, "null"...)
	}
	return appendInt(b, *p)
}

// appendStringPtr appends *p as a string, or null for nil.
func appendStringPtr(b []byte, p *string) []byte {
	if p == nil {
		return append(b, "null"...)
	}
	return appendString(b, *p)
}

// appendStrings appends a string array: null for a nil slice, [] for an
// empty one. It is small enough to be inlined: most lists of a report
// (a hop's warnings) are empty.
func appendStrings(b []byte, ss []string) []byte {
	if len(ss) == 0 {
		if ss == nil {
			return append(b, "null"...)
		}
		return append(b, "[]"...)
	}
	return appendStringList(b, ss)
}

// appendStringList is appendStrings for a slice not empty.
func appendStringList(b []byte, ss []string) []byte {
	b = append(b, '[')
	for i, s := range ss {
		if i > 0 {
			b = append(b, ',')
		}
		b = appendString(b, s)
	}
	return append(b, ']')
}

// appendStringMap appends an object with the keys in byte order, as
// encoding/json sorts them; null for a nil map.
func appendStringMap(b []byte, m map[string]string) []byte {
	if m == nil {
		return append(b, "null"...)
	}
	if len(m) == 1 { // most (a method's one property): nothing to sort, nothing to look up
		for k, v := range m {
			b = appendString(append(b, '{'), k)
			b = appendString(append(b, ':'), v)
		}
		return append(b, '}')
	}
	var arr [16]string // most maps are small: sort them without allocating
	keys := arr[:0]
	for k := range m {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	b = append(b, '{')
	for i, k := range keys {
		if i > 0 {
			b = append(b, ',')
		}
		b = appendString(b, k)
		b = append(b, ':')
		b = appendString(b, m[k])
	}
	return append(b, '}')
}

// appendString appends s as a JSON string exactly as encoding/json's
// appendString does with escapeHTML false: '"' and '\\' escaped, \b \f \n
// \r \t in short form, other control bytes as \u00XX (lower-case hex), each
// byte of invalid UTF-8 as \ufffd, U+2028 and U+2029 escaped; everything
// else, <, > and & included, as is.
func appendString(b []byte, s string) []byte {
	return appendQuoted(append(b, '"'), s)
}

// appendQuoted is appendString after the opening quote, which the callers
// write with the field name before it: one append fewer per string, and
// a third of the strings of a report are empty.
//
// It is small enough to be inlined: the empty strings cost no call.
func appendQuoted(b []byte, s string) []byte {
	if len(s) == 0 {
		return append(b, '"')
	}
	return appendNonEmpty(b, s)
}

// appendNonEmpty is appendQuoted for a non-empty s. Most strings of a
// report are short (a host name, an address, a keyword: nine in ten below
// 32 bytes), and for them plainPrefix's loop and the copy's call cost more
// than the bytes: up to 32, s is tested whole in at most four words, each
// stored as it is tested, with no call (the words overlap below 32, the
// bytes where they do written twice).
func appendNonEmpty(b []byte, s string) []byte {
	n := len(b)
	if len(s) > 32 || cap(b)-n <= len(s) {
		return appendLong(b, s)
	}
	d := b[n : n+len(s)+1] // s and the closing quote go here
	switch {
	case len(s) < 4:
		for i := 0; i < len(s); i++ {
			c := s[i]
			if !plainByte[c] {
				b, _ = appendEscaped(b[:n+i], s, i)
				return b
			}
			d[i] = c
		}
	case len(s) < 8:
		// Two half words, overlapping below eight bytes.
		x0, x1 := load32(s), load32(s[len(s)-4:])
		if flagged32(x0)|flagged32(x1) != 0 {
			return appendLong(b, s)
		}
		binary.LittleEndian.PutUint32(d[:4], x0)
		binary.LittleEndian.PutUint32(d[len(s)-4:len(s)], x1)
	default:
		// As in plainPrefix; a word with a byte to look at sends s the
		// long way, which finds the first.
		below, quote, backslash, lo, hi := escBelow, escQuote, escBackslash, escLo, escHi
		unmasked := func(x uint64) uint64 {
			return x | (x - below) | (x ^ quote - lo) | (x ^ backslash - lo)
		}
		// Each word is stored as soon as it is tested, before the verdict:
		// a word then needs no register until the end (those of the
		// function are few, and the words spilled cost more than the
		// stores), and a flagged s is written again by appendLong. Up to 24
		// bytes, three words cover s.
		x := swar.Load(s)
		binary.LittleEndian.PutUint64(d[:8], x)
		m := unmasked(x)
		if len(s) > 16 {
			x = swar.Load(s[8:])
			binary.LittleEndian.PutUint64(d[8:16], x)
			m |= unmasked(x)
			if len(s) > 24 { // else the first two and the last cover s
				x = swar.Load(s[len(s)-16:])
				binary.LittleEndian.PutUint64(d[len(s)-16:len(s)-8], x)
				m |= unmasked(x)
			}
		}
		x = swar.Load(s[len(s)-8:])
		binary.LittleEndian.PutUint64(d[len(s)-8:len(s)], x)
		if (m|unmasked(x))&hi != 0 {
			return appendLong(b, s)
		}
	}
	d[len(s)] = '"'
	return b[:n+len(s)+1]
}

// appendPlain is appendQuoted for an s known to need no escape (fill
// made it: an address, a timestamp): of 8 to 24 bytes, it is copied in
// two or three words that overlap, without a call.
func appendPlain(b []byte, s string) []byte {
	n := len(b)
	if len(s) < 8 || len(s) > 24 || cap(b)-n <= len(s) {
		b = append(b, s...)
		return append(b, '"')
	}
	d := b[n : n+len(s)+1]
	binary.LittleEndian.PutUint64(d[:8], swar.Load(s))
	if len(s) > 16 {
		binary.LittleEndian.PutUint64(d[8:16], swar.Load(s[8:]))
	}
	binary.LittleEndian.PutUint64(d[len(s)-8:len(s)], swar.Load(s[len(s)-8:]))
	d[len(s)] = '"'
	return b[:n+len(s)+1]
}

// load32 returns s[:4] as a little-endian number (one load).
func load32(s string) uint32 {
	s = s[:4]
	return uint32(s[0]) | uint32(s[1])<<8 | uint32(s[2])<<16 | uint32(s[3])<<24
}

// flagged32 is flagged for four bytes.
func flagged32(x uint32) uint32 {
	const lo, hi = 0x01010101, 0x80808080
	return (x | (x - lo*0x20) | (x ^ lo*'"' - lo) | (x ^ lo*'\\' - lo)) & hi
}

// appendLong is appendNonEmpty for any s: plainPrefix finds the first
// byte to look at, the bytes before it are copied at once.
func appendLong(b []byte, s string) []byte {
	i := plainPrefix(s)
	if i == len(s) {
		b = append(b, s...)
		return append(b, '"')
	}
	b, _ = appendEscaped(append(b, s[:i]...), s, i)
	return b
}

// appendRaw is appendQuoted for a hop's raw text. It returns where the
// text's bytes needed no escape too: before head (its first line, mostly)
// and from tail on (its last).
func appendRaw(b []byte, raw string) (_ []byte, head, tail int) {
	head = plainPrefix(raw)
	if head == len(raw) {
		b = append(b, raw...)
		return append(b, '"'), head, 0
	}
	b, tail = appendEscaped(append(b, raw[:head]...), raw, head)
	return b, head, tail
}

// cleanRaw is what appendRaw returned of a hop's raw text.
type cleanRaw struct {
	raw        string
	head, tail int
}

// has reports whether f, not empty, is a view of c.raw's bytes before
// head or from tail on, already seen to need no escape: the hop's
// other strings are mostly views of its raw text. The addresses are only
// compared, never used to reach memory.
func (c *cleanRaw) has(f string) bool {
	off := int(uintptr(unsafe.Pointer(unsafe.StringData(f))) - uintptr(unsafe.Pointer(unsafe.StringData(c.raw))))
	return len(f) > 0 && off >= 0 && off <= len(c.raw)-len(f) && (off+len(f) <= c.head || off >= c.tail)
}

// appendEscaped appends the rest of s, from its first byte needing a look,
// i, on, and the closing quote: the rest of appendQuoted, which has
// appended s[:i]. It returns the index past the last byte looked at too:
// the bytes from there on need no escape.
func appendEscaped(b []byte, s string, i int) ([]byte, int) {
	start := i
	for {
		if c := s[i]; c < utf8.RuneSelf {
			if start < i { // none between the bytes of a fold's "\r\n\t"
				b = append(b, s[start:i]...)
			}
			if c == '\n' && i+1 < len(s) && s[i+1] == '\t' { // a fold: both escapes at once
				b = append(b, '\\', 'n', '\\', 't')
				i++
			} else if e := shortEscape[c]; e != 0 {
				b = append(b, '\\', e)
			} else {
				b = append(b, '\\', 'u', '0', '0', hexDigits[c>>4], hexDigits[c&0xF])
			}
			i++
			start = i
		} else {
			r, size := utf8.DecodeRuneInString(s[i:])
			switch {
			case r == utf8.RuneError && size == 1:
				b = append(b, s[start:i]...)
				b = append(b, `\ufffd`...)
				start = i + size
			case r == '\u2028' || r == '\u2029':
				b = append(b, s[start:i]...)
				b = append(b, '\\', 'u', '2', '0', '2', hexDigits[r&0xF])
				start = i + size
			}
			i += size
		}
		clean := i
		if i < len(s) && plainByte[s[i]] { // not straight into another byte to look at (a fold's "\r\n\t")
			i += plainPrefix(s[i:])
		}
		if i == len(s) {
			b = append(b, s[start:]...)
			return append(b, '"'), clean
		}
	}
}

const hexDigits = "0123456789abcdef"

// shortEscape[c] is the letter of the two-byte escape of ASCII byte c that
// has one (\" \\ \b \f \n \r \t), else zero.
var shortEscape = [utf8.RuneSelf]byte{'"': '"', '\\': '\\', '\b': 'b', '\f': 'f', '\n': 'n', '\r': 'r', '\t': 't'}

// plainByte[c] is true for the ASCII bytes written as is.
var plainByte = func() (t [256]bool) {
	for c := 0x20; c < utf8.RuneSelf; c++ {
		t[c] = c != '"' && c != '\\'
	}
	return t
}()

// plainPrefix returns the length of the longest prefix of s with no byte
// that needs a look of its own in appendEscaped (a control byte, '"',
// '\\', or a byte of a multi-byte or invalid UTF-8 sequence). Below eight
// bytes it looks each up in plainByte; from eight on it tests sixteen, then
// eight, at once with the hasless and haszero tricks of "Bit Twiddling
// Hacks" (unmasked), the last few with the word that ends s, its bytes
// already seen shifted out.
func plainPrefix(s string) int {
	if len(s) < 8 {
		i := 0
		for i < len(s) && plainByte[s[i]] {
			i++
		}
		return i
	}
	// The masks as locals read from variables: constants, the compiler
	// would write each 64-bit one again (a ten-byte MOVQ) at every use in
	// the loop, half of its instructions; read once, they stay in registers.
	below, quote, backslash, lo, hi := escBelow, escQuote, escBackslash, escLo, escHi
	unmasked := func(x uint64) uint64 {
		return x | (x - below) | (x ^ quote - lo) | (x ^ backslash - lo)
	}
	// Two words a turn, one branch for both: most strings have no byte to
	// look at, and the raw header texts run to hundreds of bytes.
	i := 0
	for ; i <= len(s)-16; i += 16 {
		x0, x1 := swar.Load(s[i:]), swar.Load(s[i+8:])
		if (unmasked(x0)|unmasked(x1))&hi != 0 {
			if m := unmasked(x0) & hi; m != 0 {
				return i + bits.TrailingZeros64(m)/8
			}
			return i + 8 + bits.TrailingZeros64(unmasked(x1)&hi)/8
		}
	}
	if len(s)-i >= 8 {
		if m := unmasked(swar.Load(s[i:i+8])) & hi; m != 0 {
			return i + bits.TrailingZeros64(m)/8
		}
		i += 8
	}
	if n := len(s) - i; n > 0 { // the last few bytes, in the word that ends s
		if m := (unmasked(swar.Load(s[len(s)-8:])) & hi) >> (8 * (8 - n)); m != 0 {
			return i + bits.TrailingZeros64(m)/8
		}
	}
	return len(s)
}

// The constants of unmasked, as plainPrefix and appendNonEmpty read them.
// unmasked(x) & escHi sets the high bit of each byte of x that needs a
// look, and maybe of bytes after the first such: a byte of 0x80 or more is
// flagged by its own high bit (which also makes the &^ of the haszero
// tricks needless), a borrow only wrongly flags a byte after one rightly
// flagged (never after a plain one), so the lowest flag is right.
var (
	escBelow, escQuote, escBackslash = uint64(swar.Lo * 0x20), uint64(swar.Lo * '"'), uint64(swar.Lo * '\\')
	escLo, escHi                     = uint64(swar.Lo), uint64(swar.Hi)
)

// appendInt is strconv.AppendInt(b, v, 10). It is small enough to be
// inlined: a single digit (most hop numbers and delays) costs no call.
func appendInt(b []byte, v int64) []byte {
	if uint64(v) < 10 {
		return append(b, byte('0'+v))
	}
	return appendIntMore(b, v)
}

// appendIntMore is appendInt for v not in 0-9, the numbers of a report
// below 10000 (hop numbers, ports, delays in seconds) without the call
// of strconv, whose generic path costs more than the two or three digits.
func appendIntMore(b []byte, v int64) []byte {
	u := uint64(v)
	switch {
	case u < 100:
		return append(b, digits2[u*2], digits2[u*2+1])
	case u < 1000:
		return append(b, byte('0'+u/100), digits2[u%100*2], digits2[u%100*2+1])
	case u < 10000:
		return append(b, digits2[u/100*2], digits2[u/100*2+1], digits2[u%100*2], digits2[u%100*2+1])
	}
	return strconv.AppendInt(b, v, 10)
}
