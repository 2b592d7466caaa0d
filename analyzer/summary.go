package analyzer

import (
	"bytes"
	"io"
	"mime"
	"net/mail"
	"strings"

	"github.com/emersion/go-message/charset"

	"github.com/mailtrace/mailtrace/analyzer/header"
	"github.com/mailtrace/mailtrace/analyzer/maildate"
)

// wordDecoder decodes RFC 2047 encoded-words in every charset go-message
// knows (ISO-2022-JP, GB2312, KOI8-R, Windows-125x...). The decoded word
// is handed back as a bytes.Buffer: mime copies it out with io.Copy, which
// would allocate a 32 KiB buffer per word for a reader without WriteTo.
var wordDecoder = &mime.WordDecoder{CharsetReader: func(cs string, in io.Reader) (io.Reader, error) {
	r, err := charset.Reader(cs, in)
	if err != nil {
		return nil, err
	}
	var b bytes.Buffer
	if _, err := b.ReadFrom(r); err != nil {
		return nil, err
	}
	return &b, nil
}}

// unfold undoes RFC 5322 §2.2.3 folding: CRLF/LF followed by white space
// becomes that white space, and the value is trimmed.
func unfold(s string) string {
	if strings.IndexByte(s, '\n') < 0 {
		return strings.TrimSpace(s)
	}
	var b strings.Builder
	b.Grow(len(s))
	for i := 0; i < len(s); i++ {
		switch c := s[i]; c {
		case '\r':
		case '\n':
			if b.Len() > 0 && i+1 < len(s) && s[i+1] != ' ' && s[i+1] != '\t' {
				b.WriteByte(' ')
			}
		default:
			b.WriteByte(c)
		}
	}
	return strings.TrimSpace(b.String())
}

// decodeText decodes RFC 2047 encoded-words; on failure the text stays as it was.
func decodeText(s string) string {
	s = unfold(s)
	if !strings.Contains(s, "=?") {
		return s
	}
	if d, err := wordDecoder.DecodeHeader(s); err == nil {
		return d
	}
	return s
}

// addressList decodes an address list into display strings
// (`Name <addr>` or `addr`); unparsable lists are split on commas.
func addressList(s string) []string {
	s = unfold(s)
	if s == "" {
		return nil
	}
	if out, ok := plainAddressList(s); ok {
		return out
	}
	p := mail.AddressParser{WordDecoder: wordDecoder}
	if list, err := p.ParseList(s); err == nil {
		out := make([]string, len(list))
		for i, a := range list {
			out[i] = displayAddress(a)
		}
		return out
	}
	var out []string
	for _, part := range strings.Split(s, ",") {
		if part = strings.TrimSpace(decodeText(part)); part != "" {
			out = append(out, part)
		}
	}
	return out
}

// plainAddressList reads the common case without net/mail: addresses
// "local@domain" or "Display Name <local@domain>" in printable ASCII, comma
// separated, with no quoting, comments, groups, domain literals or encoded
// words. It answers exactly as net/mail would (FuzzPlainAddressList holds
// it to that); anything else gives ok false.
func plainAddressList(s string) (out []string, ok bool) {
	for i := 0; i < len(s); i++ {
		if c := s[i]; c < ' ' && c != '\t' || c > '~' || strings.IndexByte("\"()[]:;\\", c) >= 0 {
			return nil, false
		}
	}
	if strings.Contains(s, "=?") {
		return nil, false
	}
	for rest := s; ; {
		part, tail, more := strings.Cut(rest, ",")
		part = strings.Trim(part, " \t")
		var d string
		if strings.HasSuffix(part, ">") {
			lt := strings.IndexByte(part, '<')
			if lt < 0 {
				return nil, false
			}
			spec := part[lt+1 : len(part)-1]
			if !dotAtomAddr(spec) {
				return nil, false
			}
			name, ok := plainPhrase(part[:lt])
			if !ok {
				return nil, false
			}
			if d = spec; name != "" {
				d = name + " <" + spec + ">"
			}
		} else if dotAtomAddr(part) {
			d = part
		} else {
			return nil, false
		}
		out = append(out, d)
		if !more {
			return out, true
		}
		rest = tail
	}
}

// plainPhrase reads a display name of atoms separated by white space,
// joined by single spaces as net/mail joins them.
func plainPhrase(s string) (string, bool) {
	words := strings.FieldsFunc(s, func(r rune) bool { return r == ' ' || r == '\t' })
	for _, w := range words {
		if !dotAtom(w, false) {
			return "", false
		}
	}
	if len(words) == 1 {
		return words[0], true
	}
	return strings.Join(words, " "), true
}

// dotAtomAddr is local@domain, both dot-atoms.
func dotAtomAddr(s string) bool {
	local, domain, ok := strings.Cut(s, "@")
	return ok && dotAtom(local, true) && dotAtom(domain, true)
}

// dotAtom is one or more atext runs, joined by single dots when dots is
// set. atext here is printable ASCII but the specials of RFC 5322 §3.2.3.
func dotAtom(s string, dots bool) bool {
	if s == "" || s[0] == '.' || s[len(s)-1] == '.' {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case c == '.':
			if !dots || s[i-1] == '.' {
				return false
			}
		case c <= ' ' || c > '~' || strings.IndexByte("()<>[]:;@\\,\"", c) >= 0:
			return false
		}
	}
	return true
}

func displayAddress(a *mail.Address) string {
	if a.Name == "" {
		return a.Address
	}
	return a.Name + " <" + a.Address + ">"
}

// oneAddress decodes a single-address field (From, Reply-To), keeping the
// decoded raw text when it does not parse.
func oneAddress(s string) string {
	if l := addressList(s); len(l) > 0 {
		return strings.Join(l, ", ")
	}
	return ""
}

// summarize reads the identifying headers.
func summarize(h header.Header) Summary {
	var s Summary
	s.MessageID = unfold(h.Get("Message-ID"))
	if raw := unfold(h.Get("Date")); raw != "" {
		s.DateRaw = raw
		if t, err := maildate.Parse(raw); err == nil {
			s.Date = t.UTC()
		}
	}
	s.From = oneAddress(h.Get("From"))
	for _, v := range h.Values("To") {
		s.To = append(s.To, addressList(v)...)
	}
	s.Subject = decodeText(h.Get("Subject"))
	s.ReturnPath = strings.Trim(unfold(h.Get("Return-Path")), "<> ")
	s.ReplyTo = oneAddress(h.Get("Reply-To"))
	return s
}
