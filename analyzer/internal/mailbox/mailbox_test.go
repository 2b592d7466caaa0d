package mailbox

import (
	"mime"
	"net/mail"
	"testing"
)

// sameAsNetMail fails when Simple accepts s but answers otherwise than
// mail.ParseAddress.
func sameAsNetMail(t *testing.T, s string) bool {
	t.Helper()
	addr, name, ok := Simple(s)
	if !ok {
		return false
	}
	a, err := mail.ParseAddress(s)
	if err != nil || a.Address != addr || a.Name != name {
		t.Fatalf("Simple(%q) = %q, %q; net/mail: %+v, %v", s, addr, name, a, err)
	}
	return true
}

func TestSimple(t *testing.T) {
	for s, accepted := range map[string]bool{
		"alice@example.com":                   true,
		"<alice@example.com>":                 true,
		"Alice  Smith <alice@example.com>":    true,
		`"Smith, Alice" <alice@example.com>`:  true,
		"J.R. Bob <bob@example.net>":          true,
		"=?UTF-8?Q?Caf=C3=A9?= <a@b.example>": false, // encoded word: net/mail decodes
		`"a\"b" <a@b.example>`:                false, // quoted-pair
		"a..b@example.com":                    false,
		"Café <a@b.example>":                  false, // non-ASCII
		"":                                    false,
		// The older form, the comment naming the mailbox.
		"MAILER-DAEMON@example.com (Mail Delivery System)": true,
		"a@b.example\t (x)":           true,
		"a@b.example()":               true,
		"<a@b.example> (x)":           false, // a name-addr: the comment names nothing
		"a@b.example (x (y))":         false, // nested
		"a@b.example (x\\y)":          false, // quoted-pair
		"a@b.example ( x)":            false, // net/mail drops the blank
		"a@b.example (x  y)":          false,
		"a@b.example (=?UTF-8?Q?x?=)": false, // net/mail decodes it
		"a@b.example (x) ":            false, // trailing blank (net/mail skips it)
		"a..b@example.com (x)":        false,
		// A phrase ending in a comment, which net/mail skips.
		"Jo Bloggs (=?GB2312?Q?=C0=EE?=) <jo@example.com>": true,
		"Jo(x) <jo@example.com>":                           true,
		`"Jo B" (x"y) <jo@example.com>`:                    true,
		"(x) <jo@example.com>":                             false, // no word before it: net/mail fails
		"Jo (x) (y) <jo@example.com>":                      false,
		"Jo (x (y)) <jo@example.com>":                      false,
		"Jo (x\\)) <jo@example.com>":                       false,
	} {
		if got := sameAsNetMail(t, s); got != accepted {
			t.Errorf("Simple(%q) accepted %v, want %v", s, got, accepted)
		}
	}
}

func FuzzSimple(f *testing.F) {
	for _, s := range []string{"a@b", "<a@b.c>", "A B <a@b>", `"x, y" <a@b>`, "a.b@c.d", `"" <a@b>`,
		"a@b.c (Mail Delivery System)", "a@b.c()", "<a@b.c> (x)", "a@b.c (x(y))", "a@b.c\t(x y)",
		"A B (C) <a@b.c>", "A(B)<a@b.c>", `"A" (B) <a@b.c>`, "(B) <a@b.c>", "A (B (C)) <a@b.c>"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) { sameAsNetMail(t, s) })
}

// sameAsNetMailDecoded fails when Decoded accepts s but answers otherwise
// than net/mail with the same word decoder.
func sameAsNetMailDecoded(t *testing.T, s string) bool {
	t.Helper()
	dec := &mime.WordDecoder{}
	addr, name, ok := Decoded(s, dec.Decode)
	if !ok {
		return false
	}
	a, err := (&mail.AddressParser{WordDecoder: dec}).Parse(s)
	if err != nil || a.Address != addr || a.Name != name {
		t.Fatalf("Decoded(%q) = %q, %q; net/mail: %+v, %v", s, addr, name, a, err)
	}
	return true
}

func TestDecoded(t *testing.T) {
	for s, accepted := range map[string]bool{
		"alice@example.com":                                       true,
		"=?UTF-8?Q?Caf=C3=A9?= <a@b.example>":                     true,
		"=?UTF-8?Q?Caf=C3=A9?= =?UTF-8?Q?_Shop?= <a@b.example>":   true,
		"=?UTF-8?B?QQ==?= B \"C\" =?UTF-8?B?RA==?= <a@b.example>": true,
		"=?UTF-8?Q??= <a@b.example>":                              false, // no word: net/mail fails
		"=?x-unknown?Q?a?= <a@b.example>":                         false, // net/mail fails on the charset
		"=?UTF-8?Q?a <a@b.example>":                               false, // invalid: net/mail keeps it
		"=?UTF-8?Q?a?=(c) <a@b.example>":                          false,
	} {
		if got := sameAsNetMailDecoded(t, s); got != accepted {
			t.Errorf("Decoded(%q) accepted %v, want %v", s, got, accepted)
		}
	}
}

func FuzzDecoded(f *testing.F) {
	for _, s := range []string{"a@b", "A B <a@b>", "=?UTF-8?Q?Caf=C3=A9?= <a@b.c>", "=?utf-8?b?QQ==?=  =?iso-8859-1?q?=E9?= x <a@b>",
		`=?UTF-8?Q?a?= "q" <a@b>`, "=?us-ascii?Q?a_b?= <a@b>", "=?UTF-8?Q??= =?UTF-8?Q?x?= <a@b>",
		"a@b.c (Mail Delivery System)", "a@b.c (=?UTF-8?Q?x?=)", "=?a@b.c (x)",
		"Jo (=?GB2312?Q?=C0=EE?=) <jo@b.c>", "=?UTF-8?Q?Caf=C3=A9?= (x) <a@b.c>"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) { sameAsNetMailDecoded(t, s) })
}
