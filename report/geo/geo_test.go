package geo

import (
	"errors"
	"net"
	"net/netip"
	"os"
	"path/filepath"
	"testing"

	"github.com/maxmind/mmdbwriter"
	"github.com/maxmind/mmdbwriter/mmdbtype"
)

// writeDB writes a small MaxMind DB of the given type, as mmdbwriter does
// for real databases, so tests need no downloaded file.
func writeDB(t *testing.T, dir, dbType string, recs map[string]mmdbtype.Map) string {
	t.Helper()
	w, err := mmdbwriter.New(mmdbwriter.Options{DatabaseType: dbType, RecordSize: 24, IncludeReservedNetworks: true})
	if err != nil {
		t.Fatal(err)
	}
	for cidr, rec := range recs {
		_, n, err := net.ParseCIDR(cidr)
		if err != nil {
			t.Fatal(err)
		}
		if err := w.Insert(n, rec); err != nil {
			t.Fatal(err)
		}
	}
	path := filepath.Join(dir, dbType+".mmdb")
	f, err := os.Create(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	if _, err := w.WriteTo(f); err != nil {
		t.Fatal(err)
	}
	return path
}

func cityRec(cc, city string, lat, lon float64) mmdbtype.Map {
	return mmdbtype.Map{
		"country":  mmdbtype.Map{"iso_code": mmdbtype.String(cc)},
		"city":     mmdbtype.Map{"names": mmdbtype.Map{"en": mmdbtype.String(city)}},
		"location": mmdbtype.Map{"latitude": mmdbtype.Float64(lat), "longitude": mmdbtype.Float64(lon)},
	}
}

func asnRec(n uint32, org string) mmdbtype.Map {
	return mmdbtype.Map{"autonomous_system_number": mmdbtype.Uint32(n), "autonomous_system_organization": mmdbtype.String(org)}
}

func TestLookup(t *testing.T) {
	dir := t.TempDir()
	city := writeDB(t, dir, "GeoLite2-City", map[string]mmdbtype.Map{
		"192.0.2.0/24":  cityRec("GB", "London", 51.5, -0.12),
		"2001:db8::/32": cityRec("JP", "Osaka", 34.69, 135.5),
	})
	asn := writeDB(t, dir, "GeoLite2-ASN", map[string]mmdbtype.Map{"192.0.2.0/24": asnRec(64500, "Example Net")})
	// A DB-IP-like type geoip2 does not know: read through the same models.
	other := writeDB(t, dir, "DBIP-ASN-Lite-Custom", map[string]mmdbtype.Map{"198.51.100.0/24": asnRec(64501, "Other Net")})

	if got := Discover([]string{dir, filepath.Join(dir, "missing")}); len(got) != 3 {
		t.Fatalf("Discover: %v", got)
	}
	d, err := Open(city, asn, other)
	if err != nil {
		t.Fatal(err)
	}
	defer d.Close()
	test := func(ip string, want Result) {
		t.Helper()
		got, err := d.Lookup(netip.MustParseAddr(ip))
		if err != nil || got != want {
			t.Errorf("%s: %+v %v, want %+v", ip, got, err, want)
		}
	}
	test("192.0.2.7", Result{ASN: 64500, ASOrg: "Example Net", Country: "GB", City: "London", Latitude: 51.5, Longitude: -0.12, HasGeo: true})
	test("2001:db8::1", Result{Country: "JP", City: "Osaka", Latitude: 34.69, Longitude: 135.5, HasGeo: true})
	test("198.51.100.1", Result{ASN: 64501, ASOrg: "Other Net"})
	test("203.0.113.1", Result{})

	var none *DBs
	if r, err := none.Lookup(netip.MustParseAddr("192.0.2.1")); err != nil || r != (Result{}) {
		t.Errorf("nil DBs: %+v %v", r, err)
	}
}

func TestCorrupt(t *testing.T) {
	dir := t.TempDir()
	good := writeDB(t, dir, "GeoLite2-City", map[string]mmdbtype.Map{"192.0.2.0/24": cityRec("GB", "London", 51.5, -0.12)})
	b, _ := os.ReadFile(good)
	test := func(name string, data []byte) {
		t.Helper()
		p := filepath.Join(dir, name)
		os.WriteFile(p, data, 0o600)
		d, err := Open(p)
		if err == nil {
			// Some damage is only seen on lookup: it must not panic.
			_, err = d.Lookup(netip.MustParseAddr("192.0.2.1"))
			d.Close()
		}
		if err == nil || !errors.Is(err, ErrCorrupt) {
			t.Errorf("%s: %v, want ErrCorrupt", name, err)
		}
	}
	test("truncated.mmdb", b[:len(b)/2])
	test("empty.mmdb", nil)
	test("text.mmdb", []byte("not a database\n"))
	bad := append([]byte(nil), b...)
	for i := 0; i < len(bad)/3; i++ {
		bad[i] ^= 0x5a
	}
	test("scrambled.mmdb", bad)
	if _, err := Open(filepath.Join(dir, "missing.mmdb")); !errors.Is(err, ErrOpen) {
		t.Errorf("missing: %v", err)
	}
}
