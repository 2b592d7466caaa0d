package analyzer

import (
	"io"
	"mime"
	"net/mail"
	"strings"

	"github.com/emersion/go-message/charset"

	"github.com/mailtrace/mailtrace/analyzer/header"
	"github.com/mailtrace/mailtrace/analyzer/maildate"
)

// wordDecoder decodes RFC 2047 encoded-words in every charset go-message
// knows (ISO-2022-JP, GB2312, KOI8-R, Windows-125x...).
var wordDecoder = &mime.WordDecoder{CharsetReader: func(cs string, in io.Reader) (io.Reader, error) {
	return charset.Reader(cs, in)
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
