package report

import (
	"net/netip"
	"testing"
	"time"
)

// strtab's formatting as it was at the start of the fourth round (commit
// 9282917), renamed: the models FuzzStrtabR3 holds appendRFC3339 and
// appendIPv4 to.

// timeR3 is strtab.time of commit 9282917.
func (st *strtab) timeR3(t time.Time) string {
	start := len(st.buf)
	st.buf = t.UTC().AppendFormat(st.buf, time.RFC3339)
	return st.view(start)
}

// addrR3 is strtab.addr of commit 9282917.
func (st *strtab) addrR3(a netip.Addr) string {
	if !a.IsValid() {
		return ""
	}
	start := len(st.buf)
	st.buf = a.AppendTo(st.buf)
	return st.view(start)
}

// sameStrtabR3 fails unless strtab formats t and a as in round three.
func sameStrtabR3(t *testing.T, st *strtab, tm time.Time, a netip.Addr) {
	t.Helper()
	if got, want := st.time(tm), st.timeR3(tm); got != want {
		t.Fatalf("%v (Unix %d): time %q, round three %q", tm, tm.Unix(), got, want)
	}
	if got, want := st.addr(a), st.addrR3(a); got != want {
		t.Fatalf("%#v: addr %q, round three %q", a, got, want)
	}
	if got, want := st.ip(a), a.String(); got != want {
		t.Fatalf("%#v: ip %q, String %q", a, got, want)
	}
}

// FuzzStrtabR3 compares strtab's time and addr with their round-three code
// on arbitrary instants, zones and addresses.
func FuzzStrtabR3(f *testing.F) {
	f.Add(int64(1795511645), int64(0), int32(-6*3600), []byte{62, 239, 237, 1}, "")
	f.Add(int64(-62135596800), int64(1), int32(0), []byte{0, 0, 0, 0}, "")                // 0001-01-01
	f.Add(int64(-62167219200), int64(0), int32(3600), []byte{255, 255, 255, 255}, "")     // 0000-01-01 in UTC
	f.Add(int64(253402300799), int64(999999999), int32(0), []byte{10, 9, 100, 99}, "")    // 9999-12-31T23:59:59
	f.Add(int64(253402300800), int64(0), int32(0), make([]byte, 16), "")                  // year 10000
	f.Add(int64(-62167219201), int64(0), int32(0), []byte{0x20, 1, 0xd, 0xb8, 15: 1}, "") // year -1
	f.Add(int64(951782400), int64(0), int32(0), []byte{10: 0xff, 11: 0xff, 12: 192, 15: 7}, "")
	f.Add(int64(1<<62), int64(0), int32(0), []byte{0xfe, 0x80, 15: 1}, "eth0")
	f.Add(int64(-1<<62), int64(0), int32(0), []byte{1, 2, 3}, "")
	f.Fuzz(func(t *testing.T, sec, nsec int64, offset int32, ip []byte, zone string) {
		tm := time.Unix(sec, nsec).In(time.FixedZone("", int(offset%(100*3600))))
		var a netip.Addr
		switch {
		case len(ip) >= 16:
			a = netip.AddrFrom16([16]byte(ip[:16])).WithZone(zone)
		case len(ip) >= 4:
			a = netip.AddrFrom4([4]byte(ip[:4]))
		}
		var st strtab
		sameStrtabR3(t, &st, tm, a)
		sameStrtabR3(t, &st, tm.UTC(), a.Unmap())
		// The day remembered: a day before, and back.
		sameStrtabR3(t, &st, tm.Add(-24*time.Hour), a)
		sameStrtabR3(t, &st, tm.Add(time.Duration(offset)), a)
	})
}

// TestStrtabDays walks every day of the years 0 to 9999 and a few beyond
// through appendRFC3339, at the first and the last second of the day.
func TestStrtabDays(t *testing.T) {
	var st strtab
	for tm := time.Date(-2, 12, 30, 0, 0, 0, 0, time.UTC); tm.Year() < 10002; tm = tm.AddDate(0, 0, 1) {
		st.buf = st.buf[:0]
		sameStrtabR3(t, &st, tm, netip.Addr{})
		sameStrtabR3(t, &st, tm.Add(24*time.Hour-time.Nanosecond), netip.Addr{})
	}
	for o := range 256 {
		st.buf = st.buf[:0]
		sameStrtabR3(t, &st, time.Time{}, netip.AddrFrom4([4]byte{byte(o), byte(255 - o), byte(o / 2), byte(o % 10)}))
	}
}
