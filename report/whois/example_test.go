package whois_test

import (
	"fmt"
	"net/netip"

	"github.com/mailtrace/mailtrace/report/whois"
)

// The registry of an address comes from the embedded IANA tables, with no
// network access.
func ExampleLookup() {
	for _, s := range []string{"62.239.237.1", "200.57.141.161", "2001:43f8:7b0::1"} {
		r, ok := whois.Lookup(netip.MustParseAddr(s))
		fmt.Println(s, r.RIR, r.Server, ok)
	}
	// Output:
	// 62.239.237.1 RIPE NCC whois.ripe.net true
	// 200.57.141.161 LACNIC whois.lacnic.net true
	// 2001:43f8:7b0::1 AFRINIC whois.afrinic.net true
}

// Parse reads any registry's answer into one record.
func ExampleParse() {
	answer := "inetnum:     200.57.128/19\nowner:       Example S.A.\ncountry:     MX\nabuse-c:     EX1\n\nnic-hdl:     EX1\ne-mail:      abuse@example.net\n"
	r := whois.Parse(whois.ServerLACNIC, answer, netip.MustParseAddr("200.57.141.161"))
	fmt.Println(r.CIDR, r.Org, r.Country, r.Abuse)
	// Output:
	// [200.57.128.0/19] Example S.A. MX [abuse@example.net]
}
