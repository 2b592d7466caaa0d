package received

import (
	"net/netip"
	"strconv"
	"strings"

	"github.com/mailtrace/mailtrace/analyzer/maildate"
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
	kind       tokKind
	s          string // comment: inner text without the outer parentheses
	start, end int    // byte offsets in the scanned string
}

func isSpace(c byte) bool {
	return c == ' ' || c == '\t' || c == '\r' || c == '\n' || c == 0 || c == '\f' || c == '\v'
}

// next scans the token starting at or after s[i]. ok is false at the end.
func next(s string, i int) (t token, j int, ok bool) {
	for i < len(s) && (isSpace(s[i]) || s[i] == ')') {
		i++
	}
	if i >= len(s) {
		return token{}, i, false
	}
	start := i
	switch s[i] {
	case '(':
		depth := 0
		for i < len(s) {
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
		return token{tComment, inner, start, i}, i, true
	case '[':
		for i < len(s) && s[i] != ']' {
			i++
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
		return token{tLiteral, s[start:i], start, i}, i, true
	case '<':
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
		return token{tAngle, s[start:i], start, i}, i, true
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
		return token{tQuoted, inner, start, i}, i, true
	case ';':
		return token{tSemi, ";", start, i + 1}, i + 1, true
	case ',':
		return token{tComma, ",", start, i + 1}, i + 1, true
	}
	for i < len(s) {
		c := s[i]
		if isSpace(c) || c == '(' || c == ')' || c == ';' || c == ',' || c == '[' {
			break
		}
		i++
	}
	return token{tWord, s[start:i], start, i}, i, true
}

// keyword returns the clause keyword a word stands for (RFC 5321 §4.4), or 0.
func keyword(w string) byte {
	switch len(w) {
	case 2:
		if strings.EqualFold(w, "by") {
			return 'b'
		}
		if strings.EqualFold(w, "id") {
			return 'i'
		}
	case 3:
		if strings.EqualFold(w, "via") {
			return 'v'
		}
		if strings.EqualFold(w, "for") {
			return 'f'
		}
	case 4:
		if strings.EqualFold(w, "from") {
			return 'F'
		}
		if strings.EqualFold(w, "with") {
			return 'w'
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
// understand is kept in Raw and explained in Warnings.
func Parse(value string) Received {
	r := Received{Raw: value}
	s := value
	if strings.IndexByte(s, 0) >= 0 {
		// NUL never belongs in a header (RFC 5322 §2.2); drop it, as rspamd
		// does, so "mail\x00host" still reads as one name.
		s = strings.ReplaceAll(s, "\x00", "")
	}
	p := parser{s: s, r: &r}
	p.run()
	return r
}

type parser struct {
	// fromComment: the from clause came as a leading comment, "(from x)".
	fromComment bool
	s           string
	r           *Received
	exim        bool
	tls         string
	http        bool // the hop was a web submission: no SMTP HELO exists
}

func (p *parser) warn(w string) { p.r.Warnings = append(p.r.Warnings, w) }

func (p *parser) run() {
	s := p.s
	// Pass 1: scan.
	var buf [48]token
	toks := buf[:0]
	lastSemi := -1
	for i := 0; ; {
		t, j, ok := next(s, i)
		if !ok {
			break
		}
		i = j
		if t.kind == tSemi {
			lastSemi = len(toks)
		}
		toks = append(toks, t)
	}
	// Pass 2: the date. RFC 5321 §4.4: the date-time follows the last ";".
	clause := toks
	if lastSemi >= 0 {
		from := toks[lastSemi].end
		if t, n, err := maildate.ParsePrefix(s[from:]); err == nil {
			p.r.Date, p.r.DateRaw = t, strings.TrimSpace(s[from:from+n])
			clause = cutTokens(toks, lastSemi, from+n)
		} else if k, end, ok := p.recoverDate(toks, lastSemi+1); ok {
			clause = cutTokens(toks, k, end)
		} else {
			raw := strings.TrimSpace(s[from:])
			if raw != "" {
				p.r.DateRaw = raw
				p.warn("unparsable date: " + quote(raw))
			} else {
				p.warn("no date after the last ';'")
			}
		}
	} else if k, end, ok := p.recoverDate(toks, 0); ok {
		clause = cutTokens(toks, k, end)
	} else {
		p.warn("no date")
	}
	// Pass 3: clauses.
	p.clauses(clause)
	if p.r.Date.IsZero() && p.r.DateRaw == "" && len(p.r.Warnings) == 0 {
		p.warn("no date")
	}
}

// cutTokens returns toks[:k] followed by the tokens that start at or after
// byte offset off (what follows a date, e.g. "id X" or a comment).
func cutTokens(toks []token, k, off int) []token {
	j := k
	for j < len(toks) && toks[j].start < off {
		j++
	}
	if j == len(toks) {
		return toks[:k]
	}
	out := make([]token, 0, k+len(toks)-j)
	out = append(out, toks[:k]...)
	return append(out, toks[j:]...)
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
		if t.kind != tWord || !dateStart(t.s) {
			continue
		}
		tm, n, err := maildate.ParsePrefix(p.s[t.start:])
		if err != nil {
			continue
		}
		p.r.Date, p.r.DateRaw = tm, strings.TrimSpace(p.s[t.start:t.start+n])
		return k, t.start + n, true
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

func quote(s string) string {
	if len(s) > 80 {
		s = s[:80] + "..."
	}
	return strconv.Quote(s)
}

func (p *parser) clauses(toks []token) {
	r := p.r
	// A value that starts with a comment "(from host [ip])" (NAV gateways)
	// or "(from user@localhost)" (Sendmail local submission): read the
	// comment's content as clauses.
	if len(toks) > 0 && toks[0].kind == tComment && hasPrefixFold(strings.TrimSpace(toks[0].s), "from ") {
		inner := toks[0].s
		var sub []token
		for i := 0; ; {
			t, j, ok := next(inner, i)
			if !ok {
				break
			}
			i = j
			sub = append(sub, t)
		}
		toks = append(sub, toks[1:]...)
		p.fromComment = true
	}
	var from, by, via, with, id, fr span
	seen := [256]bool{}
	cur := byte(0)
	curStart := 0
	closeClause := func(end int) {
		sp := span{curStart, end}
		switch cur {
		case 'F':
			if !seen['F'] {
				from = sp
			} else if sp.b > sp.a && toks[sp.a].kind == tAngle && r.EnvelopeFrom == "" {
				// XMail: "... for <rcpt> from <sender>"
				r.EnvelopeFrom = unangle(toks[sp.a].s)
			}
		case 'b':
			if !seen['b'] {
				by = sp
			} else if sp.b > sp.a && toks[sp.a].kind == tWord && strings.EqualFold(toks[sp.a].s, "uid") {
				// qmail-scanner: "by host by uid 502"
				r.Local = true
			}
		case 'v':
			if !seen['v'] {
				via = sp
			}
		case 'w':
			if !seen['w'] {
				with = sp
			}
		case 'i':
			if !seen['i'] {
				id = sp
			}
		case 'f':
			if !seen['f'] {
				fr = sp
			}
		}
		if cur != 0 {
			seen[cur] = true
		}
	}
	for k, t := range toks {
		if t.kind == tComment {
			p.comment(t.s)
		}
		if t.kind != tWord {
			continue
		}
		if (strings.EqualFold(t.s, "envelope-from") || strings.EqualFold(t.s, "envelope-sender")) && k+1 < len(toks) && r.EnvelopeFrom == "" {
			// Haraka: "... envelope-from <x>" outside a comment.
			if n := toks[k+1]; n.kind == tAngle || n.kind == tWord && strings.Contains(n.s, "@") {
				r.EnvelopeFrom = unangle(n.s)
			}
		}
		kw := keyword(t.s)
		if kw == 0 {
			continue
		}
		// A keyword right after "from"/"by" with no value yet is the value
		// ("from by.example" is unlikely; "by id" never): keep it a keyword.
		closeClause(k)
		cur, curStart = kw, k+1
	}
	closeClause(len(toks))
	// Leading comments: "(qmail 1234 invoked by uid 89)".
	r.Parsed = seen['F'] || seen['b'] || r.Local

	// with: the protocol (RFC 5321 §4.4 Protocol, RFC 3848 for the
	// ESMTPA/ESMTPS/ESMTPSA variants).
	if seen['w'] {
		p.withClause(toks[with.a:with.b])
	}
	if seen['v'] {
		// "via Frontend Transport" (Exchange): the words of the clause.
		r.Via = words(toks[via.a:via.b], 4)
		if w := firstValue(toks[via.a:via.b]); w != "" {
			if strings.EqualFold(w, "HTTP") || strings.EqualFold(w, "HTTPS") {
				// Yahoo "via HTTP": a web submission, there is no HELO.
				p.http = true
			}
		}
	}
	if seen['i'] {
		r.ID = strings.TrimRight(unangle(firstValue(toks[id.a:id.b])), ",")
	}
	if seen['f'] {
		r.For = strings.TrimRight(unangle(firstValue(toks[fr.a:fr.b])), ",")
	}
	if seen['b'] {
		p.byClause(toks[by.a:by.b])
	}
	if seen['F'] {
		p.fromClause(toks[from.a:from.b])
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
	r.TLS = p.tls
	if !r.Parsed {
		p.warn("no from or by clause")
	}
}

// authProto reports whether a with-protocol says the client authenticated:
// RFC 3848 (ESMTPA, ESMTPSA, LMTPA, LMTPSA), RFC 6531 (UTF8SMTPA...),
// Exim's old "asmtp", and webmail submissions (HTTP, HTTPS, HTTPU), which
// need a login, as SpamAssassin counts them.
func authProto(p string) bool {
	u := strings.ToUpper(p)
	switch u {
	case "ASMTP", "HTTP", "HTTPS", "HTTPU", "HTTPSU":
		return true
	}
	for _, pre := range []string{"ESMTP", "LMTP", "UTF8SMTP", "UTF8LMTP", "SMTP"} {
		if strings.HasPrefix(u, pre) {
			rest := u[len(pre):]
			return rest == "A" || rest == "SA"
		}
	}
	return false
}

func firstValue(toks []token) string {
	for _, t := range toks {
		switch t.kind {
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
func words(toks []token, max int) string {
	n := 0
	for n < len(toks) && n < max && toks[n].kind == tWord {
		n++
	}
	switch n {
	case 0:
		return ""
	case 1:
		return toks[0].s
	}
	var b strings.Builder
	for i := 0; i < n; i++ {
		if i > 0 {
			b.WriteByte(' ')
		}
		b.WriteString(toks[i].s)
	}
	return b.String()
}

// unangle strips "<" ">" (also doubled, "<<x>>").
func unangle(s string) string {
	for len(s) >= 2 && s[0] == '<' && s[len(s)-1] == '>' {
		s = s[1 : len(s)-1]
	}
	return strings.TrimSpace(s)
}

func (p *parser) withClause(toks []token) {
	var words []string
	for i := 0; i < len(toks); i++ {
		t := toks[i]
		switch t.kind {
		case tWord, tLiteral:
			w := t.s
			// Exim 4.9x: "with esmtps  (TLS1.3) tls TLS_AES_256_GCM_SHA384"
			if strings.EqualFold(w, "tls") && len(words) > 0 && i+1 < len(toks) && toks[i+1].kind == tWord {
				p.addTLS(toks[i+1].s)
				i++
				continue
			}
			// "ESMTP/TLS/DHE-RSA-AES256-GCM-SHA384"
			if k := strings.IndexByte(w, '/'); k > 0 && len(words) == 0 && t.kind == tWord {
				rest := w[k+1:]
				w = w[:k]
				if hasPrefixFold(rest, "TLS/") || hasPrefixFold(rest, "SSL/") {
					p.addTLS(rest[4:])
				} else if rest != "" {
					p.addTLS(rest)
				}
			}
			if len(words) < 16 {
				words = append(words, w)
			}
		}
	}
	p.r.With = strings.Join(words, " ")
	if len(words) > 0 {
		switch strings.ToUpper(words[0]) {
		case "HTTP", "HTTPS", "HTTPU", "HTTPSU":
			p.http = true
		}
	}
}

func (p *parser) addTLS(s string) {
	s = strings.TrimSpace(s)
	if s == "" {
		return
	}
	if p.tls == "" {
		p.tls = s
	} else if !strings.Contains(p.tls, s) {
		p.tls += " " + s
	}
}

func (p *parser) byClause(toks []token) {
	r := p.r
	if len(toks) == 0 {
		return
	}
	i := 0
	if toks[0].kind == tWord || toks[0].kind == tLiteral || toks[0].kind == tAngle {
		r.By.Host = toks[0].s
		if toks[0].kind == tAngle {
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
		if t.kind != tComment {
			continue
		}
		if r.By.IP.IsValid() {
			break
		}
		var ci commentInfo
		scanTCPInfo(t.s, &ci)
		if ci.ip.IsValid() {
			r.By.IP = ci.ip
		}
	}
}

// fromClause reads the from-domain and its TCP-info comments.
func (p *parser) fromClause(toks []token) {
	r := p.r
	var name string
	var nameIP netip.Addr
	i := 0
	if len(toks) > 0 && (toks[0].kind == tWord || toks[0].kind == tLiteral) {
		name = toks[0].s
		i = 1
		if ip, _, ok := parseIP(name); ok {
			nameIP = ip
		}
	}
	r.From.Name = name
	nameLiteral := strings.HasPrefix(name, "[")
	var ci commentInfo
	var litIP netip.Addr
	var litPort int
	claiming := ""
	heloFromComment := ""
	for ; i < len(toks); i++ {
		t := toks[i]
		switch t.kind {
		case tComment:
			var c commentInfo
			scanTCPInfo(t.s, &c)
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
			if strings.EqualFold(t.s, "claiming") && i+3 < len(toks) && toks[i+3].kind == tQuoted {
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
		if _, port, _ := parseIP(name); port != 0 {
			r.From.Port = port
		}
	}
	if r.From.Port == 0 && ci.port != 0 {
		r.From.Port = ci.port // Exim "(port=2525 ...)"
	}
	r.From.Ident = ci.ident
	hostName := hostLike(name)
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
	if _, _, ok := parseIP(rdns); ok || strings.EqualFold(rdns, "unknown") {
		rdns = ""
	}
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
	if s == "" || strings.EqualFold(s, "unknown") {
		return false
	}
	if _, _, ok := parseIP(s); ok {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '-' || c == '.' || c == '_') {
			return false
		}
	}
	return true
}

// comment reads the markers any comment may carry, wherever it stands:
// authentication, TLS, envelope sender, local submission, MTA identity.
func (p *parser) comment(c string) {
	r := p.r
	c = strings.TrimSpace(c)
	if c == "" {
		return
	}
	switch {
	case hasPrefixFold(c, "exim ") || strings.EqualFold(c, "exim"):
		p.exim = true
	case hasPrefixFold(c, "via http"):
		// "by host (via HTTP)": web submission.
		p.http = true
		if r.With == "" {
			r.With = strings.TrimSpace(c[4:])
		}
	}
	// Authentication (SpamAssassin's auth= markers).
	if r.Auth == "" {
		switch {
		case hasPrefixFold(c, "authenticated sender:"),
			hasPrefixFold(c, "authenticated as "),
			hasPrefixFold(c, "authenticated bits="),
			hasPrefixFold(c, "authenticated ("),
			strings.EqualFold(c, "authenticated"),
			hasPrefixFold(c, "auth: "),
			containsFold(c, "authenticated user "),
			hasPrefixFold(c, "account "):
			a := c
			if hasPrefixFold(c, "auth: ") {
				if k := strings.IndexByte(a, ','); k > 0 {
					a = a[:k]
				}
			}
			if hasPrefixFold(c, "account ") {
				// CommuniGate: "account user@example HELO name"
				f := strings.Fields(a)
				if len(f) >= 2 {
					a = f[0] + " " + f[1]
				}
			}
			r.Auth = a
		}
	}
	// TLS.
	switch {
	case hasPrefixFold(c, "using "):
		// Postfix: "using TLSv1.3 with cipher TLS_AES_256_GCM_SHA384 (256/256 bits) ..."
		f := strings.Fields(c[6:])
		if len(f) > 0 {
			v := f[0]
			if len(f) >= 4 && strings.EqualFold(f[1], "with") && strings.EqualFold(f[2], "cipher") {
				v += " " + f[3]
			}
			p.addTLS(v)
		}
	case containsFold(c, "cipher="):
		// Sendmail "version=TLSv1.2 cipher=X bits=256 verify=NO",
		// Microsoft "version=TLS1_2, cipher=X", Gmail, Haraka "cipher=X".
		v, ci := kv(c, "version="), kv(c, "cipher=")
		p.addTLS(strings.TrimSpace(v + " " + ci))
	case hasPrefixFold(c, "tls") || hasPrefixFold(c, "ssl"):
		// Exim "(TLS1.3)", "(TLSv1:AES256-SHA:256)", "(TLS-1.0:RSA_ARCFOUR_MD5:16)"
		if !strings.ContainsAny(c, " \t") {
			p.addTLS(c)
		}
	case containsFold(c, "tls: ") || containsFold(c, "ssl: "):
		// Courier: "(AUTH: LOGIN user, TLS: TLSv1/SSLv3,256bits,AES256-SHA)"
		k := indexFold(c, "tls: ")
		if k < 0 {
			k = indexFold(c, "ssl: ")
		}
		p.addTLS(c[k+5:])
	case hasSuffixFold(c, " encrypted"):
		// qmail-tls: "(DHE-RSA-AES256-SHA encrypted)"
		p.addTLS(c[:len(c)-len(" encrypted")])
	}
	// Envelope sender.
	if r.EnvelopeFrom == "" {
		for _, key := range []string{"envelope-from", "envelope-sender"} {
			k := indexFold(c, key)
			if k < 0 {
				continue
			}
			rest := strings.TrimLeft(c[k+len(key):], " \t:=")
			if t, _, ok := next(rest, 0); ok && (t.kind == tWord || t.kind == tAngle) {
				e := strings.TrimRight(unangle(t.s), ",")
				if t.kind == tAngle || strings.Contains(e, "@") {
					r.EnvelopeFrom = e
				}
			}
			break
		}
	}
	// Local hand-offs: qmail "invoked by uid 89", "invoked from network",
	// "invoked by alias"; Postfix "(Postfix, from userid 1000)";
	// qmail-scanner "(envelope-from <x>, uid 502)".
	if containsFold(c, "invoked by ") || containsFold(c, "invoked from ") ||
		uidMarker(c, "userid ") || uidMarker(c, "uid ") {
		r.Local = true
	}
}

// uidMarker: "uid 502" / "userid 0" as words followed by a number.
func uidMarker(l, key string) bool {
	for off := 0; ; {
		k := indexFold(l[off:], key)
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
func kv(s, key string) string {
	k := indexFold(s, key)
	if k < 0 {
		return ""
	}
	v := s[k+len(key):]
	for i := 0; i < len(v); i++ {
		if isSpace(v[i]) || v[i] == ',' || v[i] == ')' {
			return v[:i]
		}
	}
	return v
}

// scanTCPInfo reads one comment of the from (or by) clause: the TCP-info of
// RFC 5321 §4.4 and what MTAs put there instead.
func scanTCPInfo(c string, ci *commentInfo) {
	prev := "" // previous word, the rDNS candidate for "name [ip]"
	words := 0
	nameOnly := ""
	for i := 0; ; {
		t, j, ok := next(c, i)
		if !ok {
			break
		}
		i = j
		switch t.kind {
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
					if k := strings.LastIndexByte(name, '@'); k >= 0 {
						// Sendmail: "(user@rdns [ip])"
						ci.ident = name[:k]
						name = name[k+1:]
					}
					switch {
					case strings.EqualFold(name, "unknown"), strings.EqualFold(name, "softdnserr"), strings.EqualFold(name, "unverified"):
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
			switch {
			case strings.EqualFold(w, "helo") || strings.EqualFold(w, "ehlo") || strings.EqualFold(w, "lhlo"):
				// qmail/CommuniGate "(HELO name)", "(HELO )"
				ci.heloSet = true
				ci.helo = ""
				if t2, j2, ok := next(c, i); ok && (t2.kind == tWord || t2.kind == tLiteral) {
					ci.helo = t2.s
					i = j2
				}
				prev = ""
				continue
			case hasPrefixFold(w, "helo="):
				ci.helo, ci.heloSet, ci.heloEq = w[5:], true, true
				if ci.helo == "" {
					// "helo=[ip]" splits into a literal
					if t2, j2, ok := next(c, i); ok && t2.kind == tLiteral && t2.start == i {
						ci.helo = t2.s
						i = j2
					}
				}
				continue
			case hasPrefixFold(w, "ident="):
				ci.ident = w[6:]
				continue
			case hasPrefixFold(w, "port="):
				if n, err := strconv.Atoi(w[5:]); err == nil && n > 0 && n < 65536 {
					ci.port = n
				}
				continue
			case strings.EqualFold(w, "verified"):
				ci.verified = true
				continue
			case strings.EqualFold(w, "unverified"):
				ci.unknown = true
				continue
			case strings.EqualFold(w, "unknown") || strings.EqualFold(w, "softdnserr"):
				ci.unknown = true
				prev = w
				continue
			case strings.EqualFold(w, "account"):
				ci.account = true
				// skip the account name
				if _, j2, ok := next(c, i); ok {
					i = j2
				}
				continue
			}
			nextIsLiteral := false
			if t2, _, ok := next(c, i); ok && t2.kind == tLiteral {
				nextIsLiteral = true // "(name [ip])": the word is a name
			}
			if !ci.ip.IsValid() && !nextIsLiteral {
				// qmail "(ident@ip)", "(ip)", XMail "(ip:port)"
				cand := w
				ident := ""
				if k := strings.LastIndexByte(cand, '@'); k >= 0 {
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

// parseIP parses an address as MTAs write it: "192.0.2.1", "[192.0.2.1]",
// "[IPv6:2001:db8::1]" (RFC 5321 §4.1.3), "[192.0.2.1]:25", "192.0.2.1:25",
// "[192.0.2.1.25]" (Exim 3's port), "::ffff:192.0.2.1" (unmapped to IPv4),
// "fe80::1%eth0" (zone dropped). ok is false for anything else.
func parseIP(s string) (netip.Addr, int, bool) {
	port := 0
	if strings.HasPrefix(s, "[") {
		k := strings.IndexByte(s, ']')
		if k < 0 {
			return netip.Addr{}, 0, false
		}
		if rest := s[k+1:]; strings.HasPrefix(rest, ":") {
			if n, err := strconv.Atoi(rest[1:]); err == nil && n > 0 && n < 65536 {
				port = n
			}
		} else if rest != "" {
			return netip.Addr{}, 0, false
		}
		s = strings.Trim(s[1:k], "() \t")
	}
	s = strings.TrimSpace(s)
	if len(s) > 5 && strings.EqualFold(s[:5], "ipv6:") {
		s = s[5:]
	}
	if s == "" || len(s) > 64 {
		return netip.Addr{}, 0, false
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
	if ip, err := netip.ParseAddr(s); err == nil {
		return clean(ip), port, true
	}
	// IPv4 with ":port" or Exim 3's ".port".
	if strings.Count(s, ":") == 1 {
		k := strings.IndexByte(s, ':')
		if ip, err := netip.ParseAddr(s[:k]); err == nil && ip.Is4() {
			if n, err := strconv.Atoi(s[k+1:]); err == nil && n > 0 && n < 65536 {
				return clean(ip), n, true
			}
		}
	}
	if strings.Count(s, ".") == 4 {
		k := strings.LastIndexByte(s, '.')
		if ip, err := netip.ParseAddr(s[:k]); err == nil && ip.Is4() {
			if n, err := strconv.Atoi(s[k+1:]); err == nil && n > 0 && n < 65536 {
				return clean(ip), n, true
			}
		}
	}
	if ap, err := netip.ParseAddrPort(s); err == nil {
		return clean(ap.Addr()), int(ap.Port()), true
	}
	return netip.Addr{}, 0, false
}

func clean(ip netip.Addr) netip.Addr {
	return ip.Unmap().WithZone("")
}

func hasPrefixFold(s, prefix string) bool {
	return len(s) >= len(prefix) && strings.EqualFold(s[:len(prefix)], prefix)
}

// indexFold is strings.Index with ASCII case folding; sub is lower case.
// It allocates nothing; sub is a short constant, so it stays linear.
func indexFold(s, sub string) int {
	n := len(sub)
	for i := 0; i+n <= len(s); i++ {
		j := 0
		for j < n {
			c := s[i+j]
			if c >= 'A' && c <= 'Z' {
				c += 'a' - 'A'
			}
			if c != sub[j] {
				break
			}
			j++
		}
		if j == n {
			return i
		}
	}
	return -1
}

func containsFold(s, sub string) bool { return indexFold(s, sub) >= 0 }

func hasSuffixFold(s, suffix string) bool {
	return len(s) >= len(suffix) && strings.EqualFold(s[len(s)-len(suffix):], suffix)
}
