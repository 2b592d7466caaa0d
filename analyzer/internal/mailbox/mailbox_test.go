package mailbox

import (
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
	} {
		if got := sameAsNetMail(t, s); got != accepted {
			t.Errorf("Simple(%q) accepted %v, want %v", s, got, accepted)
		}
	}
}

func FuzzSimple(f *testing.F) {
	for _, s := range []string{"a@b", "<a@b.c>", "A B <a@b>", `"x, y" <a@b>`, "a.b@c.d", `"" <a@b>`} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) { sameAsNetMail(t, s) })
}
