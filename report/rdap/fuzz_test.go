package rdap

import (
	"net/netip"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func FuzzDecode(f *testing.F) {
	_ = filepath.WalkDir(fixtures, func(p string, d os.DirEntry, err error) error {
		if err == nil && strings.HasSuffix(p, ".json") {
			if b, err := os.ReadFile(p); err == nil {
				f.Add(b, "192.0.2.1")
			}
		}
		return nil
	})
	f.Add([]byte(`{"startAddress":"1.1.1.0","endAddress":"1.1.1.255","entities":[{"roles":["abuse"],"vcardArray":["vcard",[["email",{},"text","a@b.example"]]]}]}`), "1.1.1.1")
	f.Fuzz(func(t *testing.T, b []byte, ips string) {
		ip, _ := netip.ParseAddr(ips)
		r, _, err := Decode(b, ip)
		if err == nil && ip.IsValid() && r.Block.Valid() && !r.Block.Contains(ip) && r.Block.First != r.Block.Last {
			t.Fatalf("accepted %s for %s", r.Block, ip)
		}
		for _, c := range r.CIDR {
			if _, err := netip.ParsePrefix(c); err != nil {
				t.Fatalf("bad CIDR %q", c)
			}
		}
	})
}
