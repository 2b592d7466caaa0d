package auth

import (
	"net/mail"
	"net/netip"
	"regexp"
	"strings"
	"testing"

	"golang.org/x/net/publicsuffix"

	"github.com/mailtrace/mailtrace/analyzer/internal/mailbox"
	"github.com/mailtrace/mailtrace/analyzer/ipclass"
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

// checkASCII holds isASCII and equalLowerASCII, which read eight bytes
// at a time, to plain loops.
func checkASCII(t *testing.T, s string) {
	t.Helper()
	ascii := true
	for _, c := range []byte(s) {
		ascii = ascii && c < 0x80
	}
	if isASCII(s) != ascii {
		t.Errorf("isASCII(%q) = %v", s, !ascii)
	}
	if got, want := toLower(s), strings.ToLower(s); got != want {
		t.Errorf("toLower(%q) = %q, want %q", s, got, want)
	}
	var lower []byte
	for _, c := range []byte(s) {
		if 'A' <= c && c <= 'Z' {
			c += 'a' - 'A'
		}
		lower = append(lower, c)
	}
	if !ascii { // against its ASCII bytes, others made 'x'
		for i, c := range lower {
			if c >= 0x80 {
				lower[i] = 'x'
			}
		}
		if equalLowerASCII(s, string(lower)) {
			t.Errorf("equalLowerASCII(%q, %q) is true for a name that is not ASCII", s, lower)
		}
		return
	}
	for _, name := range []string{s, strings.ToUpper(s), string(lower)} {
		if !equalLowerASCII(name, string(lower)) {
			t.Errorf("equalLowerASCII(%q, %q) = false", name, lower)
		}
	}
	for i := range lower { // one byte off anywhere
		other := []byte(string(lower))
		other[i] ^= 1
		if equalLowerASCII(s, string(other)) {
			t.Errorf("equalLowerASCII(%q, %q) = true", s, other)
		}
	}
}

// addressLiteralModel is addressLiteral without addrChars.
func addressLiteralModel(s string) netip.Addr {
	s = strings.Trim(s, "[]")
	if len(s) > 5 && strings.EqualFold(s[:5], "ipv6:") {
		s = s[5:]
	}
	a, _ := ipclass.ParseAddr(s)
	return a
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
	if got != want || !mayCollect(s) && want {
		t.Errorf("field kind of %q differs from a lookup of its lower case", s)
	}
	checkClassifyName(t, s)
	for i := 0; i < len(s) && i < 9; i++ { // every alignment of the words
		checkASCII(t, s[i:])
	}
	for set, cut := range map[*asciiSet]string{&midTrim: "<> ", &domainTrim: "<>[] \t", &bracketTrim: "[]"} {
		if got, want := set.trim(s), strings.Trim(s, cut); got != want {
			t.Errorf("trim(%q) of %q = %q, want %q", s, cut, got, want)
		}
	}
	for _, x := range []string{s, strings.ToUpper(s), strings.ToLower(s), "yes", "YES", "no", "NO", "anonymous", "safe", "arc"} {
		if lowerIs(s, x) != (strings.ToLower(s) == x) || upperIs(s, x) != (strings.ToUpper(s) == x) {
			t.Errorf("lowerIs or upperIs(%q, %q) differs from strings", s, x)
		}
	}
	if _, ok := ipclass.ParseAddr(s); ok && !addrChars(s) {
		t.Errorf("addrChars(%q) is false for an address", s)
	}
	for _, addr := range []string{s, "a@" + s, "a@" + strings.ToLower(s), s + "@b.example", "a@b." + s} {
		if got, want := domainOf(addr), domainOfModel(addr); got != want {
			t.Errorf("domainOf(%q) = %q, the model %q", addr, got, want)
		}
		got, ok := plainDomain(addr)
		if want, wok := plainDomainOld(addr); got != want || ok != wok {
			t.Errorf("plainDomain(%q) = %q, %v; the model %q, %v", addr, got, ok, want, wok)
		}
	}
	for _, lit := range []string{s, "[" + s + "]", "[IPv6:" + s + "]"} {
		if got, ok := addressLiteral(lit); got != addressLiteralModel(lit) || ok != got.IsValid() {
			t.Errorf("addressLiteral(%q) = %v, %v; the model reads %v", lit, got, ok, addressLiteralModel(lit))
		}
	}
}

var equivalentSeeds = []string{
	"a@b.c", "<a@b.c>", "x a@b..c d@e.f", "a@b.c@d.e", "ab@.c", "-@-.-", "%@a.b", "mail@x.example.com.",
	"Alice <alice@example.com>", `"Amazon.com" <ship@amazon.com>`, "J.  Smith\t<j@x>", `"a"  "b c" d <x@y>`,
	`=?utf-8?q?a?= <x@y>`, `"" <x@y>`, `"a\"b" <x@y>`, "a <b <c@d>", "a, b <c@d>", "a: <b@c>", "a (c) <b@c>",
	`a"b" <c@d>`, `"q@r.s" <a@b.c>`, "<a..b@c.d>", "a.@b.c", `"a b"@c.d`, "<a@[192.0.2.1]>",
	"192.0.2.1", "::1%eth0", "%eth0", "::ffff:192.0.2.1", "2001:DB8::1", "1.2.3.4%x", "[ipv6:::1]", "[IPV6:fe80::1%25]", "1e.2", "fe80::1", "1.2.3", "a\r\n b\r\n\r\n", "a\n\t\n  b\r", "\r\r\n x",
	"co.uk", "github.io", "foo.ck", "www.ck", "a.com.", ".com", "a..", "B.COM", "city.kawasaki.jp", "İ.com",
	"YEſ", "yeſ", "İ", "ARC", "SAFE\u212a", "Mixed Case Over Eight Bytes", "lower case over eight bytes", "x\xffyyyyyyyyy",
	"Received", "RECEIVED", "X-Spam-Status", "\u212aeceived", "x-ms-exchange-organization-scl", "Dkim-Signature",
	"a@b.example.", "a@192.0.2.1", "a@1.2.3", "a@-", "a@.", "a@a..", "a@", "@", "a@b@c.example", "a@deadbeef.cafe", "a@[192.0.2.1]",
	"a@b.example>", "a@B.example", "a@b_c.example", "a@\u0130.example", "a@0x7f.1", "a@::1", "a@1e.2",
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

// TestLowerWord checks lowerWord on every ASCII byte in every position,
// beside every other.
func TestLowerWord(t *testing.T) {
	lower := func(c uint64) uint64 {
		if 'A' <= c && c <= 'Z' {
			return c + 'a' - 'A'
		}
		return c
	}
	for b := uint64(0); b < 0x80; b++ {
		for o := uint64(0); o < 0x80; o++ {
			for pos := 0; pos < 8; pos++ {
				var w, want uint64
				for i := 0; i < 8; i++ {
					c := o
					if i == pos {
						c = b
					}
					w |= c << (8 * i)
					want |= lower(c) << (8 * i)
				}
				if got := lowerWord(w); got != want {
					t.Fatalf("lowerWord(%#x) = %#x, want %#x", w, got, want)
				}
			}
		}
	}
}
