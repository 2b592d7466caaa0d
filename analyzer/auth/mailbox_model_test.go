package auth

import (
	"bytes"
	"io"
	"mime"
	"net/mail"
	"strings"
	"testing"

	"github.com/mailtrace/mailtrace/analyzer/internal/mailbox"
)

// parseMailboxModel is parseMailbox as it was before mailbox.Decoded read
// display names with encoded-words without net/mail. FuzzMailboxModel
// holds parseMailbox to it.
func parseMailboxModel(s string) (addr, name string) {
	if s == "" || s == "<>" {
		return "", ""
	}
	if addr, name, ok := mailbox.Simple(s); ok {
		return addr, name // what mail.ParseAddress would return, without its allocations
	}
	if a, err := mail.ParseAddress(s); err == nil {
		return a.Address, a.Name
	}
	if i := strings.LastIndexByte(s, '<'); i >= 0 {
		if i > 0 {
			name = strings.Trim(strings.TrimSpace(s[:i]), `"`)
		}
		rest := s[i+1:]
		if j := strings.IndexByte(rest, '>'); j >= 0 {
			return strings.TrimSpace(rest[:j]), name
		}
	}
	return findEmail(s), name
}

func checkMailboxModel(t *testing.T, s string) {
	t.Helper()
	for _, v := range []string{s, strings.TrimSpace(s), s + " <a@b.example>", "=?utf-8?q?" + s + "?= <a@b.example>", "=?UTF-8?B?" + s + "?= <a@b.example>"} {
		addr, name := parseMailbox(v)
		if waddr, wname := parseMailboxModel(v); addr != waddr || name != wname {
			t.Fatalf("parseMailbox(%q) = %q, %q; the model %q, %q", v, addr, name, waddr, wname)
		}
	}
}

var mailboxSeeds = []string{
	"=?UTF-8?Q?Caf=C3=A9_Shop?= <orders@shop.example.net>", "=?GB2312?B?1cXPyMn6?= <baoguan@hotmail.com>",
	"=?UTF-8?B?bm90aWZpY2FjY2lvbi1jbGllbnRlc0BiYnZhLm14?= <n@bbva.mx>", "Jason Lee (=?GB2312?Q?=C0=EE?=) <j@q.example>",
	"=?utf-8?q?a?= =?utf-8?q?b?= c <x@y.z>", "=?iso-8859-1?q?=E9?= \"q\" <x@y.z>", "=?us-ascii?q?a_b?= <x@y.z>", "=?x?q?a?= <x@y.z>",
	"=?utf-8?q?bad <x@y.z>", "=?utf-8?x?a?= <x@y.z>", "=?utf-8?b?!!?= <x@y.z>", "a =?utf-8?q?=FF?= <x@y.z>", "MAILER-DAEMON@x.example (Mail Delivery System)",
	"<MAILER-DAEMON>", "", "<>", "\"=?utf-8?q?a?=\" <x@y.z>", "=?utf-8?q?a@b.c?= <x@y.z>",
	// a charset neither decodes, first or later, followed by what net/mail reads otherwise
	"=?gb2312?q?a?=<x@y.z>", "=?gb2312?q?a?=\t<x@y.z>", "=?gb2312?q?a?= b <x@y.z>", "b =?gb2312?q?a?= <x@y.z>",
	"=?gb2312?q?a?=\xc3\xa9 <x@y.z>", "=?gb2312?q?a?=\xff <x@y.z>", "=?gb2312?q?a?=@q.z <x@y.z>", "=?gb2312?q?a?=(c) <x@y.z>",
	"=?gb.2312?q?a?= <x@y.z>", "=?.gb2312?q?a?= <x@y.z>", "=?gb2312?q?a?=.b <x@y.z>", "=?gb2312?b?!!?= <x@y.z>",
	"=?ISO-2022-JP?B?GyRCJUYlOSVIGyhC?= <x@y.z>", "=?gb2312?q?a?= =?utf-8?q?b?= <x@y.z>", "=?gb2312?q?a?= \"q\" <x@y.z>",
	// without '@' or ':' (mayParse), and groups
	"<postmaster>", "MAILER-DAEMON", "Mail Delivery <MAILER-DAEMON>", "undisclosed-recipients:;", "g: a@b.c;", "g:;", "a:b <c>",
}

func TestMailboxModel(t *testing.T) {
	for _, s := range mailboxSeeds {
		checkMailboxModel(t, s)
	}
}

// FuzzMailboxModel holds parseMailbox to the model that asked net/mail
// for every mailbox mailbox.Simple does not read.
func FuzzMailboxModel(f *testing.F) {
	for _, s := range mailboxSeeds {
		f.Add(s)
	}
	f.Fuzz(checkMailboxModel)
}

// anyCharset decodes the encoded-words of every charset, as the header
// summary's decoder does (each byte taken for a rune here: what matters is
// that it decodes where auth's decoder does not).
var anyCharset = &mime.WordDecoder{CharsetReader: func(_ string, in io.Reader) (io.Reader, error) {
	b, err := io.ReadAll(in)
	return bytes.NewReader(bytes.ToUpper(b)), err
}}

// checkGivenMailbox holds a From read as Mailbox says it may be read (by
// mailbox.Decoded with another decoder) to parseMailbox's reading.
func checkGivenMailbox(t *testing.T, v string) {
	t.Helper()
	if strings.IndexByte(v, '\n') >= 0 {
		return
	}
	alike := true
	addr, name, ok := mailbox.Decoded(strings.TrimSpace(v), func(word string) (string, error) {
		alike = alike && mailbox.MIMECharset(word)
		return anyCharset.Decode(word)
	})
	if !ok || !alike {
		return
	}
	if waddr, wname := parseMailbox(unfold(v)); addr != waddr || name != wname {
		t.Fatalf("From %q read as %q, %q; parseMailbox: %q, %q", v, addr, name, waddr, wname)
	}
}

func TestGivenMailbox(t *testing.T) {
	for _, s := range mailboxSeeds {
		checkGivenMailbox(t, s)
	}
}

// FuzzGivenMailbox holds the From an Input gives (Mailbox) to the one
// the identity findings would read.
func FuzzGivenMailbox(f *testing.F) {
	for _, s := range mailboxSeeds {
		f.Add(s)
	}
	f.Fuzz(checkGivenMailbox)
}
