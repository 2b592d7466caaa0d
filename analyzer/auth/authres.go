package auth

import (
	"bytes"
	"strconv"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/mailtrace/mailtrace/analyzer/header"
	"github.com/mailtrace/mailtrace/internal/swar"
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
	Lenient    bool     // go-msgauth/authres would reject it; read by the lenient fallback
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
	toks, _, _ := lexResultsPlain(dst, s)
	return toks
}

// lexResultsPlain is lexResults, which also reports whether every word is
// plainText (a control byte or one above 0x7F makes one not): told on the
// way by the byte that ends a word's run, which strictAgreesPlain then
// need not read again; and whether there is a quoted string.
func lexResultsPlain(dst []token, s string) (_ []token, wordsPlain, quoted bool) {
	out := dst
	wordsPlain = true
	i := 0
	for i < len(s) {
		c := s[i]
		if resultsClass[c] != resultsDelim {
			start := i
			for i++; i < len(s) && resultsClass[s[i]] == resultsWord; i++ {
			}
			if resultsClass[c] == resultsNotPlain || i < len(s) && resultsClass[s[i]] == resultsNotPlain {
				wordsPlain = false
				for i < len(s) && resultsClass[s[i]] != resultsDelim {
					i++
				}
			}
			out = append(out, token{tokWord, s[start:i]})
			continue
		}
		switch c {
		case ' ', '\t', '\r', '\n':
			i++
		case ';':
			out = append(out, token{tokSemi, ";"})
			i++
		case '=':
			out = append(out, token{tokEqual, "="})
			i++
		case '"':
			quoted = true
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
		case '(':
			start := i
			i = header.CommentEnd(s, i)
			out = append(out, token{tokComment, s[start:i]})
		default: // ')'
			i++ // stray closing parenthesis
		}
	}
	return out, wordsPlain, quoted
}

// resultsClass classes the bytes for lexResults: those that end a word,
// and those of a word that plainText rejects. A table, as words make up
// most of a field and each of their bytes is tested.
var resultsClass = func() (t [256]uint8) {
	for c := range t {
		if c < '!' || c >= utf8.RuneSelf {
			t[c] = resultsNotPlain
		}
	}
	for _, c := range []byte(" \t\r\n;=\"()") {
		t[c] = resultsDelim
	}
	return t
}()

// The classes of resultsClass.
const (
	resultsWord     = iota // a byte of a plainText word
	resultsDelim           // a byte that ends a word
	resultsNotPlain        // a byte of a word that is not plainText
)

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
// reads the field leniently (no authserv-id, stray tokens, Microsoft's
// compauth) and sets Lenient where github.com/emersion/go-msgauth/authres
// would reject it or read it otherwise (strictAgrees).
func ParseResults(value string) ResultsField {
	f := parseResults(value)
	f.Raw = unfold(value)
	return f
}

// parseResults is ParseResults without Raw. The lenient reader tells
// on its way whether the field is of the usual shape, on which go-msgauth
// agrees with it (canonical); strictAgreesLexed, a second walk, decides
// any other field.
func parseResults(value string) ResultsField {
	return parseResultsIn(value, nil)
}

// parseResultsIn is parseResults with the methods in room (nil: a list
// of their own).
func parseResultsIn(value string, room *methodRoom) ResultsField {
	var buf [resultsTokens]token
	toks, wordsPlain, quoted := lexResultsPlain(buf[:0], value)
	f, canonical := parseLenientShape(toks, room)
	if wordsPlain && !quoted && canonical && f.AuthservID != "" && len(f.Extra) == 0 {
		return f
	}
	if !strictAgreesLexed(toks, f, wordsPlain) {
		f.Lenient = true
	}
	return f
}

// parseLenient is the fallback reader, on the tokens of the value.
func parseLenient(toks []token) ResultsField {
	f, _ := parseLenientShape(toks, nil)
	return f
}

// parseLenientShape is parseLenient, which also reports whether every
// segment has a shape canonicalSegment accepts: a field of those with an
// authserv-id, no Extra, plainText words and no quoted string is one that
// strictAgreesPlain finds go-msgauth agrees on, which parseResults then
// need not walk again. FuzzResultsModels holds parseResults to the two
// walks (parseResultsTwoPass) and to the rendering model. The methods go
// in room (nil: a list of their own).
func parseLenientShape(toks []token, room *methodRoom) (_ ResultsField, canonical bool) {
	var f ResultsField
	canonical = true
	for n, rest, more := 0, toks, true; more; n++ {
		var seg []token
		seg, rest, more = cutSemi(rest)
		canonical = canonical && canonicalSegment(seg, n == 0)
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
				n := 1 // this segment and, when more, the countSemi(rest)+1 after it
				if more {
					n += countSemi(rest) + 1
				}
				f.Methods = room.take(n)
			}
			f.Methods = append(f.Methods, m)
		}
	}
	return f, canonical
}

// canonicalSegment reports whether a segment's tokens, comments aside,
// are of a shape on which strictAgreesPlain agrees with the lenient
// reader whatever the words say, for a field without quoted strings whose
// words are plainText: the first segment a word W, the authserv-id, with
// at most the version "1" after it; any other segment nothing, the word
// "none" alone, or k=v followed by its end or by a word (the first of
// the properties). go-msgauth then reads W as the authserv-id and k and v
// as the method and result, as the lenient reader does; any other shape
// is left to strictAgreesPlain. For k "arc" go-msgauth checks a property
// header.oldest-pass: a segment with a word of that name is left to it
// too.
func canonicalSegment(seg []token, first bool) bool {
	n := len(seg)
	i := nextNonComment(seg, 0, n)
	if i == n {
		return !first // an empty part; no authserv-id
	}
	j := nextNonComment(seg, i+1, n)
	if first {
		return seg[i].kind == tokWord &&
			(j == n || seg[j].kind == tokWord && seg[j].text == "1" && nextNonComment(seg, j+1, n) == n)
	}
	if j == n {
		return seg[i].kind == tokWord && seg[i].text == "none"
	}
	if seg[i].kind != tokWord || seg[j].kind != tokEqual {
		return false
	}
	k := nextNonComment(seg, j+1, n)
	if k == n || seg[k].kind != tokWord {
		return false
	}
	l := nextNonComment(seg, k+1, n)
	if l < n && seg[l].kind != tokWord {
		return false
	}
	return !lowerIs(seg[i].text, "arc") || !hasOldestPass(seg[l:])
}

// hasOldestPass reports whether a word of toks is header.oldest-pass, ASCII
// case folded: go-msgauth reads a parameter of that name (oldestPassValid)
// only from a word that the rendering of the tokens starts a field with.
func hasOldestPass(toks []token) bool {
	for i := range toks {
		if t := &toks[i]; t.kind == tokWord && len(t.text) == len("header.oldest-pass") && lowerIs(t.text, "header.oldest-pass") {
			return true
		}
	}
	return false
}

// parseResinfo reads one `method=result [reason=...] [ptype.prop=value]...`
// segment. Words that are not part of a key=value pair are appended to
// extra. It reads the tokens in place, stepping over comments: the comment
// kept with a token is the first of those that follow it, the token after
// it when that is one.
func parseResinfo(seg []token, extra []string) (m Method, _ []string, ok bool) {
	n := len(seg)
	i := nextNonComment(seg, 0, n)
	if i < n && seg[i].kind == tokWord && nextNonComment(seg, i+1, n) == n && strings.EqualFold(seg[i].text, "none") {
		return m, extra, false // no-result (RFC 8601 §2.2)
	}
	for ; i < n; i = nextNonComment(seg, i+1, n) {
		t := &seg[i]
		eq := nextNonComment(seg, i+1, n)
		if t.kind != tokWord || eq == n || seg[eq].kind != tokEqual {
			if t.kind == tokWord || t.kind == tokQuoted {
				extra = append(extra, t.text)
			}
			continue
		}
		key := toLower(t.text)
		val, comment := "", commentAfter(seg, eq)
		i = eq
		if v := nextNonComment(seg, eq+1, n); v < n && (seg[v].kind == tokWord || seg[v].kind == tokQuoted) {
			// a word followed by '=' is the next key, not this value ("action= header.from=x")
			if next := nextNonComment(seg, v+1, n); !(seg[v].kind == tokWord && next < n && seg[next].kind == tokEqual) {
				i = v
				val, comment = seg[v].text, commentAfter(seg, v)
			}
		}
		if !ok {
			m.Method = key
			if j := strings.IndexByte(key, '/'); j > 0 { // method-version (RFC 8601 §2.2)
				m.Method = key[:j]
			}
			m.Result = toLower(val)
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

// commentAfter returns the comment that follows seg[i], "" when the token
// after it is none.
func commentAfter(seg []token, i int) string {
	if i+1 < len(seg) && seg[i+1].kind == tokComment {
		return seg[i+1].text
	}
	return ""
}

// strictAgrees reports whether go-msgauth/authres would accept the field
// (its comments removed, since authres does not skip them) and read the
// same authserv-id, methods and results as the lenient reader. It reads as
// authres.Parse does (renderStrict, readStrict) without calling it: authres
// allocates a map, a result and several strings per resinfo only for this
// yes or no. FuzzStrictAgrees holds it to the authres call it replaces.
func strictAgrees(toks []token, f ResultsField) bool {
	return strictAgreesLexed(toks, f, false)
}

// strictAgreesLexed is strictAgrees told by the lexer whether every word
// is plainText.
func strictAgreesLexed(toks []token, f ResultsField, wordsPlain bool) bool {
	if f.AuthservID == "" || len(f.Extra) > 0 {
		return false // checked first: cheaper than rendering the value
	}
	if agree, ok := strictAgreesPlain(toks, f, wordsPlain); ok {
		return agree
	}
	return strictAgreesRendered(toks, f)
}

// strictAgreesRendered is strictAgrees by rendering the value as authres
// is given it and reading that as authres does.
func strictAgreesRendered(toks []token, f ResultsField) bool {
	var buf [1024]byte // most fields fit, comments removed
	s, ok := renderStrict(buf[:0], toks)
	if !ok {
		return false
	}
	r := strictReader{want: f.Methods, same: true}
	id, ok := readStrict(s, &r)
	return ok && r.same && r.n == len(f.Methods) && equalFoldBytes(id, f.AuthservID)
}

// strictAgreesPlain is strictAgreesRendered for the usual field, read on
// its tokens without rendering it: ok is false (leave it to the rendering)
// unless every word and quoted string is plainText: non-empty ASCII
// without white space, ';' or '='. Then the rendering is the tokens' texts, with a space
// between two words or quoted strings and none around ';' and '=', so that
// readStrict's parts are the segments between ';' tokens and its fields
// (strings.Fields) are the runs of tokens that no such space parts: its
// groups. A group is rendered, on the stack, only to be compared.
// wordsPlain says the words are plainText (lexResultsPlain tells it),
// leaving the quoted strings to check.
func strictAgreesPlain(toks []token, f ResultsField, wordsPlain bool) (agree, ok bool) {
	n := 0
	for i := range toks {
		switch t := &toks[i]; t.kind {
		case tokComment:
			continue
		case tokWord:
			if !wordsPlain && !plainText(t.text) {
				return false, false
			}
		case tokQuoted:
			if !plainText(t.text) {
				return false, false
			}
		}
		n++
	}
	if n == 0 {
		return false, true // nothing rendered
	}
	var buf [128]byte
	r := strictReader{want: f.Methods, same: true}
	idAgrees := false
	for seg, i := 0, 0; ; seg++ {
		end := i // the segment is toks[i:end], end at a ';' or the end
		for end < len(toks) && toks[end].kind != tokSemi {
			end++
		}
		g, gend := nextNonComment(toks, i, end), groupEnd(toks, i, end)
		first, fits := renderGroup(buf[:0], toks[g:gend])
		if !fits {
			return false, false
		}
		switch {
		case seg == 0:
			// authserv-id, then a version that must be 1 (RFC 8601 §2.2):
			// one token "1" as the rest of the segment
			if j := nextNonComment(toks, gend, end); j < end {
				if toks[j].text != "1" || nextNonComment(toks, j+1, end) < end {
					return false, true
				}
			}
			idAgrees = equalFoldBytes(first, f.AuthservID)
		case g == end, string(first) == "none": // an empty part, or no result
		default:
			k, v, found := bytes.Cut(first, []byte{'='})
			if !found {
				return false, true // malformed authentication method and value
			}
			if lowerIsBytes(k, "arc") {
				var pbuf [256]byte
				params, _ := renderStrict(pbuf[:0], toks[gend:end])
				if !oldestPassValid(params) {
					return false, true
				}
			}
			r.result(k, v)
		}
		if end == len(toks) {
			break
		}
		i = end + 1
	}
	return idAgrees && r.same && r.n == len(f.Methods), true
}

// plainText reports whether s is non-empty ASCII above the space, without
// ';' or '=' (a control byte too sends the field to the rendering): a word
// at a time, as the words of a field are most of it.
func plainText(s string) bool {
	n := len(s)
	if n >= 4 && n < 8 { // the first and the last four
		return plainWord(uint64(load4(s)) | uint64(load4(s[n-4:]))<<32)
	}
	if n < 8 {
		for i := 0; i < n; i++ {
			if c := s[i]; c <= ' ' || c >= utf8.RuneSelf || c == ';' || c == '=' {
				return false
			}
		}
		return n > 0
	}
	for t := s; len(t) > 8; t = t[8:] {
		if !plainWord(swar.Load(t)) {
			return false
		}
	}
	return plainWord(swar.Load(s[n-8:])) // the last eight, overlapping
}

// plainWord reports whether no byte of w is above 0x7F, below '!', ';' or
// '=' (each test exact for its byte values: a borrow out of a byte needs
// the byte to be the one tested for).
func plainWord(w uint64) bool {
	semi, eq := w^(swar.Lo*';'), w^(swar.Lo*'=')
	return (w|(w-belowBang)&^w|(semi-swar.Lo)&^semi|(eq-swar.Lo)&^eq)&swar.Hi == 0
}

// nextNonComment returns the index of the first token of toks[i:end] that
// is not a comment, end when there is none.
func nextNonComment(toks []token, i, end int) int {
	for i < end && toks[i].kind == tokComment {
		i++
	}
	return i
}

// groupEnd returns the end of the first group of toks[i:end] (see
// strictAgreesPlain): before the first word or quoted string that follows
// another one, comments between them aside.
func groupEnd(toks []token, i, end int) int {
	prevText := false
	for ; i < end; i++ {
		switch toks[i].kind {
		case tokComment:
		case tokWord, tokQuoted:
			if prevText {
				return i
			}
			prevText = true
		default:
			prevText = false
		}
	}
	return end
}

// renderGroup appends the texts of a group's tokens to dst, comments
// skipped; fits is false when they do not fit in dst's capacity.
func renderGroup(dst []byte, toks []token) (_ []byte, fits bool) {
	for _, t := range toks {
		if t.kind == tokComment {
			continue
		}
		if len(dst)+len(t.text) > cap(dst) {
			return dst, false
		}
		dst = append(dst, t.text...)
	}
	return dst, true
}

// renderStrict appends to dst the tokens without comments, as authres is
// given them: a space between two words or quoted strings, none around ';'
// or '='. ok is false when a quoted string holds what authres cannot read
// or nothing is left.
func renderStrict(dst []byte, toks []token) (_ []byte, ok bool) {
	for _, t := range toks {
		switch t.kind {
		case tokComment:
			continue
		case tokSemi, tokEqual:
			dst = append(dst, t.text...)
			continue
		case tokQuoted:
			if strings.ContainsAny(t.text, " \t;=") {
				return dst, false // authres cannot read it; leave it to the fallback
			}
		}
		if n := len(dst); n > 0 && dst[n-1] != ';' && dst[n-1] != '=' {
			dst = append(dst, ' ')
		}
		dst = append(dst, t.text...)
	}
	return dst, len(dst) > 0
}

// strictReader compares the results readStrict reads with those of the
// lenient reader, as authres names them (methodOf in the tests: method and
// value lower case, a method-version after '/' cut).
type strictReader struct {
	want []Method
	n    int  // results read
	same bool // each result read so far is want's
}

func (r *strictReader) result(method, value []byte) {
	if r.n >= len(r.want) || !methodIs(method, r.want[r.n].Method) || !lowerIsBytes(value, r.want[r.n].Result) {
		r.same = false
	}
	r.n++
}

// readStrict reads s as authres.Parse (go-msgauth v0.7.0) does and hands
// each result to r: the authserv-id before the first ';' (a version after
// it must be "1"), then per ';'-separated part, white space trimmed and
// empty parts skipped, the fields split at Unicode white space: a first
// field "none" gives no result, otherwise the first field must be
// method=value, and for arc a last header.oldest-pass= parameter must be a
// positive integer. ok is false where authres.Parse returns an error.
func readStrict(s []byte, r *strictReader) (id []byte, ok bool) {
	id, rest, more := bytes.Cut(s, []byte{';'})
	id = bytes.TrimSpace(id)
	if i := indexSpace(id); i > 0 {
		if v := bytes.TrimSpace(id[i:]); len(v) != 1 || v[0] != '1' {
			return nil, false // unsupported version
		}
		id = id[:i]
	}
	for more {
		var part []byte
		part, rest, more = bytes.Cut(rest, []byte{';'})
		part = bytes.TrimSpace(part)
		if len(part) == 0 {
			continue
		}
		first, params := nextField(part)
		if string(first) == "none" {
			continue
		}
		k, v, found := bytes.Cut(first, []byte{'='})
		if !found {
			return id, false // malformed authentication method and value
		}
		k, v = bytes.TrimSpace(k), bytes.TrimSpace(v)
		if lowerIsBytes(k, "arc") && !oldestPassValid(params) {
			return id, false
		}
		r.result(k, v)
	}
	return id, true
}

// oldestPassValid reports whether authres accepts the parameters of an arc
// result: the last header.oldest-pass=, when there is one, is an integer of
// at least 1.
func oldestPassValid(params []byte) bool {
	var last []byte
	found := false
	for len(params) > 0 {
		var p []byte
		p, params = nextField(params)
		if k, v, ok := bytes.Cut(p, []byte{'='}); ok && lowerIsBytes(bytes.TrimSpace(k), "header.oldest-pass") {
			last, found = bytes.TrimSpace(v), true
		}
	}
	if !found {
		return true
	}
	n, err := strconv.Atoi(string(last))
	return err == nil && n > 0
}

// nextField returns the first field of s as strings.Fields splits it (at
// Unicode white space, invalid UTF-8 not being space) and what follows it.
func nextField(s []byte) (field, rest []byte) {
	i := 0
	for i < len(s) { // leading space
		if c := s[i]; c < utf8.RuneSelf { // ASCII by table, without a call
			if !asciiSpace[c] {
				break
			}
			i++
		} else if n, space := runeSpace(s[i:]); space {
			i += n
		} else {
			break
		}
	}
	start := i
	for i < len(s) {
		if c := s[i]; c < utf8.RuneSelf {
			if asciiSpace[c] {
				break
			}
			i++
		} else if n, space := runeSpace(s[i:]); !space {
			i += n
		} else {
			break
		}
	}
	return s[start:i], s[i:]
}

// indexSpace is bytes.IndexFunc(s, unicode.IsSpace).
func indexSpace(s []byte) int {
	for i := 0; i < len(s); {
		if c := s[i]; c < utf8.RuneSelf {
			if asciiSpace[c] {
				return i
			}
			i++
		} else if n, space := runeSpace(s[i:]); space {
			return i
		} else {
			i += n
		}
	}
	return -1
}

// runeSpace reports the length of the rune s starts with (1 for a byte of
// invalid UTF-8) and whether it is Unicode white space.
func runeSpace(s []byte) (n int, space bool) {
	r, n := utf8.DecodeRune(s)
	return n, unicode.IsSpace(r)
}

// asciiSpace holds the ASCII bytes unicode.IsSpace reports.
var asciiSpace = [utf8.RuneSelf]bool{'\t': true, '\n': true, '\v': true, '\f': true, '\r': true, ' ': true}

// methodIs reports whether the method authres names for a result written
// as raw is method.
func methodIs(raw []byte, method string) bool {
	if !isASCIIBytes(raw) {
		m := strings.ToLower(string(raw))
		if j := strings.IndexByte(m, '/'); j > 0 {
			m = m[:j]
		}
		return m == method
	}
	if j := bytes.IndexByte(raw, '/'); j > 0 {
		raw = raw[:j]
	}
	return lowerIsBytes(raw, method)
}

// lowerIsBytes is lowerIs(string(b), lower) without the copy for ASCII b.
func lowerIsBytes(b []byte, lower string) bool {
	if !isASCIIBytes(b) {
		return strings.ToLower(string(b)) == lower
	}
	if len(b) != len(lower) {
		return false
	}
	for i, c := range b {
		if 'A' <= c && c <= 'Z' {
			c += 'a' - 'A'
		}
		if c != lower[i] {
			return false
		}
	}
	return true
}

func isASCIIBytes(b []byte) bool {
	for _, c := range b {
		if c >= utf8.RuneSelf {
			return false
		}
	}
	return true
}

// equalFoldBytes is strings.EqualFold(string(b), s) without the copy for
// ASCII b and s.
func equalFoldBytes(b []byte, s string) bool {
	if !isASCIIBytes(b) || !isASCII(s) {
		return strings.EqualFold(string(b), s)
	}
	if len(b) != len(s) {
		return false
	}
	for i := range len(b) {
		x, y := b[i], s[i]
		if 'A' <= x && x <= 'Z' {
			x += 'a' - 'A'
		}
		if 'A' <= y && y <= 'Z' {
			y += 'a' - 'A'
		}
		if x != y {
			return false
		}
	}
	return true
}

// ParseARCResults parses an ARC-Authentication-Results value: "i=N;" then an
// Authentication-Results payload (RFC 8617 §4.1.1).
func ParseARCResults(value string) ResultsField {
	f := parseARCResults(value)
	f.Raw = unfold(value)
	return f
}

// parseARCResults is ParseARCResults without Raw.
func parseARCResults(value string) ResultsField {
	return parseARCResultsIn(value, nil)
}

// parseARCResultsIn is parseARCResults with the methods in room (nil: a
// list of their own).
func parseARCResultsIn(value string, room *methodRoom) ResultsField {
	rest := value
	inst := 0
	if k, v, ok := strings.Cut(value, ";"); ok {
		if name, num, ok := strings.Cut(strings.TrimSpace(k), "="); ok && strings.EqualFold(strings.TrimSpace(name), "i") {
			inst, _ = strconv.Atoi(strings.TrimSpace(num))
			rest = v
		}
	}
	f := parseResultsIn(rest, room)
	f.Instance = inst
	return f
}

// unfold joins folded lines (RFC 5322 §2.2.3) and trims: a CR before each
// LF is dropped, continuation lines lose their leading white space and are
// joined by one space, lines left empty are dropped. One allocation for a
// folded value, none for a single line.
func unfold(s string) string {
	if strings.IndexByte(s, '\n') < 0 {
		if !trimmed(s) {
			s = strings.TrimSpace(s)
		}
		return s
	}
	var b strings.Builder
	b.Grow(len(s))
	writeUnfolded(&b, s)
	return strings.TrimSpace(b.String())
}

// writeUnfolded writes to b what unfold returns for an s holding a LF,
// before trimming; it writes at most len(s) bytes.
func writeUnfolded(b *strings.Builder, s string) {
	nl := strings.IndexByte(s, '\n')
	b.WriteString(trimCR(s[:nl]))
	for s = s[nl+1:]; ; {
		i := 0 // a continuation line's leading white space (strings.TrimLeft(line, " \t") without its cutset set)
		for i < len(s) && (s[i] == ' ' || s[i] == '\t') {
			i++
		}
		line := s[i:]
		nl = strings.IndexByte(line, '\n')
		if nl >= 0 {
			line, s = trimCR(line[:nl]), line[nl+1:]
		}
		if line != "" {
			b.WriteByte(' ')
			b.WriteString(line)
		}
		if nl < 0 {
			break
		}
	}
}

// trimCR is strings.TrimSuffix(s, "\r").
func trimCR(s string) string {
	if n := len(s); n > 0 && s[n-1] == '\r' {
		return s[:n-1]
	}
	return s
}
