package verify

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/netip"
	"strings"
	"testing"
)

func TestMacros(t *testing.T) {
	// RFC 7208 §7.4.
	e := &spfEval{ip: netip.MustParseAddr("192.0.2.3"), sender: "strong-bad@email.example.com", helo: "mx.example.org"}
	test := func(spec, want string) {
		t.Helper()
		got, err := e.expand(spec, "email.example.com")
		if err != nil || got != want {
			t.Errorf("expand(%q) = %q, %v; want %q", spec, got, err, want)
		}
	}
	test("%{s}", "strong-bad@email.example.com")
	test("%{o}", "email.example.com")
	test("%{d}", "email.example.com")
	test("%{d4}", "email.example.com")
	test("%{d3}", "email.example.com")
	test("%{d2}", "example.com")
	test("%{d1}", "com")
	test("%{dr}", "com.example.email")
	test("%{d2r}", "example.email")
	test("%{l}", "strong-bad")
	test("%{l-}", "strong.bad")
	test("%{lr}", "strong-bad")
	test("%{lr-}", "bad.strong")
	test("%{l1r-}", "strong")
	test("%{ir}.%{v}._spf.%{d2}", "3.2.0.192.in-addr._spf.example.com")
	test("%{lr-}.lp._spf.%{d2}", "bad.strong.lp._spf.example.com")
	test("%{lr-}.lp.%{ir}.%{v}._spf.%{d2}", "bad.strong.lp.3.2.0.192.in-addr._spf.example.com")
	test("%{ir}.%{v}.%{l1r-}.lp._spf.%{d2}", "3.2.0.192.in-addr.strong.lp._spf.example.com")
	test("%{d2}.trusted-domains.example.net", "example.com.trusted-domains.example.net")
	test("%{h}.%%.%_.%-", "mx.example.org.%. .%20")
	e.ip = netip.MustParseAddr("2001:db8::cb01")
	test("%{ir}.%{v}._spf.%{d2}", "1.0.b.c.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.8.b.d.0.1.0.0.2.ip6._spf.example.com")

	for _, bad := range []string{"%", "%x", "%{", "%{}", "%{d0}", "%{c}", "%{d2r*}"} {
		if got, err := e.expand(bad, "a.example"); !errors.Is(err, ErrSPFPerm) {
			t.Errorf("expand(%q) = %q, %v; want a permerror", bad, got, err)
		}
	}
}

func TestCheckSPF(t *testing.T) {
	a := func(s ...string) []netip.Addr {
		var out []netip.Addr
		for _, x := range s {
			out = append(out, netip.MustParseAddr(x))
		}
		return out
	}
	r := MockResolver{
		TXT: map[string][]string{
			"a.example":           {"v=spf1 ip4:192.0.2.0/24 ip6:2001:db8:1::/48 -all"},
			"soft.example":        {"google-site-verification=x", "v=spf1 ~all"},
			"neutral.example":     {"v=spf1 ?all"},
			"nomatch.example":     {"v=spf1 ip4:198.51.100.1"},
			"amx.example":         {"v=spf1 a mx/28 -all"},
			"acidr.example":       {"v=spf1 a:host.amx.example/24//64 -all"},
			"inc.example":         {"v=spf1 include:a.example include:soft.example -all"},
			"incnone.example":     {"v=spf1 include:norecord.example -all"},
			"redir.example":       {"v=spf1 redirect=a.example"},
			"redirall.example":    {"v=spf1 ?all redirect=a.example"},
			"redirnone.example":   {"v=spf1 redirect=norecord.example"},
			"exists.example":      {"v=spf1 exists:%{ir}.%{v}.allow.exists.example -all"},
			"two.example":         {"v=spf1 -all", "v=spf1 +all"},
			"badmech.example":     {"v=spf1 foo:bar -all"},
			"badip.example":       {"v=spf1 ip4:2001:db8::1 -all"},
			"dupredir.example":    {"v=spf1 redirect=a.example redirect=a.example"},
			"unknownmod.example":  {"v=spf1 moo=cow ip4:192.0.2.1 -all"},
			"loop.example":        {"v=spf1 include:loop.example -all"},
			"voids.example":       {"v=spf1 a:v1.example a:v2.example a:v3.example -all"},
			"tmp.example":         {"v=spf1 include:broken.example -all"},
			"plus.example":        {"v=spf1 +ip4:192.0.2.9 -all"},
			"v=spf10.example":     {"v=spf10 -all"},
			"notspf.example":      {"v=spf10 -all"},
			"ptr.example":         {"v=spf1 ptr -all"},
			"manymx.example":      {"v=spf1 mx -all"},
			"twelve.example":      {"v=spf1 " + strings.Repeat("a:nohost.example ", 0) + "include:c1.example -all"},
			"c1.example":          {"v=spf1 a a a a a a a a a a a -all"},
			"mixed-case.example":  {"V=SPF1 IP4:192.0.2.1 -ALL"},
			"v6only.example":      {"v=spf1 ip4:192.0.2.0/24 -all"},
			"host.amx.example":    {"v=spf1 -all"},
			"mx.amx.example":      {"v=spf1 -all"},
			"exists-deny.example": {"v=spf1 exists:%{l}.deny.example ~all"},
		},
		A: map[string][]netip.Addr{
			"amx.example":                            a("203.0.113.5"),
			"host.amx.example":                       a("203.0.113.77", "2001:db8:5::1"),
			"mx.amx.example":                         a("198.51.100.16"),
			"7.2.0.192.in-addr.allow.exists.example": a("127.0.0.2"),
			"c1.example":                             a("198.51.100.200"),
		},
		MX: map[string][]*net.MX{
			"amx.example": {{Host: "mx.amx.example.", Pref: 10}},
			"manymx.example": func() []*net.MX {
				var m []*net.MX
				for i := 0; i < 11; i++ {
					m = append(m, &net.MX{Host: fmt.Sprintf("mx%d.manymx.example.", i)})
				}
				return m
			}(),
		},
		Fail: map[string]error{
			"broken.example": &net.DNSError{Err: "server misbehaving", Name: "broken.example", IsTemporary: true},
		},
	}
	test := func(ip, domain, want, mech string) {
		t.Helper()
		c := CheckSPF(context.Background(), r, netip.MustParseAddr(ip), domain, "")
		if c.Result != want || (mech != "*" && c.Mechanism != mech) {
			t.Errorf("CheckSPF(%s, %s) = %s %q (%s); want %s %q", ip, domain, c.Result, c.Mechanism, c.Error, want, mech)
		}
	}
	test("192.0.2.7", "a.example", SPFPass, "ip4:192.0.2.0/24")
	test("::ffff:192.0.2.7", "a.example", SPFPass, "ip4:192.0.2.0/24")
	test("2001:db8:1::25", "a.example", SPFPass, "ip6:2001:db8:1::/48")
	test("198.51.100.1", "a.example", SPFFail, "-all")
	test("198.51.100.1", "A.Example.", SPFFail, "-all")
	test("198.51.100.1", "soft.example", SPFSoftFail, "~all")
	test("198.51.100.1", "neutral.example", SPFNeutral, "?all")
	test("198.51.100.2", "nomatch.example", SPFNeutral, "")
	test("198.51.100.1", "norecord.example", SPFNone, "")
	test("198.51.100.1", "notspf.example", SPFNone, "")
	test("198.51.100.1", "localhost", SPFNone, "")
	test("203.0.113.5", "amx.example", SPFPass, "a")
	test("198.51.100.30", "amx.example", SPFPass, "mx/28")
	test("198.51.100.33", "amx.example", SPFFail, "-all")
	test("203.0.113.200", "acidr.example", SPFPass, "a:host.amx.example/24//64")
	test("2001:db8:5::abcd", "acidr.example", SPFPass, "a:host.amx.example/24//64")
	test("2001:db8:6::1", "acidr.example", SPFFail, "-all")
	test("192.0.2.7", "inc.example", SPFPass, "include:a.example")
	test("198.51.100.1", "inc.example", SPFFail, "-all") // include's fail/softfail is no match
	test("198.51.100.1", "incnone.example", SPFPermError, "include:norecord.example")
	test("192.0.2.7", "redir.example", SPFPass, "redirect=a.example")
	test("198.51.100.1", "redir.example", SPFFail, "redirect=a.example")
	test("198.51.100.1", "redirall.example", SPFNeutral, "?all") // redirect ignored when all is present
	test("198.51.100.1", "redirnone.example", SPFPermError, "*")
	test("192.0.2.7", "exists.example", SPFPass, "exists:%{ir}.%{v}.allow.exists.example")
	test("192.0.2.8", "exists.example", SPFFail, "-all")
	test("192.0.2.7", "two.example", SPFPermError, "")
	test("192.0.2.7", "badmech.example", SPFPermError, "foo:bar")
	test("192.0.2.7", "badip.example", SPFPermError, "*")
	test("192.0.2.7", "dupredir.example", SPFPermError, "")
	test("192.0.2.1", "unknownmod.example", SPFPass, "ip4:192.0.2.1")
	test("192.0.2.7", "loop.example", SPFPermError, "*")
	test("192.0.2.7", "voids.example", SPFPermError, "a:v3.example")
	test("192.0.2.7", "tmp.example", SPFTempError, "include:broken.example")
	test("192.0.2.9", "plus.example", SPFPass, "+ip4:192.0.2.9")
	test("192.0.2.9", "ptr.example", SPFFail, "-all")
	test("192.0.2.9", "manymx.example", SPFPermError, "mx")
	test("192.0.2.9", "twelve.example", SPFPermError, "*")
	test("192.0.2.1", "mixed-case.example", SPFPass, "IP4:192.0.2.1")
	test("2001:db8::1", "v6only.example", SPFFail, "-all")

	// The lookup limit counts across includes.
	c := CheckSPF(context.Background(), r, netip.MustParseAddr("192.0.2.9"), "twelve.example", "")
	if c.Lookups != 11 || !strings.Contains(c.Error, "more than 10") {
		t.Errorf("lookup limit: %+v", c)
	}
	// %{l} uses the sender's local part; postmaster when there is none.
	r.A["bad-guy.deny.example"] = a("127.0.0.2")
	c = CheckSPF(context.Background(), r, netip.MustParseAddr("192.0.2.9"), "exists-deny.example", "bad-guy@exists-deny.example")
	if c.Result != SPFPass {
		t.Errorf("sender macro: %+v", c)
	}
	c = CheckSPF(context.Background(), r, netip.MustParseAddr("192.0.2.9"), "exists-deny.example", "")
	if c.Result != SPFSoftFail || c.Sender != "postmaster@exists-deny.example" {
		t.Errorf("postmaster: %+v", c)
	}
	// A cancelled context is a temperror.
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if c := CheckSPF(ctx, r, netip.MustParseAddr("192.0.2.7"), "a.example", ""); c.Result != SPFTempError {
		t.Errorf("cancelled: %+v", c)
	}
}

func FuzzCheckSPF(f *testing.F) {
	for _, s := range []string{
		"v=spf1 ip4:192.0.2.0/24 ip6:2001:db8::/32 a mx/24//64 include:b.example exists:%{ir}.%{v}.%{d2} ptr ?all",
		"v=spf1 redirect=%{l1r-}.%{o}", "v=spf1 a:%{i}.x//0 -all", "v=spf1 exp=%{c} ~all", "v=spf1 ip4:1.2.3.4/33",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, rec string) {
		r := MockResolver{
			TXT: map[string][]string{"a.example": {rec}, "b.example": {rec}},
			A:   map[string][]netip.Addr{"a.example": {netip.MustParseAddr("192.0.2.1")}},
			MX:  map[string][]*net.MX{"a.example": {{Host: "a.example."}}},
		}
		c := CheckSPF(context.Background(), r, netip.MustParseAddr("192.0.2.1"), "a.example", "x@a.example")
		switch c.Result {
		case SPFPass, SPFFail, SPFSoftFail, SPFNeutral, SPFNone, SPFPermError, SPFTempError:
		default:
			t.Fatalf("result %q", c.Result)
		}
		if c.Lookups > maxDNSLookups+1 {
			t.Fatalf("%d lookups", c.Lookups)
		}
	})
}
