package attrib_test

import (
	"context"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"os"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/mailtrace/mailtrace/report/attrib"
)

// TestRDAP: --rdap with the servers redirected to an httptest server that
// serves the recorded answers; the second address of a network comes from
// the cache.
func TestRDAP(t *testing.T) {
	var hits atomic.Int32
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		hits.Add(1)
		var file string
		switch {
		case strings.HasSuffix(r.URL.Path, "/ip/13.64.0.1"), strings.HasSuffix(r.URL.Path, "/ip/13.64.0.2"):
			file = "arin/13.64.0.0_NET-13-64-0-0-1_multi-cidr.json"
		case r.URL.Path == "/arin/registry/ip/130.59.1.1":
			// ARIN sends a legacy block held at RIPE on to RIPE.
			http.Redirect(w, r, "https://rdap.db.ripe.net/ip/130.59.1.1", http.StatusMovedPermanently)
			return
		case r.URL.Path == "/ripe/ip/130.59.1.1":
			file = "ripe/130.59.0.0_SWITCH-LAN_legacy.json"
		default:
			http.NotFound(w, r)
			return
		}
		b, err := os.ReadFile("../../testdata/attribution/rdap/" + file)
		if err != nil {
			t.Error(err)
		}
		w.Header().Set("Content-Type", "application/rdap+json")
		w.Write(b)
	}))
	defer srv.Close()
	s := newService(t, nil, func(o *attrib.Options) {
		o.RDAP = true
		o.Raw = true
		o.RDAPOptions.Hosts = map[string]string{"rdap.arin.net": srv.URL + "/arin", "rdap.db.ripe.net": srv.URL + "/ripe"}
	})
	a := s.Attribute(context.Background(), netip.MustParseAddr("13.64.0.1"))
	if a.Source != attrib.SourceRDAP || a.RIR != "ARIN" || a.Network == nil || a.Network.Name != "MSFT" ||
		strings.Join(a.Network.CIDR, ",") != "13.64.0.0/11,13.96.0.0/13,13.104.0.0/14" || strings.Join(a.Abuse, ",") != "abuse@microsoft.com" || a.Raw == "" {
		t.Errorf("%+v %+v", a, a.Network)
	}
	b := s.Attribute(context.Background(), netip.MustParseAddr("13.105.0.1"))
	if b.Source != attrib.SourceCache || b.Network == nil || b.Network.Name != "MSFT" || hits.Load() != 1 {
		t.Errorf("cache: %+v, %d hits", b, hits.Load())
	}
	// 130.59/16 sits in an ARIN-administered legacy /8 but is held at RIPE;
	// the bootstrap sends it to RIPE.
	c := s.Attribute(context.Background(), netip.MustParseAddr("130.59.1.1"))
	if c.RIR != "RIPE NCC" || c.Server != "rdap.db.ripe.net" || c.Network == nil || c.Network.Country != "CH" || strings.Join(c.Abuse, ",") != "abuse@switch.ch" {
		t.Errorf("%+v %+v", c, c.Network)
	}
}
