// Package attrib says who holds an IP address: the registry (from embedded
// IANA tables), the network, owner, country, abuse contact (whois with
// referrals, or RDAP), the ASN and location (MaxMind-format databases),
// cached by network.
package attrib

import (
	"context"
	"net/netip"
)

// Sources of an Attribution.
const (
	SourceWhois   = "whois"
	SourceRDAP    = "rdap"
	SourceCache   = "cache"
	SourceOffline = "offline"
)

// Attribution is the JSON `attribution` object of schema mailtrace/v1.
type Attribution struct {
	IP      string   `json:"ip"`
	RIR     string   `json:"rir"`    // ARIN, RIPE NCC, APNIC, LACNIC, AFRINIC; national registry where referred (JPNIC, KRNIC, TWNIC, NIC.br...)
	Source  string   `json:"source"` // whois | rdap | cache | offline
	Server  string   `json:"server"` // the server that answered last
	Network *Network `json:"network"`
	Abuse   []string `json:"abuse"`
	ASN     *ASN     `json:"asn"`
	Geo     *Geo     `json:"geo"`
	RDNS    string   `json:"rdns"`
	Error   string   `json:"error"`
	Raw     string   `json:"raw,omitempty"` // the raw answers, with --raw
}

// Network is the registry's network object that holds the address.
type Network struct {
	CIDR    []string `json:"cidr"`
	Range   string   `json:"range"`
	Name    string   `json:"name"`
	Handle  string   `json:"handle"`
	Org     string   `json:"org"`
	Country string   `json:"country"`
}

// ASN is the origin autonomous system.
type ASN struct {
	Number uint32 `json:"number"`
	Org    string `json:"org"`
}

// Geo is the location from a GeoIP database.
type Geo struct {
	Country   string  `json:"country"`
	City      string  `json:"city"`
	Latitude  float64 `json:"latitude"`
	Longitude float64 `json:"longitude"`
}

// Attributor attributes one address. Implementations never fail outright:
// problems are reported in Attribution.Error beside whatever is known.
type Attributor interface {
	Attribute(ctx context.Context, ip netip.Addr) Attribution
}
