package analyzer

import (
	"bytes"
	"fmt"
	"io"
	"mime"
	"net/mail"
	"strings"

	"golang.org/x/text/encoding"
	"golang.org/x/text/encoding/charmap"
	"golang.org/x/text/encoding/htmlindex"
	"golang.org/x/text/encoding/ianaindex"
	"golang.org/x/text/encoding/unicode"

	"github.com/mailtrace/mailtrace/analyzer/auth"
	"github.com/mailtrace/mailtrace/analyzer/internal/mailbox"
	"github.com/mailtrace/mailtrace/analyzer/maildate"
)

// wordDecoder decodes RFC 2047 encoded-words in every charset go-message
// knows (ISO-2022-JP, GB2312, KOI8-R, Windows-125x...), as go-message's
// charset.Reader would, through decodeCharset.
var wordDecoder = &mime.WordDecoder{CharsetReader: decodeCharset}

// decodeCharset is the CharsetReader of wordDecoder: the word's bytes,
// decoded to UTF-8 in one call, handed back as a bytes.Reader (mime
// copies it out with io.Copy, which would allocate a 32 KiB buffer per word
// for a reader without WriteTo). go-message's charset.Reader built a
// transform.Reader, with two 4 KiB buffers, for every word; a decoder's
// output does not depend on how its input is cut, and FuzzDecodeCharset
// holds this to that reader.
func decodeCharset(cs string, in io.Reader) (io.Reader, error) {
	enc, err := lookupCharset(cs)
	if err != nil {
		return nil, err
	}
	var src []byte
	if br, ok := in.(*bytes.Reader); ok { // what mime hands over
		src = make([]byte, br.Len())
		_, _ = br.Read(src) // all of it: a bytes.Reader reads what it holds
	} else if src, err = io.ReadAll(in); err != nil {
		return nil, err
	}
	out, err := enc.NewDecoder().Bytes(src)
	if err != nil {
		return nil, err
	}
	return bytes.NewReader(out), nil
}

// quirkCharsets is go-message's table of charsets that ianaindex does not
// know (a nil entry would disable one).
var quirkCharsets = map[string]encoding.Encoding{
	"ansi_x3.110-1983": charmap.ISO8859_1, // RFC 1345 page 62, mostly a superset of ISO 8859-1
	"x-utf_8j":         unicode.UTF8,
}

// lookupCharset finds the encoding of a charset name as go-message's
// charset.Reader does: its own table, the IANA MIME names (the name, then
// "cs" and the name), then the WHATWG names.
func lookupCharset(cs string) (encoding.Encoding, error) {
	var err error
	enc, ok := quirkCharsets[strings.ToLower(cs)]
	if ok && enc == nil {
		return nil, fmt.Errorf("charset %q: charset is disabled", cs)
	} else if !ok {
		enc, err = ianaindex.MIME.Encoding(cs)
	}
	if enc == nil {
		enc, err = ianaindex.MIME.Encoding("cs" + cs)
	}
	if enc == nil {
		enc, err = htmlindex.Get(cs)
	}
	if err != nil {
		return nil, fmt.Errorf("charset %q: %w", cs, err)
	}
	if enc == nil {
		return nil, fmt.Errorf("charset %q: unsupported charset", cs)
	}
	return enc, nil
}

// unfold undoes RFC 5322 §2.2.3 folding: CRLF/LF followed by white space
// becomes that white space, and the value is trimmed.
func unfold(s string) string {
	if strings.IndexByte(s, '\n') < 0 {
		return strings.TrimSpace(s)
	}
	var b strings.Builder
	b.Grow(len(s))
	// Line by line: each line's text goes in whole (its CRs left out),
	// not byte by byte. FuzzNamesOld holds it to unfoldOld.
	for i := 0; ; {
		line, rest, more := strings.Cut(s[i:], "\n")
		if strings.IndexByte(line, '\r') < 0 {
			b.WriteString(line)
		} else {
			for j := 0; j < len(line); j++ {
				if line[j] != '\r' {
					b.WriteByte(line[j])
				}
			}
		}
		if !more {
			break
		}
		i += len(line) + 1 // the '\n' at s[i-1]
		if b.Len() > 0 && rest != "" && rest[0] != ' ' && rest[0] != '\t' {
			b.WriteByte(' ')
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
func addressList(s string) []string { return unfoldedList(unfold(s)) }

// unfoldedList is addressList of an unfolded value.
func unfoldedList(s string) []string {
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

// plainAddressList reads the common case without net/mail: a list of
// mailboxes mailbox.Simple reads, comma separated (a single one when
// quoted, as a quoted name may hold a comma). It answers exactly as
// net/mail would (FuzzPlainAddressList holds it to that); anything else
// gives ok false.
func plainAddressList(s string) (out []string, ok bool) {
	if emptyGroup(s) {
		return make([]string, 0), true // net/mail's empty list: no address, not nil
	}
	if strings.IndexByte(s, '"') >= 0 {
		d, ok := plainMailbox(s)
		if !ok {
			return nil, false
		}
		return []string{d}, true
	}
	// Room for every part at once: appended to from nil, the list was
	// grown (a growslice call, and more for several addresses). Most
	// lists are of one: no count of the commas.
	n := 1
	if strings.IndexByte(s, ',') >= 0 {
		n += strings.Count(s, ",")
	}
	out = make([]string, 0, n)
	for rest := s; ; {
		part, tail, more := strings.Cut(rest, ",")
		d, ok := plainMailbox(part)
		if !ok {
			return nil, false
		}
		out = append(out, d)
		if !more {
			return out, true
		}
		rest = tail
	}
}

// emptyGroup reports whether s is a group without members (RFC 5322
// §3.4) named by one word of ASCII letters, digits, '-' and '_', as
// "undisclosed-recipients:;": net/mail reads no address from it, after
// an attempt at an addr-spec, a phrase and a group list.
func emptyGroup(s string) bool {
	n := len(s) - len(":;")
	if n <= 0 || s[n:] != ":;" {
		return false
	}
	for i := 0; i < n; i++ {
		if c := s[i]; !('a' <= c|0x20 && c|0x20 <= 'z' || '0' <= c && c <= '9' || c == '-' || c == '_') {
			return false
		}
	}
	return true
}

// plainMailbox is one mailbox as displayAddress shows it; encoded-words in
// the name are decoded as net/mail decodes them.
//
// The display text is most often the mailbox as written, "Name <addr>"
// with one space: s itself is then returned rather than a copy built.
func plainMailbox(s string) (string, bool) {
	s = trimBlanks(s)
	addr, name, ok := mailbox.Decoded(s, wordDecoder.Decode)
	return displayMailbox(s, addr, name, ok)
}

// displayMailbox is plainMailbox's answer for the mailbox s, trimmed,
// read as addr and name (ok false when it was not read).
func displayMailbox(s, addr, name string, ok bool) (string, bool) {
	switch {
	case !ok:
		return "", false
	case name == "":
		return addr, true
	}
	if n := len(name); len(s) == n+len(addr)+3 && s[:n] == name && s[n:n+2] == " <" &&
		s[n+2:len(s)-1] == addr && s[len(s)-1] == '>' {
		return s, true
	}
	return name + " <" + addr + ">", true
}

// trimBlanks is strings.Trim(s, " \t") without building the cut set's
// table per call.
func trimBlanks(s string) string {
	for len(s) > 0 && (s[0] == ' ' || s[0] == '\t') {
		s = s[1:]
	}
	for len(s) > 0 && (s[len(s)-1] == ' ' || s[len(s)-1] == '\t') {
		s = s[:len(s)-1]
	}
	return s
}

func displayAddress(a *mail.Address) string {
	if a.Name == "" {
		return a.Address
	}
	return a.Name + " <" + a.Address + ">"
}

// oneAddress decodes a single-address field (From, Reply-To), keeping the
// decoded raw text when it does not parse. A lone mailbox, the common case,
// is read without building a list.
func oneAddress(s string) string {
	d, _, _, _ := addressOf(s, wordDecoder.Decode)
	return d
}

// addressOf is oneAddress of s, decoding encoded-words with decode, and
// the mailbox it read when s is a lone mailbox (read false otherwise).
func addressOf(s string, decode func(string) (string, error)) (display, addr, name string, read bool) {
	u := unfold(s)
	if u == "" || strings.IndexByte(u, ',') >= 0 && strings.IndexByte(u, '"') < 0 {
		return listAddress(u), "", "", false
	}
	m := trimBlanks(u)
	addr, name, read = mailbox.Decoded(m, decode)
	if d, ok := displayMailbox(m, addr, name, read); ok {
		return d, addr, name, true
	}
	return listAddress(u), "", "", false
}

// listAddress is oneAddress of an unfolded value that is no lone mailbox
// plainMailbox reads.
func listAddress(u string) string {
	if l := unfoldedList(u); len(l) > 0 {
		return strings.Join(l, ", ")
	}
	return ""
}

// fromAddress is oneAddress for the From field, which also sets *from
// to the field as the authentication stage reads it when summarize's
// reading is that reading (auth.Mailbox says when), so that the stage
// need not read it again; from.Field is -1 otherwise.
func fromAddress(x *fieldIndex, from *auth.Mailbox) string {
	from.Field = -1
	s := x.get(fieldFrom)
	alike := strings.IndexByte(s, '\n') < 0 // auth unfolds it alike: trimmed
	d, addr, name, read := addressOf(s, func(word string) (string, error) {
		alike = alike && mailbox.MIMECharset(word)
		return wordDecoder.Decode(word)
	})
	if read && alike {
		*from = auth.Mailbox{Field: x.first[fieldFrom] - 1, Addr: addr, Name: name}
	}
	return d
}

// summarizeTo reads the identifying headers into *s, zero, and sets
// *from as fromAddress does. s is the Trace's own Message: a Summary
// returned was copied into it whole.
func summarizeTo(s *Summary, x *fieldIndex, from *auth.Mailbox) {
	s.MessageID = unfold(x.get(fieldMessageID))
	if raw := unfold(x.get(fieldDate)); raw != "" {
		s.DateRaw = raw
		if t, err := maildate.Parse(raw); err == nil {
			s.Date = t.UTC()
		}
	}
	s.From = fromAddress(x, from)
	// Up to the last To field, not to the last field.
	for i, left := x.start(fieldTo), x.count[fieldTo]; left > 0; i++ {
		if x.kinds[i] != fieldTo {
			continue
		}
		left--
		if l := addressList(x.h[i].Value); s.To == nil {
			s.To = l // the first list as it is: most messages have one To
		} else {
			s.To = append(s.To, l...)
		}
	}
	s.Subject = decodeText(x.get(fieldSubject))
	s.ReturnPath = trimAngles(unfold(x.get(fieldReturnPath)))
	s.ReplyTo = oneAddress(x.get(fieldReplyTo))
}

// trimAngles is strings.Trim(s, "<> ") without building the cut set's
// table per call.
func trimAngles(s string) string {
	for len(s) > 0 && (s[0] == '<' || s[0] == '>' || s[0] == ' ') {
		s = s[1:]
	}
	for len(s) > 0 && (s[len(s)-1] == '<' || s[len(s)-1] == '>' || s[len(s)-1] == ' ') {
		s = s[:len(s)-1]
	}
	return s
}
