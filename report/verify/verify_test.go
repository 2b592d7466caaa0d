package verify

import (
	"bytes"
	"context"
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"encoding/base64"
	"errors"
	"net"
	"net/netip"
	"strings"
	"testing"
	"time"

	"github.com/emersion/go-msgauth/dkim"
	"github.com/miekg/dns"
)

// zone is what the loopback DNS server answers, keyed by FQDN and type.
type zone map[string]map[uint16][]dns.RR

func (z zone) add(t *testing.T, rr dns.RR) {
	h := rr.Header()
	name := strings.ToLower(h.Name)
	if z[name] == nil {
		z[name] = map[uint16][]dns.RR{}
	}
	z[name][h.Rrtype] = append(z[name][h.Rrtype], rr)
}

func (z zone) rr(t *testing.T, s string) {
	t.Helper()
	rr, err := dns.NewRR(s)
	if err != nil {
		t.Fatal(err)
	}
	z.add(t, rr)
}

// txt adds a TXT record, split into 255-octet character-strings.
func (z zone) txt(t *testing.T, name, value string) {
	var parts []string
	for len(value) > 255 {
		parts, value = append(parts, value[:255]), value[255:]
	}
	parts = append(parts, value)
	z.add(t, &dns.TXT{Hdr: dns.RR_Header{Name: dns.Fqdn(name), Rrtype: dns.TypeTXT, Class: dns.ClassINET, Ttl: 60}, Txt: parts})
}

// serveDNS starts an authoritative server for z on a loopback UDP port and
// returns a resolver that asks only it.
func serveDNS(t *testing.T, z zone) *net.Resolver {
	t.Helper()
	pc, err := net.ListenPacket("udp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	started := make(chan struct{})
	srv := &dns.Server{PacketConn: pc, NotifyStartedFunc: func() { close(started) },
		Handler: dns.HandlerFunc(func(w dns.ResponseWriter, req *dns.Msg) {
			m := new(dns.Msg)
			m.SetReply(req)
			m.Authoritative = true
			q := req.Question[0]
			byType, ok := z[strings.ToLower(q.Name)]
			if !ok {
				m.Rcode = dns.RcodeNameError
			}
			m.Answer = append(m.Answer, byType[q.Qtype]...)
			_ = w.WriteMsg(m)
		})}
	go func() { _ = srv.ActivateAndServe() }()
	<-started
	t.Cleanup(func() { _ = srv.Shutdown() })
	addr := pc.LocalAddr().String()
	return &net.Resolver{PreferGo: true, Dial: func(ctx context.Context, _, _ string) (net.Conn, error) {
		var d net.Dialer
		return d.DialContext(ctx, "udp", addr)
	}}
}

const testMessage = "From: Shop <news@shop.example>\r\n" +
	"To: user@recipient.example\r\n" +
	"Subject: Offer\r\n" +
	"Date: Mon, 2 Mar 2026 10:00:00 +0000\r\n" +
	"Message-ID: <offer.1@shop.example>\r\n" +
	"\r\n" +
	"Hello.\r\n"

func signedMessage(t *testing.T, key *rsa.PrivateKey, selector string) []byte {
	t.Helper()
	var buf bytes.Buffer
	err := dkim.Sign(&buf, strings.NewReader(testMessage), &dkim.SignOptions{
		Domain: "shop.example", Selector: selector, Signer: key,
		HeaderCanonicalization: dkim.CanonicalizationRelaxed, BodyCanonicalization: dkim.CanonicalizationRelaxed,
		HeaderKeys: []string{"From", "To", "Subject", "Date", "Message-ID"},
	})
	if err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

func TestVerifyLoopback(t *testing.T) {
	key, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		t.Fatal(err)
	}
	pub, err := x509.MarshalPKIXPublicKey(&key.PublicKey)
	if err != nil {
		t.Fatal(err)
	}
	z := zone{}
	z.txt(t, "sel._domainkey.shop.example", "v=DKIM1; k=rsa; p="+base64.StdEncoding.EncodeToString(pub))
	z.txt(t, "bounce.shop.example", "v=spf1 mx include:_spf.shop.example -all")
	z.txt(t, "_spf.shop.example", "v=spf1 ip4:192.0.2.0/25 ip6:2001:db8:7::/48 ~all")
	z.rr(t, "bounce.shop.example. 60 IN MX 10 mx.shop.example.")
	z.rr(t, "mx.shop.example. 60 IN A 198.51.100.25")
	z.rr(t, "mx.shop.example. 60 IN AAAA 2001:db8:25::25")
	r := serveDNS(t, z)
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()

	msg := signedMessage(t, key, "sel")
	res, err := Verify(ctx, msg, netip.MustParseAddr("192.0.2.7"), "bounce@bounce.shop.example", r)
	if err != nil {
		t.Fatal(err)
	}
	if len(res.DKIM) != 1 || res.DKIM[0].Result != DKIMPass || res.DKIM[0].Domain != "shop.example" || res.DKIM[0].Selector != "sel" {
		t.Errorf("DKIM = %+v", res.DKIM)
	}
	if s := res.SPF; s == nil || s.Result != SPFPass || s.Mechanism != "include:_spf.shop.example" || s.Domain != "bounce.shop.example" {
		t.Errorf("SPF = %+v", res.SPF)
	}

	spf := func(ip, want, mech string) {
		t.Helper()
		c := CheckSPF(ctx, r, netip.MustParseAddr(ip), "bounce.shop.example", "")
		if c.Result != want || c.Mechanism != mech {
			t.Errorf("SPF for %s = %+v, want %s %s", ip, c, want, mech)
		}
	}
	spf("198.51.100.25", SPFPass, "mx")
	spf("2001:db8:25::25", SPFPass, "mx")
	spf("2001:db8:7::9", SPFPass, "include:_spf.shop.example")
	spf("192.0.2.200", SPFFail, "-all")
	if c := CheckSPF(ctx, r, netip.MustParseAddr("192.0.2.1"), "nothing.shop.example", ""); c.Result != SPFNone {
		t.Errorf("no record: %+v", c)
	}

	// A changed body no longer verifies.
	tampered := bytes.Replace(msg, []byte("Hello."), []byte("Pay me."), 1)
	res, err = Verify(ctx, tampered, netip.Addr{}, "", r)
	if err != nil || len(res.DKIM) != 1 || res.DKIM[0].Result != DKIMFail || res.SPF != nil {
		t.Errorf("tampered: %+v %v", res, err)
	}
	// A selector with no key is a permanent error.
	other := signedMessage(t, key, "gone")
	res, _ = Verify(ctx, other, netip.Addr{}, "", r)
	if len(res.DKIM) != 1 || res.DKIM[0].Result != DKIMPermError {
		t.Errorf("missing key: %+v", res.DKIM)
	}
	// A header block cannot be verified.
	head := msg[:bytes.Index(msg, []byte("\r\n\r\n"))+2]
	res, err = Verify(ctx, head, netip.MustParseAddr("192.0.2.7"), "bounce.shop.example", r)
	if !errors.Is(err, ErrNoBody) || len(res.Errors) != 1 || res.SPF == nil || res.SPF.Result != SPFPass {
		t.Errorf("header only: %+v %v", res, err)
	}
	// No signature at all: nothing to check, no error.
	res, err = Verify(ctx, []byte(testMessage), netip.Addr{}, "", r)
	if err != nil || len(res.DKIM) != 0 {
		t.Errorf("unsigned: %+v %v", res, err)
	}
}

// hangResolver never answers; it returns when its context ends.
type hangResolver struct{}

func (hangResolver) LookupTXT(ctx context.Context, _ string) ([]string, error) {
	<-ctx.Done()
	return nil, ctx.Err()
}

func (hangResolver) LookupNetIP(ctx context.Context, _, _ string) ([]netip.Addr, error) {
	<-ctx.Done()
	return nil, ctx.Err()
}

func (hangResolver) LookupMX(ctx context.Context, _ string) ([]*net.MX, error) {
	<-ctx.Done()
	return nil, ctx.Err()
}

func TestVerifyTimeouts(t *testing.T) {
	old := LookupTimeout
	LookupTimeout = 20 * time.Millisecond
	defer func() { LookupTimeout = old }()
	key, err := rsa.GenerateKey(rand.Reader, 1024)
	if err != nil {
		t.Fatal(err)
	}
	msg := signedMessage(t, key, "sel")
	res, err := Verify(context.Background(), msg, netip.MustParseAddr("192.0.2.7"), "shop.example", hangResolver{})
	if err != nil {
		t.Fatal(err)
	}
	if len(res.DKIM) != 1 || res.DKIM[0].Result != DKIMTempError {
		t.Errorf("DKIM = %+v", res.DKIM)
	}
	if res.SPF == nil || res.SPF.Result != SPFTempError || !strings.Contains(res.SPF.Error, "deadline") {
		t.Errorf("SPF = %+v", res.SPF)
	}
}
