package report

import (
	"encoding/json"
	"math"
	"math/bits"
	"reflect"
	"slices"
	"strconv"
	"unicode/utf8"

	"github.com/mailtrace/mailtrace/report/attrib"
)

// A hand-written JSON encoder for Report, for the JSON Lines of scan: it
// writes, byte for byte, what a json.Encoder with SetEscapeHTML(false)
// writes, without reflection and with no allocation beyond the buffer. The
// field names and order, omitempty, null for nil pointers, slices and maps,
// sorted map keys, number and string forms all follow encoding/json; tests
// (jsonenc_test.go) compare the two on every type reachable from Report, so
// a field added to a type must be added here too.

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
	b = append(b, `{"schema":`...)
	b = appendString(b, r.Schema)
	b = append(b, `,"source":`...)
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
		b = append(b, `{"ip":`...)
		b = appendString(b, e.IP)
		b = append(b, `,"hop":`...)
		b = strconv.AppendInt(b, int64(e.Hop), 10)
		b = append(b, '}')
	}
	b = append(b, `,"origin":`...)
	if o := r.Origin; o == nil {
		b = append(b, "null"...)
	} else {
		b = append(b, `{"ip":`...)
		b = appendString(b, o.IP)
		b = append(b, `,"hop":`...)
		b = strconv.AppendInt(b, int64(o.Hop), 10)
		b = append(b, `,"reason":`...)
		b = appendString(b, o.Reason)
		b = append(b, '}')
	}
	b = append(b, `,"client_ip":`...)
	if c := r.ClientIP; c == nil {
		b = append(b, "null"...)
	} else {
		b = append(b, `{"ip":`...)
		b = appendString(b, c.IP)
		b = append(b, `,"header":`...)
		b = appendString(b, c.Header)
		b = append(b, '}')
	}
	b = append(b, `,"attribution":`...)
	b = appendAttribution(b, r.Attribution)
	b = append(b, `,"auth":`...)
	b = appendAuth(b, r.Auth)
	b = append(b, `,"total_delay_seconds":`...)
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
			b = append(b, `{"code":`...)
			b = appendString(b, f.Code)
			b = append(b, `,"severity":`...)
			b = appendString(b, f.Severity)
			b = append(b, `,"hop":`...)
			b = strconv.AppendInt(b, int64(f.Hop), 10)
			b = append(b, `,"message":`...)
			b = appendString(b, f.Message)
			b = append(b, '}')
		}
		b = append(b, ']')
	}
	if r.Error != "" { // omitempty
		b = append(b, `,"error":`...)
		b = appendString(b, r.Error)
	}
	return append(b, "}\n"...), nil
}

func appendSource(b []byte, s *Source) []byte {
	b = append(b, `{"kind":`...)
	b = appendString(b, s.Kind)
	b = append(b, `,"name":`...)
	b = appendString(b, s.Name)
	if s.Mailbox != "" { // omitempty
		b = append(b, `,"mailbox":`...)
		b = appendString(b, s.Mailbox)
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
	b = strconv.AppendInt(b, int64(s.Index), 10)
	if s.POP3UID != "" { // omitempty
		b = append(b, `,"pop3_uid":`...)
		b = appendString(b, s.POP3UID)
	}
	return append(b, '}')
}

func appendMessage(b []byte, m *Message) []byte {
	b = append(b, `{"message_id":`...)
	b = appendString(b, m.MessageID)
	b = append(b, `,"date":`...)
	b = appendStringPtr(b, m.Date)
	b = append(b, `,"date_raw":`...)
	b = appendString(b, m.DateRaw)
	b = append(b, `,"from":`...)
	b = appendString(b, m.From)
	b = append(b, `,"to":`...)
	b = appendStrings(b, m.To)
	b = append(b, `,"subject":`...)
	b = appendString(b, m.Subject)
	b = append(b, `,"return_path":`...)
	b = appendString(b, m.ReturnPath)
	b = append(b, `,"reply_to":`...)
	b = appendString(b, m.ReplyTo)
	return append(b, '}')
}

func appendHop(b []byte, h *Hop) []byte {
	b = append(b, `{"index":`...)
	b = strconv.AppendInt(b, int64(h.Index), 10)
	b = append(b, `,"raw":`...)
	b = appendString(b, h.Raw)
	b = append(b, `,"parsed":`...)
	b = strconv.AppendBool(b, h.Parsed)
	b = append(b, `,"trust":`...)
	b = appendString(b, h.Trust)
	b = append(b, `,"from":{"helo":`...)
	b = appendString(b, h.From.HELO)
	b = append(b, `,"rdns":`...)
	b = appendString(b, h.From.RDNS)
	b = append(b, `,"ip":`...)
	b = appendString(b, h.From.IP)
	b = append(b, `,"ip_class":`...)
	b = appendString(b, h.From.IPClass)
	b = append(b, `,"ident":`...)
	b = appendString(b, h.From.Ident)
	b = append(b, `,"port":`...)
	b = strconv.AppendInt(b, int64(h.From.Port), 10)
	b = append(b, `},"by":{"host":`...)
	b = appendString(b, h.By.Host)
	b = append(b, `,"ip":`...)
	b = appendString(b, h.By.IP)
	b = append(b, `},"with":`...)
	b = appendString(b, h.With)
	b = append(b, `,"id":`...)
	b = appendString(b, h.ID)
	b = append(b, `,"for":`...)
	b = appendString(b, h.For)
	b = append(b, `,"envelope_from":`...)
	b = appendString(b, h.EnvelopeFrom)
	b = append(b, `,"tls":`...)
	b = appendString(b, h.TLS)
	b = append(b, `,"auth":`...)
	b = appendString(b, h.Auth)
	b = append(b, `,"timestamp":`...)
	b = appendStringPtr(b, h.Timestamp)
	b = append(b, `,"timestamp_raw":`...)
	b = appendString(b, h.TimestampRaw)
	b = append(b, `,"delay_seconds":`...)
	b = appendInt64Ptr(b, h.DelaySeconds)
	if h.Attribution != nil { // omitempty
		b = append(b, `,"attribution":`...)
		b = appendAttribution(b, h.Attribution)
	}
	b = append(b, `,"warnings":`...)
	b = appendStrings(b, h.Warnings)
	return append(b, '}')
}

func appendAttribution(b []byte, a *attrib.Attribution) []byte {
	if a == nil {
		return append(b, "null"...)
	}
	b = append(b, `{"ip":`...)
	b = appendString(b, a.IP)
	b = append(b, `,"rir":`...)
	b = appendString(b, a.RIR)
	b = append(b, `,"source":`...)
	b = appendString(b, a.Source)
	b = append(b, `,"server":`...)
	b = appendString(b, a.Server)
	b = append(b, `,"network":`...)
	if n := a.Network; n == nil {
		b = append(b, "null"...)
	} else {
		b = append(b, `{"cidr":`...)
		b = appendStrings(b, n.CIDR)
		b = append(b, `,"range":`...)
		b = appendString(b, n.Range)
		b = append(b, `,"name":`...)
		b = appendString(b, n.Name)
		b = append(b, `,"handle":`...)
		b = appendString(b, n.Handle)
		b = append(b, `,"org":`...)
		b = appendString(b, n.Org)
		b = append(b, `,"country":`...)
		b = appendString(b, n.Country)
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
		b = append(b, `,"org":`...)
		b = appendString(b, n.Org)
		b = append(b, '}')
	}
	b = append(b, `,"geo":`...)
	if g := a.Geo; g == nil {
		b = append(b, "null"...)
	} else {
		b = append(b, `{"country":`...)
		b = appendString(b, g.Country)
		b = append(b, `,"city":`...)
		b = appendString(b, g.City)
		b = append(b, `,"latitude":`...)
		b = appendFloat(b, g.Latitude)
		b = append(b, `,"longitude":`...)
		b = appendFloat(b, g.Longitude)
		b = append(b, '}')
	}
	b = append(b, `,"rdns":`...)
	b = appendString(b, a.RDNS)
	b = append(b, `,"error":`...)
	b = appendString(b, a.Error)
	if a.Raw != "" { // omitempty
		b = append(b, `,"raw":`...)
		b = appendString(b, a.Raw)
	}
	return append(b, '}')
}

func appendAuth(b []byte, a *Auth) []byte {
	if a == nil {
		return append(b, "null"...)
	}
	b = append(b, `{"spf":`...)
	b = appendString(b, a.SPF)
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
			b = append(b, `{"result":`...)
			b = appendString(b, d.Result)
			b = append(b, `,"domain":`...)
			b = appendString(b, d.Domain)
			b = append(b, `,"selector":`...)
			b = appendString(b, d.Selector)
			b = append(b, `,"identifier":`...)
			b = appendString(b, d.Identifier)
			b = append(b, `,"reason":`...)
			b = appendString(b, d.Reason)
			b = append(b, '}')
		}
		b = append(b, ']')
	}
	b = append(b, `,"dmarc":`...)
	b = appendString(b, a.DMARC)
	b = append(b, `,"arc":`...)
	b = appendString(b, a.ARC)
	b = append(b, `,"authserv_id":`...)
	b = appendString(b, a.AuthservID)
	b = append(b, `,"raw":`...)
	b = appendString(b, a.Raw)
	b = append(b, `,"compauth":`...)
	if c := a.CompAuth; c == nil {
		b = append(b, "null"...)
	} else {
		b = append(b, `{"result":`...)
		b = appendString(b, c.Result)
		b = append(b, `,"reason":`...)
		b = appendString(b, c.Reason)
		b = append(b, '}')
	}
	b = append(b, `,"spf_mailfrom":`...)
	b = appendString(b, a.SPFMailFrom)
	b = append(b, `,"dmarc_from":`...)
	b = appendString(b, a.DMARCFrom)
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
	b = append(b, `,"dkim_signatures":`...)
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
	b = append(b, `{"header":`...)
	b = appendString(b, r.Header)
	b = append(b, `,"instance":`...)
	b = strconv.AppendInt(b, int64(r.Instance), 10)
	b = append(b, `,"authserv_id":`...)
	b = appendString(b, r.AuthservID)
	b = append(b, `,"version":`...)
	b = appendString(b, r.Version)
	b = append(b, `,"trusted":`...)
	b = strconv.AppendBool(b, r.Trusted)
	b = append(b, `,"why":`...)
	b = appendString(b, r.Why)
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
			b = append(b, `{"method":`...)
			b = appendString(b, m.Method)
			b = append(b, `,"result":`...)
			b = appendString(b, m.Result)
			b = append(b, `,"reason":`...)
			b = appendString(b, m.Reason)
			b = append(b, `,"comment":`...)
			b = appendString(b, m.Comment)
			b = append(b, `,"properties":`...)
			b = appendStringMap(b, m.Properties)
			b = append(b, '}')
		}
		b = append(b, ']')
	}
	b = append(b, `,"extra":`...)
	b = appendStrings(b, r.Extra)
	b = append(b, `,"raw":`...)
	b = appendString(b, r.Raw)
	return append(b, '}')
}

func appendARCChain(b []byte, c *ARCChain) []byte {
	if c == nil {
		return append(b, "null"...)
	}
	b = append(b, `{"instances":`...)
	b = strconv.AppendInt(b, int64(c.Instances), 10)
	b = append(b, `,"cv":`...)
	b = appendString(b, c.CV)
	b = append(b, `,"sealer":`...)
	b = appendString(b, c.Sealer)
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
			b = strconv.AppendInt(b, int64(s.Instance), 10)
			b = append(b, `,"cv":`...)
			b = appendString(b, s.CV)
			b = append(b, `,"domain":`...)
			b = appendString(b, s.Domain)
			b = append(b, `,"selector":`...)
			b = appendString(b, s.Selector)
			b = append(b, `,"trusted":`...)
			b = strconv.AppendBool(b, s.Trusted)
			b = append(b, `,"error":`...)
			b = appendString(b, s.Error)
			b = append(b, '}')
		}
		b = append(b, ']')
	}
	return append(b, '}')
}

func appendReceivedSPF(b []byte, s *ReceivedSPF) []byte {
	b = append(b, `{"result":`...)
	b = appendString(b, s.Result)
	b = append(b, `,"comment":`...)
	b = appendString(b, s.Comment)
	b = append(b, `,"client_ip":`...)
	b = appendString(b, s.ClientIP)
	b = append(b, `,"envelope_from":`...)
	b = appendString(b, s.EnvelopeFrom)
	b = append(b, `,"helo":`...)
	b = appendString(b, s.HELO)
	b = append(b, `,"identity":`...)
	b = appendString(b, s.Identity)
	b = append(b, `,"receiver":`...)
	b = appendString(b, s.Receiver)
	b = append(b, `,"mechanism":`...)
	b = appendString(b, s.Mechanism)
	b = append(b, `,"extra":`...)
	b = appendStringMap(b, s.Extra)
	b = append(b, `,"trusted":`...)
	b = strconv.AppendBool(b, s.Trusted)
	b = append(b, `,"raw":`...)
	b = appendString(b, s.Raw)
	return append(b, '}')
}

func appendDKIMSignature(b []byte, s *DKIMSignature) []byte {
	b = append(b, `{"domain":`...)
	b = appendString(b, s.Domain)
	b = append(b, `,"selector":`...)
	b = appendString(b, s.Selector)
	b = append(b, `,"algorithm":`...)
	b = appendString(b, s.Algorithm)
	b = append(b, `,"canonicalization":`...)
	b = appendString(b, s.Canonicalization)
	b = append(b, `,"identity":`...)
	b = appendString(b, s.Identity)
	b = append(b, `,"headers":`...)
	b = appendStrings(b, s.Headers)
	b = append(b, `,"body_length":`...)
	b = appendInt64Ptr(b, s.BodyLength)
	b = append(b, `,"timestamp":`...)
	b = appendStringPtr(b, s.Timestamp)
	b = append(b, `,"expiration":`...)
	b = appendStringPtr(b, s.Expiration)
	b = append(b, `,"error":`...)
	b = appendString(b, s.Error)
	b = append(b, `,"raw":`...)
	b = appendString(b, s.Raw)
	return append(b, '}')
}

func appendVerdict(b []byte, v *Verdict) []byte {
	b = append(b, `{"vendor":`...)
	b = appendString(b, v.Vendor)
	b = append(b, `,"header":`...)
	b = appendString(b, v.Header)
	b = append(b, `,"class":`...)
	b = appendString(b, v.Class)
	b = append(b, `,"summary":`...)
	b = appendString(b, v.Summary)
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
			b = append(b, `{"key":`...)
			b = appendString(b, f.Key)
			b = append(b, `,"value":`...)
			b = appendString(b, f.Value)
			b = append(b, `,"meaning":`...)
			b = appendString(b, f.Meaning)
			b = append(b, '}')
		}
		b = append(b, ']')
	}
	b = append(b, `,"raw":`...)
	b = appendString(b, v.Raw)
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
			b = append(b, `{"domain":`...)
			b = appendString(b, d.Domain)
			b = append(b, `,"selector":`...)
			b = appendString(b, d.Selector)
			b = append(b, `,"identifier":`...)
			b = appendString(b, d.Identifier)
			b = append(b, `,"result":`...)
			b = appendString(b, d.Result)
			b = append(b, `,"error":`...)
			b = appendString(b, d.Error)
			b = append(b, '}')
		}
		b = append(b, ']')
	}
	b = append(b, `,"spf":`...)
	if s := v.SPF; s == nil {
		b = append(b, "null"...)
	} else {
		b = append(b, `{"ip":`...)
		b = appendString(b, s.IP)
		b = append(b, `,"domain":`...)
		b = appendString(b, s.Domain)
		b = append(b, `,"result":`...)
		b = appendString(b, s.Result)
		b = append(b, `,"mechanism":`...)
		b = appendString(b, s.Mechanism)
		b = append(b, `,"record":`...)
		b = appendString(b, s.Record)
		b = append(b, `,"lookups":`...)
		b = strconv.AppendInt(b, int64(s.Lookups), 10)
		b = append(b, `,"error":`...)
		b = appendString(b, s.Error)
		b = append(b, '}')
	}
	b = append(b, `,"errors":`...)
	b = appendStrings(b, v.Errors)
	return append(b, '}')
}

// checkFloats returns the error encoding/json gives for the first NaN or
// infinite float of r, in the order it writes them; the only floats are the
// Geo coordinates, and the hops come before the top-level attribution.
func checkFloats(r *Report) error {
	for i := range r.Hops {
		if err := checkGeo(r.Hops[i].Attribution); err != nil {
			return err
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
	return strconv.AppendInt(b, *p, 10)
}

// appendStringPtr appends *p as a string, or null for nil.
func appendStringPtr(b []byte, p *string) []byte {
	if p == nil {
		return append(b, "null"...)
	}
	return appendString(b, *p)
}

// appendStrings appends a string array: null for a nil slice, [] for an
// empty one.
func appendStrings(b []byte, ss []string) []byte {
	if ss == nil {
		return append(b, "null"...)
	}
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
	b = append(b, '"')
	start := 0
	for i := 0; i < len(s); {
		i = skipPlain(s, i) // most text is plain ASCII
		for i < len(s) && s[i] < utf8.RuneSelf && plain(s[i]) {
			i++ // the last few bytes, fewer than eight
		}
		if i == len(s) {
			break
		}
		if c := s[i]; c < utf8.RuneSelf {
			b = append(b, s[start:i]...)
			switch c {
			case '\\', '"':
				b = append(b, '\\', c)
			case '\b':
				b = append(b, '\\', 'b')
			case '\f':
				b = append(b, '\\', 'f')
			case '\n':
				b = append(b, '\\', 'n')
			case '\r':
				b = append(b, '\\', 'r')
			case '\t':
				b = append(b, '\\', 't')
			default:
				b = append(b, '\\', 'u', '0', '0', hexDigits[c>>4], hexDigits[c&0xF])
			}
			i++
			start = i
			continue
		}
		r, size := utf8.DecodeRuneInString(s[i:])
		switch {
		case r == utf8.RuneError && size == 1:
			b = append(b, s[start:i]...)
			b = append(b, `\ufffd`...)
		case r == '\u2028' || r == '\u2029':
			b = append(b, s[start:i]...)
			b = append(b, '\\', 'u', '2', '0', '2', hexDigits[r&0xF])
		default:
			i += size
			continue
		}
		i += size
		start = i
	}
	b = append(b, s[start:]...)
	return append(b, '"')
}

const hexDigits = "0123456789abcdef"

// plain reports whether the ASCII byte c is written as is.
func plain(c byte) bool { return c >= 0x20 && c != '"' && c != '\\' }

// skipPlain returns the index of the first byte from s[i] that needs a look
// of its own in appendString (a control byte, '"', '\\', or a byte of a
// multi-byte or invalid UTF-8 sequence), or of the last few bytes when
// fewer than eight are left without one. It tests eight bytes at once with
// the hasless and haszero tricks of "Bit Twiddling Hacks": a byte of 0x80 or
// more is flagged by its own high bit, and a borrow only wrongly flags a
// byte after one rightly flagged, so the lowest flag is right.
func skipPlain(s string, i int) int {
	const ones, highs = 0x0101010101010101, 0x8080808080808080
	for ; len(s)-i >= 8; i += 8 {
		t := s[i : i+8]
		x := uint64(t[0]) | uint64(t[1])<<8 | uint64(t[2])<<16 | uint64(t[3])<<24 |
			uint64(t[4])<<32 | uint64(t[5])<<40 | uint64(t[6])<<48 | uint64(t[7])<<56
		q, bs := x^(ones*'"'), x^(ones*'\\')
		if m := (x | (x - ones*0x20) | (q-ones)&^q | (bs-ones)&^bs) & highs; m != 0 {
			return i + bits.TrailingZeros64(m)/8
		}
	}
	return i
}
