// Package dnsfake is a data-driven stand-in for DNS in tests: a
// verify.Resolver answering TXT records from a map, and "no such host" for
// everything else. The real DNS path is tested in report/verify, against a
// DNS server on loopback; this one serves the packages above it.
package dnsfake

import (
	"bytes"
	"context"
	"crypto/ed25519"
	"encoding/base64"
	"net"
	"net/netip"
	"strings"
	"testing"

	"github.com/emersion/go-msgauth/dkim"
)

// TXT maps a name (without the final dot) to its one TXT record.
type TXT map[string]string

func notFound(name string) error {
	return &net.DNSError{Err: "no such host", Name: name, IsNotFound: true}
}

// LookupTXT answers the record of name, if any.
func (z TXT) LookupTXT(_ context.Context, name string) ([]string, error) {
	if v, ok := z[strings.TrimSuffix(name, ".")]; ok {
		return []string{v}, nil
	}
	return nil, notFound(name)
}

// LookupNetIP knows no address.
func (TXT) LookupNetIP(_ context.Context, _, host string) ([]netip.Addr, error) {
	return nil, notFound(host)
}

// LookupMX knows no mail exchanger.
func (TXT) LookupMX(_ context.Context, name string) ([]*net.MX, error) {
	return nil, notFound(name)
}

// SignedMessage is a small message DKIM-signed (Ed25519, RFC 8463) for
// shop.example, selector sel, with a fresh key, and the zone holding that
// key: what a --verify test re-checks. Its body is "Hello.\r\n".
func SignedMessage(tb testing.TB) ([]byte, TXT) {
	tb.Helper()
	pub, key, err := ed25519.GenerateKey(nil)
	if err != nil {
		tb.Fatal(err)
	}
	const msg = "From: Shop <news@shop.example>\r\nTo: user@recipient.example\r\nSubject: Offer\r\n" +
		"Date: Mon, 2 Mar 2026 10:00:00 +0000\r\nMessage-ID: <offer.1@shop.example>\r\n\r\nHello.\r\n"
	var signed bytes.Buffer
	if err := dkim.Sign(&signed, strings.NewReader(msg), &dkim.SignOptions{Domain: "shop.example", Selector: "sel", Signer: key}); err != nil {
		tb.Fatal(err)
	}
	return signed.Bytes(), TXT{"sel._domainkey.shop.example": "v=DKIM1; k=ed25519; p=" + base64.StdEncoding.EncodeToString(pub)}
}
