package ipclass

import (
	"net/netip"
	"testing"
)

func TestOf(t *testing.T) {
	test := func(ip string, want Class) {
		t.Helper()
		if got := Of(netip.MustParseAddr(ip)); got != want {
			t.Errorf("Of(%s) = %q, want %q", ip, got, want)
		}
	}
	test("8.8.8.8", Public)
	test("209.85.167.179", Public)
	test("10.1.2.3", Private)
	test("172.31.255.255", Private)
	test("172.32.0.1", Public)
	test("192.168.1.1", Private)
	test("100.64.0.1", CGNAT)
	test("100.127.255.255", CGNAT)
	test("100.128.0.1", Public)
	test("127.0.0.2", Loopback)
	test("169.254.10.1", LinkLocal)
	test("192.0.2.1", Documentation)
	test("198.51.100.23", Documentation)
	test("203.0.113.9", Documentation)
	test("198.18.0.1", Benchmarking)
	test("198.19.255.255", Benchmarking)
	test("198.20.0.1", Public)
	test("224.0.0.251", Multicast)
	test("240.0.0.1", Reserved)
	test("255.255.255.255", Broadcast)
	test("0.0.0.0", Unspecified)
	test("0.1.2.3", ThisNetwork)
	test("192.0.0.8", Reserved)
	test("192.0.0.9", Public)
	test("192.88.99.1", SixToFour)
	test("::", Unspecified)
	test("::1", Loopback)
	test("::ffff:10.0.0.1", Private)
	test("::ffff:8.8.4.4", Public)
	test("64:ff9b::808:808", NAT64)
	test("100::1", Discard)
	test("2001::1", Teredo)
	test("2001:2::1", Benchmarking)
	test("2001:db8::1", Documentation)
	test("2002:c000:204::1", SixToFour)
	test("3fff::1", Documentation)
	test("fd00::1", Private)
	test("fe80::1", LinkLocal)
	test("fe80::1%eth0", LinkLocal)
	test("ff02::1", Multicast)
	test("2a00:1450:4001:80b::200e", Public)
	test("2001:4860:4860::8888", Public)
	test("4000::1", Reserved)
	if Of(netip.Addr{}) != Invalid {
		t.Error("zero Addr must be Invalid")
	}
}

func TestPredicates(t *testing.T) {
	if !IsPublic(netip.MustParseAddr("1.1.1.1")) || IsPublic(netip.MustParseAddr("100.64.1.1")) {
		t.Error("IsPublic wrong")
	}
	if !IsInternal(netip.MustParseAddr("100.64.1.1")) || IsInternal(netip.MustParseAddr("192.0.2.1")) {
		t.Error("IsInternal wrong")
	}
}

func BenchmarkOf(b *testing.B) {
	a := netip.MustParseAddr("209.85.167.179")
	for b.Loop() {
		_ = Of(a)
	}
}

// TestFirstOctetShortcut: the special4 shortcut answers as the table walk
// does for addresses across every first octet.
func TestFirstOctetShortcut(t *testing.T) {
	walk := func(a netip.Addr) Class {
		for _, e := range table4 {
			if e.prefix.Contains(a) {
				return e.class
			}
		}
		return Public
	}
	for o := range 256 {
		for _, rest := range [][3]byte{{0, 0, 0}, {255, 255, 255}, {1, 2, 3}, {64, 0, 1}, {168, 0, 1}} {
			a := netip.AddrFrom4([4]byte{byte(o), rest[0], rest[1], rest[2]})
			if got, want := Of(a), walk(a); got != want {
				t.Errorf("Of(%s) = %q, the table says %q", a, got, want)
			}
		}
	}
}

// sameAsNetip fails when ParseAddr answers otherwise than netip.ParseAddr.
func sameAsNetip(t *testing.T, s string) {
	t.Helper()
	want, err := netip.ParseAddr(s)
	if got, ok := ParseAddr(s); ok != (err == nil) || got != want {
		t.Errorf("ParseAddr(%q) = %v, %v; netip: %v, %v", s, got, ok, want, err)
	}
}

func TestParseAddr(t *testing.T) {
	for _, s := range []string{"192.0.2.1", "2001:db8::1", "fe80::1%eth0", "::ffff:192.0.2.1", "mail.example.com",
		"1.2.3", "01.2.3.4", "abc", "", "%", "ipv6:2001:db8::1", "2001:db8::g", "1.2.3.4%x", "[192.0.2.1]"} {
		sameAsNetip(t, s)
	}
}

func FuzzParseAddr(f *testing.F) {
	for _, s := range []string{"192.0.2.1", "2001:db8::1", "fe80::1%eth0", "mx.example", "1.2.3.4.5"} {
		f.Add(s)
	}
	f.Fuzz(sameAsNetip)
}
