package auth

import (
	"github.com/mailtrace/mailtrace/analyzer/header"
	"strconv"
	"strings"

	"github.com/emersion/go-msgauth/authres"
)

// ResultsField is one Authentication-Results (RFC 8601) or
// ARC-Authentication-Results (RFC 8617 §4.1.1) field, parsed.
type ResultsField struct {
	Header     string   // field name as written
	Position   int      // index of the field in the header section, 0 = top
	Instance   int      // ARC instance i=, 0 for Authentication-Results
	AuthservID string   // "" when the field names none (Microsoft writes none)
	Version    string   // authres-version when given ("1")
	Methods    []Method // one per resinfo, in order
	Extra      []string // stray tokens the grammar has no place for
	Lenient    bool     // go-msgauth/authres rejected it; read by the lenient fallback
	Trusted    bool     // written by the recipient's side (see TrustReason)
	Why        string   // why it is (or is not) believed
	Raw        string   // value unfolded
}

// Method is one resinfo: method=result with its reason and properties.
type Method struct {
	Method     string            // lower case, method-version stripped ("dkim")
	Result     string            // lower case ("pass", "fail", ...)
	Reason     string            // reasonspec value, or Microsoft's bare reason=
	Comment    string            // first comment after the result, e.g. "(sender IP is 192.0.2.1)"
	Properties map[string]string // ptype.property (and bare keys such as Microsoft's action=) -> value
}

// Prop returns a property value, "" when absent.
func (m Method) Prop(key string) string { return m.Properties[key] }

// token kinds of the RFC 8601 lexer.
const (
	tokWord = iota
	tokQuoted
	tokComment
	tokSemi
	tokEqual
)

type token struct {
	kind int
	text string // word, quoted content (unescaped) or comment including its parentheses
}

// lexResults splits an Authentication-Results value into words, quoted
// strings, comments, ';' and '=' (RFC 8601 §2.2 with RFC 5322 CFWS). It is
// lenient: an unterminated quote or comment runs to the end.
func lexResults(s string) []token {
	var out []token
	i := 0
	for i < len(s) {
		c := s[i]
		switch {
		case c == ' ' || c == '\t' || c == '\r' || c == '\n':
			i++
		case c == ';':
			out = append(out, token{tokSemi, ";"})
			i++
		case c == '=':
			out = append(out, token{tokEqual, "="})
			i++
		case c == '"':
			var b strings.Builder
			i++
			for i < len(s) && s[i] != '"' {
				if s[i] == '\\' && i+1 < len(s) {
					i++
				}
				b.WriteByte(s[i])
				i++
			}
			i++ // closing quote
			out = append(out, token{tokQuoted, b.String()})
		case c == '(':
			start := i
			i = header.CommentEnd(s, i)
			out = append(out, token{tokComment, s[start:i]})
		case c == ')':
			i++ // stray closing parenthesis
		default:
			start := i
			for i < len(s) && !strings.ContainsRune(" \t\r\n;=\"()", rune(s[i])) {
				i++
			}
			out = append(out, token{tokWord, s[start:i]})
		}
	}
	return out
}

// splitSemi splits tokens at ';'.
func splitSemi(toks []token) [][]token {
	var out [][]token
	cur := []token{}
	for _, t := range toks {
		if t.kind == tokSemi {
			out = append(out, cur)
			cur = []token{}
			continue
		}
		cur = append(cur, t)
	}
	return append(out, cur)
}

// hasPair reports whether a segment holds word = value before anything else
// that is not a comment: a resinfo rather than an authserv-id.
func hasPair(seg []token) bool {
	n := 0
	for _, t := range seg {
		if t.kind == tokComment {
			continue
		}
		if n == 1 {
			return t.kind == tokEqual
		}
		n++
	}
	return false
}

// ParseResults parses an Authentication-Results value. It never fails: it
// tries github.com/emersion/go-msgauth/authres first and falls back to a
// lenient reading (no authserv-id, stray tokens, Microsoft's compauth) when
// that rejects the field; Lenient says which.
func ParseResults(value string) ResultsField {
	f := parseLenient(value)
	if strictAgrees(value, f) {
		return f
	}
	f.Lenient = true
	return f
}

// parseLenient is the fallback reader.
func parseLenient(value string) ResultsField {
	f := ResultsField{Raw: unfold(value)}
	segs := splitSemi(lexResults(value))
	start := 0
	if len(segs) > 0 && !hasPair(segs[0]) {
		start = 1
		var words []string
		for _, t := range segs[0] {
			if t.kind == tokWord || t.kind == tokQuoted {
				words = append(words, t.text)
			}
		}
		if len(words) > 0 {
			f.AuthservID = words[0]
		}
		if len(words) > 1 {
			f.Version = words[1]
		}
		if len(words) > 2 {
			f.Extra = append(f.Extra, words[2:]...)
		}
	}
	for _, seg := range segs[start:] {
		m, extra, ok := parseResinfo(seg)
		f.Extra = append(f.Extra, extra...)
		if ok {
			f.Methods = append(f.Methods, m)
		}
	}
	return f
}

// parseResinfo reads one `method=result [reason=...] [ptype.prop=value]...`
// segment. Words that are not part of a key=value pair are returned as extra.
func parseResinfo(seg []token) (m Method, extra []string, ok bool) {
	// drop comments but remember the first one after the result
	type item struct {
		tok     token
		comment string
	}
	var items []item
	for _, t := range seg {
		if t.kind == tokComment {
			if n := len(items); n > 0 && items[n-1].comment == "" {
				items[n-1].comment = t.text
			}
			continue
		}
		items = append(items, item{tok: t})
	}
	if len(items) == 1 && items[0].tok.kind == tokWord && strings.EqualFold(items[0].tok.text, "none") {
		return m, nil, false // no-result (RFC 8601 §2.2)
	}
	for i := 0; i < len(items); i++ {
		it := items[i]
		if it.tok.kind != tokWord || i+1 >= len(items) || items[i+1].tok.kind != tokEqual {
			if it.tok.kind == tokWord || it.tok.kind == tokQuoted {
				extra = append(extra, it.tok.text)
			}
			continue
		}
		key := strings.ToLower(it.tok.text)
		val, comment := "", items[i+1].comment
		i++ // at '='
		if i+1 < len(items) && (items[i+1].tok.kind == tokWord || items[i+1].tok.kind == tokQuoted) {
			// a word followed by '=' is the next key, not this value ("action= header.from=x")
			if !(items[i+1].tok.kind == tokWord && i+2 < len(items) && items[i+2].tok.kind == tokEqual) {
				i++
				val, comment = items[i].tok.text, items[i].comment
			}
		}
		if !ok {
			m.Method = key
			if j := strings.IndexByte(key, '/'); j > 0 { // method-version (RFC 8601 §2.2)
				m.Method = key[:j]
			}
			m.Result = strings.ToLower(val)
			m.Comment = comment
			m.Properties = map[string]string{}
			ok = true
			continue
		}
		if key == "reason" {
			m.Reason = val
			continue
		}
		m.Properties[key] = val
	}
	return m, extra, ok
}

// stripComments renders tokens back without comments, for authres.
func stripComments(value string) string {
	var b strings.Builder
	for _, t := range lexResults(value) {
		switch t.kind {
		case tokComment:
			continue
		case tokSemi, tokEqual:
			b.WriteString(t.text)
			continue
		case tokQuoted:
			if strings.ContainsAny(t.text, " \t;=") {
				return "" // authres cannot read it; leave it to the fallback
			}
		}
		if b.Len() > 0 {
			if c := b.String()[b.Len()-1]; c != ';' && c != '=' {
				b.WriteByte(' ')
			}
		}
		b.WriteString(t.text)
	}
	return b.String()
}

// strictAgrees reports whether go-msgauth/authres accepts the field (its
// comments removed, since authres does not skip them) and reads the same
// methods and results as the lenient reader.
func strictAgrees(value string, f ResultsField) bool {
	s := stripComments(value)
	if s == "" || f.AuthservID == "" || len(f.Extra) > 0 {
		return false
	}
	id, results, err := authres.Parse(s)
	if err != nil || !strings.EqualFold(id, f.AuthservID) || len(results) != len(f.Methods) {
		return false
	}
	for i, r := range results {
		method, value := methodOf(r)
		if method != f.Methods[i].Method || value != f.Methods[i].Result {
			return false
		}
	}
	return true
}

// methodOf names an authres result.
func methodOf(r authres.Result) (method, value string) {
	switch r := r.(type) {
	case *authres.AuthResult:
		return "auth", string(r.Value)
	case *authres.DKIMResult:
		return "dkim", string(r.Value)
	case *authres.DomainKeysResult:
		return "domainkeys", string(r.Value)
	case *authres.IPRevResult:
		return "iprev", string(r.Value)
	case *authres.SenderIDResult:
		return "sender-id", string(r.Value)
	case *authres.SPFResult:
		return "spf", string(r.Value)
	case *authres.DMARCResult:
		return "dmarc", string(r.Value)
	case *authres.ARCResult:
		return "arc", string(r.Value)
	case *authres.GenericResult:
		m := r.Method
		if j := strings.IndexByte(m, '/'); j > 0 {
			m = m[:j]
		}
		return m, string(r.Value)
	}
	return "", ""
}

// ParseARCResults parses an ARC-Authentication-Results value: "i=N;" then an
// Authentication-Results payload (RFC 8617 §4.1.1).
func ParseARCResults(value string) ResultsField {
	rest := value
	inst := 0
	if k, v, ok := strings.Cut(value, ";"); ok {
		if name, num, ok := strings.Cut(strings.TrimSpace(k), "="); ok && strings.EqualFold(strings.TrimSpace(name), "i") {
			inst, _ = strconv.Atoi(strings.TrimSpace(num))
			rest = v
		}
	}
	f := ParseResults(rest)
	f.Instance = inst
	f.Raw = unfold(value)
	return f
}

// unfold joins folded lines (RFC 5322 §2.2.3) and trims.
func unfold(s string) string {
	s = strings.ReplaceAll(s, "\r\n", "\n")
	if !strings.Contains(s, "\n") {
		return strings.TrimSpace(s)
	}
	var b strings.Builder
	for i, line := range strings.Split(s, "\n") {
		if i > 0 {
			line = strings.TrimLeft(line, " \t")
			if line == "" {
				continue
			}
			b.WriteByte(' ')
		}
		b.WriteString(line)
	}
	return strings.TrimSpace(b.String())
}
