package received

import (
	"net/netip"
	"strconv"
	"strings"
	"testing"
)

// The helpers below stand in for standard-library calls on the hot path;
// each must give exactly the answer of the call it replaces.

// foldLits: every literal the parser compares with, in the cases it uses.
var foldLits = []string{
	"by", "id", "via", "for", "from", "with", "uid", "envelope-from", "envelope-sender",
	"HTTP", "HTTPS", "claiming", "unknown", "exim", "authenticated", "tls", "helo", "ehlo",
	"lhlo", "verified", "unverified", "softdnserr", "account", "cipher", "k", "s", "ks",
}

// indexFoldRef is the plain definition of text.index (the scan it
// replaced): the first i at which s, ASCII upper case folded to lower,
// holds sub.
func indexFoldRef(s, sub string) int {
	for i := 0; i+len(sub) <= len(s); i++ {
		j := 0
		for ; j < len(sub); j++ {
			c := s[i+j]
			if c >= 'A' && c <= 'Z' {
				c += 'a' - 'A'
			}
			if c != sub[j] {
				break
			}
		}
		if j == len(sub) {
			return i
		}
	}
	return -1
}

// hostCharsRef is hostChars as it was before it took four bytes a step.
func hostCharsRef(s string) bool {
	if s == "" {
		return false
	}
	for i := 0; i < len(s); i++ {
		if byteClass[s[i]]&cHost == 0 {
			return false
		}
	}
	return true
}

// byteSetRef is the plain definition of byteSet: bit bitOf(b) for each
// byte b of s.
func byteSetRef(s string) uint64 {
	var set uint64
	for i := 0; i < len(s); i++ {
		set |= 1 << bitOf(s[i])
	}
	return set
}

// TestBitOf: both cases of a letter share a bit, which no other byte has;
// so do each digit, the space and the needles' punctuation.
func TestBitOf(t *testing.T) {
	own := "abcdefghijklmnopqrstuvwxyz0123456789 =:-"
	for i := range 256 {
		c := byte(i)
		b := bitOf(c)
		if b > 63 {
			t.Fatalf("bitOf(%q) = %d", c, b)
		}
		for _, o := range []byte(own) {
			if l := lower[c]; b == bitOf(o) && l != o {
				t.Errorf("bitOf(%q) = bitOf(%q) = %d", c, o, b)
			}
		}
	}
}

func TestByteSet(t *testing.T) {
	for c := range 256 {
		for _, s := range []string{string([]byte{byte(c)}), "ab" + string([]byte{byte(c)}), string([]byte{byte(c), 'Q', 'z', '~'})} {
			if got, want := byteSet(s), byteSetRef(s); got != want {
				t.Errorf("byteSet(%q) = %#x, want %#x", s, got, want)
			}
		}
	}
}

var helperSeeds = []string{
	"", "k", "K", "\u212a", "s", "S", "\u017f", "u\u212anown", "UNKNOWN", "unknow", "unknownx",
	"mail.shop.example.net", "mail-oi1.example_x", "host.exa/mple", "a.b.c.d.e.f.g.h.i(", "abcdefg\x80",
	"ſoftdnserr", "tlſ", "httpſ", "eſmtpa", "ESMTPA", "esmtpsa", "Esmtp", "LMTPSA", "utf8smtpa",
	"HTTPSU", "asmtp", "\xff\xfe", "\xc5", "\xe2\x84", "Authenticated user x", "invoked by uid 89",
	"(Postfix, from userid 1000)", "envelope-from <a@b>", "version=TLSv1.2 cipher=X bits=256",
	"AUTH: LOGIN u, TLS: TLSv1", "192.0.2.1", "192.0.2.1:25", "192.0.2.1:0", "192.0.2.1.25",
	"01.2.3.4", "1.2.3.256", "0.0.0.0", "255.255.255.255", "1.2.3.4.", ".1.2.3", "1..2.3", "1.2.3.00", "1.2.3.0255", "1.2.3", "10.0.0.1a", "4.96", "15.20.8069.1", "::1", "fe80::1%eth0", "%1", "1%.2",
	"uid 5", "(x, UID 502)", "BY", "bY", "Id", "VIA", "fOr", "FROM", "WiTh", "b\x19", "\x02y", "fr\x0fm", "userid 0", "id 1", "Id 9", "uid x",
	"fe80::1%", "1.2.3.4%eth0", "::ffff:192.0.2.1%x", ":%", "1.2::3%x", "([ 192.0.2.1 )\t", "()",
	"2001:db8::1:25", "+25", "-25", "0025", "65535", "65536", "99999999999999999999999", "+",
	"a  b", "a b c d", "using TLSv1.3 with cipher X (256/256 bits)", "x\u00a0y", "\u2003a b\u2003",
	"ESMTPSA", "esmtpa", "e\u017fmtpa", "http\u017f", "httpu", "HTTPSU", "aSmTp", "lmtpsa", "UTF8SMTPSA", "utf8lmtpa", "ESMTP", "ESMTPS", "LMTP",
}

func checkHelpers(t *testing.T, s string) {
	for _, lit := range foldLits {
		if got, want := equalFold(s, lit), strings.EqualFold(s, lit); got != want {
			t.Errorf("equalFold(%q, %q) = %v, want %v", s, lit, got, want)
		}
		if got, want := hasPrefixFold(s, lit), len(s) >= len(lit) && strings.EqualFold(s[:len(lit)], lit); got != want {
			t.Errorf("hasPrefixFold(%q, %q) = %v, want %v", s, lit, got, want)
		}
		if got, want := hasSuffixFold(s, lit), len(s) >= len(lit) && strings.EqualFold(s[len(s)-len(lit):], lit); got != want {
			t.Errorf("hasSuffixFold(%q, %q) = %v, want %v", s, lit, got, want)
		}
		up := strings.ToUpper(lit)
		if got, want := asciiFold(upperASCII(s), up), strings.ToUpper(s) == up; got != want {
			t.Errorf("asciiFold(upperASCII(%q), %q) = %v, want %v", s, up, got, want)
		}
	}
	if got, want := byteSet(s), byteSetRef(s); got != want {
		t.Errorf("byteSet(%q) = %#x, want %#x", s, got, want)
	}
	for i := range min(len(s), 8) {
		if got, want := hostChars(s[i:]), hostCharsRef(s[i:]); got != want {
			t.Errorf("hostChars(%q) = %v, want %v", s[i:], got, want)
		}
	}
	tx := newText(s)
	for _, n := range []needle{nAuthUser, nCipher, nVersion, nTLSColon, nSSLColon, nEnvFrom, nEnvSend, nInvBy, nInvFrom, nUserid, nUID, newNeedle("abc"), newNeedle("x")} {
		if got, want := tx.index(&n), indexFoldRef(s, n.s); got != want {
			t.Errorf("index(%q, %q) = %d, want %d", s, n.s, got, want)
		}
	}
	n, err := strconv.Atoi(s)
	if got, ok := portNumber(s); ok != (err == nil && n > 0 && n < 65536) || ok && got != n {
		t.Errorf("portNumber(%q) = %d, %v; Atoi %d, %v", s, got, ok, n, err)
	}
	ip, err := netip.ParseAddr(s)
	if got, ok := parseIPv4(s); ok && (err != nil || got != ip) {
		t.Errorf("parseIPv4(%q) = %v; netip %v, %v", s, got, ip, err)
	}
	if got, ok := parseAddr(s); ok != (err == nil) || got != ip.WithZone("") {
		t.Errorf("parseAddr(%q) = %v, %v; netip without the zone %v, %v", s, got, ok, ip, err)
	}
	if (uidMarker(&tx, &nUserid) || uidMarker(&tx, &nUID)) && !idNumber(s) {
		t.Errorf("idNumber(%q) = false with a uid marker", s)
	}
	for _, raw := range []string{s, strings.Repeat(s, 81)} {
		q := raw
		if len(q) > 80 {
			q = q[:80] + "..."
		}
		if got, want := unparsable(raw), "unparsable date: "+strconv.Quote(q); got != want {
			t.Errorf("unparsable(%q) = %q, want %q", raw, got, want)
		}
	}
	if got, want := authProto(s), authProtoB(s); got != want {
		t.Errorf("authProto(%q) = %v, model %v", s, got, want)
	}
	if got, want := keyword(s), keywordRef(s); got != want {
		t.Errorf("keyword(%q) = %q, want %q", s, got, want)
	}
	for _, x := range []string{s, " " + s, "\t\r\n " + s + " ", "\v" + s + "\u00a0", "\u0085 " + s} {
		if got, want := trimSpace(x), strings.TrimSpace(x); got != want {
			t.Errorf("trimSpace(%q) = %q, want %q", x, got, want)
		}
	}
	if got, want := trimParenSpace(s), strings.Trim(s, "() \t"); got != want {
		t.Errorf("trimParenSpace(%q) = %q, want %q", s, got, want)
	}
	r := Received{With: s}
	proto := s
	if i := strings.IndexAny(proto, " \t("); i >= 0 {
		proto = proto[:i]
	}
	if got, want := r.Protocol(), strings.ToUpper(proto); got != want {
		t.Errorf("Protocol() of %q = %q, want %q", s, got, want)
	}
	all := strings.Fields(s)
	var f [3]string
	k := fields(s, f[:])
	if k != min(len(all), 3) || strings.Join(f[:k], "|") != strings.Join(all[:k], "|") {
		t.Errorf("fields(%q) = %q, want %q", s, f[:k], all)
	}
	for at := -1; at <= len(s); at++ {
		if got := joinWords(s, at, all); got != strings.Join(all, " ") {
			t.Errorf("joinWords(%q, %d, %q) = %q", s, at, all, got)
		}
	}
}

func TestHelpers(t *testing.T) {
	for _, s := range helperSeeds {
		checkHelpers(t, s)
	}
}

func FuzzHelpers(f *testing.F) {
	for _, s := range helperSeeds {
		f.Add(s)
	}
	f.Fuzz(checkHelpers)
}

func TestProtocol(t *testing.T) {
	for _, with := range []string{
		"", "esmtps", "ESMTPSA", "Esmtp (TLS1.3)", "local", "LMTP", "http", "pop3", "imap",
		"Microsoft SMTP Server", "eſmtps", "ſmtp", "smtp\tx", "\xffsmtp", "UTF8smtpsa", "asmtp",
	} {
		r := Received{With: with}
		proto := with
		if i := strings.IndexAny(proto, " \t("); i >= 0 {
			proto = proto[:i]
		}
		if got, want := r.Protocol(), strings.ToUpper(proto); got != want {
			t.Errorf("Protocol() of %q = %q, want %q", with, got, want)
		}
	}
	r := Received{With: "esmtps"}
	if n := testing.AllocsPerRun(100, func() { r.Protocol() }); n != 0 {
		t.Errorf("Protocol() of esmtps: %v allocations", n)
	}
}

// TestParseIPv4 holds parseIPv4 to netip.ParseAddr on strings of digits and
// dots: the same answer for every one (netip reads them all as IPv4).
func TestParseIPv4(t *testing.T) {
	fs := []string{"", "0", "1", "9", "10", "99", "100", "199", "249", "250", "255", "256", "300", "00", "01", "001", "010", "0255", "1000"}
	for c := range 256 {
		fs = append(fs, strconv.Itoa(c))
	}
	check := func(s string) {
		want, err := netip.ParseAddr(s)
		got, ok := parseIPv4(s)
		if ok != (err == nil) || got != want {
			t.Fatalf("parseIPv4(%q) = %v, %v; netip %v, %v", s, got, ok, want, err)
		}
	}
	for _, a := range fs[:19] {
		for _, b := range fs[:19] {
			for _, c := range fs[:19] {
				for _, d := range fs[:19] {
					check(a + "." + b + "." + c + "." + d)
				}
				check(a + "." + b + "." + c)
				check(a + "." + b + "." + c + ".1.2")
			}
		}
	}
	for _, a := range fs {
		check(a + ".0.0.1")
		check("10." + a + ".0.1")
		check("10.0." + a + ".1")
		check("10.0.0." + a)
	}
}

// keywordRef is keyword as it was written before: asciiFold against each
// keyword of the length (with the keyword bits that now stand for them).
func keywordRef(w string) byte {
	for _, k := range []struct {
		kw string
		b  byte
	}{{"by", kwBy}, {"id", kwID}, {"via", kwVia}, {"for", kwFor}, {"from", kwFrom}, {"with", kwWith}} {
		if asciiFold(w, k.kw) {
			return k.b
		}
	}
	return 0
}

// TestUnparsable holds the warning text to what it was built as before:
// "unparsable date: " and the text, cut to 80 bytes and "...", quoted.
func TestUnparsable(t *testing.T) {
	for _, raw := range []string{"", "x", "\xff", strings.Repeat("a", 80), strings.Repeat("a", 81),
		strings.Repeat("a", 79) + "\u2003", strings.Repeat("a", 78) + "\u2003", strings.Repeat("\"\\\n", 40)} {
		q := raw
		if len(q) > 80 {
			q = q[:80] + "..."
		}
		if got, want := unparsable(raw), "unparsable date: "+strconv.Quote(q); got != want {
			t.Errorf("unparsable(%q) = %q, want %q", raw, got, want)
		}
	}
}
