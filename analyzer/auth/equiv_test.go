package auth

import (
	"net/mail"
	"regexp"
	"strings"
	"testing"

	"golang.org/x/net/publicsuffix"

	"github.com/mailtrace/mailtrace/analyzer/internal/mailbox"
)

// The hand-written scanners stand for slower library calls; these tests
// hold them to giving the same answers.

// emailInText is what findEmail scans for.
var emailInText = regexp.MustCompile(`[A-Za-z0-9._%+\-]+@[A-Za-z0-9\-]+(\.[A-Za-z0-9\-]+)+`)

// unfoldReference is unfold written plainly.
func unfoldReference(s string) string {
	s = strings.ReplaceAll(s, "\r\n", "\n")
	if !strings.Contains(s, "\n") {
		return strings.TrimSpace(s)
	}
	var b strings.Builder
	for i, line := range strings.Split(s, "\n") {
		if i > 0 {
			line = strings.TrimLeft(line, " \t")
			if line == "" {
				continue
			}
			b.WriteByte(' ')
		}
		b.WriteString(line)
	}
	return strings.TrimSpace(b.String())
}

// orgDomainReference is OrgDomain without its shortcut.
func orgDomainReference(d string) string {
	d = strings.TrimSuffix(strings.ToLower(strings.TrimSpace(d)), ".")
	if d == "" {
		return ""
	}
	if org, err := publicsuffix.EffectiveTLDPlusOne(d); err == nil {
		return org
	}
	return d
}

func checkEquivalents(t *testing.T, s string) {
	t.Helper()
	if got, want := findEmail(s), emailInText.FindString(s); got != want {
		t.Errorf("findEmail(%q) = %q, the regexp finds %q", s, got, want)
	}
	if got, want := unfold(s), unfoldReference(s); got != want {
		t.Errorf("unfold(%q) = %q, want %q", s, got, want)
	}
	if got, want := OrgDomain(s), orgDomainReference(s); got != want {
		t.Errorf("OrgDomain(%q) = %q, want %q", s, got, want)
	}
	if addr, name, ok := mailbox.Simple(s); ok {
		if a, err := mail.ParseAddress(s); err != nil || a.Address != addr || a.Name != name {
			t.Errorf("mailbox.Simple(%q) = %q, %q; net/mail: %+v, %v", s, addr, name, a, err)
		}
	}
	if ts := strings.TrimSpace(s); ts != "" && ts != "<>" {
		if a, err := mail.ParseAddress(ts); err == nil {
			if addr, name := parseMailbox(ts); addr != a.Address || name != a.Name {
				t.Errorf("parseMailbox(%q) = %q, %q; net/mail: %q, %q", ts, addr, name, a.Address, a.Name)
			}
		}
	}
	_, got := lookupLower(fieldKinds, s)
	_, want := fieldKinds[strings.ToLower(s)]
	if got != want || isReceived(s) && strings.ToLower(s) != "received" || !mayCollect(s) && want {
		t.Errorf("field kind of %q differs from a lookup of its lower case", s)
	}
}

var equivalentSeeds = []string{
	"a@b.c", "<a@b.c>", "x a@b..c d@e.f", "a@b.c@d.e", "ab@.c", "-@-.-", "%@a.b", "mail@x.example.com.",
	"Alice <alice@example.com>", `"Amazon.com" <ship@amazon.com>`, "J.  Smith\t<j@x>", `"a"  "b c" d <x@y>`,
	`=?utf-8?q?a?= <x@y>`, `"" <x@y>`, `"a\"b" <x@y>`, "a <b <c@d>", "a, b <c@d>", "a: <b@c>", "a (c) <b@c>",
	`a"b" <c@d>`, `"q@r.s" <a@b.c>`, "<a..b@c.d>", "a.@b.c", `"a b"@c.d`, "<a@[192.0.2.1]>",
	"192.0.2.1", "::1%eth0", "fe80::1", "1.2.3", "a\r\n b\r\n\r\n", "a\n\t\n  b\r", "\r\r\n x",
	"co.uk", "github.io", "foo.ck", "www.ck", "a.com.", ".com", "a..", "B.COM", "city.kawasaki.jp", "İ.com",
	"Received", "RECEIVED", "X-Spam-Status", "\u212aeceived", "x-ms-exchange-organization-scl", "Dkim-Signature",
}

func TestEquivalents(t *testing.T) {
	for _, s := range equivalentSeeds {
		checkEquivalents(t, s)
	}
	// Mailboxes built from pieces net/mail treats specially.
	parts := []string{"a", "Bob", "x.y", ".", " ", "\t", `"`, `"q r"`, `""`, "<", ">", "@", "<a@b.c>", "=?", "\\",
		",", ":", "(", ")", "é", "\xff", "[", "!#$%&'*+-/=?^_`{|}~", "a@b"}
	r := uint32(1)
	next := func() int { r ^= r << 13; r ^= r >> 17; r ^= r << 5; return int(r % uint32(len(parts))) }
	var b strings.Builder
	for range 20000 {
		b.Reset()
		for n := 1 + next()%6; n > 0; n-- {
			b.WriteString(parts[next()])
		}
		checkEquivalents(t, b.String()+" <a@b.c>")
		checkEquivalents(t, b.String())
	}
	// OrgDomain's shortcut for one- and two-label names.
	labels := []string{"co", "com", "github", "kawasaki", "ck", "www", "blogspot", "uk", "jp", "io", "compute",
		"amazonaws", "bd", "er", "nom", "kobe", "example", "", "xn--p1ai", "рф", "*", "!"}
	for _, a := range labels {
		for _, c := range labels {
			for _, d := range []string{a, a + "." + c, "." + a, a + ".", a + "." + c + "."} {
				checkEquivalents(t, d)
			}
		}
	}
}

func FuzzEquivalents(f *testing.F) {
	for _, s := range equivalentSeeds {
		f.Add(s)
	}
	f.Fuzz(checkEquivalents)
}
