package received

import (
	"math/bits"
	"net/netip"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/mailtrace/mailtrace/analyzer/ipclass"
	"github.com/mailtrace/mailtrace/analyzer/maildate"
	"github.com/mailtrace/mailtrace/internal/swar"
)

// The grammar (RFC 5321 §4.4):
//
//	Stamp         = From-domain By-domain Opt-info [CFWS] ";" FWS date-time
//	From-domain   = "FROM" FWS Extended-Domain
//	By-domain     = CFWS "BY" FWS Extended-Domain
//	Extended-Domain = Domain / ( Domain FWS "(" TCP-info ")" ) / ( address-literal FWS "(" TCP-info ")" )
//	Opt-info      = [Via] [With] [ID] [For] [Additional-Registered-Clauses]
//
// Real servers bend every part of it: clauses in other orders, comments
// between and inside clauses, several names and addresses in the TCP-info
// comment, and no ";" before the date. The parser therefore works in three
// passes, each linear in the input:
//
//  1. a scanner splits the value into words, comments, address literals,
//     angle addresses, quoted strings and separators (no regular expressions);
//  2. the date is the text after the last ";" (RFC 5321 §4.4), or, without
//     one, the first place near the end where maildate finds a complete date;
//  3. the remaining tokens are grouped into clauses by their keyword, and the
//     comments of the from clause are read for the TCP-info the MTA wrote.

type tokKind uint8

const (
	tWord tokKind = iota
	tComment
	tLiteral // [ ... ] with a possible ":port" suffix, brackets kept
	tAngle   // < ... >, brackets kept
	tQuoted  // " ... ", content only
	tSemi
	tComma
)

type token struct {
	s string // comment: inner text without the outer parentheses
	// pos holds the byte offset of the token in the scanned string (next
	// returns the end) above its kind in the low byte: a token of three
	// words rather than four, which the field's token array is cleared
	// and copied in.
	pos uint
}

func mkTok(kind tokKind, s string, start int) token {
	return token{s, uint(start)<<8 | uint(kind)}
}

func (t *token) kind() tokKind { return tokKind(t.pos) }
func (t *token) start() int    { return int(t.pos >> 8) }

// Byte classes of the scanner, looked up in byteClass: one load per byte
// instead of a chain of comparisons in the loops that visit every byte.
const (
	cSpace   = 1 << iota // white space (NUL included)
	cSkip                // skipped before a token: white space or a stray ')'
	cWordEnd             // ends a word: white space, '(', ')', ';', ',', '['
	cComment             // matters inside a comment: '(', ')', '\\'
	// cNotIP: an ASCII byte parseIP's text cannot start with, anything
	// but '[', the white space strings.TrimSpace removes, the 'i' of
	// "IPv6:", a hex digit, '.' and ':'.
	cNotIP
	cHost // a byte of a host name as hostLike takes it: [A-Za-z0-9._-]
	cKeep // an ASCII byte strings.TrimSpace keeps: not "\t\n\v\f\r "
	// cOpen: a byte that starts a token other than a word (startKind),
	// so that tokens learns it from the load that found the token's
	// start.
	cOpen
)

var byteClass = func() (t [256]uint8) {
	for _, c := range []byte(" \t\r\n\x00\f\v") {
		t[c] = cSpace | cSkip | cWordEnd
	}
	t[')'] = cSkip | cWordEnd
	for _, c := range []byte("(;,[") {
		t[c] = cWordEnd
	}
	for _, c := range []byte("()\\") {
		t[c] |= cComment
	}
	for c := range utf8.RuneSelf {
		if !strings.ContainsRune("[\t\n\v\f\r iI0123456789abcdefABCDEF.:", rune(c)) {
			t[c] |= cNotIP
		}
	}
	for c := range utf8.RuneSelf {
		if c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '-' || c == '.' || c == '_' {
			t[c] |= cHost
		}
	}
	for c := range utf8.RuneSelf {
		if !strings.ContainsRune("\t\n\v\f\r ", rune(c)) {
			t[c] |= cKeep
		}
	}
	for c := range t {
		if startKind[c] != tWord {
			t[c] |= cOpen
		}
	}
	return t
}()

func isSpace(c byte) bool { return byteClass[c]&cSpace != 0 }

// next scans the token starting at or after s[i]. ok is false at the end.
func next(s string, i int) (t token, j int, ok bool) {
	for i < len(s) && byteClass[s[i]]&cSkip != 0 {
		i++
	}
	if i >= len(s) {
		return token{}, i, false
	}
	if startKind[s[i]] != tWord {
		t, j = special(s, i)
		return t, j, true
	}
	j = wordEnd(s, i)
	return mkTok(tWord, s[i:j], i), j, true
}

// startKind is the kind of the token a byte starts (the bytes next does not
// skip): tWord for all but the six that open or are other tokens.
var startKind = func() (t [256]tokKind) {
	t['('], t['['], t['<'], t['"'], t[';'], t[','] = tComment, tLiteral, tAngle, tQuoted, tSemi, tComma
	return t
}()

// scan appends the tokens of s from offset i on to toks: the tokens
// repeated calls of next give, in one loop rather than a call per token.
// With semiStop it stops after a ';' token that no ';' byte follows (the
// one before the date, RFC 5321 §4.4) and returns the offset after it as
// rest, else -1; lastSemi is the index in toks of the last ';' token
// scanned, -1 for none (only with semiStop).
func scan(toks []token, s string, i int, semiStop bool) (_ []token, lastSemi, rest int) {
	lastSemi, rest = -1, -1
	for {
		var semi bool
		if toks, i, semi = tokens(toks, s, i); !semi {
			return toks, lastSemi, rest
		}
		if semiStop {
			lastSemi = len(toks) - 1
			if strings.IndexByte(s[i:], ';') < 0 {
				return toks, lastSemi, i
			}
		}
	}
}

// tokens is the loop of scan: it appends the tokens of s from offset i on
// to toks up to the end of s, or up to a ';' token (semi true), and
// returns the offset after them. Words, most tokens, are read by an inner
// loop that the other tokens leave: the call to special empties the
// registers, and the words between two such calls are read with their
// state kept in registers rather than moved back in place per word. (The
// few ';' are left to scan, which carries what they need.)
func tokens(toks []token, s string, i int) (_ []token, end int, semi bool) {
	for {
		for {
			// Most tokens are one space apart: that space costs no
			// table look-up.
			if i < len(s) && s[i] == ' ' {
				i++
			}
			var c uint8 // the class of s[i]
			for i < len(s) {
				if c = byteClass[s[i]]; c&cSkip == 0 {
					break
				}
				i++
			}
			if i >= len(s) {
				return toks, i, false
			}
			if c&cOpen != 0 {
				break
			}
			// A word, as in wordEnd (written out here: the loop is the
			// hottest of the parser and a call per word shows).
			start := i
			i++ // s[start] opens no other token and ends no word
			for i+4 <= len(s) {
				b := s[i : i+4]
				if byteClass[b[0]]&cWordEnd != 0 {
					break
				}
				if byteClass[b[1]]&cWordEnd != 0 {
					i++
					break
				}
				if byteClass[b[2]]&cWordEnd != 0 {
					i += 2
					break
				}
				if byteClass[b[3]]&cWordEnd != 0 {
					i += 3
					break
				}
				i += 4
			}
			for i < len(s) && byteClass[s[i]]&cWordEnd == 0 {
				i++
			}
			toks = append(toks, mkTok(tWord, s[start:i], start))
		}
		var t token
		t, i = special(s, i)
		toks = append(toks, t)
		if t.kind() == tSemi {
			return toks, i, true
		}
	}
}

// wordEnd returns the end of the word that starts at s[i].
func wordEnd(s string, i int) int {
	// Four bytes a step while they last: one bounds check for four.
	for i+4 <= len(s) {
		b := s[i : i+4]
		if byteClass[b[0]]&cWordEnd != 0 {
			return i
		}
		if byteClass[b[1]]&cWordEnd != 0 {
			return i + 1
		}
		if byteClass[b[2]]&cWordEnd != 0 {
			return i + 2
		}
		if byteClass[b[3]]&cWordEnd != 0 {
			return i + 3
		}
		i += 4
	}
	for i < len(s) && byteClass[s[i]]&cWordEnd == 0 {
		i++
	}
	return i
}

// special scans the token that starts at s[i] with one of the bytes of
// startKind other than a word's, and returns it and its end.
func special(s string, i int) (token, int) {
	start := i
	switch s[i] {
	case '(':
		depth := 0
		for i < len(s) {
			for i+8 <= len(s) { // plain text, eight bytes a step
				if m := commentStops(swar.Load(s[i:])); m != 0 {
					i += bits.TrailingZeros64(m) >> 3
					break
				}
				i += 8
			}
			for i < len(s) && byteClass[s[i]]&cComment == 0 {
				i++ // plain text
			}
			if i == len(s) {
				break
			}
			c := s[i]
			if c == '\\' {
				i += 2
				continue
			}
			if c == '(' {
				depth++
			} else if c == ')' {
				depth--
				if depth == 0 {
					i++
					break
				}
			}
			i++
		}
		if i > len(s) {
			i = len(s)
		}
		inner := s[start+1 : i]
		if strings.HasSuffix(inner, ")") && depth == 0 {
			inner = inner[:len(inner)-1]
		}
		return mkTok(tComment, inner, start), i
	case '[':
		if k := strings.IndexByte(s[i:], ']'); k >= 0 {
			i += k
		} else {
			i = len(s)
		}
		if i < len(s) {
			i++
		}
		// "[192.0.2.1]:25" (Exim, XMail)
		if i+1 < len(s) && s[i] == ':' && s[i+1] >= '0' && s[i+1] <= '9' {
			i++
			for i < len(s) && s[i] >= '0' && s[i] <= '9' {
				i++
			}
		}
		return mkTok(tLiteral, s[start:i], start), i
	case '<':
		// Most often no '<' comes before the first '>': the token ends
		// there, found by two searches instead of a loop over its bytes.
		if k := strings.IndexByte(s[i+1:], '>'); k >= 0 && strings.IndexByte(s[i+1:i+1+k], '<') < 0 {
			i += k + 2
			return mkTok(tAngle, s[start:i], start), i
		}
		depth := 0
		for i < len(s) {
			if s[i] == '<' {
				depth++
			} else if s[i] == '>' {
				depth--
				if depth <= 0 {
					i++
					break
				}
			}
			i++
		}
		if i > len(s) {
			i = len(s)
		}
		return mkTok(tAngle, s[start:i], start), i
	case '"':
		i++
		for i < len(s) && s[i] != '"' {
			if s[i] == '\\' {
				i++
			}
			i++
		}
		if i > len(s) {
			i = len(s)
		}
		inner := s[start+1 : i]
		if i < len(s) {
			i++
		}
		return mkTok(tQuoted, inner, start), i
	case ';':
		return mkTok(tSemi, ";", start), i + 1
	}
	return mkTok(tComma, ",", start), i + 1
}

// The clause keywords, one bit each: a set of them is a byte.
const (
	kwFrom byte = 1 << iota
	kwBy
	kwVia
	kwWith
	kwID
	kwFor
)

// Eight bytes at a time (SWAR): x holds s[i:i+8], s[i] in its low byte.
// For a byte value c, (y - swar.Lo) &^ y & swar.Hi with y = x ^ (swar.Lo*c)
// flags the bytes equal to c, and with swar.Lo*n subtracted, those whose
// byte of y is below n (n <= 128). Every such byte is flagged; a borrow can
// flag a byte above one that is, never below, so the lowest flag, and so
// the lowest of several such masks OR-ed, marks the first byte that matches.

// commentStops flags the bytes of x that matter inside a comment: '(', ')'
// and '\\' (cComment).
func commentStops(x uint64) uint64 {
	y := x ^ (swar.Lo * '(') // '(' and ')' become 0 and 1
	z := x ^ (swar.Lo * '\\')
	return ((y-swar.Lo*2)&^y | (z-swar.Lo)&^z) & swar.Hi
}

// keyword returns the clause keyword a word stands for (RFC 5321 §4.4), or 0.
// Every keyword is letters only, and for a letter c the bytes b with
// b|0x20 == c are exactly its two cases: OR-ing 0x20 into each byte is an
// ASCII case fold that no other byte can pass.
//
// The test of the length is apart, small enough to inline: most words of a
// field are longer than any keyword and cost no call.
func keyword(w string) byte {
	if len(w) < 2 || len(w) > 4 {
		return 0
	}
	return keywordShort(w)
}

// keywordShort is keyword for a word of two to four bytes.
func keywordShort(w string) byte {
	switch len(w) {
	case 2:
		switch uint16(w[0]) | uint16(w[1])<<8 | 0x2020 {
		case 'b' | 'y'<<8:
			return kwBy
		case 'i' | 'd'<<8:
			return kwID
		}
	case 3:
		switch uint32(w[0]) | uint32(w[1])<<8 | uint32(w[2])<<16 | 0x202020 {
		case 'v' | 'i'<<8 | 'a'<<16:
			return kwVia
		case 'f' | 'o'<<8 | 'r'<<16:
			return kwFor
		}
	case 4:
		switch uint32(w[0]) | uint32(w[1])<<8 | uint32(w[2])<<16 | uint32(w[3])<<24 | 0x20202020 {
		case 'f' | 'r'<<8 | 'o'<<16 | 'm'<<24:
			return kwFrom
		case 'w' | 'i'<<8 | 't'<<16 | 'h'<<24:
			return kwWith
		}
	}
	return 0
}

// maxDateLookback bounds the search for a date without a ';' (tokens from
// the end of the value).
const maxDateLookback = 48

type span struct{ a, b int } // token index range [a, b)

// commentInfo is what one TCP-info comment (or the loose tokens of the from
// clause) says about the peer.
type commentInfo struct {
	ip       netip.Addr
	port     int
	ipForm   byte   // 'b' bracketed literal, 'p' bare IP in parentheses
	ipPort   bool   // the bare IP carried a ":port" (XMail: the name is the HELO)
	rdns     string // the name written beside the IP: "rdns [ip]"
	ident    string
	helo     string
	heloSet  bool
	verified bool // CommuniGate "[ip] verified": the from name is the verified rDNS
	heloEq   bool // Exim-style "helo=" present: the from name is the rDNS
	account  bool
	bareName string // a comment holding only one host name: "(helo.example)"
	unknown  bool
	rdnsWord string // the word before the literal, even when it is an IP
	emptyLit bool   // "[]" or "[local]": the server wrote no address
}

// Parse parses one Received field value (without the "Received:" name;
// folded or unfolded, LF or CRLF). It never fails: what it cannot
// understand is kept in Raw and explained in Warnings. A caller of many
// fields saves the result's copy and the clearing of a token array per
// field with a Parser and ParseTo.
func Parse(value string) Received {
	var ps Parser
	var r Received
	ps.ParseTo(&r, value)
	return r
}

// A Parser parses Received fields one after another. It holds the token
// array of a field, which Parse clears on every call: a caller that parses
// the fields of a message with one Parser clears it once. The zero value
// is ready to use; a Parser is not safe for concurrent use.
type Parser struct {
	// toks is the field's token array, written before it is read: what an
	// earlier field left in it is never seen (FuzzParseTo). It is sized
	// for real fields: the corpus and a scan's mbox have at most 22 tokens
	// before the date, most 16 or fewer, which leaves the minSpare tokens
	// for a TCP-info comment (byClause, fromClause); a longer field grows
	// onto the heap.
	toks [32]token
}

// ParseTo sets *r to Parse(value), writing the result in place: a caller
// that keeps the Received in a larger value (a hop of a trace) saves a copy
// of it per field.
func (ps *Parser) ParseTo(r *Received, value string) {
	s := value
	if strings.IndexByte(s, 0) >= 0 {
		// NUL never belongs in a header (RFC 5322 §2.2); drop it, as rspamd
		// does, so "mail\x00host" still reads as one name.
		s = strings.ReplaceAll(s, "\x00", "")
	}
	*r = Received{Raw: value}
	in := input{s: s}
	p := parser{in: &in, r: r}
	p.run(ps.toks[:0])
}

type parser struct {
	// in holds the parser's strings behind a pointer of its own: escape
	// analysis tells a parser's fields apart by depth only, and with the
	// strings, which go into *r, beside r it would move every Received
	// that Parse fills to the heap.
	in *input
	r  *Received // the result
	// fromComment: the from clause came as a leading comment, "(from x)".
	fromComment bool
	exim        bool
	http        bool // the hop was a web submission: no SMTP HELO exists
}

// input is the value parsed and the TLS text read from it.
type input struct {
	s   string
	tls string
}

func (p *parser) warn(w string) { p.r.Warnings = append(p.r.Warnings, w) }

// The warnings with a fixed text: a field's first warning is most often one
// of them, and its Warnings then shares one of these slices instead of
// allocating its own. The capacity is the length, so an append by the
// caller copies rather than writes into the shared array.
var (
	warnNoDate          = []string{"no date"}
	warnNoDateAfterSemi = []string{"no date after the last ';'"}
	warnNoClause        = []string{"no from or by clause"}
	// The only second fixed warning is warnNoClause (clauses adds it
	// last, and run adds warnNoDate only to no warnings): these are the
	// two lists a field can end with that have one after a fixed first.
	warnNoDateNoClause          = []string{warnNoDate[0], warnNoClause[0]}
	warnNoDateAfterSemiNoClause = []string{warnNoDateAfterSemi[0], warnNoClause[0]}
)

// warnConst adds the warning w[0], a fixed text.
func (p *parser) warnConst(w []string) {
	ws := p.r.Warnings
	switch {
	case ws == nil:
		p.r.Warnings = w[:1:1]
		return
	case len(ws) == 1 && &w[0] == &warnNoClause[0]:
		// A second fixed text after a first: a shared list of the two.
		switch &ws[0] {
		case &warnNoDate[0]:
			p.r.Warnings = warnNoDateNoClause[:2:2]
			return
		case &warnNoDateAfterSemi[0]:
			p.r.Warnings = warnNoDateAfterSemiNoClause[:2:2]
			return
		}
	}
	p.r.Warnings = append(ws, w[0])
}

// run parses p.in.s with buf, an empty slice of the field's token array.
func (p *parser) run(buf []token) {
	s := p.in.s
	// Pass 1: scan, up to the last ';' when it is a separator: the date
	// after it goes to maildate as text and needs no tokens (they are
	// scanned only when the date does not parse or text follows it).
	// rest: where scanning stopped, after the last ';'; -1 when it did not.
	toks, lastSemi, rest := scan(buf, s, 0, true)
	// Pass 2: the date. RFC 5321 §4.4: the date-time follows the last ";".
	clause := toks
	if lastSemi >= 0 {
		from := toks[lastSemi].start() + 1 // after the ';'
		if t, n, err := maildate.ParsePrefix(s[from:]); err == nil {
			p.r.Date, p.r.DateRaw = t, trimSpace(s[from:from+n])
			if rest >= 0 {
				// The tokens after the ';' that start after the date.
				toks = toks[:lastSemi]
				if !allSkip(s[from+n:]) {
					toks = appendTokens(toks, s, rest, from+n)
				}
				clause = toks
			} else {
				clause = cutTokens(toks, lastSemi, from+n)
			}
		} else {
			if rest >= 0 {
				toks = appendTokens(toks, s, rest, 0)
			}
			if k, end, ok := p.recoverDate(toks, lastSemi+1); ok {
				clause = cutTokens(toks, k, end)
			} else {
				clause = toks
				raw := strings.TrimSpace(s[from:])
				if raw != "" {
					p.r.DateRaw = raw
					p.warn(unparsable(raw))
				} else {
					p.warnConst(warnNoDateAfterSemi)
				}
			}
		}
	} else if k, end, ok := p.recoverDate(toks, 0); ok {
		clause = cutTokens(toks, k, end)
	} else {
		p.warnConst(warnNoDate)
	}
	// Pass 3: clauses.
	p.clauses(clause)
	if p.r.Date.IsZero() && p.r.DateRaw == "" && len(p.r.Warnings) == 0 {
		p.warnConst(warnNoDate)
	}
}

// appendTokens appends the tokens of s from offset i on that start at or
// after byte offset off.
func appendTokens(toks []token, s string, i, off int) []token {
	k := len(toks)
	toks, _, _ = scan(toks, s, i, false)
	return cutTokens(toks, k, off)
}

// allSkip reports whether s holds no token: only bytes next skips.
func allSkip(s string) bool {
	for i := 0; i < len(s); i++ {
		if byteClass[s[i]]&cSkip == 0 {
			return false
		}
	}
	return true
}

// cutTokens returns toks[:k] followed by the tokens that start at or after
// byte offset off (what follows a date, e.g. "id X" or a comment). It
// moves them down in toks itself, which the caller no longer reads.
func cutTokens(toks []token, k, off int) []token {
	j := k
	for j < len(toks) && toks[j].start() < off {
		j++
	}
	return append(toks[:k], toks[j:]...)
}

// recoverDate looks for a date without a ";" before it (SendGrid, Go's
// time.String, ISO dates, "id X Mon, 11 Sep 2006 ..."): the first word from
// toks[from:] that starts a complete date. It returns the token index.
func (p *parser) recoverDate(toks []token, from int) (k, end int, ok bool) {
	// The date is at the end: look at the last few dozen tokens only, so a
	// huge value costs one scan, not one date attempt per word.
	if n := len(toks) - maxDateLookback; n > from {
		from = n
	}
	for k = from; k < len(toks); k++ {
		t := toks[k]
		if t.kind() != tWord || !dateStart(t.s) {
			continue
		}
		tm, n, err := maildate.ParsePrefix(p.in.s[t.start():])
		if err != nil {
			continue
		}
		p.r.Date, p.r.DateRaw = tm, trimSpace(p.in.s[t.start():t.start()+n])
		return k, t.start() + n, true
	}
	return 0, 0, false
}

// dateStart: a day name, a month name, or a digit.
func dateStart(w string) bool {
	if w == "" {
		return false
	}
	c := w[0]
	if c >= '0' && c <= '9' {
		return true
	}
	if len(w) < 3 {
		return false
	}
	l := string([]byte{w[0] | 0x20, w[1] | 0x20, w[2] | 0x20}) // no allocation: compared only
	switch l {
	case "mon", "tue", "wed", "thu", "fri", "sat", "sun",
		"jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec":
		return true
	}
	return false
}

// unparsable is the warning for a date text that does not parse: the text
// quoted, cut to 80 bytes and "...". It is built in a buffer on the stack,
// one allocation rather than three. (The quoted cut text with "..." before
// its closing quote is the cut text and "..." quoted: Quote escapes an
// incomplete UTF-8 sequence byte by byte, at the end as before a '.'.)
func unparsable(raw string) string {
	var buf [160]byte
	b := append(buf[:0], "unparsable date: "...)
	if len(raw) > 80 {
		b = strconv.AppendQuote(b, raw[:80])
		b = append(b[:len(b)-1], `..."`...)
	} else {
		b = strconv.AppendQuote(b, raw)
	}
	return string(b)
}

func (p *parser) clauses(toks []token) {
	r := p.r
	// A value that starts with a comment "(from host [ip])" (NAV gateways)
	// or "(from user@localhost)" (Sendmail local submission): read the
	// comment's content as clauses.
	if len(toks) > 0 && toks[0].kind() == tComment && hasPrefixFold(trimSpace(toks[0].s), "from ") {
		inner, base := toks[0].s, toks[0].start()+1 // inner is p.in.s[base:...]
		var buf [32]token
		sub, _, _ := scan(buf[:0], inner, 0, false)
		for k := range sub {
			sub[k].pos += uint(base) << 8 // an offset in p.in.s, as for the others
		}
		toks = append(sub, toks[1:]...)
		p.fromComment = true
	}
	var cs clauseSpans
	for k := range toks {
		t := &toks[k]
		switch t.kind() {
		case tComment:
			p.comment(t.s)
			continue
		case tWord:
		default:
			continue
		}
		if len(t.s) > 4 {
			// Not a keyword (two to four letters). (A word shorter than
			// "envelope-from" or whose first byte is ASCII other than 'e'
			// or 'E' cannot fold to "envelope-from" or "envelope-sender".)
			if len(t.s) >= len("envelope-from") && (t.s[0]|0x20 == 'e' || t.s[0] >= utf8.RuneSelf) &&
				(equalFold(t.s, "envelope-from") || equalFold(t.s, "envelope-sender")) && k+1 < len(toks) && r.EnvelopeFrom == "" {
				// Haraka: "... envelope-from <x>" outside a comment.
				if n := toks[k+1]; n.kind() == tAngle || n.kind() == tWord && strings.Contains(n.s, "@") {
					r.EnvelopeFrom = unangle(n.s)
				}
			}
			continue
		}
		kw := keyword(t.s)
		if kw == 0 {
			continue
		}
		// A keyword right after "from"/"by" with no value yet is the value
		// ("from by.example" is unlikely; "by id" never): keep it a keyword.
		cs.close(toks, k, r)
		cs.cur, cs.curStart = kw, k+1
	}
	cs.close(toks, len(toks), r)
	seen := cs.seen
	from, by, via, with, id, fr := cs.sp[0], cs.sp[1], cs.sp[2], cs.sp[3], cs.sp[4], cs.sp[5]
	// Leading comments: "(qmail 1234 invoked by uid 89)".
	r.Parsed = seen&(kwFrom|kwBy) != 0 || r.Local

	// with: the protocol (RFC 5321 §4.4 Protocol, RFC 3848 for the
	// ESMTPA/ESMTPS/ESMTPSA variants).
	if seen&kwWith != 0 {
		p.withClause(toks[with.a:with.b])
	}
	if seen&kwVia != 0 {
		// "via Frontend Transport" (Exchange): the words of the clause.
		r.Via = p.words(toks[via.a:via.b], 4)
		if w := firstValue(toks[via.a:via.b]); w != "" {
			if equalFold(w, "HTTP") || equalFold(w, "HTTPS") {
				// Yahoo "via HTTP": a web submission, there is no HELO.
				p.http = true
			}
		}
	}
	if seen&kwID != 0 {
		r.ID = trimCommas(unangle(firstValue(toks[id.a:id.b])))
	}
	if seen&kwFor != 0 {
		r.For = trimCommas(unangle(firstValue(toks[fr.a:fr.b])))
	}
	if seen&kwBy != 0 {
		p.byClause(toks[by.a:by.b], toks[len(toks):])
	}
	if seen&kwFrom != 0 {
		p.fromClause(toks[from.a:from.b], toks[len(toks):])
	}
	if r.With != "" {
		proto := r.With
		if i := strings.IndexByte(proto, ' '); i >= 0 {
			proto = proto[:i]
		}
		if authProto(proto) && r.Auth == "" {
			r.Auth = proto
		}
		if hasPrefixFold(proto, "local") {
			// Exim "with local", "local-esmtp", "local-bsmtp": a local process.
			r.Local = true
		}
	}
	r.TLS = p.in.tls
	if !r.Parsed {
		p.warnConst(warnNoClause)
	}
}

// clauseSpans collects the token spans of the clauses of a field: the
// first of each keyword counts.
type clauseSpans struct {
	sp       [6]span // by keyword bit: sp[k] for the keyword 1<<k
	seen     byte    // the keywords met, see keyword
	cur      byte    // the keyword of the open clause, 0 before the first
	curStart int     // where the open clause's value starts
}

// close ends the open clause before toks[end].
func (cs *clauseSpans) close(toks []token, end int, r *Received) {
	cur := cs.cur
	if cs.seen&cur == 0 { // the first of its keyword (or none is open)
		if cur != 0 {
			cs.sp[bits.TrailingZeros8(cur)&7] = span{cs.curStart, end}
			cs.seen |= cur
		}
		return
	}
	sp := span{cs.curStart, end}
	switch cur {
	case kwFrom:
		if sp.b > sp.a && toks[sp.a].kind() == tAngle && r.EnvelopeFrom == "" {
			// XMail: "... for <rcpt> from <sender>"
			r.EnvelopeFrom = unangle(toks[sp.a].s)
		}
	case kwBy:
		if sp.b > sp.a && toks[sp.a].kind() == tWord && equalFold(toks[sp.a].s, "uid") {
			// qmail-scanner: "by host by uid 502"
			r.Local = true
		}
	}
}

// authProto reports whether a with-protocol says the client authenticated:
// RFC 3848 (ESMTPA, ESMTPSA, LMTPA, LMTPSA), RFC 6531 (UTF8SMTPA...),
// Exim's old "asmtp", and webmail submissions (HTTP, HTTPS, HTTPU), which
// need a login, as SpamAssassin counts them.
func authProto(p string) bool {
	if p == "" {
		return false
	}
	if f, l := p[0], p[len(p)-1]; f < utf8.RuneSelf && l < utf8.RuneSelf {
		// An ASCII first and last byte upper-case to themselves: the
		// protocols end with P (HTTP, ASMTP), S (HTTPS), U (HTTPU,
		// HTTPSU) or A (the others), which turns away "ESMTP", "ESMTPS",
		// "SMTP" and "LMTP" before the word is upper-cased.
		switch lower[l] {
		case 'a':
		case 'p':
			if lower[f] != 'h' && lower[f] != 'a' {
				return false
			}
		case 's', 'u':
			if lower[f] != 'h' {
				return false
			}
		default:
			return false
		}
	}
	// The protocols, by length: ASMTP, HTTP, HTTPS, HTTPU, HTTPSU, and
	// ESMTP, LMTP, UTF8SMTP, UTF8LMTP, SMTP followed by A or SA.
	switch u := upperASCII(p); len(u) {
	case 4:
		return asciiFold(u, "HTTP")
	case 5:
		return asciiFold(u, "ASMTP") || asciiFold(u, "HTTPS") || asciiFold(u, "HTTPU") ||
			asciiFold(u, "LMTPA") || asciiFold(u, "SMTPA")
	case 6:
		return asciiFold(u, "HTTPSU") || asciiFold(u, "ESMTPA") || asciiFold(u, "LMTPSA") || asciiFold(u, "SMTPSA")
	case 7:
		return asciiFold(u, "ESMTPSA")
	case 9:
		return asciiFold(u, "UTF8SMTPA") || asciiFold(u, "UTF8LMTPA")
	case 10:
		return asciiFold(u, "UTF8SMTPSA") || asciiFold(u, "UTF8LMTPSA")
	}
	return false
}

// upperASCII stands in for strings.ToUpper(s) where s is then only
// compared with upper-case ASCII literals by asciiFold or hasPrefixFold:
// an ASCII s is returned as is (folding does the rest, no copy), any other
// is upper-cased by Unicode rules as before ("eſmtpa" is ESMTPA), and an
// upper-cased string matches under ASCII folding exactly when it is equal.
func upperASCII(s string) string {
	if isASCII(s) {
		return s
	}
	return strings.ToUpper(s)
}

func firstValue(toks []token) string {
	for _, t := range toks {
		switch t.kind() {
		case tWord, tAngle, tLiteral, tQuoted:
			return t.s
		case tComment, tComma:
			continue
		}
		break
	}
	return ""
}

// words joins up to max leading words of a clause, stopping at the first
// comment or other token.
func (p *parser) words(toks []token, max int) string {
	var buf [4]string
	w := buf[:0]
	for len(w) < len(toks) && len(w) < max && toks[len(w)].kind() == tWord {
		w = append(w, toks[len(w)].s)
	}
	if len(w) == 0 {
		return ""
	}
	return joinWords(p.in.s, toks[0].start(), w)
}

// joinWords is strings.Join(words, " "). When s holds exactly that text
// from offset at, as it does for words written one space apart, it returns
// that substring of s and allocates nothing; at is only a hint, the text is
// compared.
func joinWords(s string, at int, words []string) string {
	if len(words) <= 1 {
		return strings.Join(words, " ") // "" or the word itself
	}
	end := at
	for i, w := range words {
		if i > 0 {
			if end >= len(s) || s[end] != ' ' {
				return strings.Join(words, " ")
			}
			end++
		}
		if end < 0 || end+len(w) > len(s) || s[end:end+len(w)] != w {
			return strings.Join(words, " ")
		}
		end += len(w)
	}
	return s[at:end]
}

// trimCommas is strings.TrimRight(s, ","), written out: small enough to
// inline, where TrimRight is a call.
func trimCommas(s string) string {
	for s != "" && s[len(s)-1] == ',' {
		s = s[:len(s)-1]
	}
	return s
}

// unangle strips "<" ">" (also doubled, "<<x>>").
func unangle(s string) string {
	for len(s) >= 2 && s[0] == '<' && s[len(s)-1] == '>' {
		s = s[1 : len(s)-1]
	}
	return trimSpace(s)
}

func (p *parser) withClause(toks []token) {
	if len(toks) == 1 {
		// The common clause, one word ("with ESMTPS"): it is the
		// protocol as written, what the loop below gives for a word
		// that holds no '/' (nor has a word before it for "tls").
		if t := &toks[0]; t.kind() == tWord && strings.IndexByte(t.s, '/') < 0 || t.kind() == tLiteral {
			p.r.With = t.s
			p.httpWith(t.s)
			return
		}
	}
	var buf [16]string
	words := buf[:0]
	at := 0 // offset of the first word in p.in.s
	for i := 0; i < len(toks); i++ {
		t := toks[i]
		switch t.kind() {
		case tWord, tLiteral:
			w := t.s
			// Exim 4.9x: "with esmtps  (TLS1.3) tls TLS_AES_256_GCM_SHA384"
			if equalFold(w, "tls") && len(words) > 0 && i+1 < len(toks) && toks[i+1].kind() == tWord {
				p.addTLS(toks[i+1].s)
				i++
				continue
			}
			// "ESMTP/TLS/DHE-RSA-AES256-GCM-SHA384"
			if k := strings.IndexByte(w, '/'); k > 0 && len(words) == 0 && t.kind() == tWord {
				rest := w[k+1:]
				w = w[:k]
				if hasPrefixFold(rest, "TLS/") || hasPrefixFold(rest, "SSL/") {
					p.addTLS(rest[4:])
				} else if rest != "" {
					p.addTLS(rest)
				}
			}
			if len(words) == 0 {
				at = t.start()
			}
			if len(words) < 16 {
				words = append(words, w)
			}
		}
	}
	p.r.With = joinWords(p.in.s, at, words)
	if len(words) > 0 {
		p.httpWith(words[0])
	}
}

// httpWith notes a web submission (no SMTP HELO exists) when the first
// word of the with clause is HTTP, HTTPS, HTTPU or HTTPSU.
func (p *parser) httpWith(w string) {
	if w == "" || w[0] < utf8.RuneSelf && lower[w[0]] != 'h' {
		// An ASCII first byte upper-cases to itself: not one that folds
		// to 'h', not a match (most protocols, "ESMTP", "SMTP", "LMTP").
		return
	}
	switch u := upperASCII(w); {
	case asciiFold(u, "HTTP"), asciiFold(u, "HTTPS"), asciiFold(u, "HTTPU"), asciiFold(u, "HTTPSU"):
		p.http = true
	}
}

func (p *parser) addTLS(s string) {
	s = trimSpace(s)
	if s == "" {
		return
	}
	if p.in.tls == "" {
		p.in.tls = s
	} else if !strings.Contains(p.in.tls, s) {
		p.in.tls += " " + s
	}
}

// spare is the free capacity of the field's token array, where the
// tokens of a TCP-info comment are scanned (see commentTokens).
func (p *parser) byClause(toks, spare []token) {
	r := p.r
	if len(toks) == 0 {
		return
	}
	i := 0
	if toks[0].kind() == tWord || toks[0].kind() == tLiteral || toks[0].kind() == tAngle {
		r.By.Host = toks[0].s
		if toks[0].kind() == tAngle {
			r.By.Host = unangle(r.By.Host)
		}
		if ip, _, ok := parseIP(toks[0].s); ok {
			r.By.IP = ip
		}
		i = 1
	}
	// "by Y (192.0.2.2)" (Exchange), "by host (name [192.0.2.2])".
	for ; i < len(toks); i++ {
		t := toks[i]
		if t.kind() != tComment {
			continue
		}
		if r.By.IP.IsValid() {
			break
		}
		if strings.IndexByte(t.s, '.') < 0 && strings.IndexByte(t.s, ':') < 0 || !mayHoldIP(t.s) {
			// Every address parseIP takes has a '.' or a ':': "(Postfix)"
			// has none to find; nor has "(8.9.3/8.9.3)" or "(Exim 4.96)"
			// a word that can be one.
			continue
		}
		var ci commentInfo
		tcpInfo(t.s, spare, &ci)
		if ci.ip.IsValid() {
			r.By.IP = ci.ip
		}
	}
}

// mayHoldIP reports whether scanTCPInfo can find an address in the
// comment text c; false only when it certainly finds none, so that c need
// not be scanned into tokens. An address there is a literal (a '['), or a
// word whose part after its last '@' parseIP takes: one with a ':' (IPv6,
// "ip:port"), or one of digits and at least three dots (a dotted quad,
// Exim 3's "ip.port"). Such a part is a run of digits and dots that starts
// the word or follows its '@', and ends it. (A run next to a byte above
// 0x7F counts too: strings.TrimSpace in parseIP removes Unicode spaces.)
func mayHoldIP(c string) bool {
	if strings.IndexByte(c, '[') >= 0 || strings.IndexByte(c, ':') >= 0 {
		return true
	}
	for i := 0; i < len(c); i++ {
		if ipRun[c[i]]&rDigitDot == 0 {
			continue
		}
		j, dots := i, 0
		for ; j < len(c) && ipRun[c[j]]&rDigitDot != 0; j++ {
			if c[j] == '.' {
				dots++
			}
		}
		if dots >= 3 && (i == 0 || ipRun[c[i-1]]&rBefore != 0) && (j == len(c) || ipRun[c[j]]&rAfter != 0) {
			return true
		}
		i = j
	}
	return false
}

// The classes of mayHoldIP, looked up in ipRun.
const (
	rDigitDot = 1 << iota // '0'-'9' and '.'
	// rBefore: a byte a word's address part can follow: what a token can
	// end with or the scanner skips before one, '@', and any byte above
	// 0x7F.
	rBefore
	rAfter // a byte that can follow a word (cWordEnd), or any above 0x7F
)

var ipRun = func() (t [256]uint8) {
	for c := range t {
		switch {
		case c >= '0' && c <= '9' || c == '.':
			t[c] = rDigitDot
		case c >= utf8.RuneSelf:
			t[c] = rBefore | rAfter
		default:
			if byteClass[c]&cSkip != 0 || strings.IndexByte(`">;,@`, byte(c)) >= 0 {
				t[c] |= rBefore
			}
			if byteClass[c]&cWordEnd != 0 {
				t[c] |= rAfter
			}
		}
	}
	return t
}()

// fromClause reads the from-domain and its TCP-info comments; spare is as
// for byClause.
func (p *parser) fromClause(toks, spare []token) {
	r := p.r
	var name string
	var nameIP netip.Addr
	namePort := 0
	i := 0
	if len(toks) > 0 && (toks[0].kind() == tWord || toks[0].kind() == tLiteral) {
		name = toks[0].s
		i = 1
		if ip, port, ok := parseIP(name); ok {
			nameIP, namePort = ip, port
		}
	}
	r.From.Name = name
	nameLiteral := strings.HasPrefix(name, "[")
	var ci commentInfo
	var litIP netip.Addr
	var litPort int
	claiming := ""
	heloFromComment := ""
	commented := false // a comment has been read into ci
	for ; i < len(toks); i++ {
		t := toks[i]
		switch t.kind() {
		case tComment:
			if !commented {
				// The first comment, most often the only one: read into ci
				// itself, which is still zero. Merged below into a zero ci
				// its info would come out as read, but for emptyLit (and
				// bareName, which goes to heloFromComment, not to ci).
				commented = true
				tcpInfo(t.s, spare, &ci)
				ci.emptyLit = ci.emptyLit && !ci.ip.IsValid() && ci.rdns == ""
				heloFromComment = ci.bareName
				continue
			}
			var c commentInfo
			tcpInfo(t.s, spare, &c)
			if c.ip.IsValid() && !ci.ip.IsValid() {
				ci.ip, ci.port, ci.ipForm, ci.ipPort = c.ip, c.port, c.ipForm, c.ipPort
				ci.rdnsWord = c.rdnsWord
				if c.rdns != "" {
					ci.rdns = c.rdns
				}
			}
			if c.rdns != "" && ci.rdns == "" && !ci.ip.IsValid() {
				ci.rdns = c.rdns
			}
			ci.emptyLit = ci.emptyLit || c.emptyLit && !c.ip.IsValid() && c.rdns == ""
			if c.ident != "" && ci.ident == "" {
				ci.ident = c.ident
			}
			if c.heloSet && !ci.heloSet {
				ci.helo, ci.heloSet = c.helo, true
			}
			if c.port != 0 && ci.port == 0 {
				ci.port = c.port
			}
			ci.verified = ci.verified || c.verified
			ci.heloEq = ci.heloEq || c.heloEq
			ci.account = ci.account || c.account
			ci.unknown = ci.unknown || c.unknown
			if c.bareName != "" && heloFromComment == "" {
				heloFromComment = c.bareName
			}
		case tLiteral:
			if ip, port, ok := parseIP(t.s); ok && !litIP.IsValid() {
				litIP, litPort = ip, port
			}
		case tWord:
			// smtpd: `from host(192.0.2.1), claiming to be "helo.example"`
			if equalFold(t.s, "claiming") && i+3 < len(toks) && toks[i+3].kind() == tQuoted {
				claiming = toks[i+3].s
			}
		}
	}
	// The connecting IP: the one the server recorded in TCP-info, else a
	// bare literal after the name, else the name itself ("from [ip]",
	// "from 192.0.2.1").
	ipFromName := false
	switch {
	case ci.ip.IsValid() && nameLiteral && nameIP.IsValid() && ci.ipForm == 'p' && ci.ip != nameIP:
		// "from [192.0.2.1] (HELO x) (198.51.100.1)": the bracketed literal
		// in the from position is the address the server wrote; a bare
		// parenthesised address after it is qmail-style text the client
		// can have supplied.
		r.From.IP = nameIP
		ipFromName = true
	case ci.ip.IsValid():
		r.From.IP, r.From.Port = ci.ip, ci.port
	case litIP.IsValid():
		r.From.IP, r.From.Port = litIP, litPort
	case nameIP.IsValid():
		r.From.IP = nameIP
		ipFromName = true
		if namePort != 0 {
			r.From.Port = namePort
		}
	}
	if r.From.Port == 0 && ci.port != 0 {
		r.From.Port = ci.port // Exim "(port=2525 ...)"
	}
	r.From.Ident = ci.ident
	// hostLike(name), read by the switch below only after its first two
	// cases: a field they take does not look at the bytes of name.
	hostName := false
	if ci.rdns == "" && !ci.unknown {
		hostName = !nameIP.IsValid() && hostChars(name) && !asciiFold(name, "unknown")
	}
	// Reverse DNS.
	rdns := ""
	switch {
	case ci.rdns != "":
		// Sendmail/Postfix: "from helo (rdns [ip])".
		rdns = ci.rdns
	case ci.unknown:
		// "(unknown [ip])", "(softdnserr [ip])", "([ip] unverified)"
	case ci.verified && hostName:
		// CommuniGate: "from name ([ip] verified)".
		rdns = name
	case ci.ipForm == 'b' && (p.exim || ci.heloEq) && hostName:
		// Exim: "from rdns ([ip]:port helo=x)", the name is the verified
		// host name (Exim spec, $sender_rcvhost).
		rdns = name
	case ci.ipForm == 'p' && !ci.ipPort && hostName && strings.Contains(name, "."):
		// qmail and friends: "from rdns (HELO x) (ident@ip)", "from rdns (ip)".
		rdns = name
	case !ci.ip.IsValid() && litIP.IsValid() && hostName && strings.Contains(name, "."):
		// Exim 3, GMX: "from rdns (helo) [ip]".
		rdns = name
	case !ci.ip.IsValid() && !litIP.IsValid() && ci.emptyLit && hostName && strings.Contains(name, "."):
		// "from name ([])": the server wrote no address beside the name.
		rdns = name
	case !ci.ip.IsValid() && !litIP.IsValid() && heloFromComment != "" && strings.Contains(heloFromComment, "."):
		// "from HELO (rdns)" with no address (LSMTP, SMTPRS).
		rdns = heloFromComment
	}
	// (Every rdns above passed hostLike: no address, not "unknown".)
	r.From.RDNS = strings.TrimSuffix(rdns, ".")
	// Sendmail's local submission: "(from user@localhost) by host ... id X".
	// No network peer; the name is the submitting user, not a HELO.
	if p.fromComment && !r.From.IP.IsValid() {
		r.Local = true
		return
	}
	// HELO.
	switch {
	case ci.heloSet:
		r.From.HELO = ci.helo
	case claiming != "":
		r.From.HELO = claiming
	case heloFromComment != "" && !ci.ip.IsValid() && litIP.IsValid():
		r.From.HELO = heloFromComment
	case p.http:
		// Web submission: there was no HELO.
	case ipFromName:
		// "from 192.0.2.1 by ...", "from [192.0.2.1] by ...": with no
		// TCP-info the name is the peer address the server wrote, not a HELO.
	case nameLiteral && ci.account:
		// CommuniGate "from [ip] (account x)": the name is the address.
	case name == "" && ci.rdnsWord != "":
		// "from (192.0.2.1 [192.0.2.1])": the whole from-domain went into
		// the comment; its first word is the name the client gave.
		r.From.HELO = ci.rdnsWord
	default:
		r.From.HELO = name
	}
}

// hostLike: a plausible DNS name (not an address, not a marker).
func hostLike(s string) bool {
	// The byte check first: it turns most non-names away before parseIP.
	// ("unknown" under Unicode folding has a multi-byte letter, which
	// hostChars refuses, so an ASCII fold is enough after it.)
	if !hostChars(s) || asciiFold(s, "unknown") {
		return false
	}
	_, _, ok := parseIP(s)
	return !ok
}

// hostChars reports whether s is non-empty and all letters, digits, '-',
// '.' and '_'.
func hostChars(s string) bool {
	if s == "" {
		return false
	}
	// Four bytes a step, their classes AND-ed: one branch for four bytes
	// of a name, which most are through to the end.
	i := 0
	for ; i+4 <= len(s); i += 4 {
		w := s[i : i+4]
		if byteClass[w[0]]&byteClass[w[1]]&byteClass[w[2]]&byteClass[w[3]]&cHost == 0 {
			return false
		}
	}
	for ; i < len(s); i++ {
		if byteClass[s[i]]&cHost == 0 {
			return false
		}
	}
	return true
}

// comment reads the markers any comment may carry, wherever it stands:
// authentication, TLS, envelope sender, local submission, MTA identity.
func (p *parser) comment(c string) {
	r := p.r
	if !trimmed(c) {
		c = strings.TrimSpace(c)
	}
	if c == "" {
		return
	}
	ct := newText(c)
	// The prefix tests below are ASCII folds, which a first byte that
	// differs already fails: f gates them, one letter per group. (A
	// non-ASCII first byte goes through the equalFold tests, which fold
	// Unicode.)
	f, uni := lower[c[0]], c[0] >= utf8.RuneSelf
	switch {
	case (f == 'e' || uni) && (hasPrefixFold(c, "exim ") || equalFold(c, "exim")):
		p.exim = true
	case f == 'v' && hasPrefixFold(c, "via http"):
		// "by host (via HTTP)": web submission.
		p.http = true
		if r.With == "" {
			r.With = trimSpace(c[4:])
		}
	}
	// Authentication (SpamAssassin's auth= markers).
	if r.Auth == "" {
		switch {
		case (f == 'a' || uni) && (hasPrefixFold(c, "authenticated sender:") ||
			hasPrefixFold(c, "authenticated as ") ||
			hasPrefixFold(c, "authenticated bits=") ||
			hasPrefixFold(c, "authenticated (") ||
			equalFold(c, "authenticated") ||
			hasPrefixFold(c, "auth: ") ||
			hasPrefixFold(c, "account ")),
			ct.contains(&nAuthUser):
			a := c
			if hasPrefixFold(c, "auth: ") {
				if k := strings.IndexByte(a, ','); k > 0 {
					a = a[:k]
				}
			}
			if hasPrefixFold(c, "account ") {
				// CommuniGate: "account user@example HELO name"
				var w [2]string
				if fields(a, w[:]) == 2 {
					a = joinWords(a, 0, w[:])
				}
			}
			r.Auth = a
		}
	}
	// TLS.
	switch {
	case f == 'u' && hasPrefixFold(c, "using "):
		// Postfix: "using TLSv1.3 with cipher TLS_AES_256_GCM_SHA384 (256/256 bits) ..."
		var w [4]string
		if n := fields(c[6:], w[:]); n > 0 {
			v := w[0]
			if n >= 4 && equalFold(w[1], "with") && equalFold(w[2], "cipher") {
				v += " " + w[3]
			}
			p.addTLS(v)
		}
	case ct.contains(&nCipher):
		// Sendmail "version=TLSv1.2 cipher=X bits=256 verify=NO",
		// Microsoft "version=TLS1_2, cipher=X", Gmail, Haraka "cipher=X".
		// (v + " " + ci, trimmed: only when both are there does it take a
		// new string.)
		switch v, ci := kv(&ct, &nVersion), kv(&ct, &nCipher); {
		case v == "":
			p.addTLS(trimSpace(ci))
		case ci == "":
			p.addTLS(trimSpace(v))
		default:
			p.addTLS(trimSpace(v + " " + ci))
		}
	case (f == 't' || f == 's') && (hasPrefixFold(c, "tls") || hasPrefixFold(c, "ssl")):
		// Exim "(TLS1.3)", "(TLSv1:AES256-SHA:256)", "(TLS-1.0:RSA_ARCFOUR_MD5:16)"
		if !strings.ContainsAny(c, " \t") {
			p.addTLS(c)
		}
	case ct.contains(&nTLSColon) || ct.contains(&nSSLColon):
		// Courier: "(AUTH: LOGIN user, TLS: TLSv1/SSLv3,256bits,AES256-SHA)"
		k := ct.index(&nTLSColon)
		if k < 0 {
			k = ct.index(&nSSLColon)
		}
		p.addTLS(c[k+5:])
	case hasSuffixFold(c, " encrypted"):
		// qmail-tls: "(DHE-RSA-AES256-SHA encrypted)"
		p.addTLS(c[:len(c)-len(" encrypted")])
	}
	// Envelope sender.
	if r.EnvelopeFrom == "" {
		key := &nEnvFrom
		k := ct.index(key)
		if k < 0 {
			key = &nEnvSend
			k = ct.index(key)
		}
		if k >= 0 {
			rest := strings.TrimLeft(c[k+len(key.s):], " \t:=")
			if t, _, ok := next(rest, 0); ok && (t.kind() == tWord || t.kind() == tAngle) {
				e := trimCommas(unangle(t.s))
				if t.kind() == tAngle || strings.Contains(e, "@") {
					r.EnvelopeFrom = e
				}
			}
		}
	}
	// Local hand-offs: qmail "invoked by uid 89", "invoked from network",
	// "invoked by alias"; Postfix "(Postfix, from userid 1000)";
	// qmail-scanner "(envelope-from <x>, uid 502)".
	// (Both uid markers hold the bytes of "uid ": a text without one of
	// them has neither, and idNumber need not look.)
	if !r.Local && (ct.contains(&nInvBy) || ct.contains(&nInvFrom) ||
		nUID.set&^ct.set == 0 && idNumber(c) && (uidMarker(&ct, &nUserid) || uidMarker(&ct, &nUID))) {
		r.Local = true
	}
}

// fields stores the first len(f) fields of strings.Fields(s) in f and
// returns how many it stored, without making the slice of all of them.
func fields(s string, f []string) int {
	n := 0
	for w := range strings.FieldsSeq(s) {
		if n == len(f) {
			break
		}
		f[n] = w
		n++
	}
	return n
}

// idNumber reports whether s has "id " (ASCII case folded) before a digit,
// which both markers of uidMarker need: one pass over the spaces of s
// turns most comments away before the two searches.
func idNumber(s string) bool {
	for k := 2; k+1 < len(s); {
		j := strings.IndexByte(s[k:len(s)-1], ' ')
		if j < 0 {
			return false
		}
		k += j
		if s[k+1] >= '0' && s[k+1] <= '9' && s[k-1]|0x20 == 'd' && s[k-2]|0x20 == 'i' {
			return true
		}
		k++
	}
	return false
}

// uidMarker: "uid 502" / "userid 0" as words followed by a number.
func uidMarker(t *text, n *needle) bool {
	l, key := t.s, n.s
	for off := 0; ; {
		rest := t.from(off)
		k := rest.index(n)
		if k < 0 {
			return false
		}
		k += off
		if (k == 0 || l[k-1] == ' ' || l[k-1] == ',') && k+len(key) < len(l) && l[k+len(key)] >= '0' && l[k+len(key)] <= '9' {
			return true
		}
		off = k + len(key)
	}
}

// kv returns the value after key up to white space or a comma.
func kv(t *text, key *needle) string {
	k := t.index(key)
	if k < 0 {
		return ""
	}
	v := t.s[k+len(key.s):]
	for i := 0; i < len(v); i++ {
		if isSpace(v[i]) || v[i] == ',' || v[i] == ')' {
			return v[:i]
		}
	}
	return v
}

// minSpare: the free tokens of the field's token array that byClause and
// fromClause want for the tokens of a TCP-info comment. The free part is
// most often that large, so that the comment needs no array of its own to
// clear; a comment with more tokens takes a heap array, as it did when
// every comment had its own array of this size.
const minSpare = 16

// tcpInfo reads the comment text c, a TCP-info comment or what stands in
// its place, into ci (zero on entry): scanTCPInfo over the tokens of c,
// scanned into the spare tokens of the field's array (see minSpare). The
// two shapes most servers write, "name [ip]" and "[ip]", are read without
// tokens by tcpInfoFast.
func tcpInfo(c string, spare []token, ci *commentInfo) {
	if tcpInfoFast(c, ci) {
		return
	}
	ct := spare[:0]
	if cap(ct) < minSpare {
		var buf [minSpare]token
		ct = buf[:0]
	}
	ct, _, _ = scan(ct, c, 0, false)
	scanTCPInfo(ct, ci)
}

// tcpInfoFast reads c when it is "[ip]", or "name [ip]" with a name of
// host-name bytes that is no marker word, white space and an address
// literal that parseIP takes at the end; false, ci untouched, for any
// other text. It sets what scanTCPInfo sets for those two tokens: the
// address, its port and form, and the name as the word before it and, when
// it is no address, as the rDNS. (A name of host-name bytes has no '@' and
// no '=', and as no marker it is not "unknown", "softdnserr" or
// "unverified"; the literal is one token, its first ']' ending c.)
//
// It also reads qmail's "192.0.2.1": c one word of host-name bytes that
// parseIP takes. scanTCPInfo takes that word as the address in
// parentheses, with the port of Exim 3's "192.0.2.1.25" (such a word
// starts with a digit, so it is no marker, and has no '@' to cut an ident
// at).
func tcpInfoFast(c string, ci *commentInfo) bool {
	name, lit := "", c
	if c != "" && c[0] != '[' {
		i := 0
		for i+4 <= len(c) { // four bytes a step, their classes AND-ed, as in hostChars
			w := c[i : i+4]
			if byteClass[w[0]]&byteClass[w[1]]&byteClass[w[2]]&byteClass[w[3]]&cHost == 0 {
				break
			}
			i += 4
		}
		for i < len(c) && byteClass[c[i]]&cHost != 0 {
			i++
		}
		if i == len(c) {
			ip, port, ok := parseIP(c)
			if ok {
				ci.ip, ci.port, ci.ipForm, ci.ipPort = ip, port, 'p', port != 0
			}
			return ok
		}
		if i == 0 || byteClass[c[i]]&cSpace == 0 {
			return false
		}
		name = c[:i]
		for i < len(c) && byteClass[c[i]]&cSpace != 0 {
			i++
		}
		lit = c[i:]
		if tcpMarker(name) != mNone {
			return false
		}
	}
	if len(lit) < 2 || lit[0] != '[' || strings.IndexByte(lit, ']') != len(lit)-1 {
		return false
	}
	// parseIP(lit), the ']' already found; a dotted quad, which starts
	// and ends with a digit, is what parseIPText would read untrimmed.
	ip, ok := parseIPv4(lit[1 : len(lit)-1])
	port := 0
	if !ok {
		if ip, port, ok = parseIPText(trimParenSpace(lit[1:len(lit)-1]), 0); !ok {
			return false
		}
	}
	ci.ip, ci.port, ci.ipForm = ip, port, 'b'
	if name != "" {
		ci.rdnsWord = name
		if _, _, isIP := parseIP(name); !isIP {
			ci.rdns = name // hostLike(name), the rest known above
		}
	}
	return true
}

// scanTCPInfo reads the tokens of one comment of the from (or by) clause: the TCP-info of
// RFC 5321 §4.4 and what MTAs put there instead.
func scanTCPInfo(toks []token, ci *commentInfo) {
	prev := "" // previous word, the rDNS candidate for "name [ip]"
	words := 0
	nameOnly := ""
	for k := 0; k < len(toks); k++ {
		t := &toks[k]
		switch t.kind() {
		case tLiteral:
			words++
			ip, port, ok := parseIP(t.s)
			if !ok {
				// OpenSMTPD "(rdns [local])", "([])": a name but no address.
				if prev != "" && hostLike(prev) && ci.rdns == "" && !ci.ip.IsValid() && strings.Contains(prev, ".") {
					ci.rdns = prev
				}
				ci.emptyLit = true
				prev = ""
				continue
			}
			if !ci.ip.IsValid() {
				ci.ip, ci.port, ci.ipForm = ip, port, 'b'
				ci.rdnsWord = prev
				if prev != "" {
					name := prev
					if k := lastAt(name); k >= 0 {
						// Sendmail: "(user@rdns [ip])"
						ci.ident = name[:k]
						name = name[k+1:]
					}
					switch {
					case equalFold(name, "unknown"), equalFold(name, "softdnserr"), equalFold(name, "unverified"):
						ci.unknown = true
					default:
						if hostLike(name) {
							ci.rdns = name
						}
					}
				}
			}
			prev = ""
		case tWord:
			words++
			w := t.s
			switch tcpMarker(w) {
			case mHELO:
				// qmail/CommuniGate "(HELO name)", "(HELO )"
				ci.heloSet = true
				ci.helo = ""
				if k+1 < len(toks) && (toks[k+1].kind() == tWord || toks[k+1].kind() == tLiteral) {
					k++
					ci.helo = toks[k].s
				}
				prev = ""
				continue
			case mHELOEq:
				ci.helo, ci.heloSet, ci.heloEq = w[5:], true, true
				if ci.helo == "" {
					// "helo=[ip]" splits into a literal
					if k+1 < len(toks) && toks[k+1].kind() == tLiteral && toks[k+1].start() == t.start()+len(w) {
						k++
						ci.helo = toks[k].s
					}
				}
				continue
			case mIdentEq:
				ci.ident = w[6:]
				continue
			case mPortEq:
				if n, ok := portNumber(w[5:]); ok {
					ci.port = n
				}
				continue
			case mVerified:
				ci.verified = true
				continue
			case mUnverified:
				ci.unknown = true
				continue
			case mUnknown:
				ci.unknown = true
				prev = w
				continue
			case mAccount:
				ci.account = true
				// skip the account name
				if k+1 < len(toks) {
					k++
				}
				continue
			}
			nextIsLiteral := k+1 < len(toks) && toks[k+1].kind() == tLiteral
			if !ci.ip.IsValid() && !nextIsLiteral {
				// qmail "(ident@ip)", "(ip)", XMail "(ip:port)"
				cand := w
				ident := ""
				if k := lastAt(cand); k >= 0 {
					ident, cand = cand[:k], cand[k+1:]
				}
				if ip, port, ok := parseIP(cand); ok {
					ci.ip, ci.port, ci.ipForm, ci.ipPort = ip, port, 'p', port != 0
					if ident != "" {
						ci.ident = ident
					}
					prev = ""
					continue
				}
			}
			if words == 1 {
				nameOnly = w
			}
			prev = w
		case tComment:
			// nested "(may be forged)"
			prev = ""
		case tAngle:
			// "(<unknown.domain>[192.0.2.1])": a placeholder, not a name.
			words++
			prev = ""
			ci.unknown = true
		default:
			prev = ""
		}
	}
	if words == 1 && nameOnly != "" && !ci.ip.IsValid() && hostLike(nameOnly) {
		ci.bareName = nameOnly
	}
}

// The marker words of the TCP-info, as tcpMarker tells them.
const (
	mNone       = iota
	mHELO       // "helo", "ehlo", "lhlo"
	mHELOEq     // "helo=x"
	mIdentEq    // "ident=x"
	mPortEq     // "port=n"
	mVerified   // "verified"
	mUnverified // "unverified"
	mUnknown    // "unknown", "softdnserr"
	mAccount    // "account"
)

// tcpMarker tells which marker word w is (case folded as equalFold and
// hasPrefixFold do), the first of the list above that matches. A test
// that an ASCII first byte fails is not made: each group below has the
// tests of one first letter, in the order of the list.
func tcpMarker(w string) int {
	if w[0] >= utf8.RuneSelf {
		// Unicode folding ("ſoftdnserr"): every test.
		switch {
		case equalFold(w, "helo") || equalFold(w, "ehlo") || equalFold(w, "lhlo"):
			return mHELO
		case equalFold(w, "verified"):
			return mVerified
		case equalFold(w, "unverified"):
			return mUnverified
		case equalFold(w, "unknown") || equalFold(w, "softdnserr"):
			return mUnknown
		case equalFold(w, "account"):
			return mAccount
		}
		return mNone // the prefix tests are ASCII only
	}
	switch lower[w[0]] {
	case 'h':
		switch {
		case equalFold(w, "helo"):
			return mHELO
		case hasPrefixFold(w, "helo="):
			return mHELOEq
		}
	case 'e':
		if equalFold(w, "ehlo") {
			return mHELO
		}
	case 'l':
		if equalFold(w, "lhlo") {
			return mHELO
		}
	case 'i':
		if hasPrefixFold(w, "ident=") {
			return mIdentEq
		}
	case 'p':
		if hasPrefixFold(w, "port=") {
			return mPortEq
		}
	case 'v':
		if equalFold(w, "verified") {
			return mVerified
		}
	case 'u':
		switch {
		case equalFold(w, "unverified"):
			return mUnverified
		case equalFold(w, "unknown"):
			return mUnknown
		}
	case 's':
		if equalFold(w, "softdnserr") {
			return mUnknown
		}
	case 'a':
		if equalFold(w, "account") {
			return mAccount
		}
	}
	return mNone
}

// lastAt is strings.LastIndexByte(s, '@'). Most words have no '@', which
// the vector search of IndexByte tells sooner than a loop from the end.
func lastAt(s string) int {
	if strings.IndexByte(s, '@') < 0 {
		return -1
	}
	return strings.LastIndexByte(s, '@')
}

// parseIP parses an address as MTAs write it: "192.0.2.1", "[192.0.2.1]",
// "[IPv6:2001:db8::1]" (RFC 5321 §4.1.3), "[192.0.2.1]:25", "192.0.2.1:25",
// "[192.0.2.1.25]" (Exim 3's port), "::ffff:192.0.2.1" (unmapped to IPv4),
// "fe80::1%eth0" (zone dropped). ok is false for anything else.
func parseIP(s string) (netip.Addr, int, bool) {
	if s == "" || byteClass[s[0]]&cNotIP != 0 {
		// Most words are names: one look at the first byte turns them
		// away (the checks below would, after trimming).
		return netip.Addr{}, 0, false
	}
	port := 0
	if strings.HasPrefix(s, "[") {
		k := strings.IndexByte(s, ']')
		if k < 0 {
			return netip.Addr{}, 0, false
		}
		if rest := s[k+1:]; strings.HasPrefix(rest, ":") {
			if n, ok := portNumber(rest[1:]); ok {
				port = n
			}
		} else if rest != "" {
			return netip.Addr{}, 0, false
		}
		s = trimParenSpace(s[1:k])
	}
	return parseIPText(s, port)
}

// parseIPText is the rest of parseIP, once the brackets of a literal and
// the port after them (port) are taken off s: tcpInfoFast, which has found
// the literal's ']', starts here.
func parseIPText(s string, port int) (netip.Addr, int, bool) {
	if !trimmed(s) {
		s = strings.TrimSpace(s)
	}
	if len(s) > 5 && asciiFold(s[:5], "ipv6:") {
		s = s[5:]
	}
	if s == "" || len(s) > 64 {
		return netip.Addr{}, 0, false
	}
	if ip, ok := parseIPv4(s); ok {
		// The common case, which the checks below would pass to
		// parseAddr and so to parseIPv4.
		return ip, port, true
	}
	// Only hex digits, '.', ':' (and a zone after '%') can make an
	// address: reject host names before netip allocates an error.
	seps := 0
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c == '%' {
			break
		}
		if c == '.' || c == ':' {
			seps++
			continue
		}
		if !(c >= '0' && c <= '9' || c >= 'a' && c <= 'f' || c >= 'A' && c <= 'F') {
			return netip.Addr{}, 0, false
		}
	}
	if seps == 0 {
		return netip.Addr{}, 0, false
	}
	if ip, ok := parseAddr(s); ok {
		return clean(ip), port, true
	}
	// IPv4 with ":port" or Exim 3's ".port".
	colon := -1
	if strings.Count(s, ":") == 1 {
		colon = strings.IndexByte(s, ':')
		if ip, ok := parseAddr(s[:colon]); ok && ip.Is4() {
			if n, ok := portNumber(s[colon+1:]); ok {
				return clean(ip), n, true
			}
		}
	}
	if strings.Count(s, ".") == 4 {
		k := strings.LastIndexByte(s, '.')
		if ip, ok := parseAddr(s[:k]); ok && ip.Is4() {
			if n, ok := portNumber(s[k+1:]); ok {
				return clean(ip), n, true
			}
		}
	}
	// What is left for netip.ParseAddrPort is "ipv4:0": s has no brackets
	// (rejected above) and so no IPv6 address, which would need them.
	if colon >= 0 && ipv4Shape(s[:colon]) {
		if ap, err := netip.ParseAddrPort(s); err == nil {
			return clean(ap.Addr()), int(ap.Port()), true
		}
	}
	return netip.Addr{}, 0, false
}

// trimSpace is strings.TrimSpace(s), without its work when s starts and
// ends with an ASCII byte TrimSpace keeps, as most words and comments do.
// (Hot callers test trimmed themselves, which inlines.)
func trimSpace(s string) string {
	if trimmed(s) {
		return s
	}
	// Leading ASCII white space, as a date's text after the ';' has: when
	// what follows is trimmed, TrimSpace would cut just that.
	t := s
	for t != "" && t[0] < utf8.RuneSelf && byteClass[t[0]]&cKeep == 0 {
		t = t[1:]
	}
	if trimmed(t) {
		return t
	}
	return strings.TrimSpace(s)
}

// trimmed reports that strings.TrimSpace(s) is s, for a non-empty s whose
// end bytes are ASCII other than white space (false says nothing).
func trimmed(s string) bool {
	return s != "" && byteClass[s[0]]&byteClass[s[len(s)-1]]&cKeep != 0
}

// trimParenSpace is strings.Trim(s, "() \t") without building the cut set.
func trimParenSpace(s string) string {
	for s != "" && (s[0] == '(' || s[0] == ')' || s[0] == ' ' || s[0] == '\t') {
		s = s[1:]
	}
	for s != "" {
		c := s[len(s)-1]
		if c != '(' && c != ')' && c != ' ' && c != '\t' {
			break
		}
		s = s[:len(s)-1]
	}
	return s
}

// parseAddr is netip.ParseAddr(x) without its error, and without the zone
// (every caller drops it): dotted quads are read in one pass, the rest
// through ipclass.ParseAddr.
func parseAddr(x string) (netip.Addr, bool) {
	if ip, ok := parseIPv4(x); ok {
		return ip, true // the common case, read in one pass
	}
	if z := strings.IndexByte(x, '%'); z >= 0 {
		// netip takes "addr%zone" only as IPv6 (the first of '.', ':' and
		// '%' is a ':') with a non-empty zone, and interns the zone,
		// which is slow. The address before the '%' is the same.
		if z == len(x)-1 {
			return netip.Addr{}, false
		}
		if ip, ok := ipclass.ParseAddr(x[:z]); ok && ip.Is6() {
			return ip, true
		}
		return netip.Addr{}, false
	}
	if strings.IndexByte(x, ':') < 0 {
		// Without a ':' netip reads only a dotted quad, which parseIPv4
		// has turned down: skip the error netip would allocate for
		// "4.96" of "(Exim 4.96)" or Exim 3's "192.0.2.1.25".
		return netip.Addr{}, false
	}
	return ipclass.ParseAddr(x)
}

// parseIPv4 reads a dotted quad as netip.ParseAddr does: four decimal
// fields of 0-255 without leading zeros, nothing else. ok false says only
// that x is not such a quad; it may still be an address of another form.
func parseIPv4(x string) (netip.Addr, bool) {
	// Field by field: the dot before it (but the first), one digit, and
	// at most two more unless it is 0; a third digit makes 100-999.
	var b [4]byte
	i := 0
	for f := range 4 {
		if f > 0 {
			if i >= len(x) || x[i] != '.' {
				return netip.Addr{}, false
			}
			i++
		}
		if i >= len(x) || x[i]-'0' > 9 {
			return netip.Addr{}, false
		}
		n := uint(x[i] - '0')
		i++
		if i < len(x) && x[i]-'0' <= 9 {
			if n == 0 {
				return netip.Addr{}, false // leading zero
			}
			n = n*10 + uint(x[i]-'0')
			i++
			if i < len(x) && x[i]-'0' <= 9 {
				n = n*10 + uint(x[i]-'0')
				i++
				if n > 255 {
					return netip.Addr{}, false
				}
			}
		}
		b[f] = byte(n)
	}
	if i != len(x) {
		return netip.Addr{}, false // a fourth digit or more text
	}
	return netip.AddrFrom4(b), true
}

// ipv4Shape reports whether x is four fields of one to three digits joined
// by dots, as every IPv4 address netip parses is.
func ipv4Shape(x string) bool {
	fields, digits := 1, 0
	for i := 0; i < len(x); i++ {
		switch c := x[i]; {
		case c >= '0' && c <= '9':
			digits++
			if digits > 3 {
				return false
			}
		case c == '.':
			if digits == 0 {
				return false
			}
			fields++
			digits = 0
		default:
			return false
		}
	}
	return fields == 4 && digits > 0
}

// portNumber is strconv.Atoi(x) limited to a TCP port, 1 to 65535, without
// the error value Atoi allocates for a word that is not a number. Like
// Atoi it takes a '+' sign and leading zeros ("+25", "0025"); a '-' sign
// could only give a number below 1.
func portNumber(x string) (int, bool) {
	if x != "" && x[0] == '+' {
		x = x[1:]
	}
	if x == "" {
		return 0, false
	}
	n := 0
	for i := 0; i < len(x); i++ {
		c := x[i]
		if c < '0' || c > '9' {
			return 0, false
		}
		if n = n*10 + int(c-'0'); n > 65535 {
			n = 65536 // too big already; the other digits still must be digits
		}
	}
	return n, n > 0 && n < 65536
}

func clean(ip netip.Addr) netip.Addr {
	return ip.Unmap().WithZone("")
}

// Case-insensitive comparisons with an ASCII literal. strings.EqualFold
// folds Unicode: besides the ASCII letters, U+017F (ſ) folds to "s" and
// U+212A (Kelvin sign) to "k". Between strings of the same byte length
// neither can take part (either is more than one byte for one ASCII
// letter), so ASCII folding byte for byte gives the same answer without
// decoding runes.

// lower maps ASCII upper case to lower case and every other byte to
// itself.
var lower = func() (t [256]byte) {
	for i := range t {
		t[i] = byte(i)
	}
	for c := 'A'; c <= 'Z'; c++ {
		t[c] = byte(c) + 'a' - 'A'
	}
	return t
}()

// asciiFold reports whether a and b are equal under ASCII case folding.
// (Small enough for the compiler to inline, as are hasPrefixFold and
// hasSuffixFold.)
func asciiFold(a, b string) bool {
	if len(a) != len(b) {
		return false
	}
	for i := 0; i < len(a); i++ {
		if lower[a[i]] != lower[b[i]] {
			return false
		}
	}
	return true
}

// equalFold is strings.EqualFold(s, lit) for a non-empty ASCII lit: byte
// for byte when the lengths match. A shorter s cannot match; a longer one
// only through ſ or the Kelvin sign (2 and 3 bytes for one letter of lit),
// which is left to strings.EqualFold unless the first byte already
// differs.
func equalFold(s, lit string) bool {
	if len(s) != len(lit) {
		return len(s) > len(lit) && len(s) <= 3*len(lit) &&
			(s[0] >= utf8.RuneSelf || lower[s[0]] == lower[lit[0]]) && strings.EqualFold(s, lit)
	}
	return asciiFold(s, lit)
}

func hasPrefixFold(s, prefix string) bool {
	return len(s) >= len(prefix) && asciiFold(s[:len(prefix)], prefix)
}

// Searching a comment for markers with ASCII case folding. A comment is
// searched for a dozen needles; a text holds a summary of the bytes it
// has, so that most needles are known absent without a scan, and a needle
// holds the byte a scan jumps to with strings.IndexByte rather than
// comparing at every position.

// byteSet sums up the bytes of s: bit byteBit[b] for each byte b, the
// same for both cases of a letter. A needle with a byte whose bit a text
// lacks does not occur in it (the converse does not hold).
func byteSet(s string) uint64 {
	// One table load per byte, four bytes a step with one bounds check,
	// in two independent sums so that the ORs of consecutive bytes need
	// not wait for each other.
	var a, b uint64
	i := 0
	for ; i+4 <= len(s); i += 4 {
		w := s[i : i+4]
		a |= byteBit[w[0]] | byteBit[w[2]]
		b |= byteBit[w[1]] | byteBit[w[3]]
	}
	for ; i < len(s); i++ {
		a |= byteBit[s[i]]
	}
	return a | b
}

// byteBit[c] is the bit byteSet sets for the byte c: bitOf(c).
var byteBit = func() (t [256]uint64) {
	for c := range t {
		t[c] = 1 << bitOf(byte(c))
	}
	return t
}()

// bitOf numbers the bytes for byteSet so that those of the needles share a
// bit with few others: each letter (both cases), each digit, the space and
// the needles' punctuation have a bit of their own, the other bytes share
// the rest. (With bit b&63 the digits shared the bits of 'p' to 'y', and
// '+' that of 'k': a comment with a version number or a zone held "uid "
// and "invoked by " as far as the summary could tell, and was searched.)
func bitOf(c byte) uint {
	switch l := lower[c]; {
	case l >= 'a' && l <= 'z':
		return uint(l - 'a') // 0-25
	case c >= '0' && c <= '9':
		return uint(c-'0') + 26 // 26-35
	}
	switch c {
	case ' ':
		return 36
	case '=':
		return 37
	case ':':
		return 38
	case '-':
		return 39
	}
	return 40 + uint(c)%24 // 40-63
}

// A needle is a lower-case ASCII string searched for with ASCII case
// folding.
type needle struct {
	s string
	// anchor is the index in s of a byte that case folding leaves alone
	// (punctuation or a digit, a space only when there is nothing rarer),
	// -1 when s is all letters.
	anchor int
	set    uint64 // byteSet(s)
}

func newNeedle(s string) needle {
	n := needle{s: s, anchor: -1, set: byteSet(s)}
	for j := 0; j < len(s); j++ {
		if c := s[j]; c < 'a' || c > 'z' {
			if c != ' ' {
				n.anchor = j
				break
			}
			if n.anchor < 0 {
				n.anchor = j
			}
		}
	}
	return n
}

// The needles of comment.
var (
	nAuthUser = newNeedle("authenticated user ")
	nCipher   = newNeedle("cipher=")
	nVersion  = newNeedle("version=")
	nTLSColon = newNeedle("tls: ")
	nSSLColon = newNeedle("ssl: ")
	nEnvFrom  = newNeedle("envelope-from")
	nEnvSend  = newNeedle("envelope-sender")
	nInvBy    = newNeedle("invoked by ")
	nInvFrom  = newNeedle("invoked from ")
	nUserid   = newNeedle("userid ")
	nUID      = newNeedle("uid ")
)

// text is a string to search for needles, with its byteSet.
type text struct {
	s   string
	set uint64
}

func newText(s string) text { return text{s, byteSet(s)} }

// index is strings.Index(t.s, n.s) with ASCII case folding. The summary
// test is here, small enough to inline, so that a needle it rules out (most
// of them) costs no call.
func (t *text) index(n *needle) int {
	if n.set&^t.set != 0 {
		return -1
	}
	return t.search(n)
}

// search is index after the summary test.
func (t *text) search(n *needle) int {
	s, sub := t.s, n.s
	if len(sub) > len(s) {
		return -1
	}
	if n.anchor < 0 {
		c0 := sub[0]
		for i := 0; i+len(sub) <= len(s); i++ {
			if (s[i] == c0 || s[i] == c0-('a'-'A')) && equalLower(s[i:i+len(sub)], sub) {
				return i
			}
		}
		return -1
	}
	// The anchor of a match at i is s[i+a], i in [0, len(s)-len(sub)].
	a := n.anchor
	c := sub[a]
	for lo, hi := a, len(s)-len(sub)+a+1; lo < hi; {
		k := strings.IndexByte(s[lo:hi], c)
		if k < 0 {
			break
		}
		if i := lo + k - a; equalLower(s[i:i+len(sub)], sub) {
			return i
		}
		lo += k + 1
	}
	return -1
}

func (t *text) contains(n *needle) bool { return t.index(n) >= 0 }

// equalLower reports whether t, ASCII upper case folded to lower, is sub
// (of the same length).
func equalLower(t, sub string) bool {
	for j := 0; j < len(sub); j++ {
		c := t[j]
		if c >= 'A' && c <= 'Z' {
			c += 'a' - 'A'
		}
		if c != sub[j] {
			return false
		}
	}
	return true
}

// from is the text from offset off on (its byteSet still a valid summary).
func (t text) from(off int) text { return text{t.s[off:], t.set} }

func hasSuffixFold(s, suffix string) bool {
	return len(s) >= len(suffix) && asciiFold(s[len(s)-len(suffix):], suffix)
}

// isASCII reports whether s has no byte above 0x7F.
func isASCII(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] >= 0x80 {
			return false
		}
	}
	return true
}
