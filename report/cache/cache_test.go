package cache

import (
	"errors"
	"net/netip"
	"path/filepath"
	"testing"
	"time"
)

func testStore(t *testing.T, c Store, setNow func(time.Time)) {
	t.Helper()
	now := time.Now()
	setNow(now)
	put := func(val string, ttl time.Duration, nets ...string) {
		t.Helper()
		e := Entry{Value: []byte(`"` + val + `"`), Stored: now, Expires: now.Add(ttl)}
		for _, n := range nets {
			e.Networks = append(e.Networks, netip.MustParsePrefix(n))
		}
		if err := c.Put(e); err != nil {
			t.Fatal(err)
		}
	}
	get := func(ip, want string) {
		t.Helper()
		e, ok := c.Get(netip.MustParseAddr(ip))
		got := ""
		if ok {
			got = string(e.Value)
		}
		if want != "" {
			want = `"` + want + `"`
		}
		if got != want {
			t.Errorf("Get(%s) = %s, want %s", ip, got, want)
		}
	}
	put("wide", time.Hour, "192.0.2.0/24")
	put("narrow", time.Hour, "192.0.2.128/26")
	put("two", time.Hour, "198.51.100.0/25", "198.51.100.128/26")
	put("v6", time.Hour, "2001:db8::/32")
	put("short", time.Minute, "203.0.113.0/24")
	get("192.0.2.1", "wide")
	get("192.0.2.130", "narrow") // the most specific
	get("192.0.2.200", "wide")
	get("198.51.100.150", "two")
	get("198.51.100.250", "")
	get("2001:db8:1::1", "v6")
	get("::ffff:192.0.2.1", "wide")
	get("203.0.113.9", "short")
	setNow(now.Add(2 * time.Minute))
	get("203.0.113.9", "") // expired
	get("192.0.2.1", "wide")
}

func TestMemory(t *testing.T) {
	c := NewMemory()
	testStore(t, c, func(n time.Time) { c.now = func() time.Time { return n } })
}

func TestBolt(t *testing.T) {
	path := filepath.Join(t.TempDir(), "sub", "a.db")
	c, err := Open(path)
	if err != nil {
		t.Fatal(err)
	}
	testStore(t, c, func(n time.Time) { c.now = func() time.Time { return n } })
	if n, err := c.Purge(); err != nil || n != 1 {
		t.Errorf("Purge: %d %v", n, err)
	}
	// A second opener waits a second for the lock, then fails clearly.
	if _, err := Open(path); !errors.Is(err, ErrOpen) {
		t.Errorf("second open: %v", err)
	}
	c.Close()
	c, err = Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	if _, ok := c.Get(netip.MustParseAddr("192.0.2.1")); !ok {
		t.Error("not persisted")
	}
}
