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

// lexResults appends to dst the tokens of an Authentication-Results value:
// words, quoted strings, comments, ';' and '=' (RFC 8601 §2.2 with RFC 5322
// CFWS). It is lenient: an unterminated quote or comment runs to the end.
// Words, comments and quoted strings without a backslash are substrings of
// s; callers pass a stack buffer as dst, so a field costs no allocation.
func lexResults(dst []token, s string) []token {
	out := dst
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
			i++
			start := i
			for i < len(s) && s[i] != '"' && s[i] != '\\' {
				i++
			}
			text := s[start:i]
			if i < len(s) && s[i] == '\\' {
				// A quoted-pair: unescape from here on (a backslash
				// ending the value is kept as it is).
				b := []byte(text)
				for i < len(s) && s[i] != '"' {
					if s[i] == '\\' && i+1 < len(s) {
						i++
					}
					b = append(b, s[i])
					i++
				}
				text = string(b)
			}
			i++ // closing quote
			out = append(out, token{tokQuoted, text})
		case c == '(':
			start := i
			i = header.CommentEnd(s, i)
			out = append(out, token{tokComment, s[start:i]})
		case c == ')':
			i++ // stray closing parenthesis
		default:
			start := i
			for i < len(s) && !isResultsDelim(s[i]) {
				i++
			}
			out = append(out, token{tokWord, s[start:i]})
		}
	}
	return out
}

// isResultsDelim reports whether c ends a word of lexResults.
func isResultsDelim(c byte) bool {
	switch c {
	case ' ', '\t', '\r', '\n', ';', '=', '"', '(', ')':
		return true
	}
	return false
}

// cutSemi returns the tokens before the first ';' and those after it; more
// is false when there is no ';' (the last segment).
func cutSemi(toks []token) (seg, rest []token, more bool) {
	for i, t := range toks {
		if t.kind == tokSemi {
			return toks[:i], toks[i+1:], true
		}
	}
	return toks, nil, false
}

// countSemi counts the ';' tokens.
func countSemi(toks []token) int {
	n := 0
	for _, t := range toks {
		if t.kind == tokSemi {
			n++
		}
	}
	return n
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

// resultsTokens is how many tokens lexResults gets room for on the stack:
// enough for all but the longest fields.
const resultsTokens = 64

// ParseResults parses an Authentication-Results value. It never fails: it
// tries github.com/emersion/go-msgauth/authres first and falls back to a
// lenient reading (no authserv-id, stray tokens, Microsoft's compauth) when
// that rejects the field; Lenient says which.
func ParseResults(value string) ResultsField {
	f := parseResults(value)
	f.Raw = unfold(value)
	return f
}

// parseResults is ParseResults without Raw.
func parseResults(value string) ResultsField {
	var buf [resultsTokens]token
	toks := lexResults(buf[:0], value)
	f := parseLenient(toks)
	if !strictAgrees(toks, f) {
		f.Lenient = true
	}
	return f
}

// parseLenient is the fallback reader, on the tokens of the value.
func parseLenient(toks []token) ResultsField {
	var f ResultsField
	for n, rest, more := 0, toks, true; more; n++ {
		var seg []token
		seg, rest, more = cutSemi(rest)
		if n == 0 && !hasPair(seg) {
			// authserv-id [authres-version], then anything else is extra
			w := 0
			for _, t := range seg {
				if t.kind != tokWord && t.kind != tokQuoted {
					continue
				}
				switch w {
				case 0:
					f.AuthservID = t.text
				case 1:
					f.Version = t.text
				default:
					f.Extra = append(f.Extra, t.text)
				}
				w++
			}
			continue
		}
		var m Method
		var ok bool
		m, f.Extra, ok = parseResinfo(seg, f.Extra)
		if ok {
			if f.Methods == nil {
				f.Methods = make([]Method, 0, countSemi(rest)+1)
			}
			f.Methods = append(f.Methods, m)
		}
	}
	return f
}

// resinfoItem is a token of a resinfo with the first comment after it.
type resinfoItem struct {
	tok     token
	comment string
}

// parseResinfo reads one `method=result [reason=...] [ptype.prop=value]...`
// segment. Words that are not part of a key=value pair are appended to
// extra.
func parseResinfo(seg []token, extra []string) (m Method, _ []string, ok bool) {
	// drop comments but remember the first one after each token
	var buf [32]resinfoItem // a resinfo is rarely longer
	items := buf[:0]
	for _, t := range seg {
		if t.kind == tokComment {
			if n := len(items); n > 0 && items[n-1].comment == "" {
				items[n-1].comment = t.text
			}
			continue
		}
		items = append(items, resinfoItem{tok: t})
	}
	if len(items) == 1 && items[0].tok.kind == tokWord && strings.EqualFold(items[0].tok.text, "none") {
		return m, extra, false // no-result (RFC 8601 §2.2)
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

// stripComments renders tokens back without comments, for authres; "" when
// a quoted string holds what authres cannot read.
func stripComments(toks []token) string {
	var b strings.Builder
	b.Grow(resultsLen(toks))
	for _, t := range toks {
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

// resultsLen bounds the length of stripComments' output: every word and
// quoted string with a space before it, and every ';' and '='.
func resultsLen(toks []token) int {
	n := 0
	for _, t := range toks {
		if t.kind != tokComment {
			n += len(t.text) + 1
		}
	}
	return n
}

// strictAgrees reports whether go-msgauth/authres accepts the field (its
// comments removed, since authres does not skip them) and reads the same
// methods and results as the lenient reader.
func strictAgrees(toks []token, f ResultsField) bool {
	if f.AuthservID == "" || len(f.Extra) > 0 {
		return false // checked first: cheaper than rendering the value
	}
	s := stripComments(toks)
	if s == "" {
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
	f := parseResults(rest)
	f.Instance = inst
	f.Raw = unfold(value)
	return f
}

// unfold joins folded lines (RFC 5322 §2.2.3) and trims: a CR before each
// LF is dropped, continuation lines lose their leading white space and are
// joined by one space, lines left empty are dropped. One allocation for a
// folded value, none for a single line.
func unfold(s string) string {
	nl := strings.IndexByte(s, '\n')
	if nl < 0 {
		return strings.TrimSpace(s)
	}
	var b strings.Builder
	b.Grow(len(s))
	b.WriteString(strings.TrimSuffix(s[:nl], "\r"))
	for s = s[nl+1:]; ; {
		line := s
		nl = strings.IndexByte(s, '\n')
		if nl >= 0 {
			line, s = strings.TrimSuffix(s[:nl], "\r"), s[nl+1:]
		}
		if line = strings.TrimLeft(line, " \t"); line != "" {
			b.WriteByte(' ')
			b.WriteString(line)
		}
		if nl < 0 {
			break
		}
	}
	return strings.TrimSpace(b.String())
}
