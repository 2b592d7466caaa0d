package report

import (
	"bytes"
	"context"
	"encoding/json"
	"math"
	"math/bits"
	"reflect"
	"slices"
	"strconv"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/mailtrace/mailtrace/fetch"
	"github.com/mailtrace/mailtrace/internal/swar"
	"github.com/mailtrace/mailtrace/report/attrib"
)

// The JSON encoder as it was at the start of the fourth round (commit
// 9282917), every function renamed with R3: the model FuzzAppendReportR3
// and FuzzQuotedR3 hold this round's encoder to, beside encoding/json.

// appendReportR3 appends r as one compact JSON value and a newline, as
// json.Encoder.Encode writes it. The error, as encoding/json's, is a
// *json.UnsupportedValueError for a NaN or infinite float; b is then
// returned unchanged.
func appendReportR3(b []byte, r *Report) ([]byte, error) {
	if r == nil {
		return append(b, "null\n"...), nil
	}
	if err := checkFloatsR3(r); err != nil {
		return b, err
	}
	b = append(b, `{"schema":"`...)
	b = appendQuotedR3(b, r.Schema)
	b = append(b, `,"source":`...)
	b = appendSourceR3(b, &r.Source)
	b = append(b, `,"message":`...)
	b = appendMessageR3(b, &r.Message)
	b = append(b, `,"hops":`...)
	if r.Hops == nil {
		b = append(b, "null"...)
	} else {
		b = append(b, '[')
		for i := range r.Hops {
			if i > 0 {
				b = append(b, ',')
			}
			b = appendHopR3(b, &r.Hops[i])
		}
		b = append(b, ']')
	}
	b = append(b, `,"entry":`...)
	if e := r.Entry; e == nil {
		b = append(b, "null"...)
	} else {
		b = append(b, `{"ip":"`...)
		b = appendQuotedR3(b, e.IP)
		b = append(b, `,"hop":`...)
		b = strconv.AppendInt(b, int64(e.Hop), 10)
		b = append(b, '}')
	}
	b = append(b, `,"origin":`...)
	if o := r.Origin; o == nil {
		b = append(b, "null"...)
	} else {
		b = append(b, `{"ip":"`...)
		b = appendQuotedR3(b, o.IP)
		b = append(b, `,"hop":`...)
		b = strconv.AppendInt(b, int64(o.Hop), 10)
		b = append(b, `,"reason":"`...)
		b = appendQuotedR3(b, o.Reason)
		b = append(b, '}')
	}
	b = append(b, `,"client_ip":`...)
	if c := r.ClientIP; c == nil {
		b = append(b, "null"...)
	} else {
		b = append(b, `{"ip":"`...)
		b = appendQuotedR3(b, c.IP)
		b = append(b, `,"header":"`...)
		b = appendQuotedR3(b, c.Header)
		b = append(b, '}')
	}
	b = append(b, `,"attribution":`...)
	b = appendAttributionR3(b, r.Attribution)
	b = append(b, `,"auth":`...)
	b = appendAuthR3(b, r.Auth)
	b = append(b, `,"total_delay_seconds":`...)
	b = appendInt64PtrR3(b, r.TotalDelaySeconds)
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
			b = appendQuotedR3(b, f.Code)
			b = append(b, `,"severity":"`...)
			b = appendQuotedR3(b, f.Severity)
			b = append(b, `,"hop":`...)
			b = strconv.AppendInt(b, int64(f.Hop), 10)
			b = append(b, `,"message":"`...)
			b = appendQuotedR3(b, f.Message)
			b = append(b, '}')
		}
		b = append(b, ']')
	}
	if r.Error != "" { // omitempty
		b = append(b, `,"error":"`...)
		b = appendQuotedR3(b, r.Error)
	}
	return append(b, "}\n"...), nil
}

func appendSourceR3(b []byte, s *Source) []byte {
	b = append(b, `{"kind":"`...)
	b = appendQuotedR3(b, s.Kind)
	b = append(b, `,"name":"`...)
	b = appendQuotedR3(b, s.Name)
	if s.Mailbox != "" { // omitempty
		b = append(b, `,"mailbox":"`...)
		b = appendQuotedR3(b, s.Mailbox)
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
		b = append(b, `,"pop3_uid":"`...)
		b = appendQuotedR3(b, s.POP3UID)
	}
	return append(b, '}')
}

func appendMessageR3(b []byte, m *Message) []byte {
	b = append(b, `{"message_id":"`...)
	b = appendQuotedR3(b, m.MessageID)
	b = append(b, `,"date":`...)
	b = appendStringPtrR3(b, m.Date)
	b = append(b, `,"date_raw":"`...)
	b = appendQuotedR3(b, m.DateRaw)
	b = append(b, `,"from":"`...)
	b = appendQuotedR3(b, m.From)
	b = append(b, `,"to":`...)
	b = appendStringsR3(b, m.To)
	b = append(b, `,"subject":"`...)
	b = appendQuotedR3(b, m.Subject)
	b = append(b, `,"return_path":"`...)
	b = appendQuotedR3(b, m.ReturnPath)
	b = append(b, `,"reply_to":"`...)
	b = appendQuotedR3(b, m.ReplyTo)
	return append(b, '}')
}

func appendHopR3(b []byte, h *Hop) []byte {
	b = append(b, `{"index":`...)
	b = strconv.AppendInt(b, int64(h.Index), 10)
	b = append(b, `,"raw":"`...)
	b = appendQuotedR3(b, h.Raw)
	b = append(b, `,"parsed":`...)
	b = strconv.AppendBool(b, h.Parsed)
	b = append(b, `,"trust":"`...)
	b = appendQuotedR3(b, h.Trust)
	b = append(b, `,"from":{"helo":"`...)
	b = appendQuotedR3(b, h.From.HELO)
	b = append(b, `,"rdns":"`...)
	b = appendQuotedR3(b, h.From.RDNS)
	b = append(b, `,"ip":"`...)
	b = appendQuotedR3(b, h.From.IP)
	b = append(b, `,"ip_class":"`...)
	b = appendQuotedR3(b, h.From.IPClass)
	b = append(b, `,"ident":"`...)
	b = appendQuotedR3(b, h.From.Ident)
	b = append(b, `,"port":`...)
	b = strconv.AppendInt(b, int64(h.From.Port), 10)
	b = append(b, `},"by":{"host":"`...)
	b = appendQuotedR3(b, h.By.Host)
	b = append(b, `,"ip":"`...)
	b = appendQuotedR3(b, h.By.IP)
	b = append(b, `},"with":"`...)
	b = appendQuotedR3(b, h.With)
	b = append(b, `,"id":"`...)
	b = appendQuotedR3(b, h.ID)
	b = append(b, `,"for":"`...)
	b = appendQuotedR3(b, h.For)
	b = append(b, `,"envelope_from":"`...)
	b = appendQuotedR3(b, h.EnvelopeFrom)
	b = append(b, `,"tls":"`...)
	b = appendQuotedR3(b, h.TLS)
	b = append(b, `,"auth":"`...)
	b = appendQuotedR3(b, h.Auth)
	b = append(b, `,"timestamp":`...)
	b = appendStringPtrR3(b, h.Timestamp)
	b = append(b, `,"timestamp_raw":"`...)
	b = appendQuotedR3(b, h.TimestampRaw)
	b = append(b, `,"delay_seconds":`...)
	b = appendInt64PtrR3(b, h.DelaySeconds)
	if h.Attribution != nil { // omitempty
		b = append(b, `,"attribution":`...)
		b = appendAttributionR3(b, h.Attribution)
	}
	b = append(b, `,"warnings":`...)
	b = appendStringsR3(b, h.Warnings)
	return append(b, '}')
}

func appendAttributionR3(b []byte, a *attrib.Attribution) []byte {
	if a == nil {
		return append(b, "null"...)
	}
	b = append(b, `{"ip":"`...)
	b = appendQuotedR3(b, a.IP)
	b = append(b, `,"rir":"`...)
	b = appendQuotedR3(b, a.RIR)
	b = append(b, `,"source":"`...)
	b = appendQuotedR3(b, a.Source)
	b = append(b, `,"server":"`...)
	b = appendQuotedR3(b, a.Server)
	b = append(b, `,"network":`...)
	if n := a.Network; n == nil {
		b = append(b, "null"...)
	} else {
		b = append(b, `{"cidr":`...)
		b = appendStringsR3(b, n.CIDR)
		b = append(b, `,"range":"`...)
		b = appendQuotedR3(b, n.Range)
		b = append(b, `,"name":"`...)
		b = appendQuotedR3(b, n.Name)
		b = append(b, `,"handle":"`...)
		b = appendQuotedR3(b, n.Handle)
		b = append(b, `,"org":"`...)
		b = appendQuotedR3(b, n.Org)
		b = append(b, `,"country":"`...)
		b = appendQuotedR3(b, n.Country)
		b = append(b, '}')
	}
	b = append(b, `,"abuse":`...)
	b = appendStringsR3(b, a.Abuse)
	b = append(b, `,"asn":`...)
	if n := a.ASN; n == nil {
		b = append(b, "null"...)
	} else {
		b = append(b, `{"number":`...)
		b = strconv.AppendUint(b, uint64(n.Number), 10)
		b = append(b, `,"org":"`...)
		b = appendQuotedR3(b, n.Org)
		b = append(b, '}')
	}
	b = append(b, `,"geo":`...)
	if g := a.Geo; g == nil {
		b = append(b, "null"...)
	} else {
		b = append(b, `{"country":"`...)
		b = appendQuotedR3(b, g.Country)
		b = append(b, `,"city":"`...)
		b = appendQuotedR3(b, g.City)
		b = append(b, `,"latitude":`...)
		b = appendFloatR3(b, g.Latitude)
		b = append(b, `,"longitude":`...)
		b = appendFloatR3(b, g.Longitude)
		b = append(b, '}')
	}
	b = append(b, `,"rdns":"`...)
	b = appendQuotedR3(b, a.RDNS)
	b = append(b, `,"error":"`...)
	b = appendQuotedR3(b, a.Error)
	if a.Raw != "" { // omitempty
		b = append(b, `,"raw":"`...)
		b = appendQuotedR3(b, a.Raw)
	}
	return append(b, '}')
}

func appendAuthR3(b []byte, a *Auth) []byte {
	if a == nil {
		return append(b, "null"...)
	}
	b = append(b, `{"spf":"`...)
	b = appendQuotedR3(b, a.SPF)
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
			b = appendQuotedR3(b, d.Result)
			b = append(b, `,"domain":"`...)
			b = appendQuotedR3(b, d.Domain)
			b = append(b, `,"selector":"`...)
			b = appendQuotedR3(b, d.Selector)
			b = append(b, `,"identifier":"`...)
			b = appendQuotedR3(b, d.Identifier)
			b = append(b, `,"reason":"`...)
			b = appendQuotedR3(b, d.Reason)
			b = append(b, '}')
		}
		b = append(b, ']')
	}
	b = append(b, `,"dmarc":"`...)
	b = appendQuotedR3(b, a.DMARC)
	b = append(b, `,"arc":"`...)
	b = appendQuotedR3(b, a.ARC)
	b = append(b, `,"authserv_id":"`...)
	b = appendQuotedR3(b, a.AuthservID)
	b = append(b, `,"raw":"`...)
	b = appendQuotedR3(b, a.Raw)
	b = append(b, `,"compauth":`...)
	if c := a.CompAuth; c == nil {
		b = append(b, "null"...)
	} else {
		b = append(b, `{"result":"`...)
		b = appendQuotedR3(b, c.Result)
		b = append(b, `,"reason":"`...)
		b = appendQuotedR3(b, c.Reason)
		b = append(b, '}')
	}
	b = append(b, `,"spf_mailfrom":"`...)
	b = appendQuotedR3(b, a.SPFMailFrom)
	b = append(b, `,"dmarc_from":"`...)
	b = appendQuotedR3(b, a.DMARCFrom)
	b = append(b, `,"results":`...)
	b = appendAuthResultsListR3(b, a.Results)
	b = append(b, `,"arc_chain":`...)
	b = appendARCChainR3(b, a.ARCChain)
	b = append(b, `,"arc_results":`...)
	b = appendAuthResultsListR3(b, a.ARCResults)
	b = append(b, `,"received_spf":`...)
	if a.ReceivedSPF == nil {
		b = append(b, "null"...)
	} else {
		b = append(b, '[')
		for i := range a.ReceivedSPF {
			if i > 0 {
				b = append(b, ',')
			}
			b = appendReceivedSPFR3(b, &a.ReceivedSPF[i])
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
			b = appendDKIMSignatureR3(b, &a.DKIMSignatures[i])
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
			b = appendVerdictR3(b, &a.Verdicts[i])
		}
		b = append(b, ']')
	}
	if a.Verified != nil { // omitempty
		b = append(b, `,"verified":`...)
		b = appendVerificationR3(b, a.Verified)
	}
	return append(b, '}')
}

func appendAuthResultsListR3(b []byte, rs []AuthResults) []byte {
	if rs == nil {
		return append(b, "null"...)
	}
	b = append(b, '[')
	for i := range rs {
		if i > 0 {
			b = append(b, ',')
		}
		b = appendAuthResultsR3(b, &rs[i])
	}
	return append(b, ']')
}

func appendAuthResultsR3(b []byte, r *AuthResults) []byte {
	b = append(b, `{"header":"`...)
	b = appendQuotedR3(b, r.Header)
	b = append(b, `,"instance":`...)
	b = strconv.AppendInt(b, int64(r.Instance), 10)
	b = append(b, `,"authserv_id":"`...)
	b = appendQuotedR3(b, r.AuthservID)
	b = append(b, `,"version":"`...)
	b = appendQuotedR3(b, r.Version)
	b = append(b, `,"trusted":`...)
	b = strconv.AppendBool(b, r.Trusted)
	b = append(b, `,"why":"`...)
	b = appendQuotedR3(b, r.Why)
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
			b = appendQuotedR3(b, m.Method)
			b = append(b, `,"result":"`...)
			b = appendQuotedR3(b, m.Result)
			b = append(b, `,"reason":"`...)
			b = appendQuotedR3(b, m.Reason)
			b = append(b, `,"comment":"`...)
			b = appendQuotedR3(b, m.Comment)
			b = append(b, `,"properties":`...)
			b = appendStringMapR3(b, m.Properties)
			b = append(b, '}')
		}
		b = append(b, ']')
	}
	b = append(b, `,"extra":`...)
	b = appendStringsR3(b, r.Extra)
	b = append(b, `,"raw":"`...)
	b = appendQuotedR3(b, r.Raw)
	return append(b, '}')
}

func appendARCChainR3(b []byte, c *ARCChain) []byte {
	if c == nil {
		return append(b, "null"...)
	}
	b = append(b, `{"instances":`...)
	b = strconv.AppendInt(b, int64(c.Instances), 10)
	b = append(b, `,"cv":"`...)
	b = appendQuotedR3(b, c.CV)
	b = append(b, `,"sealer":"`...)
	b = appendQuotedR3(b, c.Sealer)
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
			b = append(b, `,"cv":"`...)
			b = appendQuotedR3(b, s.CV)
			b = append(b, `,"domain":"`...)
			b = appendQuotedR3(b, s.Domain)
			b = append(b, `,"selector":"`...)
			b = appendQuotedR3(b, s.Selector)
			b = append(b, `,"trusted":`...)
			b = strconv.AppendBool(b, s.Trusted)
			b = append(b, `,"error":"`...)
			b = appendQuotedR3(b, s.Error)
			b = append(b, '}')
		}
		b = append(b, ']')
	}
	return append(b, '}')
}

func appendReceivedSPFR3(b []byte, s *ReceivedSPF) []byte {
	b = append(b, `{"result":"`...)
	b = appendQuotedR3(b, s.Result)
	b = append(b, `,"comment":"`...)
	b = appendQuotedR3(b, s.Comment)
	b = append(b, `,"client_ip":"`...)
	b = appendQuotedR3(b, s.ClientIP)
	b = append(b, `,"envelope_from":"`...)
	b = appendQuotedR3(b, s.EnvelopeFrom)
	b = append(b, `,"helo":"`...)
	b = appendQuotedR3(b, s.HELO)
	b = append(b, `,"identity":"`...)
	b = appendQuotedR3(b, s.Identity)
	b = append(b, `,"receiver":"`...)
	b = appendQuotedR3(b, s.Receiver)
	b = append(b, `,"mechanism":"`...)
	b = appendQuotedR3(b, s.Mechanism)
	b = append(b, `,"extra":`...)
	b = appendStringMapR3(b, s.Extra)
	b = append(b, `,"trusted":`...)
	b = strconv.AppendBool(b, s.Trusted)
	b = append(b, `,"raw":"`...)
	b = appendQuotedR3(b, s.Raw)
	return append(b, '}')
}

func appendDKIMSignatureR3(b []byte, s *DKIMSignature) []byte {
	b = append(b, `{"domain":"`...)
	b = appendQuotedR3(b, s.Domain)
	b = append(b, `,"selector":"`...)
	b = appendQuotedR3(b, s.Selector)
	b = append(b, `,"algorithm":"`...)
	b = appendQuotedR3(b, s.Algorithm)
	b = append(b, `,"canonicalization":"`...)
	b = appendQuotedR3(b, s.Canonicalization)
	b = append(b, `,"identity":"`...)
	b = appendQuotedR3(b, s.Identity)
	b = append(b, `,"headers":`...)
	b = appendStringsR3(b, s.Headers)
	b = append(b, `,"body_length":`...)
	b = appendInt64PtrR3(b, s.BodyLength)
	b = append(b, `,"timestamp":`...)
	b = appendStringPtrR3(b, s.Timestamp)
	b = append(b, `,"expiration":`...)
	b = appendStringPtrR3(b, s.Expiration)
	b = append(b, `,"error":"`...)
	b = appendQuotedR3(b, s.Error)
	b = append(b, `,"raw":"`...)
	b = appendQuotedR3(b, s.Raw)
	return append(b, '}')
}

func appendVerdictR3(b []byte, v *Verdict) []byte {
	b = append(b, `{"vendor":"`...)
	b = appendQuotedR3(b, v.Vendor)
	b = append(b, `,"header":"`...)
	b = appendQuotedR3(b, v.Header)
	b = append(b, `,"class":"`...)
	b = appendQuotedR3(b, v.Class)
	b = append(b, `,"summary":"`...)
	b = appendQuotedR3(b, v.Summary)
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
			b = appendQuotedR3(b, f.Key)
			b = append(b, `,"value":"`...)
			b = appendQuotedR3(b, f.Value)
			b = append(b, `,"meaning":"`...)
			b = appendQuotedR3(b, f.Meaning)
			b = append(b, '}')
		}
		b = append(b, ']')
	}
	b = append(b, `,"raw":"`...)
	b = appendQuotedR3(b, v.Raw)
	return append(b, '}')
}

func appendVerificationR3(b []byte, v *Verification) []byte {
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
			b = appendQuotedR3(b, d.Domain)
			b = append(b, `,"selector":"`...)
			b = appendQuotedR3(b, d.Selector)
			b = append(b, `,"identifier":"`...)
			b = appendQuotedR3(b, d.Identifier)
			b = append(b, `,"result":"`...)
			b = appendQuotedR3(b, d.Result)
			b = append(b, `,"error":"`...)
			b = appendQuotedR3(b, d.Error)
			b = append(b, '}')
		}
		b = append(b, ']')
	}
	b = append(b, `,"spf":`...)
	if s := v.SPF; s == nil {
		b = append(b, "null"...)
	} else {
		b = append(b, `{"ip":"`...)
		b = appendQuotedR3(b, s.IP)
		b = append(b, `,"domain":"`...)
		b = appendQuotedR3(b, s.Domain)
		b = append(b, `,"result":"`...)
		b = appendQuotedR3(b, s.Result)
		b = append(b, `,"mechanism":"`...)
		b = appendQuotedR3(b, s.Mechanism)
		b = append(b, `,"record":"`...)
		b = appendQuotedR3(b, s.Record)
		b = append(b, `,"lookups":`...)
		b = strconv.AppendInt(b, int64(s.Lookups), 10)
		b = append(b, `,"error":"`...)
		b = appendQuotedR3(b, s.Error)
		b = append(b, '}')
	}
	b = append(b, `,"errors":`...)
	b = appendStringsR3(b, v.Errors)
	return append(b, '}')
}

// checkFloatsR3 returns the error encoding/json gives for the first NaN or
// infinite float of r, in the order it writes them; the only floats are the
// Geo coordinates, and the hops come before the top-level attribution.
func checkFloatsR3(r *Report) error {
	for i := range r.Hops {
		if err := checkGeoR3(r.Hops[i].Attribution); err != nil {
			return err
		}
	}
	return checkGeoR3(r.Attribution)
}

func checkGeoR3(a *attrib.Attribution) error {
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

// appendFloatR3 appends a finite float64 as encoding/json does (its
// floatEncoder): like ES6 number-to-string, 'f' format unless the magnitude
// is below 1e-6 or at least 1e21, and then 'e' with the exponent unpadded.
func appendFloatR3(b []byte, f float64) []byte {
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

// appendInt64PtrR3 appends *p, or null for nil.
func appendInt64PtrR3(b []byte, p *int64) []byte {
	if p == nil {
		return append(b, "null"...)
	}
	return strconv.AppendInt(b, *p, 10)
}

// appendStringPtrR3 appends *p as a string, or null for nil.
func appendStringPtrR3(b []byte, p *string) []byte {
	if p == nil {
		return append(b, "null"...)
	}
	return appendStringR3(b, *p)
}

// appendStringsR3 appends a string array: null for a nil slice, [] for an
// empty one.
func appendStringsR3(b []byte, ss []string) []byte {
	if ss == nil {
		return append(b, "null"...)
	}
	b = append(b, '[')
	for i, s := range ss {
		if i > 0 {
			b = append(b, ',')
		}
		b = appendStringR3(b, s)
	}
	return append(b, ']')
}

// appendStringMapR3 appends an object with the keys in byte order, as
// encoding/json sorts them; null for a nil map.
func appendStringMapR3(b []byte, m map[string]string) []byte {
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
		b = appendStringR3(b, k)
		b = append(b, ':')
		b = appendStringR3(b, m[k])
	}
	return append(b, '}')
}

// appendStringR3 appends s as a JSON string exactly as encoding/json's
// appendStringR3 does with escapeHTML false: '"' and '\\' escaped, \b \f \n
// \r \t in short form, other control bytes as \u00XX (lower-case hex), each
// byte of invalid UTF-8 as \ufffd, U+2028 and U+2029 escaped; everything
// else, <, > and & included, as is.
func appendStringR3(b []byte, s string) []byte {
	return appendQuotedR3(append(b, '"'), s)
}

// appendQuotedR3 is appendStringR3 after the opening quote, which the callers
// write with the field name before it: one append fewer per string, and
// a third of the strings of a report are empty.
//
// It is small enough to be inlined: the empty strings cost no call.
func appendQuotedR3(b []byte, s string) []byte {
	if len(s) == 0 {
		return append(b, '"')
	}
	return appendNonEmptyR3(b, s)
}

// appendNonEmptyR3 is appendQuotedR3 for a non-empty s.
func appendNonEmptyR3(b []byte, s string) []byte {
	i := plainPrefixR3(s)
	if i == len(s) {
		b = append(b, s...)
		return append(b, '"')
	}
	return appendEscapedR3(append(b, s[:i]...), s, i)
}

// appendEscapedR3 appends the rest of s, from its first byte needing a look,
// i, on, and the closing quote: the rest of appendQuotedR3, which has
// appended s[:i].
func appendEscapedR3(b []byte, s string, i int) []byte {
	start := i
	for {
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
		i += plainPrefixR3(s[i:])
		if i == len(s) {
			break
		}
	}
	b = append(b, s[start:]...)
	return append(b, '"')
}

// plainPrefixR3 returns the length of the longest prefix of s with no byte
// that needs a look of its own in appendEscapedR3 (a control byte, '"',
// '\\', or a byte of a multi-byte or invalid UTF-8 sequence). Below eight
// bytes it looks each up in plainByte; from eight on it tests sixteen, then
// eight, at once with the hasless and haszero tricks of "Bit Twiddling
// Hacks" (flaggedR3), the last few with the word that ends s, its bytes
// already seen shifted out.
func plainPrefixR3(s string) int {
	if len(s) < 8 {
		i := 0
		for i < len(s) && plainByte[s[i]] {
			i++
		}
		return i
	}
	// Two words a turn, one branch for both: most strings have no byte to
	// look at, and the raw header texts run to hundreds of bytes.
	t := s
	for len(t) >= 16 {
		x0, x1 := swar.Load(t[:8]), swar.Load(t[8:16])
		if (unmaskedR3(x0)|unmaskedR3(x1))&swar.Hi != 0 {
			i := len(s) - len(t)
			if m := flaggedR3(x0); m != 0 {
				return i + bits.TrailingZeros64(m)/8
			}
			return i + 8 + bits.TrailingZeros64(flaggedR3(x1))/8
		}
		t = t[16:]
	}
	i := len(s) - len(t)
	if len(s)-i >= 8 {
		if m := flaggedR3(swar.Load(s[i : i+8])); m != 0 {
			return i + bits.TrailingZeros64(m)/8
		}
		i += 8
	}
	if n := len(s) - i; n > 0 { // the last few bytes, in the word that ends s
		if m := flaggedR3(swar.Load(s[len(s)-8:])) >> (8 * (8 - n)); m != 0 {
			return i + bits.TrailingZeros64(m)/8
		}
	}
	return len(s)
}

// flaggedR3 sets the high bit of each byte of x that needs a look, and maybe
// of bytes after the first such: a byte of 0x80 or more is flagged by its
// own high bit (which also makes the &^ of the haszero tricks needless), a
// borrow only wrongly flags a byte after one rightly flagged (never after a
// plain one), so the lowest flag is right.
func flaggedR3(x uint64) uint64 { return unmaskedR3(x) & swar.Hi }

// unmaskedR3 is flaggedR3 before the mask of the high bits, for the word loop
// to mask two words at once.
func unmaskedR3(x uint64) uint64 {
	return x | (x - swar.Lo*0x20) | (x ^ swar.Lo*'"' - swar.Lo) | (x ^ swar.Lo*'\\' - swar.Lo)
}

// sameAsR3 fails unless appendQuoted and plainPrefix give what they gave
// in round three, on s and its first suffixes, after a prefix with no
// spare capacity and after one with plenty.
func sameAsR3(t *testing.T, s string) {
	t.Helper()
	for i := 0; i < len(s) && i < 40; i++ {
		if got, want := plainPrefix(s[i:]), plainPrefixR3(s[i:]); got != want {
			t.Fatalf("%q: plainPrefix %d, round three %d", s[i:], got, want)
		}
	}
	for _, c := range []int{0, 1, len(s), 2*len(s) + 16} {
		b := make([]byte, 3, 3+c)
		copy(b, "ab\"")
		want := appendQuotedR3(bytes.Clone(b), s)
		if got := appendQuoted(b, s); !bytes.Equal(got, want) {
			t.Fatalf("%q (spare %d): appendQuoted %q, round three %q", s, c, got, want)
		}
	}
}

// FuzzQuotedR3 compares appendQuoted and plainPrefix with their round-three
// code on arbitrary strings.
func FuzzQuotedR3(f *testing.F) {
	for _, s := range trickyStrings {
		f.Add(s)
	}
	f.Add("abcdefg\n")
	f.Add("abcdefgh\"")
	f.Add("abcdefghijklm\\")
	f.Add("abcdef\u2028x")
	f.Add("abcdefghijklmn\xe2\x80\xa9")
	f.Add("from [62.239.237.1]\r\n\tby mail.example.net with esmtpsa\r\n\t(Exim 4.96)")
	f.Add("0123456789abcdef0123456789abcdef\x7f")
	f.Fuzz(func(t *testing.T, s string) { sameAsR3(t, s) })
}

// TestQuotedR3Positions puts each kind of byte that needs a look at every
// position of plain strings up to four words long.
func TestQuotedR3Positions(t *testing.T) {
	specials := []string{"\"", "\\", "\n", "\n\t", "\r\n\t", "\x00", "\x1f", "\x7f", "é", "\u2028", "\u2029", "\xff", "\xe2\x80", "😀"}
	for n := range 34 {
		for p := 0; p <= n; p++ {
			for _, sp := range specials {
				sameAsR3(t, strings.Repeat("a", p)+sp+strings.Repeat("b", n-p))
				sameAsR3(t, strings.Repeat(" ", p)+sp+sp+strings.Repeat("~", n-p)+sp)
			}
		}
		sameAsR3(t, strings.Repeat("x", n+1))
	}
}

// FuzzAppendReportR3 compares appendReport with its round-three code on
// reports built by Build from fuzzed header bytes, and on reports filled
// at random from the fuzzed string, with random float bits.
func FuzzAppendReportR3(f *testing.F) {
	for i, s := range trickyStrings {
		f.Add(uint64(i), s, []byte("Subject: "+s+"\nReceived: from "+s+" ([62.239.237.1]) by mx.example.com; Tue, 24 Nov 2026 09:14:05 +0000\n\n"))
	}
	i := 0
	for _, h := range testdataHeaders(f) {
		f.Add(uint64(1000+i), string(h[:min(len(h), 40)]), h)
		i++
	}
	f.Fuzz(func(t *testing.T, seed uint64, s string, header []byte) {
		msg := &fetch.Message{Origin: fetch.Origin{Kind: fetch.KindMaildir, Name: s, Mailbox: s, POP3UID: s, UID: uint32(seed)},
			Header: header}
		strs := append([]string{s, s[:len(s)/2], s[len(s)/2:], s + s}, trickyStrings[:4]...)
		for _, r := range []*Report{Build(context.Background(), msg, Options{}), filledReport(t, seed, seed%2 == 0, strs, true)} {
			// After a prefix with no spare capacity, and after one with plenty.
			for _, spare := range []int{0, 64 << 10} {
				b := append(make([]byte, 0, 2+spare), "x\n"...)
				want, werr := appendReportR3(bytes.Clone(b), r)
				got, gerr := appendReport(b, r)
				if !bytes.Equal(got, want) || (gerr == nil) != (werr == nil) {
					t.Fatalf("appendReport %q, %v; round three %q, %v", got, gerr, want, werr)
				}
			}
		}
	})
}

// FuzzAppendIntR3 compares appendInt with strconv.AppendInt, what the
// encoder called before.
func FuzzAppendIntR3(f *testing.F) {
	for _, v := range []int64{0, 9, 10, 99, 100, 999, 1000, 9999, 10000, -1, -10000, math.MaxInt64, math.MinInt64} {
		f.Add(v)
	}
	f.Fuzz(func(t *testing.T, v int64) {
		if got, want := appendInt([]byte("x"), v), strconv.AppendInt([]byte("x"), v, 10); !bytes.Equal(got, want) {
			t.Fatalf("%d: appendInt %q, strconv %q", v, got, want)
		}
	})
}
