package main

import (
	"bytes"
	"context"
	"encoding/json"
	"net"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/maxmind/mmdbwriter"
	"github.com/maxmind/mmdbwriter/mmdbtype"

	"github.com/mailtrace/mailtrace/internal/whoisfake"
	"github.com/mailtrace/mailtrace/report/attrib"
)

const whoisFixtures = "../../testdata/attribution/whois/"

func fakeWhois(t *testing.T) (*whoisfake.Network, []string) {
	t.Helper()
	n, err := whoisfake.NewNetwork("whois.ripe.net", "whois.arin.net", "whois.lacnic.net")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(n.Close)
	n.Servers["whois.ripe.net"].SetDefault(whoisfake.File(whoisFixtures + "ripe/62.239.237.1_2015.txt"))
	n.Servers["whois.arin.net"].SetDefault(whoisfake.File(whoisFixtures + "arin/whois.arin.net_170.0.0.0_referral-to-lacnic.txt"))
	n.Servers["whois.lacnic.net"].SetDefault(whoisfake.File(whoisFixtures + "lacnic/whois.lacnic.net_170.0.0.0_nicbr.txt"))
	var args []string
	for name, addr := range n.Hosts() {
		args = append(args, "--whois-host", name+"="+addr)
	}
	return n, append(args, "--no-cache", "--no-rdns")
}

func writeASNDB(t *testing.T) string {
	t.Helper()
	w, err := mmdbwriter.New(mmdbwriter.Options{DatabaseType: "GeoLite2-ASN", RecordSize: 24})
	if err != nil {
		t.Fatal(err)
	}
	_, n, _ := net.ParseCIDR("62.239.0.0/16")
	if err := w.Insert(n, mmdbtype.Map{"autonomous_system_number": mmdbtype.Uint32(2856), "autonomous_system_organization": mmdbtype.String("British Telecommunications PLC")}); err != nil {
		t.Fatal(err)
	}
	p := filepath.Join(t.TempDir(), "asn.mmdb")
	f, _ := os.Create(p)
	defer f.Close()
	if _, err := w.WriteTo(f); err != nil {
		t.Fatal(err)
	}
	return p
}

func TestWhoisJSON(t *testing.T) {
	_, args := fakeWhois(t)
	args = append([]string{"whois", "--json", "--geoip", writeASNDB(t)}, args...)
	code, out, errs := run(t, "", append(args, "62.239.237.1", "170.0.0.1")...)
	if code != exitOK {
		t.Fatalf("exit %d: %s", code, errs)
	}
	lines := strings.Split(strings.TrimSpace(out), "\n")
	if len(lines) != 2 {
		t.Fatalf("%d lines: %s", len(lines), out)
	}
	var a attrib.Attribution
	if err := json.Unmarshal([]byte(lines[0]), &a); err != nil {
		t.Fatal(err)
	}
	if a.RIR != "RIPE NCC" || a.Source != "whois" || a.Network.CIDR[0] != "62.239.237.0/24" || a.Abuse[0] != "protect@bt.com" ||
		a.ASN == nil || a.ASN.Number != 2856 || a.ASN.Org != "British Telecommunications PLC" {
		t.Errorf("%s", lines[0])
	}
	// Field names are a contract.
	var m map[string]any
	json.Unmarshal([]byte(lines[1]), &m)
	for _, k := range []string{"ip", "rir", "source", "server", "network", "abuse", "asn", "geo", "rdns", "error"} {
		if _, ok := m[k]; !ok {
			t.Errorf("field %q missing: %s", k, lines[1])
		}
	}
	if m["rir"] != "NIC.br" || m["server"] != "whois.lacnic.net" {
		t.Errorf("%s", lines[1])
	}
}

func TestWhoisText(t *testing.T) {
	_, args := fakeWhois(t)
	code, out, errs := run(t, "", append(append([]string{"whois", "--raw"}, args...), "62.239.237.1", "10.0.0.1")...)
	if code != exitPartial {
		t.Fatalf("exit %d (want partial: 10.0.0.1 is private): %s", code, errs)
	}
	for _, want := range []string{"62.239.237.1\n", "registry  RIPE NCC (whois.ripe.net, source whois)", "network   62.239.237.0/24",
		"owner     UDC", "abuse     protect@bt.com", "raw:", "% Abuse contact for", "10.0.0.1\n", "private address, not looked up"} {
		if !strings.Contains(out, want) {
			t.Errorf("missing %q in:\n%s", want, out)
		}
	}
}

func TestWhoisUsage(t *testing.T) {
	test := func(args ...string) {
		t.Helper()
		if code, _, _ := run(t, "", args...); code != exitUsage {
			t.Errorf("%q: exit %d, want %d", args, code, exitUsage)
		}
	}
	test("whois")
	test("whois", "--offline", "not-an-ip")
	test("whois", "--offline", "--format", "xml", "192.0.2.1")
	test("whois", "--whois-host", "whois.ripe.net", "62.239.237.1")
	test("whois", "--rdap-url", "ftp://x", "62.239.237.1")
	test("whois", "--cache-ttl", "0", "62.239.237.1")
}

func TestWhoisOffline(t *testing.T) {
	code, out, errs := run(t, "", "whois", "--offline", "--json", "2001:43f8:7b0::1")
	if code != exitOK {
		t.Fatalf("exit %d: %s", code, errs)
	}
	if !strings.Contains(out, `"rir":"AFRINIC","source":"offline"`) {
		t.Errorf("%s", out)
	}
}

// TestWhoisUnreachable: every registry accepts and never answers; the
// command still ends quickly with the registry named and an error.
func TestWhoisUnreachable(t *testing.T) {
	n, args := fakeWhois(t)
	for _, s := range n.Servers {
		s.SetDefault(whoisfake.Answer{Mode: whoisfake.Hang})
	}
	start := time.Now()
	code, out, _ := run(t, "", append(append([]string{"whois", "--json", "--timeout", "500ms"}, args...), "62.239.237.1")...)
	if el := time.Since(start); el > 5*time.Second {
		t.Errorf("took %s", el)
	}
	if code != exitPartial || !strings.Contains(out, `"rir":"RIPE NCC"`) || !strings.Contains(out, `unreachable`) {
		t.Errorf("exit %d: %s", code, out)
	}
}

func TestAttribFlagsNoGeoIP(t *testing.T) {
	var errb bytes.Buffer
	f := attribFlags{offline: true, cacheTTL: 7, timeout: time.Second, errOut: &errb, geoDirs: []string{t.TempDir()}}
	at, closeAt, err := f.attributor(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	defer closeAt()
	if at == nil || !strings.Contains(errb.String(), "no GeoIP database found") {
		t.Errorf("hint: %q", errb.String())
	}
	// A corrupt database given explicitly is an error, not a panic.
	bad := filepath.Join(t.TempDir(), "bad.mmdb")
	os.WriteFile(bad, []byte("garbage"), 0o600)
	f.geoip = []string{bad}
	if _, _, err := f.attributor(context.Background()); err == nil || !strings.Contains(err.Error(), "geo: corrupt database") {
		t.Errorf("corrupt: %v", err)
	}
}
