// Code copied from parse.go before the tuning of this round (identifiers
// renamed): the model FuzzParseEquiv compares Parse with.

package received

import (
	"net/netip"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/mailtrace/mailtrace/analyzer/ipclass"
	"github.com/mailtrace/mailtrace/analyzer/maildate"
)

type mtokKind uint8

const (
	mtWord mtokKind = iota
	mtComment
	mtLiteral // [ ... ] with a possible ":port" suffix, brackets kept
	mtAngle   // < ... >, brackets kept
	mtQuoted  // " ... ", content only
	mtSemi
	mtComma
)

type mtoken struct {
	kind  mtokKind
	s     string // comment: inner text without the outer parentheses
	start int    // byte offset in the scanned string (next returns the end)
}

// Byte classes of the scanner, looked up in byteClass: one load per byte
// instead of a chain of comparisons in the loops that visit every byte.
const (
	mcSpace   = 1 << iota // white space (NUL included)
	mcSkip                // skipped before a token: white space or a stray ')'
	mcWordEnd             // ends a word: white space, '(', ')', ';', ',', '['
	mcComment             // matters inside a comment: '(', ')', '\\'
	// cNotIP: an ASCII byte parseIP's text cannot start with, anything
	// but '[', the white space strings.TrimSpace removes, the 'i' of
	// "IPv6:", a hex digit, '.' and ':'.
	mcNotIP
)

var mbyteClass = func() (t [256]uint8) {
	for _, c := range []byte(" \t\r\n\x00\f\v") {
		t[c] = mcSpace | mcSkip | mcWordEnd
	}
	t[')'] = mcSkip | mcWordEnd
	for _, c := range []byte("(;,[") {
		t[c] = mcWordEnd
	}
	for _, c := range []byte("()\\") {
		t[c] |= mcComment
	}
	for c := range utf8.RuneSelf {
		if !strings.ContainsRune("[\t\n\v\f\r iI0123456789abcdefABCDEF.:", rune(c)) {
			t[c] |= mcNotIP
		}
	}
	return t
}()

func misSpace(c byte) bool { return mbyteClass[c]&mcSpace != 0 }

// next scans the token starting at or after s[i]. ok is false at the end.
func mnext(s string, i int) (t mtoken, j int, ok bool) {
	for i < len(s) && mbyteClass[s[i]]&mcSkip != 0 {
		i++
	}
	if i >= len(s) {
		return mtoken{}, i, false
	}
	start := i
	switch s[i] {
	case '(':
		depth := 0
		for i < len(s) {
			for i < len(s) && mbyteClass[s[i]]&mcComment == 0 {
				i++
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
		return mtoken{mtComment, inner, start}, i, true
	case '[':
		if k := strings.IndexByte(s[i:], ']'); k >= 0 {
			i += k
		} else {
			i = len(s)
		}
		if i < len(s) {
			i++
		}

		if i+1 < len(s) && s[i] == ':' && s[i+1] >= '0' && s[i+1] <= '9' {
			i++
			for i < len(s) && s[i] >= '0' && s[i] <= '9' {
				i++
			}
		}
		return mtoken{mtLiteral, s[start:i], start}, i, true
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
		return mtoken{mtAngle, s[start:i], start}, i, true
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
		return mtoken{mtQuoted, inner, start}, i, true
	case ';':
		return mtoken{mtSemi, ";", start}, i + 1, true
	case ',':
		return mtoken{mtComma, ",", start}, i + 1, true
	}
	for i < len(s) && mbyteClass[s[i]]&mcWordEnd == 0 {
		i++
	}
	return mtoken{mtWord, s[start:i], start}, i, true
}

// keyword returns the clause keyword a word stands for (RFC 5321 §4.4), or 0.
func mkeyword(w string) byte {
	switch len(w) {
	case 2:
		if masciiFold(w, "by") {
			return 'b'
		}
		if masciiFold(w, "id") {
			return 'i'
		}
	case 3:
		if masciiFold(w, "via") {
			return 'v'
		}
		if masciiFold(w, "for") {
			return 'f'
		}
	case 4:
		if masciiFold(w, "from") {
			return 'F'
		}
		if masciiFold(w, "with") {
			return 'w'
		}
	}
	return 0
}

// maxDateLookback bounds the search for a date without a ';' (tokens from
// the end of the value).
const mmaxDateLookback = 48

type mspan struct{ a, b int } // token index range [a, b)

// commentInfo is what one TCP-info comment (or the loose tokens of the from
// clause) says about the peer.
type mcommentInfo struct {
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
func parseModel(value string) Received {
	s := value
	if strings.IndexByte(s, 0) >= 0 {

		s = strings.ReplaceAll(s, "\x00", "")
	}
	p := mparser{s: s}
	p.r.Raw = value
	p.mrun()
	return p.r
}

type mparser struct {
	s string
	// r is the result. It lives in the parser: pointing the parser at a
	// Received of Parse's would move that to the heap, an allocation per
	// field.
	r Received
	// fromComment: the from clause came as a leading comment, "(from x)".
	fromComment bool
	exim        bool
	tls         string
	http        bool // the hop was a web submission: no SMTP HELO exists
}

func (p *mparser) mwarn(w string) { p.r.Warnings = append(p.r.Warnings, w) }

func (p *mparser) mrun() {
	s := p.s
	// Pass 1: scan.
	var buf [48]mtoken
	toks := buf[:0]
	lastSemi := -1
	for i := 0; ; {
		t, j, ok := mnext(s, i)
		if !ok {
			break
		}
		i = j
		if t.kind == mtSemi {
			lastSemi = len(toks)
		}
		toks = append(toks, t)
	}

	clause := toks
	if lastSemi >= 0 {
		mfrom := toks[lastSemi].start + 1
		if t, n, err := maildate.ParsePrefix(s[mfrom:]); err == nil {
			p.r.Date, p.r.DateRaw = t, strings.TrimSpace(s[mfrom:mfrom+n])
			clause = mcutTokens(toks, lastSemi, mfrom+n)
		} else if k, end, ok := p.mrecoverDate(toks, lastSemi+1); ok {
			clause = mcutTokens(toks, k, end)
		} else {
			raw := strings.TrimSpace(s[mfrom:])
			if raw != "" {
				p.r.DateRaw = raw
				p.mwarn("unparsable date: " + mquote(raw))
			} else {
				p.mwarn("no date after the last ';'")
			}
		}
	} else if k, end, ok := p.mrecoverDate(toks, 0); ok {
		clause = mcutTokens(toks, k, end)
	} else {
		p.mwarn("no date")
	}

	p.mclauses(clause)
	if p.r.Date.IsZero() && p.r.DateRaw == "" && len(p.r.Warnings) == 0 {
		p.mwarn("no date")
	}
}

// cutTokens returns toks[:k] followed by the tokens that start at or after
// byte offset off (what follows a date, e.g. "id X" or a comment). It
// moves them down in toks itself, which the caller no longer reads.
func mcutTokens(toks []mtoken, k, off int) []mtoken {
	j := k
	for j < len(toks) && toks[j].start < off {
		j++
	}
	return append(toks[:k], toks[j:]...)
}

// recoverDate looks for a date without a ";" before it (SendGrid, Go's
// time.String, ISO dates, "id X Mon, 11 Sep 2006 ..."): the first word from
// toks[from:] that starts a complete date. It returns the token index.
func (p *mparser) mrecoverDate(toks []mtoken, mfrom int) (k, end int, ok bool) {

	if n := len(toks) - mmaxDateLookback; n > mfrom {
		mfrom = n
	}
	for k = mfrom; k < len(toks); k++ {
		t := toks[k]
		if t.kind != mtWord || !mdateStart(t.s) {
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
func mdateStart(w string) bool {
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
	l := string([]byte{w[0] | 0x20, w[1] | 0x20, w[2] | 0x20})
	switch l {
	case "mon", "tue", "wed", "thu", "fri", "sat", "sun",
		"jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec":
		return true
	}
	return false
}

func mquote(s string) string {
	if len(s) > 80 {
		s = s[:80] + "..."
	}
	return strconv.Quote(s)
}

func (p *mparser) mclauses(toks []mtoken) {
	r := &p.r

	if len(toks) > 0 && toks[0].kind == mtComment && mhasPrefixFold(strings.TrimSpace(toks[0].s), "from ") {
		inner, base := toks[0].s, toks[0].start+1
		var buf [32]mtoken
		sub := buf[:0]
		for i := 0; ; {
			t, j, ok := mnext(inner, i)
			if !ok {
				break
			}
			i = j
			t.start += base
			sub = append(sub, t)
		}
		toks = append(sub, toks[1:]...)
		p.fromComment = true
	}
	var mfrom, by, via, with, id, fr mspan
	seen := [256]bool{}
	cur := byte(0)
	curStart := 0
	closeClause := func(end int) {
		sp := mspan{curStart, end}
		switch cur {
		case 'F':
			if !seen['F'] {
				mfrom = sp
			} else if sp.b > sp.a && toks[sp.a].kind == mtAngle && r.EnvelopeFrom == "" {

				r.EnvelopeFrom = munangle(toks[sp.a].s)
			}
		case 'b':
			if !seen['b'] {
				by = sp
			} else if sp.b > sp.a && toks[sp.a].kind == mtWord && mequalFold(toks[sp.a].s, "uid") {

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
		if t.kind == mtComment {
			p.mcomment(t.s)
		}
		if t.kind != mtWord {
			continue
		}
		if (mequalFold(t.s, "envelope-from") || mequalFold(t.s, "envelope-sender")) && k+1 < len(toks) && r.EnvelopeFrom == "" {

			if n := toks[k+1]; n.kind == mtAngle || n.kind == mtWord && strings.Contains(n.s, "@") {
				r.EnvelopeFrom = munangle(n.s)
			}
		}
		kw := mkeyword(t.s)
		if kw == 0 {
			continue
		}

		closeClause(k)
		cur, curStart = kw, k+1
	}
	closeClause(len(toks))

	r.Parsed = seen['F'] || seen['b'] || r.Local

	if seen['w'] {
		p.mwithClause(toks[with.a:with.b])
	}
	if seen['v'] {

		r.Via = p.mwords(toks[via.a:via.b], 4)
		if w := mfirstValue(toks[via.a:via.b]); w != "" {
			if mequalFold(w, "HTTP") || mequalFold(w, "HTTPS") {

				p.http = true
			}
		}
	}
	if seen['i'] {
		r.ID = strings.TrimRight(munangle(mfirstValue(toks[id.a:id.b])), ",")
	}
	if seen['f'] {
		r.For = strings.TrimRight(munangle(mfirstValue(toks[fr.a:fr.b])), ",")
	}
	if seen['b'] {
		p.mbyClause(toks[by.a:by.b])
	}
	if seen['F'] {
		p.mfromClause(toks[mfrom.a:mfrom.b])
	}
	if r.With != "" {
		proto := r.With
		if i := strings.IndexByte(proto, ' '); i >= 0 {
			proto = proto[:i]
		}
		if mauthProto(proto) && r.Auth == "" {
			r.Auth = proto
		}
		if mhasPrefixFold(proto, "local") {

			r.Local = true
		}
	}
	r.TLS = p.tls
	if !r.Parsed {
		p.mwarn("no from or by clause")
	}
}

// authProto reports whether a with-protocol says the client authenticated:
// RFC 3848 (ESMTPA, ESMTPSA, LMTPA, LMTPSA), RFC 6531 (UTF8SMTPA...),
// Exim's old "asmtp", and webmail submissions (HTTP, HTTPS, HTTPU), which
// need a login, as SpamAssassin counts them.
func mauthProto(p string) bool {
	u := mupperASCII(p)
	switch {
	case masciiFold(u, "ASMTP"), masciiFold(u, "HTTP"), masciiFold(u, "HTTPS"), masciiFold(u, "HTTPU"), masciiFold(u, "HTTPSU"):
		return true
	}
	for _, pre := range []string{"ESMTP", "LMTP", "UTF8SMTP", "UTF8LMTP", "SMTP"} {
		if mhasPrefixFold(u, pre) {
			rest := u[len(pre):]
			return masciiFold(rest, "A") || masciiFold(rest, "SA")
		}
	}
	return false
}

// upperASCII stands in for strings.ToUpper(s) where s is then only
// compared with upper-case ASCII literals by asciiFold or hasPrefixFold:
// an ASCII s is returned as is (folding does the rest, no copy), any other
// is upper-cased by Unicode rules as before ("eſmtpa" is ESMTPA), and an
// upper-cased string matches under ASCII folding exactly when it is equal.
func mupperASCII(s string) string {
	if misASCII(s) {
		return s
	}
	return strings.ToUpper(s)
}

func mfirstValue(toks []mtoken) string {
	for _, t := range toks {
		switch t.kind {
		case mtWord, mtAngle, mtLiteral, mtQuoted:
			return t.s
		case mtComment, mtComma:
			continue
		}
		break
	}
	return ""
}

// words joins up to max leading words of a clause, stopping at the first
// comment or other token.
func (p *mparser) mwords(toks []mtoken, max int) string {
	var buf [4]string
	w := buf[:0]
	for len(w) < len(toks) && len(w) < max && toks[len(w)].kind == mtWord {
		w = append(w, toks[len(w)].s)
	}
	if len(w) == 0 {
		return ""
	}
	return mjoinWords(p.s, toks[0].start, w)
}

// joinWords is strings.Join(words, " "). When s holds exactly that text
// from offset at, as it does for words written one space apart, it returns
// that substring of s and allocates nothing; at is only a hint, the text is
// compared.
func mjoinWords(s string, at int, mwords []string) string {
	if len(mwords) <= 1 {
		return strings.Join(mwords, " ")
	}
	end := at
	for i, w := range mwords {
		if i > 0 {
			if end >= len(s) || s[end] != ' ' {
				return strings.Join(mwords, " ")
			}
			end++
		}
		if end < 0 || end+len(w) > len(s) || s[end:end+len(w)] != w {
			return strings.Join(mwords, " ")
		}
		end += len(w)
	}
	return s[at:end]
}

// unangle strips "<" ">" (also doubled, "<<x>>").
func munangle(s string) string {
	for len(s) >= 2 && s[0] == '<' && s[len(s)-1] == '>' {
		s = s[1 : len(s)-1]
	}
	return strings.TrimSpace(s)
}

func (p *mparser) mwithClause(toks []mtoken) {
	var buf [16]string
	mwords := buf[:0]
	at := 0
	for i := 0; i < len(toks); i++ {
		t := toks[i]
		switch t.kind {
		case mtWord, mtLiteral:
			w := t.s

			if mequalFold(w, "tls") && len(mwords) > 0 && i+1 < len(toks) && toks[i+1].kind == mtWord {
				p.maddTLS(toks[i+1].s)
				i++
				continue
			}

			if k := strings.IndexByte(w, '/'); k > 0 && len(mwords) == 0 && t.kind == mtWord {
				rest := w[k+1:]
				w = w[:k]
				if mhasPrefixFold(rest, "TLS/") || mhasPrefixFold(rest, "SSL/") {
					p.maddTLS(rest[4:])
				} else if rest != "" {
					p.maddTLS(rest)
				}
			}
			if len(mwords) == 0 {
				at = t.start
			}
			if len(mwords) < 16 {
				mwords = append(mwords, w)
			}
		}
	}
	p.r.With = mjoinWords(p.s, at, mwords)
	if len(mwords) > 0 {
		switch u := mupperASCII(mwords[0]); {
		case masciiFold(u, "HTTP"), masciiFold(u, "HTTPS"), masciiFold(u, "HTTPU"), masciiFold(u, "HTTPSU"):
			p.http = true
		}
	}
}

func (p *mparser) maddTLS(s string) {
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

func (p *mparser) mbyClause(toks []mtoken) {
	r := &p.r
	if len(toks) == 0 {
		return
	}
	i := 0
	if toks[0].kind == mtWord || toks[0].kind == mtLiteral || toks[0].kind == mtAngle {
		r.By.Host = toks[0].s
		if toks[0].kind == mtAngle {
			r.By.Host = munangle(r.By.Host)
		}
		if ip, _, ok := mparseIP(toks[0].s); ok {
			r.By.IP = ip
		}
		i = 1
	}

	for ; i < len(toks); i++ {
		t := toks[i]
		if t.kind != mtComment {
			continue
		}
		if r.By.IP.IsValid() {
			break
		}
		var ci mcommentInfo
		mscanTCPInfo(t.s, &ci)
		if ci.ip.IsValid() {
			r.By.IP = ci.ip
		}
	}
}

// fromClause reads the from-domain and its TCP-info comments.
func (p *mparser) mfromClause(toks []mtoken) {
	r := &p.r
	var name string
	var nameIP netip.Addr
	i := 0
	if len(toks) > 0 && (toks[0].kind == mtWord || toks[0].kind == mtLiteral) {
		name = toks[0].s
		i = 1
		if ip, _, ok := mparseIP(name); ok {
			nameIP = ip
		}
	}
	r.From.Name = name
	nameLiteral := strings.HasPrefix(name, "[")
	var ci mcommentInfo
	var litIP netip.Addr
	var litPort int
	claiming := ""
	heloFromComment := ""
	for ; i < len(toks); i++ {
		t := toks[i]
		switch t.kind {
		case mtComment:
			var c mcommentInfo
			mscanTCPInfo(t.s, &c)
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
		case mtLiteral:
			if ip, port, ok := mparseIP(t.s); ok && !litIP.IsValid() {
				litIP, litPort = ip, port
			}
		case mtWord:

			if mequalFold(t.s, "claiming") && i+3 < len(toks) && toks[i+3].kind == mtQuoted {
				claiming = toks[i+3].s
			}
		}
	}

	ipFromName := false
	switch {
	case ci.ip.IsValid() && nameLiteral && nameIP.IsValid() && ci.ipForm == 'p' && ci.ip != nameIP:

		r.From.IP = nameIP
		ipFromName = true
	case ci.ip.IsValid():
		r.From.IP, r.From.Port = ci.ip, ci.port
	case litIP.IsValid():
		r.From.IP, r.From.Port = litIP, litPort
	case nameIP.IsValid():
		r.From.IP = nameIP
		ipFromName = true
		if _, port, _ := mparseIP(name); port != 0 {
			r.From.Port = port
		}
	}
	if r.From.Port == 0 && ci.port != 0 {
		r.From.Port = ci.port
	}
	r.From.Ident = ci.ident
	hostName := mhostLike(name)

	rdns := ""
	switch {
	case ci.rdns != "":

		rdns = ci.rdns
	case ci.unknown:

	case ci.verified && hostName:

		rdns = name
	case ci.ipForm == 'b' && (p.exim || ci.heloEq) && hostName:

		rdns = name
	case ci.ipForm == 'p' && !ci.ipPort && hostName && strings.Contains(name, "."):

		rdns = name
	case !ci.ip.IsValid() && litIP.IsValid() && hostName && strings.Contains(name, "."):

		rdns = name
	case !ci.ip.IsValid() && !litIP.IsValid() && ci.emptyLit && hostName && strings.Contains(name, "."):

		rdns = name
	case !ci.ip.IsValid() && !litIP.IsValid() && heloFromComment != "" && strings.Contains(heloFromComment, "."):

		rdns = heloFromComment
	}
	if _, _, ok := mparseIP(rdns); ok || mequalFold(rdns, "unknown") {
		rdns = ""
	}
	r.From.RDNS = strings.TrimSuffix(rdns, ".")

	if p.fromComment && !r.From.IP.IsValid() {
		r.Local = true
		return
	}

	switch {
	case ci.heloSet:
		r.From.HELO = ci.helo
	case claiming != "":
		r.From.HELO = claiming
	case heloFromComment != "" && !ci.ip.IsValid() && litIP.IsValid():
		r.From.HELO = heloFromComment
	case p.http:

	case ipFromName:

	case nameLiteral && ci.account:

	case name == "" && ci.rdnsWord != "":

		r.From.HELO = ci.rdnsWord
	default:
		r.From.HELO = name
	}
}

// hostLike: a plausible DNS name (not an address, not a marker).
func mhostLike(s string) bool {
	if s == "" || mequalFold(s, "unknown") {
		return false
	}
	if _, _, ok := mparseIP(s); ok {
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
func (p *mparser) mcomment(c string) {
	r := &p.r
	c = strings.TrimSpace(c)
	if c == "" {
		return
	}
	ct := mnewText(c)
	switch {
	case mhasPrefixFold(c, "exim ") || mequalFold(c, "exim"):
		p.exim = true
	case mhasPrefixFold(c, "via http"):

		p.http = true
		if r.With == "" {
			r.With = strings.TrimSpace(c[4:])
		}
	}

	if r.Auth == "" {
		switch {
		case mhasPrefixFold(c, "authenticated sender:"),
			mhasPrefixFold(c, "authenticated as "),
			mhasPrefixFold(c, "authenticated bits="),
			mhasPrefixFold(c, "authenticated ("),
			mequalFold(c, "authenticated"),
			mhasPrefixFold(c, "auth: "),
			ct.mcontains(mnAuthUser),
			mhasPrefixFold(c, "account "):
			a := c
			if mhasPrefixFold(c, "auth: ") {
				if k := strings.IndexByte(a, ','); k > 0 {
					a = a[:k]
				}
			}
			if mhasPrefixFold(c, "account ") {
				// CommuniGate: "account user@example HELO name"
				var f [2]string
				if mfields(a, f[:]) == 2 {
					a = mjoinWords(a, 0, f[:])
				}
			}
			r.Auth = a
		}
	}

	switch {
	case mhasPrefixFold(c, "using "):
		// Postfix: "using TLSv1.3 with cipher TLS_AES_256_GCM_SHA384 (256/256 bits) ..."
		var f [4]string
		if n := mfields(c[6:], f[:]); n > 0 {
			v := f[0]
			if n >= 4 && mequalFold(f[1], "with") && mequalFold(f[2], "cipher") {
				v += " " + f[3]
			}
			p.maddTLS(v)
		}
	case ct.mcontains(mnCipher):

		switch v, ci := mkv(ct, mnVersion), mkv(ct, mnCipher); {
		case v == "":
			p.maddTLS(strings.TrimSpace(ci))
		case ci == "":
			p.maddTLS(strings.TrimSpace(v))
		default:
			p.maddTLS(strings.TrimSpace(v + " " + ci))
		}
	case mhasPrefixFold(c, "tls") || mhasPrefixFold(c, "ssl"):

		if !strings.ContainsAny(c, " \t") {
			p.maddTLS(c)
		}
	case ct.mcontains(mnTLSColon) || ct.mcontains(mnSSLColon):

		k := ct.mindex(mnTLSColon)
		if k < 0 {
			k = ct.mindex(mnSSLColon)
		}
		p.maddTLS(c[k+5:])
	case mhasSuffixFold(c, " encrypted"):

		p.maddTLS(c[:len(c)-len(" encrypted")])
	}

	if r.EnvelopeFrom == "" {
		for _, key := range [...]mneedle{mnEnvFrom, mnEnvSend} {
			k := ct.mindex(key)
			if k < 0 {
				continue
			}
			rest := strings.TrimLeft(c[k+len(key.s):], " \t:=")
			if t, _, ok := mnext(rest, 0); ok && (t.kind == mtWord || t.kind == mtAngle) {
				e := strings.TrimRight(munangle(t.s), ",")
				if t.kind == mtAngle || strings.Contains(e, "@") {
					r.EnvelopeFrom = e
				}
			}
			break
		}
	}

	if !r.Local && (ct.mcontains(mnInvBy) || ct.mcontains(mnInvFrom) ||
		muidMarker(ct, mnUserid) || muidMarker(ct, mnUID)) {
		r.Local = true
	}
}

// fields stores the first len(f) fields of strings.Fields(s) in f and
// returns how many it stored, without making the slice of all of them.
func mfields(s string, f []string) int {
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

// uidMarker: "uid 502" / "userid 0" as words followed by a number.
func muidMarker(t mtext, n mneedle) bool {
	l, key := t.s, n.s
	for off := 0; ; {
		k := t.mfrom(off).mindex(n)
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
func mkv(t mtext, key mneedle) string {
	k := t.mindex(key)
	if k < 0 {
		return ""
	}
	v := t.s[k+len(key.s):]
	for i := 0; i < len(v); i++ {
		if misSpace(v[i]) || v[i] == ',' || v[i] == ')' {
			return v[:i]
		}
	}
	return v
}

// scanner is next over one string that remembers its last answer: a word
// of the TCP-info is read after a look at the token that follows it, and
// that token is then not scanned a second time.
type mscanner struct {
	s  string
	at int // the offset last scanned from, -1 for none
	t  mtoken
	j  int
	ok bool
}

func (sc *mscanner) mnext(i int) (mtoken, int, bool) {
	if i != sc.at {
		sc.t, sc.j, sc.ok = mnext(sc.s, i)
		sc.at = i
	}
	return sc.t, sc.j, sc.ok
}

// scanTCPInfo reads one comment of the from (or by) clause: the TCP-info of
// RFC 5321 §4.4 and what MTAs put there instead.
func mscanTCPInfo(c string, ci *mcommentInfo) {
	prev := ""
	mwords := 0
	nameOnly := ""
	sc := mscanner{s: c, at: -1}
	for i := 0; ; {
		t, j, ok := sc.mnext(i)
		if !ok {
			break
		}
		i = j
		switch t.kind {
		case mtLiteral:
			mwords++
			ip, port, ok := mparseIP(t.s)
			if !ok {

				if prev != "" && mhostLike(prev) && ci.rdns == "" && !ci.ip.IsValid() && strings.Contains(prev, ".") {
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

						ci.ident = name[:k]
						name = name[k+1:]
					}
					switch {
					case mequalFold(name, "unknown"), mequalFold(name, "softdnserr"), mequalFold(name, "unverified"):
						ci.unknown = true
					default:
						if mhostLike(name) {
							ci.rdns = name
						}
					}
				}
			}
			prev = ""
		case mtWord:
			mwords++
			w := t.s
			switch {
			case mequalFold(w, "helo") || mequalFold(w, "ehlo") || mequalFold(w, "lhlo"):

				ci.heloSet = true
				ci.helo = ""
				if t2, j2, ok := sc.mnext(i); ok && (t2.kind == mtWord || t2.kind == mtLiteral) {
					ci.helo = t2.s
					i = j2
				}
				prev = ""
				continue
			case mhasPrefixFold(w, "helo="):
				ci.helo, ci.heloSet, ci.heloEq = w[5:], true, true
				if ci.helo == "" {

					if t2, j2, ok := sc.mnext(i); ok && t2.kind == mtLiteral && t2.start == i {
						ci.helo = t2.s
						i = j2
					}
				}
				continue
			case mhasPrefixFold(w, "ident="):
				ci.ident = w[6:]
				continue
			case mhasPrefixFold(w, "port="):
				if n, ok := mportNumber(w[5:]); ok {
					ci.port = n
				}
				continue
			case mequalFold(w, "verified"):
				ci.verified = true
				continue
			case mequalFold(w, "unverified"):
				ci.unknown = true
				continue
			case mequalFold(w, "unknown") || mequalFold(w, "softdnserr"):
				ci.unknown = true
				prev = w
				continue
			case mequalFold(w, "account"):
				ci.account = true

				if _, j2, ok := sc.mnext(i); ok {
					i = j2
				}
				continue
			}
			nextIsLiteral := false
			if t2, _, ok := sc.mnext(i); ok && t2.kind == mtLiteral {
				nextIsLiteral = true
			}
			if !ci.ip.IsValid() && !nextIsLiteral {

				cand := w
				ident := ""
				if k := strings.LastIndexByte(cand, '@'); k >= 0 {
					ident, cand = cand[:k], cand[k+1:]
				}
				if ip, port, ok := mparseIP(cand); ok {
					ci.ip, ci.port, ci.ipForm, ci.ipPort = ip, port, 'p', port != 0
					if ident != "" {
						ci.ident = ident
					}
					prev = ""
					continue
				}
			}
			if mwords == 1 {
				nameOnly = w
			}
			prev = w
		case mtComment:

			prev = ""
		case mtAngle:

			mwords++
			prev = ""
			ci.unknown = true
		default:
			prev = ""
		}
	}
	if mwords == 1 && nameOnly != "" && !ci.ip.IsValid() && mhostLike(nameOnly) {
		ci.bareName = nameOnly
	}
}

// parseIP parses an address as MTAs write it: "192.0.2.1", "[192.0.2.1]",
// "[IPv6:2001:db8::1]" (RFC 5321 §4.1.3), "[192.0.2.1]:25", "192.0.2.1:25",
// "[192.0.2.1.25]" (Exim 3's port), "::ffff:192.0.2.1" (unmapped to IPv4),
// "fe80::1%eth0" (zone dropped). ok is false for anything else.
func mparseIP(s string) (netip.Addr, int, bool) {
	if s == "" || mbyteClass[s[0]]&mcNotIP != 0 {

		return netip.Addr{}, 0, false
	}
	port := 0
	if strings.HasPrefix(s, "[") {
		k := strings.IndexByte(s, ']')
		if k < 0 {
			return netip.Addr{}, 0, false
		}
		if rest := s[k+1:]; strings.HasPrefix(rest, ":") {
			if n, ok := mportNumber(rest[1:]); ok {
				port = n
			}
		} else if rest != "" {
			return netip.Addr{}, 0, false
		}
		s = strings.Trim(s[1:k], "() \t")
	}
	s = strings.TrimSpace(s)
	if len(s) > 5 && masciiFold(s[:5], "ipv6:") {
		s = s[5:]
	}
	if s == "" || len(s) > 64 {
		return netip.Addr{}, 0, false
	}

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
	if ip, ok := mparseAddr(s); ok {
		return mclean(ip), port, true
	}

	colon := -1
	if strings.Count(s, ":") == 1 {
		colon = strings.IndexByte(s, ':')
		if ip, ok := mparseAddr(s[:colon]); ok && ip.Is4() {
			if n, ok := mportNumber(s[colon+1:]); ok {
				return mclean(ip), n, true
			}
		}
	}
	if strings.Count(s, ".") == 4 {
		k := strings.LastIndexByte(s, '.')
		if ip, ok := mparseAddr(s[:k]); ok && ip.Is4() {
			if n, ok := mportNumber(s[k+1:]); ok {
				return mclean(ip), n, true
			}
		}
	}

	if colon >= 0 && mipv4Shape(s[:colon]) {
		if ap, err := netip.ParseAddrPort(s); err == nil {
			return mclean(ap.Addr()), int(ap.Port()), true
		}
	}
	return netip.Addr{}, 0, false
}

// parseAddr is netip.ParseAddr(x) without its error: dotted quads are read
// in one pass, the rest through ipclass.ParseAddr.
func mparseAddr(x string) (netip.Addr, bool) {
	if ip, ok := mparseIPv4(x); ok {
		return ip, true
	}
	return ipclass.ParseAddr(x)
}

// parseIPv4 reads a dotted quad as netip.ParseAddr does: four decimal
// fields of 0-255 without leading zeros, nothing else. ok false says only
// that x is not such a quad; it may still be an address of another form.
func mparseIPv4(x string) (netip.Addr, bool) {
	var b [4]byte
	f, n, digits := 0, 0, 0
	for i := 0; i < len(x); i++ {
		c := x[i]
		if c >= '0' && c <= '9' {
			if digits == 1 && n == 0 {
				return netip.Addr{}, false
			}
			n = n*10 + int(c-'0')
			digits++
			if n > 255 {
				return netip.Addr{}, false
			}
			continue
		}
		if c != '.' || digits == 0 || f == 3 {
			return netip.Addr{}, false
		}
		b[f] = byte(n)
		f, n, digits = f+1, 0, 0
	}
	if f != 3 || digits == 0 {
		return netip.Addr{}, false
	}
	b[3] = byte(n)
	return netip.AddrFrom4(b), true
}

// ipv4Shape reports whether x is four fields of one to three digits joined
// by dots, as every IPv4 address netip parses is.
func mipv4Shape(x string) bool {
	mfields, digits := 1, 0
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
			mfields++
			digits = 0
		default:
			return false
		}
	}
	return mfields == 4 && digits > 0
}

// portNumber is strconv.Atoi(x) limited to a TCP port, 1 to 65535, without
// the error value Atoi allocates for a word that is not a number. Like
// Atoi it takes a '+' sign and leading zeros ("+25", "0025"); a '-' sign
// could only give a number below 1.
func mportNumber(x string) (int, bool) {
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
			n = 65536
		}
	}
	return n, n > 0 && n < 65536
}

func mclean(ip netip.Addr) netip.Addr {
	return ip.Unmap().WithZone("")
}

// lower maps ASCII upper case to lower case and every other byte to
// itself.
var mlower = func() (t [256]byte) {
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
func masciiFold(a, b string) bool {
	if len(a) != len(b) {
		return false
	}
	for i := 0; i < len(a); i++ {
		if mlower[a[i]] != mlower[b[i]] {
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
func mequalFold(s, lit string) bool {
	if len(s) != len(lit) {
		return len(s) > len(lit) && len(s) <= 3*len(lit) &&
			(s[0] >= utf8.RuneSelf || mlower[s[0]] == mlower[lit[0]]) && strings.EqualFold(s, lit)
	}
	return masciiFold(s, lit)
}

func mhasPrefixFold(s, prefix string) bool {
	return len(s) >= len(prefix) && masciiFold(s[:len(prefix)], prefix)
}

// byteSet sums up the bytes of s, ASCII upper case folded to lower: bit
// b&63 is set for each byte b. A needle with a byte whose bit a text lacks
// does not occur in it (the converse does not hold).
func mbyteSet(s string) uint64 {
	// One table load per byte, in two independent sums so that the ORs
	// of consecutive bytes need not wait for each other.
	var a, b uint64
	i := 0
	for ; i+1 < len(s); i += 2 {
		a |= mbyteBit[s[i]]
		b |= mbyteBit[s[i+1]]
	}
	if i < len(s) {
		a |= mbyteBit[s[i]]
	}
	return a | b
}

// byteBit[c] is the bit byteSet sets for the byte c.
var mbyteBit = func() (t [256]uint64) {
	for c := range t {
		t[c] = 1 << (mlower[c] & 63)
	}
	return t
}()

// A needle is a lower-case ASCII string searched for with ASCII case
// folding.
type mneedle struct {
	s string
	// anchor is the index in s of a byte that case folding leaves alone
	// (punctuation or a digit, a space only when there is nothing rarer),
	// -1 when s is all letters.
	anchor int
	set    uint64 // byteSet(s)
}

func mnewNeedle(s string) mneedle {
	n := mneedle{s: s, anchor: -1, set: mbyteSet(s)}
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
	mnAuthUser = mnewNeedle("authenticated user ")
	mnCipher   = mnewNeedle("cipher=")
	mnVersion  = mnewNeedle("version=")
	mnTLSColon = mnewNeedle("tls: ")
	mnSSLColon = mnewNeedle("ssl: ")
	mnEnvFrom  = mnewNeedle("envelope-from")
	mnEnvSend  = mnewNeedle("envelope-sender")
	mnInvBy    = mnewNeedle("invoked by ")
	mnInvFrom  = mnewNeedle("invoked from ")
	mnUserid   = mnewNeedle("userid ")
	mnUID      = mnewNeedle("uid ")
)

// text is a string to search for needles, with its byteSet.
type mtext struct {
	s   string
	set uint64
}

func mnewText(s string) mtext { return mtext{s, mbyteSet(s)} }

// index is strings.Index(t.s, n.s) with ASCII case folding.
func (t mtext) mindex(n mneedle) int {
	s, sub := t.s, n.s
	if len(sub) > len(s) || n.set&^t.set != 0 {
		return -1
	}
	if n.anchor < 0 {
		c0 := sub[0]
		for i := 0; i+len(sub) <= len(s); i++ {
			if (s[i] == c0 || s[i] == c0-('a'-'A')) && mequalLower(s[i:i+len(sub)], sub) {
				return i
			}
		}
		return -1
	}

	a := n.anchor
	c := sub[a]
	for lo, hi := a, len(s)-len(sub)+a+1; lo < hi; {
		k := strings.IndexByte(s[lo:hi], c)
		if k < 0 {
			break
		}
		if i := lo + k - a; mequalLower(s[i:i+len(sub)], sub) {
			return i
		}
		lo += k + 1
	}
	return -1
}

func (t mtext) mcontains(n mneedle) bool { return t.mindex(n) >= 0 }

// equalLower reports whether t, ASCII upper case folded to lower, is sub
// (of the same length).
func mequalLower(t, sub string) bool {
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
func (t mtext) mfrom(off int) mtext { return mtext{t.s[off:], t.set} }

func mhasSuffixFold(s, suffix string) bool {
	return len(s) >= len(suffix) && masciiFold(s[len(s)-len(suffix):], suffix)
}

// isASCII reports whether s has no byte above 0x7F.
func misASCII(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] >= 0x80 {
			return false
		}
	}
	return true
}
