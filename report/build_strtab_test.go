package report

import (
	"net/netip"
	"testing"
	"time"
)

// TestStrtab holds strtab's formatting to what fill called before: Format,
// String and addrString, each made on its own.
func TestStrtab(t *testing.T) {
	var st strtab // from nil: views must survive the buffer moving
	addrs := []netip.Addr{{}, netip.MustParseAddr("192.0.2.1"), netip.MustParseAddr("2001:db8::1"),
		netip.MustParseAddr("::ffff:192.0.2.7"), netip.MustParseAddr("fe80::1%eth0"), netip.MustParseAddr("::"),
		netip.MustParseAddr("0.0.0.0"), netip.MustParseAddr("2001:db8:1:2:3:4:5:6%a-very-long-zone-name")}
	times := []time.Time{time.Date(2026, 11, 24, 9, 14, 5, 0, time.FixedZone("", -6*3600)),
		time.Date(1, 1, 1, 0, 0, 1, 0, time.UTC), time.Date(12345, 6, 7, 8, 9, 10, 11, time.UTC),
		time.Date(-5, 1, 1, 0, 0, 0, 0, time.UTC), time.Unix(1<<40, 999)}
	var got, want []string
	for range 20 { // enough to make the buffer move a few times
		for _, a := range addrs {
			got = append(got, st.addr(a), st.ip(a))
			want = append(want, addrString(a), a.String())
		}
		for _, tm := range times {
			got = append(got, st.time(tm), *rfc3339(tm))
			want = append(want, tm.UTC().Format(time.RFC3339), tm.UTC().Format(time.RFC3339))
		}
	}
	for i := range want {
		if got[i] != want[i] {
			t.Errorf("%d: %q, want %q", i, got[i], want[i])
		}
	}
}

// TestStrtabIPv6Runs formats an address for each choice of zero groups,
// the others of one to four digits, as netip does: the run that becomes
// "::" is the first longest of two or more.
func TestStrtabIPv6Runs(t *testing.T) {
	var st strtab
	for zeros := range 256 {
		var ip [16]byte
		for g := range 8 {
			if zeros&(1<<g) == 0 {
				v := uint16(0xf) << (4 * (g % 4)) // one to four digits
				ip[2*g], ip[2*g+1] = byte(v>>8), byte(v)
			}
		}
		a := netip.AddrFrom16(ip)
		if got, want := st.addr(a), a.String(); got != want {
			t.Errorf("%x: %q, want %q", ip, got, want)
		}
	}
}
