package whois

import (
	"bytes"
	_ "embed"
	"encoding/csv"
	"fmt"
	"io"
	"net/netip"
	"sort"
	"strconv"
	"strings"
)

// The IANA number registries this package routes by, kept in data/ as
// published (see data/README.md); `go generate` refreshes them.
//
//go:generate go run ./internal/fetchtables -whois data -rdap ../rdap/data
var (
	//go:embed data/ipv4-address-space.csv
	ipv4CSV []byte
	//go:embed data/ipv6-unicast-address-assignments.csv
	ipv6CSV []byte
)

// Registry names as they appear in Attribution.RIR.
const (
	ARIN    = "ARIN"
	RIPE    = "RIPE NCC"
	APNIC   = "APNIC"
	LACNIC  = "LACNIC"
	AFRINIC = "AFRINIC"
	JPNIC   = "JPNIC"
	KRNIC   = "KRNIC"
	TWNIC   = "TWNIC"
	CNNIC   = "CNNIC"
	NICBR   = "NIC.br"
	IANA    = "IANA"
)

// Well-known whois servers, by the name a referral or --whois-host uses.
const (
	ServerIANA    = "whois.iana.org"
	ServerARIN    = "whois.arin.net"
	ServerRIPE    = "whois.ripe.net"
	ServerAPNIC   = "whois.apnic.net"
	ServerLACNIC  = "whois.lacnic.net"
	ServerAFRINIC = "whois.afrinic.net"
	ServerJPNIC   = "whois.nic.ad.jp"
	ServerKRNIC   = "whois.kisa.or.kr"
	ServerTWNIC   = "whois.twnic.net.tw"
	ServerNICBR   = "whois.registro.br"
)

// registryOfServer names the registry that runs a whois server.
var registryOfServer = map[string]string{
	ServerIANA:           IANA,
	ServerARIN:           ARIN,
	ServerRIPE:           RIPE,
	ServerAPNIC:          APNIC,
	ServerLACNIC:         LACNIC,
	ServerAFRINIC:        AFRINIC,
	ServerJPNIC:          JPNIC,
	ServerKRNIC:          KRNIC,
	"whois.krnic.net":    KRNIC,
	"whois.nic.or.kr":    KRNIC,
	ServerTWNIC:          TWNIC,
	"whois.cnnic.cn":     CNNIC,
	"whois.cnnic.net.cn": CNNIC,
	ServerNICBR:          NICBR,
	"whois.nic.br":       NICBR,
}

// RegistryOfServer returns the registry that runs a whois server, or "".
func RegistryOfServer(server string) string {
	return registryOfServer[strings.ToLower(strings.TrimSuffix(server, "."))]
}

// Route is where the IANA tables send an address.
type Route struct {
	Prefix   netip.Prefix // the IANA block (a /8 for IPv4)
	RIR      string       // ARIN, RIPE NCC, APNIC, LACNIC, AFRINIC; "" when none
	Server   string       // whois server of the RIR, "" when none
	RDAP     []string     // RDAP base URLs from the table
	Status   string       // ALLOCATED, LEGACY, RESERVED...
	Designee string       // the table's designation ("Administered by ARIN"...)
}

type routeTable struct {
	v4 [256]Route
	v6 []Route // longest prefix first
}

var routes = func() *routeTable {
	t, err := parseTables(ipv4CSV, ipv6CSV)
	if err != nil {
		panic("whois: embedded IANA tables: " + err.Error())
	}
	return t
}()

func parseTables(v4, v6 []byte) (*routeTable, error) {
	t := &routeTable{}
	rows, err := readCSV(v4)
	if err != nil {
		return nil, fmt.Errorf("ipv4 table: %w", err)
	}
	for _, r := range rows {
		// Prefix "001/8", Designation, Date, WHOIS, RDAP, Status, Note
		p := strings.TrimSuffix(r[0], "/8")
		n, err := strconv.Atoi(p)
		if err != nil || n < 0 || n > 255 {
			continue
		}
		rt := Route{
			Prefix:   netip.PrefixFrom(netip.AddrFrom4([4]byte{byte(n)}), 8),
			Server:   strings.ToLower(strings.TrimSpace(r[3])),
			RDAP:     strings.Fields(r[4]),
			Status:   strings.TrimSpace(r[5]),
			Designee: strings.TrimSpace(r[1]),
		}
		rt.RIR = registryOfServer[rt.Server]
		if rt.RIR == IANA {
			rt.RIR = ""
		}
		t.v4[n] = rt
	}
	rows, err = readCSV(v6)
	if err != nil {
		return nil, fmt.Errorf("ipv6 table: %w", err)
	}
	for _, r := range rows {
		pfx, err := netip.ParsePrefix(strings.TrimSpace(r[0]))
		if err != nil || !pfx.Addr().Is6() {
			continue
		}
		rt := Route{
			Prefix:   pfx.Masked(),
			Server:   strings.ToLower(strings.TrimSpace(r[3])),
			RDAP:     strings.Fields(r[4]),
			Status:   strings.TrimSpace(r[5]),
			Designee: strings.TrimSpace(r[1]),
		}
		rt.RIR = registryOfServer[rt.Server]
		if rt.RIR == IANA {
			rt.RIR = ""
		}
		t.v6 = append(t.v6, rt)
	}
	sort.SliceStable(t.v6, func(i, j int) bool { return t.v6[i].Prefix.Bits() > t.v6[j].Prefix.Bits() })
	return t, nil
}

func readCSV(b []byte) ([][]string, error) {
	r := csv.NewReader(bytes.NewReader(b))
	r.FieldsPerRecord = -1
	var rows [][]string
	for first := true; ; first = false {
		rec, err := r.Read()
		if err == io.EOF {
			return rows, nil
		}
		if err != nil {
			return nil, err
		}
		if first || len(rec) < 6 {
			continue
		}
		rows = append(rows, rec)
	}
}

// Lookup returns the IANA route of an address: which RIR holds the block
// and its whois server. ok is false when the tables name no RIR (reserved,
// unallocated or special-purpose space). No network is used.
func Lookup(ip netip.Addr) (r Route, ok bool) {
	ip = ip.Unmap()
	if ip.Is4() {
		r = routes.v4[ip.As4()[0]]
		return r, r.RIR != ""
	}
	for _, rt := range routes.v6 {
		if rt.Prefix.Contains(ip) {
			return rt, rt.RIR != ""
		}
	}
	return Route{}, false
}
