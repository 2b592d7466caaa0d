package ipclass

// Of and mayBeAddr as they were before the IPv4 masks and the one-pass
// scan: the models FuzzOf and FuzzMayBeAddr hold the new code to.

import (
	"net/netip"
	"strings"
	"testing"
)

func ofModel(addr netip.Addr) Class {
	if !addr.IsValid() {
		return Invalid
	}
	addr = addr.Unmap().WithZone("")
	table := table6
	if addr.Is4() {
		if !special4[addr.As4()[0]] {
			return Public
		}
		table = table4
	}
	for _, e := range table {
		if e.prefix.Contains(addr) {
			return e.class
		}
	}
	if addr.Is6() && !globalUnicast6.Contains(addr) {
		return Reserved // outside the global unicast space IANA has allocated
	}
	return Public
}

func mayBeAddrModel(s string) bool {
	i := strings.IndexAny(s, ".:%")
	if i < 0 {
		return false
	}
	switch s[i] {
	case '.':
		for j := 0; j < len(s); j++ {
			if c := s[j]; c != '.' && (c < '0' || c > '9') {
				return false
			}
		}
		return true
	case ':':
		if z := strings.IndexByte(s, '%'); z >= 0 {
			s = s[:z]
		}
		for j := 0; j < len(s); j++ {
			if c := s[j]; c != '.' && c != ':' && (c < '0' || c > '9') && (c < 'a' || c > 'f') && (c < 'A' || c > 'F') {
				return false
			}
		}
		return true
	}
	return false
}

// FuzzOf compares Of with ofModel on IPv4, IPv4-mapped and IPv6 addresses
// (with a zone or not) built from the fuzzer's bytes.
func FuzzOf(f *testing.F) {
	for _, s := range []string{"10.1.2.3", "192.0.2.1", "255.255.255.255", "0.0.0.0", "::ffff:192.168.1.1",
		"2001:db8::1", "fe80::1", "::1", "64:ff9b::1", "2002::1", "100::1", "4000::1", "fe80::1%eth0", "240.0.0.1", "198.19.0.1"} {
		a := netip.MustParseAddr(s)
		b := a.As16()
		f.Add(b[:], a.Is4(), a.Zone())
	}
	f.Fuzz(func(t *testing.T, b []byte, is4 bool, zone string) {
		var a16 [16]byte
		copy(a16[:], b)
		a := netip.AddrFrom16(a16).WithZone(zone)
		if is4 {
			a = netip.AddrFrom4([4]byte(a16[12:]))
		}
		for _, a := range []netip.Addr{a, a.Unmap(), {}} {
			if got, want := Of(a), ofModel(a); got != want {
				t.Fatalf("Of(%s) = %q, model %q", a, got, want)
			}
		}
	})
}

func FuzzMayBeAddr(f *testing.F) {
	for _, s := range []string{"192.0.2.1", "2001:db8::1", "fe80::1%eth0", "mx.example", "1.2.3.4.5", "a1.b", "ab:cd", "1a.2", "%1", "::%", "1.2:3", "abc", ""} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		if got, want := mayBeAddr(s), mayBeAddrModel(s); got != want {
			t.Fatalf("mayBeAddr(%q) = %v, model %v", s, got, want)
		}
	})
}
