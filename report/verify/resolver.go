package verify

import (
	"context"
	"errors"
	"net"
	"net/netip"
	"strings"
)

// Resolver is the DNS the checks use. *net.Resolver satisfies it
// (net.DefaultResolver for the system's); MockResolver is a data-driven fake.
type Resolver interface {
	LookupTXT(ctx context.Context, name string) ([]string, error)
	// LookupNetIP looks up host's addresses; network is "ip", "ip4" or "ip6".
	LookupNetIP(ctx context.Context, network, host string) ([]netip.Addr, error)
	LookupMX(ctx context.Context, name string) ([]*net.MX, error)
}

// isNotFound reports an NXDOMAIN or no-data answer (as opposed to a failure).
func isNotFound(err error) bool {
	var de *net.DNSError
	return errors.As(err, &de) && de.IsNotFound
}

// MockResolver answers from maps keyed by lower-case names without the
// trailing dot. A name in Fail returns that error; a missing name returns
// a not-found *net.DNSError. It is safe for concurrent reads.
type MockResolver struct {
	TXT  map[string][]string
	A    map[string][]netip.Addr // IPv4 and IPv6 addresses together
	MX   map[string][]*net.MX
	Fail map[string]error
}

func mockKey(name string) string { return strings.TrimSuffix(strings.ToLower(name), ".") }

func (m MockResolver) fail(name string) error {
	if err, ok := m.Fail[mockKey(name)]; ok {
		return err
	}
	return nil
}

func notFound(name string) error {
	return &net.DNSError{Err: "no such host", Name: name, IsNotFound: true}
}

// LookupTXT implements Resolver.
func (m MockResolver) LookupTXT(ctx context.Context, name string) ([]string, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	if err := m.fail(name); err != nil {
		return nil, err
	}
	if v, ok := m.TXT[mockKey(name)]; ok {
		return v, nil
	}
	return nil, notFound(name)
}

// LookupNetIP implements Resolver.
func (m MockResolver) LookupNetIP(ctx context.Context, network, host string) ([]netip.Addr, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	if err := m.fail(host); err != nil {
		return nil, err
	}
	var out []netip.Addr
	for _, a := range m.A[mockKey(host)] {
		if network == "ip" || (network == "ip4") == a.Is4() {
			out = append(out, a)
		}
	}
	if len(out) == 0 {
		return nil, notFound(host)
	}
	return out, nil
}

// LookupMX implements Resolver.
func (m MockResolver) LookupMX(ctx context.Context, name string) ([]*net.MX, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	if err := m.fail(name); err != nil {
		return nil, err
	}
	if v, ok := m.MX[mockKey(name)]; ok {
		return v, nil
	}
	return nil, notFound(name)
}
