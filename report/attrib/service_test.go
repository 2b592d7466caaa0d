package attrib_test

import (
	"context"
	"encoding/json"
	"fmt"
	"net"
	"net/netip"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/mailtrace/mailtrace/internal/whoisfake"
	"github.com/mailtrace/mailtrace/report/attrib"
	"github.com/mailtrace/mailtrace/report/attrib/throttle"
	"github.com/mailtrace/mailtrace/report/cache"
	"github.com/mailtrace/mailtrace/report/whois"
)

const fx = "../../testdata/attribution/whois/"

var registryServers = []string{whois.ServerIANA, whois.ServerARIN, whois.ServerRIPE, whois.ServerAPNIC,
	whois.ServerLACNIC, whois.ServerAFRINIC, whois.ServerJPNIC, whois.ServerKRNIC, whois.ServerNICBR, "rwhois.shawcable.net"}

// fakeRegistries replays the recorded answers, each for the query its
// registry receives.
func fakeRegistries(t *testing.T) *whoisfake.Network {
	t.Helper()
	n, err := whoisfake.NewNetwork(registryServers...)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(n.Close)
	s := n.Servers
	s[whois.ServerARIN].Set("n + 74.125.225.229", whoisfake.File(fx+"arin/74.125.225.229_2015.txt"))
	s[whois.ServerARIN].Set("n + 2001:4860:4860::8888", whoisfake.File(fx+"arin/2001-4860-4860--8888_2015.txt"))
	s[whois.ServerARIN].Set("n + 170.0.0.1", whoisfake.File(fx+"arin/whois.arin.net_170.0.0.0_referral-to-lacnic.txt"))
	s[whois.ServerLACNIC].Set("170.0.0.1", whoisfake.File(fx+"lacnic/whois.lacnic.net_170.0.0.0_nicbr.txt"))
	s[whois.ServerARIN].Set("n + 174.0.0.1", whoisfake.File(fx+"arin/whois.arin.net_174.0.0.0_referral-to-rwhois.txt"))
	s["rwhois.shawcable.net"].Set("174.0.0.1", whoisfake.File(fx+"rwhois/rwhois.shawcable.net-4321_174.0.0.0.txt"))
	s[whois.ServerRIPE].Set("62.239.237.1", whoisfake.File(fx+"ripe/62.239.237.1_2015.txt"))
	s[whois.ServerRIPE].Set("2a00:2381:ffff::1", whoisfake.File(fx+"ripe/2a00-2381-ffff--1_2015.txt"))
	s[whois.ServerAPNIC].Set("171.0.0.1", whoisfake.File(fx+"apnic/whois.apnic.net_171.0.0.0.txt"))
	s[whois.ServerAPNIC].Set("210.107.73.73", whoisfake.File(fx+"apnic/210.107.73.73_krnic-mirrored_2015.txt"))
	s[whois.ServerAPNIC].Set("2001:240:10c:1::ca20:9d1d", whoisfake.File(fx+"apnic/2001-240-10c-1--ca20-9d1d_jpnic-mirrored_2015.txt"))
	s[whois.ServerLACNIC].Set("200.57.141.161", whoisfake.File(fx+"lacnic/200.57.141.161_2015.txt"))
	s[whois.ServerLACNIC].Set("2801:10:c000::1", whoisfake.File(fx+"lacnic/2801-10-c000--_2015.txt"))
	s[whois.ServerAFRINIC].Set("196.11.240.215", whoisfake.File(fx+"afrinic/196.11.240.215_2015.txt"))
	s[whois.ServerAFRINIC].Set("2001:43f8:7b0::1", whoisfake.File(fx+"afrinic/2001-43f8-7b0--_2015.txt"))
	return n
}

func loopbackOnly(ctx context.Context, network, addr string) (net.Conn, error) {
	host, _, err := net.SplitHostPort(addr)
	if err != nil {
		return nil, err
	}
	if ip, err := netip.ParseAddr(host); err != nil || !ip.IsLoopback() {
		return nil, fmt.Errorf("test: refusing to dial %s", addr)
	}
	var d net.Dialer
	return d.DialContext(ctx, network, addr)
}

func newService(t *testing.T, hosts map[string]string, mod func(*attrib.Options)) *attrib.Service {
	t.Helper()
	o := attrib.Options{Throttle: throttle.Unlimited(), Timeout: 3 * time.Second}
	o.Whois.Hosts = hosts
	o.Whois.Dial = loopbackOnly
	if mod != nil {
		mod(&o)
	}
	s, err := attrib.New(o)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	return s
}

// TestFixtures: the attribution JSON for each recorded answer names the
// right registry, network, country and abuse address.
func TestFixtures(t *testing.T) {
	n := fakeRegistries(t)
	s := newService(t, n.Hosts(), nil)
	test := func(ip, rir, cidr, name, org, cc, abuse string) {
		t.Helper()
		a := s.Attribute(context.Background(), netip.MustParseAddr(ip))
		b, _ := json.Marshal(a)
		var got struct {
			RIR     string `json:"rir"`
			Source  string `json:"source"`
			Network *struct {
				CIDR    []string `json:"cidr"`
				Name    string   `json:"name"`
				Org     string   `json:"org"`
				Country string   `json:"country"`
			} `json:"network"`
			Abuse []string `json:"abuse"`
			Error string   `json:"error"`
		}
		if err := json.Unmarshal(b, &got); err != nil {
			t.Fatal(err)
		}
		if got.Network == nil {
			t.Errorf("%s: no network: %s", ip, b)
			return
		}
		if got.RIR != rir || got.Source != attrib.SourceWhois || strings.Join(got.Network.CIDR, ",") != cidr ||
			got.Network.Name != name || got.Network.Org != org || got.Network.Country != cc || strings.Join(got.Abuse, ",") != abuse || got.Error != "" {
			t.Errorf("%s:\n got %s\nwant rir=%q cidr=%q name=%q org=%q country=%q abuse=%q", ip, b, rir, cidr, name, org, cc, abuse)
		}
	}
	test("74.125.225.229", "ARIN", "74.125.0.0/16", "GOOGLE", "Google Inc.", "US", "arin-contact@google.com")
	test("2001:4860:4860::8888", "ARIN", "2001:4860::/32", "GOOGLE-IPV6", "Google Inc.", "US", "arin-contact@google.com")
	test("170.0.0.1", "NIC.br", "170.0.0.0/22", "", "Coopercitrus Cooperativa de Produtores Rurais", "BR", "noc@coopercitrus.com.br")
	test("174.0.0.1", "ARIN", "174.0.0.0/13", "SHAW-COMM", "Shaw Communications Inc.", "CA", "internet.abuse@sjrb.ca")
	test("62.239.237.1", "RIPE NCC", "62.239.237.0/24", "BT-CORPORATE", "UDC", "GB", "protect@bt.com")
	test("2a00:2381:ffff::1", "RIPE NCC", "2a00:2381:ffff::/64", "BT-WORLD-IPVSIX-LAUNCH", "BT World IPv6 Launch", "GB", "protect@bt.com")
	test("171.0.0.1", "APNIC", "171.0.0.0/15", "STARHUBINTERNET-SG", "Starhub Ltd.", "SG", "abuse@starhub.com")
	test("200.57.141.161", "LACNIC", "200.57.128.0/19", "", "Triara.com, S.A. de C.V.", "MX", "operacion.redes@TRIARA.COM")
	test("2801:10:c000::1", "LACNIC", "2801:10:c000::/48", "", "Universidad Catolica de Oriente", "CO", "sistemas.red@UCO.EDU.CO")
	test("196.11.240.215", "AFRINIC", "196.11.239.0/24,196.11.240.0/22,196.11.244.0/23,196.11.246.0/24", "NET-196-11-239-0", "MTN SA", "ZA", "abuse@mtnbusiness.co.za")
	test("2001:43f8:7b0::1", "AFRINIC", "2001:43f8:7b0::/48", "Tespok", "Telecommunication Sevice  Providers Association of Kenya - TESPOK", "KE", "")
}

// TestNationalRegistryFallback: APNIC refers to KRNIC / JPNIC; their
// servers here do not hold the address, so APNIC's answer stays and the
// attribution is still complete.
func TestNationalRegistryFallback(t *testing.T) {
	n := fakeRegistries(t)
	s := newService(t, n.Hosts(), nil)
	a := s.Attribute(context.Background(), netip.MustParseAddr("210.107.73.73"))
	if a.RIR != "APNIC" || a.Network == nil || a.Network.Name != "BORANET-NET-210-107" || strings.Join(a.Abuse, ",") != "abuse@bora.net" {
		t.Errorf("210.107.73.73: %+v %+v", a, a.Network)
	}
	if n.Servers[whois.ServerKRNIC].Count() != 1 {
		t.Errorf("KRNIC not asked")
	}
	a = s.Attribute(context.Background(), netip.MustParseAddr("2001:240:10c:1::ca20:9d1d"))
	if a.RIR != "JPNIC" || a.Network == nil || a.Network.Name != "IIJ-PRJNET" || a.Network.Country != "JP" {
		t.Errorf("2001:240:10c:1::ca20:9d1d: %+v %+v", a, a.Network)
	}
	if q := n.Servers[whois.ServerJPNIC].Queries(); len(q) != 1 || q[0] != "2001:240:10c:1::ca20:9d1d/e" {
		t.Errorf("JPNIC queries %q", q)
	}
}

// TestOneQueryPerNetwork: 1,000 addresses of one /24, asked at once, make
// one whois query (counted at the fake server); all are answered.
func TestOneQueryPerNetwork(t *testing.T) {
	n := fakeRegistries(t)
	// RIPE answers the same object for any address of the /24.
	n.Servers[whois.ServerRIPE].SetDefault(whoisfake.File(fx + "ripe/62.239.237.1_2015.txt"))
	s := newService(t, n.Hosts(), nil)
	var wg sync.WaitGroup
	res := make([]attrib.Attribution, 1000)
	for i := range res {
		wg.Add(1)
		go func() {
			defer wg.Done()
			ip := netip.AddrFrom4([4]byte{62, 239, 237, byte(i % 256)})
			res[i] = s.Attribute(context.Background(), ip)
		}()
	}
	wg.Wait()
	if got := n.Total(); got != 1 {
		t.Fatalf("%d whois queries, want 1", got)
	}
	sources := map[string]int{}
	for _, a := range res {
		if a.Network == nil || a.Network.Name != "BT-CORPORATE" || a.Error != "" {
			t.Fatalf("%+v", a)
		}
		sources[a.Source]++
	}
	if sources[attrib.SourceWhois] != 1 || sources[attrib.SourceCache] != 999 {
		t.Fatalf("sources %v", sources)
	}
}

// TestDiskCache: a second process answers from the file, for any address
// inside the cached network, without a query.
func TestDiskCache(t *testing.T) {
	n := fakeRegistries(t)
	n.Servers[whois.ServerAFRINIC].SetDefault(whoisfake.File(fx + "afrinic/196.11.240.215_2015.txt"))
	path := filepath.Join(t.TempDir(), "attribution.db")
	for i, ip := range []string{"196.11.240.215", "196.11.246.1"} {
		c, err := cache.Open(path)
		if err != nil {
			t.Fatal(err)
		}
		s := newService(t, n.Hosts(), func(o *attrib.Options) { o.Cache = c })
		a := s.Attribute(context.Background(), netip.MustParseAddr(ip))
		want := []string{attrib.SourceWhois, attrib.SourceCache}[i]
		if a.Source != want || a.Network == nil || a.Network.Country != "ZA" {
			t.Fatalf("%s: source %q, want %q: %+v", ip, a.Source, want, a)
		}
		s.Close()
	}
	if n.Total() != 1 {
		t.Fatalf("%d queries", n.Total())
	}
}

// TestUnreachable: with every registry unreachable (accepting and never
// answering, or refusing), an attribution ends within its deadline with
// error set and the registry named from the tables.
func TestUnreachable(t *testing.T) {
	n, err := whoisfake.NewNetwork(registryServers...)
	if err != nil {
		t.Fatal(err)
	}
	defer n.Close()
	for _, s := range n.Servers {
		s.SetDefault(whoisfake.Answer{Mode: whoisfake.Hang})
	}
	// A closed port for RIPE.
	ln, _ := net.Listen("tcp", "127.0.0.1:0")
	closed := ln.Addr().String()
	ln.Close()
	hosts := n.Hosts()
	hosts[whois.ServerRIPE] = closed

	s := newService(t, hosts, func(o *attrib.Options) { o.Timeout = 500 * time.Millisecond })
	for _, tc := range []struct{ ip, rir string }{{"74.125.225.229", "ARIN"}, {"62.239.237.1", "RIPE NCC"}, {"2001:43f8:7b0::1", "AFRINIC"}} {
		start := time.Now()
		a := s.Attribute(context.Background(), netip.MustParseAddr(tc.ip))
		el := time.Since(start)
		if el > 5*time.Second {
			t.Errorf("%s: took %s", tc.ip, el)
		}
		if a.Error == "" || a.RIR != tc.rir || a.Source != attrib.SourceWhois {
			t.Errorf("%s: %+v", tc.ip, a)
		}
		// Remembered briefly: the next address of the network fails at once.
		start = time.Now()
		b := s.Attribute(context.Background(), netip.MustParseAddr(tc.ip).Next())
		if b.Error == "" || b.Source != attrib.SourceCache || time.Since(start) > 200*time.Millisecond {
			t.Errorf("%s: second: %+v in %s", tc.ip, b, time.Since(start))
		}
	}
}

func TestOfflineAndSpecial(t *testing.T) {
	s := newService(t, nil, func(o *attrib.Options) { o.Offline = true })
	test := func(ip, rir, source string, wantErr bool) {
		t.Helper()
		a := s.Attribute(context.Background(), netip.MustParseAddr(ip))
		if a.RIR != rir || a.Source != source || (a.Error != "") != wantErr || a.Network != nil {
			t.Errorf("%s: %+v", ip, a)
		}
	}
	test("62.239.237.1", "RIPE NCC", attrib.SourceOffline, false)
	test("200.57.141.161", "LACNIC", attrib.SourceOffline, false)
	test("2001:43f8:7b0::1", "AFRINIC", attrib.SourceOffline, false)
	test("10.1.2.3", "", "", true)
	test("192.0.2.1", "", "", true)
	test("2001:db8::1", "", "", true)
	test("100.64.0.1", "", "", true)
	test("::ffff:62.239.237.1", "RIPE NCC", attrib.SourceOffline, false)
}

func TestRawAndRateLimit(t *testing.T) {
	n := fakeRegistries(t)
	n.Servers[whois.ServerRIPE].Set("62.239.237.9", whoisfake.Answer{Text: "%ERROR:201: access denied for 192.0.2.7\n"})
	s := newService(t, n.Hosts(), func(o *attrib.Options) { o.Raw = true })
	a := s.Attribute(context.Background(), netip.MustParseAddr("62.239.237.9"))
	if !strings.Contains(a.Error, "rate limited") || a.RIR != "RIPE NCC" || !strings.Contains(a.Raw, "%ERROR:201") {
		t.Fatalf("%+v", a)
	}
	// Backing off: the next RIPE address is not sent.
	a = s.Attribute(context.Background(), netip.MustParseAddr("2a00:2381:ffff::1"))
	if !strings.Contains(a.Error, "backing off") || n.Servers[whois.ServerRIPE].Count() != 1 {
		t.Fatalf("%+v, %d queries", a, n.Servers[whois.ServerRIPE].Count())
	}
	a = s.Attribute(context.Background(), netip.MustParseAddr("74.125.225.229"))
	if !strings.Contains(a.Raw, "NetHandle:      NET-74-125-0-0-1") {
		t.Fatalf("raw: %q", a.Raw)
	}
}

type fakeResolver struct{ delay time.Duration }

func (r fakeResolver) LookupAddr(ctx context.Context, addr string) ([]string, error) {
	select {
	case <-time.After(r.delay):
		return []string{"host-" + strings.ReplaceAll(addr, ".", "-") + ".example."}, nil
	case <-ctx.Done():
		return nil, ctx.Err()
	}
}

// TestRDNS: the reverse name is filled, and a resolver that hangs does not
// stretch the attribution past its deadline.
func TestRDNS(t *testing.T) {
	n := fakeRegistries(t)
	s := newService(t, n.Hosts(), func(o *attrib.Options) { o.Resolver = fakeResolver{} })
	if a := s.Attribute(context.Background(), netip.MustParseAddr("62.239.237.1")); a.RDNS != "host-62-239-237-1.example" {
		t.Errorf("rdns %q", a.RDNS)
	}
	s = newService(t, n.Hosts(), func(o *attrib.Options) {
		o.Resolver = fakeResolver{delay: time.Hour}
		o.Timeout = 300 * time.Millisecond
	})
	start := time.Now()
	a := s.Attribute(context.Background(), netip.MustParseAddr("62.239.237.1"))
	if el := time.Since(start); el > 2*time.Second || a.RDNS != "" || a.Network == nil {
		t.Errorf("%s: %+v", el, a)
	}
}
