package auth

import (
	"reflect"
	"slices"
	"strings"
	"testing"

	"github.com/mailtrace/mailtrace/analyzer/header"
)

// The models: the Authentication-Results lexer and lenient reader as they
// were before words were scanned with a table and parseResinfo read the
// tokens in place (it copied them, each with the comment after it, into a
// list of its own), and strictAgrees before it read the usual field on its
// tokens. FuzzResultsModels holds the readers to them.

func lexResultsModel(dst []token, s string) []token {
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
			for i < len(s) && !isResultsDelimModel(s[i]) {
				i++
			}
			out = append(out, token{tokWord, s[start:i]})
		}
	}
	return out
}

func parseLenientModel(toks []token) ResultsField {
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
		m, f.Extra, ok = parseResinfoModel(seg, f.Extra)
		if ok {
			if f.Methods == nil {
				n := 1 // this segment and, when more, the countSemi(rest)+1 after it
				if more {
					n += countSemi(rest) + 1
				}
				f.Methods = make([]Method, 0, n)
			}
			f.Methods = append(f.Methods, m)
		}
	}
	return f
}

// resinfoItem is a token of a resinfo with the first comment after it:
// parseResinfoModel copies the tokens into a list of them, which
// parseResinfo no longer makes.
type resinfoItem struct {
	tok     token
	comment string
}

func parseResinfoModel(seg []token, extra []string) (m Method, _ []string, ok bool) {
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
		key := toLower(it.tok.text)
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

// isResultsDelimModel reports whether c ends a word of lexResultsModel.
func isResultsDelimModel(c byte) bool {
	switch c {
	case ' ', '\t', '\r', '\n', ';', '=', '"', '(', ')':
		return true
	}
	return false
}

// strictAgreesToday is strictAgrees as it was before it read the usual
// field on its tokens (strictAgreesPlain) instead of rendering it.
func strictAgreesToday(toks []token, f ResultsField) bool {
	if f.AuthservID == "" || len(f.Extra) > 0 {
		return false // checked first: cheaper than rendering the value
	}
	var buf [1024]byte // most fields fit, comments removed
	s, ok := renderStrict(buf[:0], toks)
	if !ok {
		return false
	}
	r := strictReader{want: f.Methods, same: true}
	id, ok := readStrict(s, &r)
	return ok && r.same && r.n == len(f.Methods) && equalFoldBytes(id, f.AuthservID)
}

// parseResultsTwoPass is parseResults as it was before the lenient
// reader told the usual shape: the strict agreement always walked the
// tokens again.
func parseResultsTwoPass(value string) ResultsField {
	var buf [resultsTokens]token
	toks, wordsPlain, _ := lexResultsPlain(buf[:0], value)
	f := parseLenient(toks)
	if !strictAgreesLexed(toks, f, wordsPlain) {
		f.Lenient = true
	}
	return f
}

// parseResultsChainModel is parseResults on the models.
func parseResultsChainModel(value string) ResultsField {
	toks := lexResultsModel(nil, value)
	f := parseLenientModel(toks)
	if !strictAgreesToday(toks, f) {
		f.Lenient = true
	}
	return f
}

// checkResultsModels holds the lexer and readers to their models on s.
func checkResultsModels(t *testing.T, s string) {
	t.Helper()
	var buf [4]token // too short for most: the buffer grows as the model's
	toks, wordsPlain, quoted := lexResultsPlain(buf[:0], s)
	want := lexResultsModel(nil, s)
	if !slices.Equal(toks, want) {
		t.Fatalf("lexResults(%q)\n got %+v\nwant %+v", s, toks, want)
	}
	plainModel := true // every word plainText
	for _, tok := range want {
		if tok.kind == tokWord && !plainText(tok.text) {
			plainModel = false
		}
	}
	if wordsPlain != plainModel {
		t.Fatalf("lexResultsPlain(%q) says the words plain: %v; plainText says %v", s, wordsPlain, plainModel)
	}
	if want := slices.ContainsFunc(want, func(t token) bool { return t.kind == tokQuoted }); quoted != want {
		t.Fatalf("lexResultsPlain(%q) says a quoted string: %v; the tokens say %v", s, quoted, want)
	}
	f := parseLenient(toks)
	if want := parseLenientModel(toks); !reflect.DeepEqual(f, want) {
		t.Fatalf("parseLenient(%q)\n got %+v\nwant %+v", s, f, want)
	}
	if got, want := strictAgrees(toks, f), strictAgreesToday(toks, f); got != want {
		t.Fatalf("strictAgrees(%q) = %v, the rendering model %v", s, got, want)
	}
	if got, want := strictAgreesLexed(toks, f, wordsPlain), strictAgreesToday(toks, f); got != want {
		t.Fatalf("strictAgreesLexed(%q, %v) = %v, the rendering model %v", s, wordsPlain, got, want)
	}
	if f.AuthservID != "" { // the token reading on its own, Extra or not
		f.Extra = nil
		for _, plain := range []bool{false, wordsPlain} {
			if got, ok := strictAgreesPlain(toks, f, plain); ok && got != strictAgreesToday(toks, f) {
				t.Fatalf("strictAgreesPlain(%q, %v) = %v, the rendering model %v", s, plain, got, !got)
			}
		}
	}
	if got, want := parseResults(s), parseResultsChainModel(s); !reflect.DeepEqual(got, want) {
		t.Fatalf("parseResults(%q)\n got %+v\nwant %+v", s, got, want)
	}
	if got, want := parseResults(s), parseResultsTwoPass(s); !reflect.DeepEqual(got, want) {
		t.Fatalf("parseResults(%q)\n got %+v\nthe two walks %+v", s, got, want)
	}
	if got, want := parseReceivedSPF(s, s), parseReceivedSPFModel(s, s); !reflect.DeepEqual(got, want) {
		t.Fatalf("parseReceivedSPF(%q)\n got %+v\nwant %+v", s, got, want)
	}
}

// parseReceivedSPFModel is parseReceivedSPF on lexResultsModel.
func parseReceivedSPFModel(value, raw string) ReceivedSPF {
	r := ReceivedSPF{Raw: raw}
	toks := lexResultsModel(nil, value)
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

var resultsModelSeeds = []string{
	"a 1; arc=pass header.oldest-pass=0", "a 1 x; spf=pass", "a=b; spf=pass", "=a; spf=pass", "a; =pass", "a; spf=pass=x y=z",
	"a; none x", "a; spf (c) = (d) pass", "a; arc=fail header.oldest-pass=2 header.oldest-pass=1", "a;;spf", "a; spf=\"pass\"",
	"a (c); (d) ; dkim=pass header.d=" + strings.Repeat("x", 200), "a; ARC/2=pass header.OLDEST-PASS=+1", "a \"1\"; spf=pass",
	"a; (c) spf=pass (x) (y) smtp.mailfrom=a (z); dkim=pass header.d=a (q) x", `a; dkim="a\"b" r=(`, "a; spf=pass)",
	"(unclosed", `"unclosed`, `a; x="\`, "a;" + strings.Repeat(" k=v", 40), strings.Repeat("a=b; ", 40),
	"pass (mailfrom) identity=mailfrom; client-ip=192.0.2.1; helo=x; envelope-from=\"a@b\"; receiver=r; x-k=v",
	"a; spf=pass\x01 smtp.mailfrom=b", "a; spf=\x7fpass", "a; dkim=pass header.d=\xc3\xa9.example", "\x00a; spf=pass", "a\v; spf=pass\f",
}

func TestResultsModels(t *testing.T) {
	for _, s := range append(append(resultsValues(t), resultsSeeds...), resultsModelSeeds...) {
		checkResultsModels(t, s)
	}
}

// FuzzResultsModels holds the lexer, the lenient reader, parseResults and
// parseReceivedSPF to the models.
func FuzzResultsModels(f *testing.F) {
	seedResults(f)
	seedFields(f, "Received-SPF")
	for _, s := range resultsModelSeeds {
		f.Add(s)
	}
	f.Fuzz(checkResultsModels)
}
