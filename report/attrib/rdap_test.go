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
	"github.com/mailtrace/mailtrace/report/whois"
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

// TestRDAPFallsBackToWhois: an RDAP server that fails (HTTP 500 here) gives
// way to the registry's whois, and the error says why; an RDAP answer that
// the network is unknown (404) is an answer, and whois is not asked.
func TestRDAPFallsBackToWhois(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if strings.HasSuffix(r.URL.Path, "/ip/62.239.237.1") {
			http.Error(w, "backend down", http.StatusInternalServerError)
			return
		}
		http.NotFound(w, r)
	}))
	defer srv.Close()
	n := fakeRegistries(t)
	s := newService(t, n.Hosts(), func(o *attrib.Options) {
		o.RDAP = true
		o.RDAPOptions.Hosts = map[string]string{"rdap.db.ripe.net": srv.URL + "/ripe"}
	})
	a := s.Attribute(context.Background(), netip.MustParseAddr("62.239.237.1"))
	if a.Source != attrib.SourceWhois || a.RIR != "RIPE NCC" || a.Network == nil || a.Network.Name == "" ||
		!strings.Contains(a.Error, "rdap: server error") || !strings.Contains(a.Error, "whois asked instead") {
		t.Errorf("fallback: %+v %+v", a, a.Network)
	}
	queries := n.Servers[whois.ServerRIPE].Count()
	b := s.Attribute(context.Background(), netip.MustParseAddr("62.239.240.1"))
	if b.Source != attrib.SourceRDAP || b.Network != nil || !strings.Contains(b.Error, "rdap: no network found") {
		t.Errorf("not found: %+v", b)
	}
	if got := n.Servers[whois.ServerRIPE].Count(); got != queries {
		t.Errorf("whois asked after an RDAP not-found: %d queries, had %d", got, queries)
	}
}
