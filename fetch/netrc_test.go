package fetch

import (
	"strings"
	"testing"
)

func TestNetrcPassword(t *testing.T) {
	const netrc = `# comment
machine imap.example.com login alice@example.com password s3cret
machine imap.example.com login bob password b0b
machine pop.example.com
    login carol
    password "c4rol"
macdef init
machine evil.example.com login x password macro-body-is-not-parsed

machine other.example.com login dave password d4ve
default login anon password anon-pass
`
	test := func(host, user, wantLogin, wantPass string, wantOK bool) {
		t.Helper()
		l, p, ok := NetrcPassword(strings.NewReader(netrc), host, user)
		if l != wantLogin || p != wantPass || ok != wantOK {
			t.Errorf("%s %s: %q %q %v, want %q %q %v", host, user, l, p, ok, wantLogin, wantPass, wantOK)
		}
	}
	test("imap.example.com", "alice@example.com", "alice@example.com", "s3cret", true)
	test("IMAP.example.com", "bob", "bob", "b0b", true)
	test("imap.example.com", "", "alice@example.com", "s3cret", true)
	test("pop.example.com", "carol", "carol", `"c4rol"`, true)
	test("evil.example.com", "x", "", "", false) // inside a macro; default names another login
	test("evil.example.com", "anon", "anon", "anon-pass", true)
	test("other.example.com", "dave", "dave", "d4ve", true)
	test("unknown.example", "zed", "", "", false)
	l, p, ok := NetrcPassword(strings.NewReader("machine a password p"), "a", "anyone")
	if l != "" || p != "p" || !ok {
		t.Errorf("no login: %q %q %v", l, p, ok)
	}
}

func FuzzNetrcPassword(f *testing.F) {
	f.Add("machine a login u password p\ndefault login d password q\n", "a", "u")
	f.Add("macdef x\nmachine a password p\n\nmachine b password", "b", "")
	f.Fuzz(func(t *testing.T, netrc, host, user string) {
		l, p, ok := NetrcPassword(strings.NewReader(netrc), host, user)
		if ok && p == "" {
			t.Fatalf("ok without a password")
		}
		if !ok && (l != "" || p != "") {
			t.Fatalf("values without ok")
		}
	})
}
