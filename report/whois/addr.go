package whois

import (
	"math/big"
	"net/netip"
	"strconv"
	"strings"
)

// parseAddr parses an address the way registries write them: IPv4 with
// zero-padded octets ("074.125.000.000"), IPv6 in upper case or fully
// expanded, an optional "/len" suffix that is dropped. A zone ("fe80::1%eth0")
// is refused: it names an interface of the writer's machine, never a block.
func parseAddr(s string) (netip.Addr, bool) {
	s = strings.TrimSpace(s)
	if i := strings.IndexByte(s, '/'); i >= 0 {
		s = s[:i]
	}
	if a, err := netip.ParseAddr(s); err == nil {
		if a.Zone() != "" {
			return netip.Addr{}, false
		}
		return a.Unmap(), true
	}
	if !strings.Contains(s, ":") && strings.Count(s, ".") == 3 {
		parts := strings.Split(s, ".")
		var b [4]byte
		for i, p := range parts {
			if p == "" || len(p) > 3 {
				return netip.Addr{}, false
			}
			n, err := strconv.Atoi(p)
			if err != nil || n < 0 || n > 255 {
				return netip.Addr{}, false
			}
			b[i] = byte(n)
		}
		return netip.AddrFrom4(b), true
	}
	return netip.Addr{}, false
}

// parsePrefix parses a CIDR, expanding LACNIC's and JPNIC's abbreviated
// IPv4 forms ("200.57.128/19" is 200.57.128.0/19).
func parsePrefix(s string) (netip.Prefix, bool) {
	s = strings.TrimSpace(s)
	i := strings.IndexByte(s, '/')
	if i < 0 {
		return netip.Prefix{}, false
	}
	addr, lenStr := s[:i], s[i+1:]
	bits, err := strconv.Atoi(strings.TrimSpace(lenStr))
	if err != nil {
		return netip.Prefix{}, false
	}
	if !strings.Contains(addr, ":") {
		n := strings.Count(addr, ".")
		if n < 3 {
			addr += strings.Repeat(".0", 3-n)
		}
	}
	a, ok := parseAddr(addr)
	if !ok {
		return netip.Prefix{}, false
	}
	p, err := a.Prefix(bits)
	if err != nil || bits < 0 || bits > a.BitLen() {
		return netip.Prefix{}, false
	}
	return p, true
}

// Block is an address range, first to last inclusive.
type Block struct{ First, Last netip.Addr }

// Valid reports whether the block is a well-formed range.
func (b Block) Valid() bool {
	return b.First.IsValid() && b.Last.IsValid() && b.First.BitLen() == b.Last.BitLen() && !b.Last.Less(b.First)
}

// Contains reports whether ip lies in the block.
func (b Block) Contains(ip netip.Addr) bool {
	ip = ip.Unmap()
	return b.Valid() && ip.BitLen() == b.First.BitLen() && !ip.Less(b.First) && !b.Last.Less(ip)
}

// size is the number of addresses in the block, as a big integer.
func (b Block) size() *big.Int {
	f := new(big.Int).SetBytes(b.First.AsSlice())
	l := new(big.Int).SetBytes(b.Last.AsSlice())
	return l.Sub(l, f)
}

// String is the registry's range notation.
func (b Block) String() string {
	if !b.Valid() {
		return ""
	}
	return b.First.String() + " - " + b.Last.String()
}

// narrower reports whether b is strictly smaller than c.
func (b Block) narrower(c Block) bool {
	if !c.Valid() {
		return b.Valid()
	}
	return b.size().Cmp(c.size()) < 0
}

func blockOfPrefix(p netip.Prefix) Block {
	p = p.Masked()
	return Block{First: p.Addr(), Last: lastOf(p)}
}

func lastOf(p netip.Prefix) netip.Addr {
	b := p.Addr().AsSlice()
	bits := p.Bits()
	for i := range b {
		for j := 7; j >= 0; j-- {
			if i*8+(7-j) >= bits {
				b[i] |= 1 << j
			}
		}
	}
	a, _ := netip.AddrFromSlice(b)
	return a
}

// parseBlock reads "a - b", "a-b", a CIDR (abbreviated or not), or "a/len"
// followed by anything (KRNIC writes "115.0.0.0 - 115.23.255.255 (/12+/13)").
func parseBlock(s string) (Block, bool) {
	s = strings.TrimSpace(s)
	if i := strings.IndexByte(s, '('); i > 0 {
		s = strings.TrimSpace(s[:i])
	}
	if i := strings.Index(s, " - "); i >= 0 || (strings.Count(s, "-") == 1 && !strings.Contains(s, "/")) {
		var a, b string
		if i >= 0 {
			a, b = s[:i], s[i+3:]
		} else {
			a, b, _ = strings.Cut(s, "-")
		}
		f, ok1 := parseAddr(a)
		l, ok2 := parseAddr(b)
		blk := Block{f, l}
		return blk, ok1 && ok2 && blk.Valid()
	}
	if f := strings.Fields(s); len(f) > 0 {
		if p, ok := parsePrefix(f[0]); ok {
			return blockOfPrefix(p), true
		}
	}
	return Block{}, false
}

// Prefixes returns the CIDRs that exactly cover the block (at most max).
func (b Block) Prefixes(max int) []netip.Prefix {
	if !b.Valid() {
		return nil
	}
	var out []netip.Prefix
	cur := b.First
	for len(out) < max {
		bits := cur.BitLen()
		// Largest prefix starting at cur that stays within Last.
		best := netip.PrefixFrom(cur, bits)
		for l := bits - 1; l >= 0; l-- {
			p := netip.PrefixFrom(cur, l)
			if p.Masked().Addr() != cur || b.Last.Less(lastOf(p)) {
				break
			}
			best = p
		}
		out = append(out, best)
		last := lastOf(best)
		if last == b.Last {
			break
		}
		cur = last.Next()
		if !cur.IsValid() {
			break
		}
	}
	return out
}

// ParseAddr is parseAddr for other packages (RDAP's 2015 answers write
// addresses the same loose ways).
func ParseAddr(s string) (netip.Addr, bool) { return parseAddr(s) }

// BlockOfPrefix is the range a prefix covers.
func BlockOfPrefix(p netip.Prefix) Block { return blockOfPrefix(p) }
