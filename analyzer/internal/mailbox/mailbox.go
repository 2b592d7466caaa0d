// Package mailbox reads the commonest forms of an RFC 5322 mailbox without
// net/mail, answering exactly as net/mail does (the tests of analyzer and
// analyzer/auth hold it to that), so that the header summary and the
// identity findings spare net/mail's allocations on every message.
package mailbox

import "strings"

// Simple recognises the commonest mailboxes and returns what
// mail.ParseAddress returns for them: "local@domain", "<local@domain>" and
// "phrase <local@domain>", where local and domain are dot-atoms of ASCII
// atext (RFC 5322 §3.2.3) and the phrase is words separated by white space,
// each an atom of ASCII atext and dots (not an encoded-word) or a non-empty
// quoted string of printable ASCII without quoted-pairs. net/mail joins the
// words with single spaces and keeps a quoted string's content as it is.
// It reads "local@domain (Name)" as well (commented), and a phrase that
// ends in a comment (uncommented).
func Simple(s string) (addr, name string, ok bool) {
	if addr, ok := simpleAddr(s); ok {
		return addr, "", true
	}
	addr, phrase, ok := angled(s)
	if !ok {
		return commented(s)
	}
	if phrase, ok = uncommented(phrase); !ok {
		return "", "", false
	}
	asWritten, ok := scanPhrase(phrase, nil)
	switch {
	case !ok:
		return "", "", false
	case asWritten:
		return addr, phrase, true
	}
	// Quoted or spaced otherwise: the words joined, a copy only when there
	// are several.
	var first string
	var b strings.Builder
	n := 0
	scanPhrase(phrase, func(w string) {
		switch n {
		case 0:
			first = w
		case 1:
			b.Grow(len(phrase))
			b.WriteString(first)
			fallthrough
		default:
			b.WriteByte(' ')
			b.WriteString(w)
		}
		n++
	})
	if n == 1 {
		return addr, first, true
	}
	return addr, b.String(), true
}

// angled splits "phrase <addr>" at its last '<': the address as simpleAddr
// reads it, and the phrase before it trimmed on the right.
func angled(s string) (addr, phrase string, ok bool) {
	lt := strings.LastIndexByte(s, '<')
	if lt <= 0 || s[len(s)-1] != '>' {
		return "", "", false
	}
	if addr, ok = simpleAddr(s[lt:]); !ok {
		return "", "", false
	}
	return addr, trimRightBlanks(s[:lt]), true
}

// commented recognises the older form of a mailbox, "local@domain (Name)"
// (RFC 822 §6.1, as MAILER-DAEMON and many bounces still write From): an
// address simpleAddr reads, blanks, then a comment ending s whose text is
// printable ASCII words separated by single spaces, without parentheses,
// backslashes or "=?" (the address not in angle brackets). net/mail reads the address as an addr-spec and
// the comment after it as the display name (consumeDisplayNameComment):
// the comment's words, decoded (none is an encoded-word here), joined by
// single spaces, which is the comment's text itself.
func commented(s string) (addr, name string, ok bool) {
	n := len(s)
	if n == 0 || s[n-1] != ')' {
		return "", "", false
	}
	lp := strings.LastIndexByte(s, '(')
	if lp <= 0 {
		return "", "", false
	}
	name = s[lp+1 : n-1]
	if !commentWords(name) {
		return "", "", false
	}
	a := trimRightBlanks(s[:lp])
	if a == "" || a[0] == '<' {
		// "<local@domain> (Name)" is a name-addr to net/mail, whose
		// comment names nothing
		return "", "", false
	}
	if addr, ok = simpleAddr(a); !ok {
		return "", "", false
	}
	return addr, name, true
}

// uncommented returns the phrase p, trimmed on the right, without the
// comment it ends in, as in "Name (Company) <local@domain>": net/mail
// skips a comment after a word of the phrase (obs-phrase, RFC 5322 §4.1),
// whatever it holds but parentheses and backslashes, which uncommented
// leaves to it (ok false), as it does a comment with no word before it.
// A phrase that ends in no comment is returned as it is.
func uncommented(p string) (string, bool) {
	n := len(p)
	if n == 0 || p[n-1] != ')' {
		return p, true
	}
	lp := strings.LastIndexByte(p, '(')
	if lp < 0 || strings.IndexByte(p[lp+1:n-1], ')') >= 0 || strings.IndexByte(p[lp+1:n-1], '\\') >= 0 {
		return "", false
	}
	w := trimRightBlanks(p[:lp])
	return w, w != ""
}

// commentWords reports whether s is empty or printable ASCII words
// separated by single spaces, none of them holding '(', ')', '\\' or "=?".
func commentWords(s string) bool {
	if s == "" {
		return true
	}
	if s[0] == ' ' || s[len(s)-1] == ' ' || strings.Contains(s, "=?") {
		return false
	}
	for i := 0; i < len(s); i++ {
		switch c := s[i]; {
		case c < ' ' || c > '~', c == '(', c == ')', c == '\\':
			return false
		case c == ' ' && s[i-1] == ' ':
			return false
		}
	}
	return true
}

// trimRightBlanks is strings.TrimRight(s, " \t") without building the
// cut set's table per call.
func trimRightBlanks(s string) string {
	for len(s) > 0 && (s[len(s)-1] == ' ' || s[len(s)-1] == '\t') {
		s = s[:len(s)-1]
	}
	return s
}

// Decoded is Simple for a phrase that may hold RFC 2047 encoded-words as
// well, answering as net/mail's AddressParser does with a WordDecoder whose
// Decode is decode: an encoded-word is decoded, and encoded-words in a row
// are joined without the white space between them. A word that starts
// with "=?" and that decode rejects (an invalid encoded-word, which net/mail
// keeps as written, or an unknown charset, on which it fails) gives ok
// false, leaving the answer to net/mail.
func Decoded(s string, decode func(word string) (string, error)) (addr, name string, ok bool) {
	if addr, name, ok = Simple(s); ok || !strings.Contains(s, "=?") {
		return addr, name, ok
	}
	addr, p, ok := angled(s)
	if !ok {
		return "", "", false
	}
	var (
		words   []string
		encoded strings.Builder // encoded-words in a row, decoded
	)
	for i := 0; i < len(p); {
		if i > 0 { // white space between words
			j := i
			for j < len(p) && (p[j] == ' ' || p[j] == '\t') {
				j++
			}
			if j == i {
				return "", "", false
			}
			i = j
		}
		var word string
		isEncoded := false
		j := i
		if p[i] == '"' {
			for j = i + 1; j < len(p) && p[j] != '"'; j++ {
				if c := p[j]; c == '\\' || c < ' ' && c != '\t' || c > '~' {
					return "", "", false
				}
			}
			if j == len(p) || j == i+1 {
				return "", "", false // unclosed or empty
			}
			word = p[i+1 : j]
			j++
		} else {
			for j < len(p) && isAtext(p[j]) {
				j++
			}
			if j == i {
				return "", "", false
			}
			word = p[i:j]
			if strings.HasPrefix(word, "=?") {
				d, err := decode(word)
				if err != nil {
					return "", "", false
				}
				word, isEncoded = d, true
			}
		}
		i = j
		// As net/mail's consumePhrase gathers words.
		switch {
		case isEncoded:
			encoded.WriteString(word)
		case encoded.Len() > 0:
			words = append(words, encoded.String(), word)
			encoded.Reset()
		default:
			words = append(words, word)
		}
	}
	if encoded.Len() > 0 {
		words = append(words, encoded.String())
	}
	if len(words) == 0 {
		return "", "", false // net/mail finds no word in the phrase
	}
	return addr, strings.Join(words, " "), true
}

// scanPhrase checks the phrase Simple accepts and calls word, when
// not nil, with each word as net/mail decodes it. asWritten reports that
// the decoded phrase is the phrase itself: atoms separated by single spaces.
func scanPhrase(p string, word func(string)) (asWritten, ok bool) {
	asWritten = true
	for i := 0; i < len(p); {
		if i > 0 { // white space between words
			j := i
			for j < len(p) && (p[j] == ' ' || p[j] == '\t') {
				j++
			}
			if j == i {
				return false, false
			}
			asWritten = asWritten && j == i+1 && p[i] == ' '
			i = j
		}
		j := i
		if p[i] == '"' {
			for j = i + 1; j < len(p) && p[j] != '"'; j++ {
				if c := p[j]; c == '\\' || c < ' ' && c != '\t' || c > '~' {
					return false, false
				}
			}
			if j == len(p) || j == i+1 {
				return false, false // unclosed or empty
			}
			asWritten = false
			if word != nil {
				word(p[i+1 : j])
			}
			j++
		} else {
			for j < len(p) && isAtext(p[j]) {
				j++
			}
			if j == i || strings.HasPrefix(p[i:j], "=?") {
				return false, false
			}
			if word != nil {
				word(p[i:j])
			}
		}
		i = j
	}
	return asWritten, p != ""
}

// simpleAddr recognises "local@domain" and "<local@domain>" with both
// parts dot-atoms of ASCII atext, for which mail.ParseAddress returns the
// address as written and no name.
func simpleAddr(s string) (string, bool) {
	if len(s) >= 2 && s[0] == '<' && s[len(s)-1] == '>' {
		s = s[1 : len(s)-1]
	}
	at := strings.IndexByte(s, '@')
	if at < 0 || !isDotAtom(s[:at]) || !isDotAtom(s[at+1:]) {
		return "", false
	}
	return s, true
}

// isDotAtom reports whether s is a dot-atom of ASCII atext.
func isDotAtom(s string) bool {
	if s == "" || s[0] == '.' || s[len(s)-1] == '.' {
		return false
	}
	for i := 0; i < len(s); i++ {
		if !isAtext(s[i]) || s[i] == '.' && s[i-1] == '.' {
			return false
		}
	}
	return true
}

// isAtext reports whether c is ASCII atext or '.': printable, not a special
// (RFC 5322 §3.2.3).
func isAtext(c byte) bool { return atext[c] }

var atext = func() (t [256]bool) {
	for c := '!'; c <= '~'; c++ {
		t[c] = !strings.ContainsRune(`()<>[]:;@\,"`, c)
	}
	return t
}()

// MIMECharset reports whether mime.WordDecoder decodes the encoded-word
// word itself, without its CharsetReader: its charset (up to the '?' after
// "=?") is UTF-8, ISO-8859-1 or US-ASCII, compared as the decoder compares
// it. Two decoders that differ only in their CharsetReader then decode the
// word alike. It is false for any other word, and for one too short to
// carry a charset, which a decoder rejects before reading one.
func MIMECharset(word string) bool {
	if len(word) < 2 {
		return false
	}
	cs, _, _ := strings.Cut(word[2:], "?")
	return strings.EqualFold(cs, "utf-8") || strings.EqualFold(cs, "iso-8859-1") || strings.EqualFold(cs, "us-ascii")
}
