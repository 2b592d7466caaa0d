package rdap

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/mailtrace/mailtrace/report/attrib/throttle"
)

const fixtures = "../../testdata/attribution/rdap/"

func read(t testing.TB, name string) []byte {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(fixtures, name))
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func TestDecodeFixtures(t *testing.T) {
	test := func(file, ip, cidr, name, handle, org, cc, abuse string, asn uint32) {
		t.Helper()
		r, _, err := Decode(read(t, file), netip.MustParseAddr(ip))
		if err != nil {
			t.Errorf("%s: %v", file, err)
		}
		if strings.Join(r.CIDR, ",") != cidr || r.Name != name || r.Handle != handle || r.Org != org || r.Country != cc || strings.Join(r.Abuse, ",") != abuse || r.ASN != asn {
			t.Errorf("%s:\n got %q %q %q %q %q %q %d\nwant %q %q %q %q %q %q %d", file,
				strings.Join(r.CIDR, ","), r.Name, r.Handle, r.Org, r.Country, strings.Join(r.Abuse, ","), r.ASN,
				cidr, name, handle, org, cc, abuse, asn)
		}
	}
	test("arin/rdap.arin.net_ip_2606-4700-4700--1111_2024.json", "2606:4700:4700::1111", "2606:4700::/32", "CLOUDFLARENET", "NET6-2606-4700-1", "Cloudflare, Inc.", "", "abuse@cloudflare.com", 13335)
	test("arin/13.64.0.0_NET-13-64-0-0-1_multi-cidr.json", "13.64.0.1", "13.64.0.0/11,13.96.0.0/13,13.104.0.0/14", "MSFT", "NET-13-64-0-0-1", "Microsoft Corporation", "", "abuse@microsoft.com", 0)
	test("arin/74.125.225.229_2015.json", "74.125.225.229", "74.125.0.0/16", "GOOGLE", "NET-74-125-0-0-1", "Google Inc.", "", "arin-contact@google.com", 0)
	test("apnic/rdap.apnic.net_ip_1.1.1.1_2024.json", "1.1.1.1", "1.1.1.0/24", "APNIC-LABS", "1.1.1.0 - 1.1.1.255", "APNIC Research and Development", "AU", "helpdesk@apnic.net", 0)
	test("ripe/130.59.0.0_SWITCH-LAN_legacy.json", "130.59.1.1", "130.59.0.0/16", "SWITCH-LAN", "130.59.0.0 - 130.59.255.255", "", "CH", "abuse@switch.ch", 0)
	// 2015: the abuse role's own e-mails (the abuse-mailbox port 43 shows is missing).
	test("ripe/62.239.237.1_2015.json", "62.239.237.1", "62.239.237.0/24", "BT-CORPORATE", "62.239.237.0 - 62.239.237.255", "", "GB", "zzdnsr@bt.com,steve.a.marshall@bt.com,lee.bailey-hague@bt.com", 0)
	test("afrinic/196.11.240.215_2015.json", "196.11.240.215", "196.11.239.0/24,196.11.240.0/22,196.11.244.0/23,196.11.246.0/24", "ORG-VSA1-AFRINIC", "196.11.239.0 - 196.11.246.255", "ORG-VSA1-AFRINIC", "ZA", "", 0)
	test("apnic/210.107.73.73_krnic-mirrored_2015.json", "210.107.73.73", "210.107.0.0/17", "BORANET-NET-210-107", "210.107.0.0 - 210.107.127.255", "", "KR", "", 0)
}

func TestDecodeErrors(t *testing.T) {
	test := func(body string, want error) {
		t.Helper()
		if _, _, err := Decode([]byte(body), netip.MustParseAddr("192.0.2.1")); !errors.Is(err, want) {
			t.Errorf("%.60q: %v, want %v", body, err, want)
		}
	}
	test(string(read(t, "errors/ripe_501_not-implemented.json")), ErrServer)
	test(`{"objectClassName":"domain"}`, ErrBadAnswer)
	test(`not json`, ErrBadAnswer)
	test(`{"objectClassName":"ip network","startAddress":"198.51.100.0","endAddress":"198.51.100.255"}`, ErrBadAnswer)
}

func TestBootstrap(t *testing.T) {
	test := func(ip, want string) {
		t.Helper()
		if got, _ := BaseURL(netip.MustParseAddr(ip)); got != want {
			t.Errorf("%s: %q, want %q", ip, got, want)
		}
	}
	test("1.1.1.1", "https://rdap.apnic.net/")
	test("62.239.237.1", "https://rdap.db.ripe.net/")
	test("196.11.240.215", "https://rdap.afrinic.net/rdap/")
	test("2606:4700:4700::1111", "https://rdap.arin.net/registry/")
	test("200.57.141.161", "https://rdap.lacnic.net/rdap/")
}

// TestServer: an httptest RDAP server standing for ARIN, which redirects a
// transferred block to "LACNIC" (the same server under another name), and
// answers 429 with Retry-After once.
func TestServer(t *testing.T) {
	var hits, limited atomic.Int32
	mux := http.NewServeMux()
	mux.HandleFunc("/registry/ip/", func(w http.ResponseWriter, r *http.Request) {
		hits.Add(1)
		ip := strings.TrimPrefix(r.URL.Path, "/registry/ip/")
		switch ip {
		case "13.64.0.1":
			if limited.Add(1) == 1 {
				w.Header().Set("Retry-After", "1")
				w.WriteHeader(http.StatusTooManyRequests)
				return
			}
			w.Header().Set("Content-Type", "application/rdap+json")
			w.Write(read(t, "arin/13.64.0.0_NET-13-64-0-0-1_multi-cidr.json"))
		case "200.57.141.161":
			http.Redirect(w, r, "https://rdap.lacnic.net/rdap/ip/200.57.141.161", http.StatusMovedPermanently)
		case "13.64.0.2":
			w.Header().Set("Retry-After", "3600")
			w.WriteHeader(http.StatusTooManyRequests)
		default:
			w.WriteHeader(http.StatusNotFound)
			w.Write([]byte(`{"errorCode":404,"title":"Not Found"}`))
		}
	})
	mux.HandleFunc("/lacnic/rdap/ip/", func(w http.ResponseWriter, r *http.Request) {
		hits.Add(1)
		w.Write(read(t, "lacnic/200.57.141.161_2015.json"))
	})
	srv := httptest.NewServer(mux)
	defer srv.Close()
	c := New(Options{
		BaseURL:  "https://rdap.arin.net/registry/",
		Hosts:    map[string]string{"rdap.arin.net": srv.URL, "rdap.lacnic.net": srv.URL + "/lacnic"},
		Throttle: throttle.Unlimited(),
	})
	start := time.Now()
	a, err := c.Lookup(context.Background(), netip.MustParseAddr("13.64.0.1"))
	if err != nil || a.Name != "MSFT" || a.RIR != "ARIN" {
		t.Fatalf("429 then OK: %v %+v", err, a)
	}
	if el := time.Since(start); el < 900*time.Millisecond {
		t.Errorf("Retry-After not honoured: %s", el)
	}
	a, err = c.Lookup(context.Background(), netip.MustParseAddr("200.57.141.161"))
	if err != nil || a.RIR != "LACNIC" || a.Country != "MX" || a.Server != "rdap.lacnic.net" {
		t.Fatalf("redirect: %v %+v", err, a)
	}
	_, err = c.Lookup(context.Background(), netip.MustParseAddr("198.51.100.1"))
	if !errors.Is(err, ErrNotFound) {
		t.Fatalf("404: %v", err)
	}
	// A long Retry-After is not waited for: back off and say so.
	_, err = c.Lookup(context.Background(), netip.MustParseAddr("13.64.0.2"))
	if !errors.Is(err, ErrRateLimited) {
		t.Fatalf("429 long: %v", err)
	}
	n := hits.Load()
	_, err = c.Lookup(context.Background(), netip.MustParseAddr("13.64.0.1"))
	if !errors.Is(err, ErrRateLimited) || hits.Load() != n {
		t.Fatalf("not backing off: %v", err)
	}
}

func TestUnreachable(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		<-r.Context().Done()
	}))
	defer srv.Close()
	c := New(Options{BaseURL: srv.URL, Timeout: 200 * time.Millisecond, Throttle: throttle.Unlimited()})
	start := time.Now()
	_, err := c.Lookup(context.Background(), netip.MustParseAddr("192.0.2.1"))
	if !errors.Is(err, ErrUnreachable) || time.Since(start) > 3*time.Second {
		t.Fatalf("%v after %s", err, time.Since(start))
	}
}
