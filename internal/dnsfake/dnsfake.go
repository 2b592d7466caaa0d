// Package dnsfake is a data-driven stand-in for DNS in tests: a
// verify.Resolver answering TXT records from a map, and "no such host" for
// everything else. The real DNS path is tested in report/verify, against a
// DNS server on loopback; this one serves the packages above it.
package dnsfake

import (
	"context"
	"net"
	"net/netip"
	"strings"
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
