package attrib_test

import (
	"context"
	"encoding/json"
	"fmt"
	"net/netip"

	"github.com/mailtrace/mailtrace/report/attrib"
)

// Offline, the registry is named from the embedded IANA tables and nothing
// is sent.
func ExampleNew() {
	svc, err := attrib.New(attrib.Options{Offline: true})
	if err != nil {
		panic(err)
	}
	defer svc.Close()
	a := svc.Attribute(context.Background(), netip.MustParseAddr("62.239.237.1"))
	b, _ := json.Marshal(a)
	fmt.Println(string(b))
	// Output:
	// {"ip":"62.239.237.1","rir":"RIPE NCC","source":"offline","server":"","network":null,"abuse":[],"asn":null,"geo":null,"rdns":"","error":""}
}
