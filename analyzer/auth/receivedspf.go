package auth

import "strings"

// ReceivedSPF is one Received-SPF field (RFC 7208 §9.1).
type ReceivedSPF struct {
	Position     int               // index of the field in the header section
	Result       string            // lower case: pass, fail, softfail, neutral, none, temperror, permerror
	Comment      string            // the comment after the result, parentheses removed
	ClientIP     string            // client-ip=
	EnvelopeFrom string            // envelope-from=
	HELO         string            // helo=
	Identity     string            // identity= (mailfrom, helo)
	Receiver     string            // receiver=
	Mechanism    string            // mechanism=
	Extra        map[string]string // other key=value pairs
	Trusted      bool              // written on the recipient's side
	Raw          string
}

// ParseReceivedSPF reads a Received-SPF value leniently; it never fails.
func ParseReceivedSPF(value string) ReceivedSPF {
	return parseReceivedSPF(value, unfold(value))
}

// parseReceivedSPF is ParseReceivedSPF with the value unfolded given.
func parseReceivedSPF(value, raw string) ReceivedSPF {
	r := ReceivedSPF{Raw: raw}
	var buf [resultsTokens]token
	toks := lexResults(buf[:0], value)
	i := 0
	if i < len(toks) && toks[i].kind == tokWord && (i+1 >= len(toks) || toks[i+1].kind != tokEqual) {
		r.Result = toLower(toks[i].text)
		i++
	}
	for ; i < len(toks); i++ {
		t := toks[i]
		switch {
		case t.kind == tokComment && r.Comment == "":
			r.Comment = strings.TrimSpace(unfold(strings.TrimSuffix(strings.TrimPrefix(t.text, "("), ")")))
		case t.kind == tokWord && i+2 < len(toks) && toks[i+1].kind == tokEqual &&
			(toks[i+2].kind == tokWord || toks[i+2].kind == tokQuoted):
			key, val := toLower(t.text), toks[i+2].text
			i += 2
			switch key {
			case "client-ip":
				r.ClientIP = val
			case "envelope-from":
				r.EnvelopeFrom = val
			case "helo":
				r.HELO = val
			case "identity":
				r.Identity = val
			case "receiver":
				r.Receiver = val
			case "mechanism":
				r.Mechanism = val
			default:
				if r.Extra == nil {
					r.Extra = map[string]string{}
				}
				r.Extra[key] = val
			}
		}
	}
	return r
}
