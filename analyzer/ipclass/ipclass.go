// Package ipclass classifies IP addresses by the IANA special-purpose
// address registries (RFC 6890 and its updates):
// https://www.iana.org/assignments/iana-ipv4-special-registry and
// https://www.iana.org/assignments/iana-ipv6-special-registry.
//
// net/netip's IsPrivate and friends miss shared address space (CGNAT),
// documentation, benchmarking, 240/4, NAT64, 6to4 and Teredo; this table
// has them all. Only a Public address may be an origin or be looked up.
package ipclass

import (
	"encoding/binary"
	"net/netip"
)

// Class names a kind of address. The strings are part of the JSON contract
// (hops[].from.ip_class).
type Class string

const (
	Invalid       Class = ""              // no address
	Public        Class = "public"        // globally routable unicast
	Private       Class = "private"       // RFC 1918, RFC 4193 unique-local
	Loopback      Class = "loopback"      // 127/8, ::1
	LinkLocal     Class = "link-local"    // 169.254/16, fe80::/10
	CGNAT         Class = "cgnat"         // shared address space 100.64/10 (RFC 6598)
	Documentation Class = "documentation" // RFC 5737, RFC 3849, RFC 9637
	Benchmarking  Class = "benchmarking"  // 198.18/15, 2001:2::/48
	Multicast     Class = "multicast"     // 224/4, ff00::/8
	Broadcast     Class = "broadcast"     // 255.255.255.255
	Unspecified   Class = "unspecified"   // 0.0.0.0, ::
	ThisNetwork   Class = "this-network"  // 0/8 (RFC 791)
	Reserved      Class = "reserved"      // 240/4, IETF protocol assignments, unallocated IPv6
	SixToFour     Class = "6to4"          // 2002::/16, 192.88.99/24 relay anycast
	Teredo        Class = "teredo"        // 2001::/32
	NAT64         Class = "nat64"         // 64:ff9b::/96, 64:ff9b:1::/48
	Discard       Class = "discard"       // 100::/64
)

type entry struct {
	prefix netip.Prefix
	class  Class
}

// table4 and table6 are ordered so that a more specific prefix precedes the
// prefix that contains it; Of returns the first match.
var table4, table6 = func() (v4, v6 []entry) {
	rows := []struct {
		p string
		c Class
	}{
		// IPv4, RFC 6890 §2.2.2 and updates.
		{"0.0.0.0/32", Unspecified},
		{"0.0.0.0/8", ThisNetwork},
		{"10.0.0.0/8", Private},
		{"100.64.0.0/10", CGNAT},
		{"127.0.0.0/8", Loopback},
		{"169.254.0.0/16", LinkLocal},
		{"172.16.0.0/12", Private},
		{"192.0.0.9/32", Public},  // PCP anycast (RFC 7723), globally reachable
		{"192.0.0.10/32", Public}, // TURN anycast (RFC 8155), globally reachable
		{"192.0.0.0/24", Reserved},
		{"192.0.2.0/24", Documentation},
		{"192.88.99.0/24", SixToFour},
		{"192.168.0.0/16", Private},
		{"198.18.0.0/15", Benchmarking},
		{"198.51.100.0/24", Documentation},
		{"203.0.113.0/24", Documentation},
		{"224.0.0.0/4", Multicast},
		{"255.255.255.255/32", Broadcast},
		{"240.0.0.0/4", Reserved},
		// IPv6, RFC 6890 §2.2.3 and updates.
		{"::/128", Unspecified},
		{"::1/128", Loopback},
		{"64:ff9b::/96", NAT64},
		{"64:ff9b:1::/48", NAT64},
		{"100::/64", Discard},
		{"2001::/32", Teredo},
		{"2001:2::/48", Benchmarking},
		{"2001:db8::/32", Documentation},
		{"2001:10::/28", Reserved}, // ORCHID (deprecated)
		{"2002::/16", SixToFour},
		{"3fff::/20", Documentation},
		{"5f00::/16", Reserved}, // SRv6 SIDs (RFC 9602)
		{"fc00::/7", Private},
		{"fe80::/10", LinkLocal},
		{"ff00::/8", Multicast},
	}
	for _, r := range rows {
		e := entry{netip.MustParsePrefix(r.p), r.c}
		if e.prefix.Addr().Is4() {
			v4 = append(v4, e)
		} else {
			v6 = append(v6, e)
		}
	}
	return v4, v6
}()

// special4 marks the first octets that some IPv4 entry covers: any other
// address is Public without a walk through table4.
var special4 = func() (m [256]bool) {
	for _, e := range table4 {
		first := e.prefix.Addr().As4()[0]
		span := 1
		if bits := e.prefix.Bits(); bits < 8 {
			span = 1 << (8 - bits)
		}
		for o := int(first); o < int(first)+span; o++ {
			m[o] = true
		}
	}
	return m
}()

var globalUnicast6 = netip.MustParsePrefix("2000::/3")

// Of returns the class of addr. IPv4-mapped IPv6 addresses are classified
// as the IPv4 address they carry.
func Of(addr netip.Addr) Class {
	if !addr.IsValid() {
		return Invalid
	}
	addr = addr.Unmap() // an IPv4 address has no zone: Unmap drops a mapped one's
	if addr.Is4() {
		a := addr.As4()
		if !special4[a[0]] {
			return Public
		}
		// table4 as masks on the address as a number: what Prefix.Contains
		// works out per call, with its checks of family and zone, once.
		v := binary.BigEndian.Uint32(a[:])
		for _, e := range mask4At[a[0]] {
			if v&e.mask == e.base {
				return e.class
			}
		}
		return Public
	}
	// Most IPv6 peers are global unicast (2000::/3) outside every prefix
	// of table6, which in that space all start 2001, 2002 or 3fff: their
	// first sixteen bits tell them Public without the walk below.
	if b := addr.As16(); b[0]>>5 == 1 {
		if hi := uint16(b[0])<<8 | uint16(b[1]); hi != 0x2001 && hi != 0x2002 && hi != 0x3fff {
			return Public
		}
	}
	addr = addr.WithZone("")
	for _, e := range table6 {
		if e.prefix.Contains(addr) {
			return e.class
		}
	}
	if !globalUnicast6.Contains(addr) {
		return Reserved // outside the global unicast space IANA has allocated
	}
	return Public
}

// mask4 is table4, in order, as a mask and the masked base address.
var mask4 = func() []mask4Entry {
	m := make([]mask4Entry, len(table4))
	for i, e := range table4 {
		a := e.prefix.Addr().As4()
		m[i].mask = ^uint32(0) << (32 - e.prefix.Bits())
		m[i].base = binary.BigEndian.Uint32(a[:]) & m[i].mask
		m[i].class = e.class
	}
	return m
}()

type mask4Entry struct {
	base, mask uint32
	class      Class
}

// mask4At[o] holds the entries of mask4, in order, whose prefix holds
// addresses with the first octet o: the only ones an address starting
// with o can match, so that the first of them that matches is the first
// of mask4 that does (one to four entries to test instead of nineteen).
var mask4At = func() (t [256][]mask4Entry) {
	for _, e := range mask4 {
		// The first octets of the prefix: its first octet with the bits
		// below the mask's set or not.
		lo, free := e.base>>24, ^e.mask>>24
		for o := lo; o <= lo|free; o++ {
			t[o] = append(t[o], e)
		}
	}
	return t
}()

// IsPublic reports whether addr is globally routable unicast: the only kind
// that can be an origin or entry, or be looked up at a registry.
func IsPublic(addr netip.Addr) bool { return Of(addr) == Public }

// IsInternal reports whether addr can only belong to a local network or host
// (private, loopback, link-local, CGNAT): a hop from such an address stays on
// the side of whoever wrote it.
func IsInternal(addr netip.Addr) bool {
	switch Of(addr) {
	case Private, Loopback, LinkLocal, CGNAT:
		return true
	}
	return false
}

// ParseAddr is netip.ParseAddr for text from headers, which mostly names
// hosts: text that cannot be an address is turned away before ParseAddr,
// whose error value is an allocation per host name on a scan's hot path.
func ParseAddr(s string) (netip.Addr, bool) {
	if !mayBeAddr(s) {
		return netip.Addr{}, false
	}
	a, err := netip.ParseAddr(s)
	return a, err == nil
}

// mayBeAddr reports whether netip.ParseAddr could accept s: it reads IPv4
// (digits and dots) when a '.' comes before any ':' or '%', otherwise IPv6
// when a ':' does (hex digits, ':' and '.' before an optional %zone).
//
// One pass: before the first of ".:%" a byte must be a hex digit for
// either form, so a host name ("mail.example.com", "mx1...") is mostly
// turned away at its first byte. FuzzMayBeAddr holds it to mayBeAddrModel,
// the three-pass version.
func mayBeAddr(s string) bool {
	digits := true // every byte so far is a decimal digit
	for i := 0; i < len(s); i++ {
		switch c := addrByte[s[i]]; c {
		case addrDigit:
		case addrHex:
			digits = false
		case addrDot: // IPv4: digits and dots throughout
			if !digits {
				return false
			}
			for j := i + 1; j < len(s); j++ {
				if c := addrByte[s[j]]; c != addrDigit && c != addrDot {
					return false
				}
			}
			return true
		case addrColon: // IPv6: hex digits, ':' and '.' up to a '%'
			for j := i + 1; j < len(s); j++ {
				switch addrByte[s[j]] {
				case addrDigit, addrHex, addrDot, addrColon:
				case addrPercent:
					return true // the zone may hold anything
				default:
					return false
				}
			}
			return true
		default: // '%' first, or a byte no address holds before the first separator
			return false
		}
	}
	return false // none of ".:%"
}

// The kinds of bytes mayBeAddr tells apart; addrOther is the zero value.
const (
	addrOther = iota
	addrDigit
	addrHex // a-f, A-F
	addrDot
	addrColon
	addrPercent
)

var addrByte = func() (t [256]uint8) {
	for c := '0'; c <= '9'; c++ {
		t[c] = addrDigit
	}
	for c := 'a'; c <= 'f'; c++ {
		t[c], t[c-'a'+'A'] = addrHex, addrHex
	}
	t['.'], t[':'], t['%'] = addrDot, addrColon, addrPercent
	return t
}()
