package auth_test

import (
	"fmt"

	"github.com/mailtrace/mailtrace/analyzer/auth"
)

// Microsoft 365 writes Authentication-Results without an authserv-id and
// with a compauth method: the lenient reader takes what go-msgauth/authres
// rejects.
func ExampleParseResults() {
	f := auth.ParseResults("spf=pass (sender IP is 192.0.2.1) smtp.mailfrom=shop.example; " +
		"dkim=pass (signature was verified) header.d=shop.example;dmarc=pass action=none " +
		"header.from=shop.example;compauth=pass reason=100")
	fmt.Println("lenient:", f.Lenient, "authserv-id:", f.AuthservID == "")
	for _, m := range f.Methods {
		fmt.Println(m.Method, m.Result, m.Reason, m.Prop("smtp.mailfrom")+m.Prop("header.d")+m.Prop("header.from"))
	}
	// Output:
	// lenient: true authserv-id: true
	// spf pass  shop.example
	// dkim pass  shop.example
	// dmarc pass  shop.example
	// compauth pass 100
}

func ExampleParseForefront() {
	v := auth.ParseForefront("CIP:192.0.2.7;CTRY:;LANG:en;SCL:6;SRV:;IPV:NLI;SFV:SPM;H:mail.shop.example;PTR:;CAT:SPOOF;DIR:INB;")
	fmt.Println(v.Class, "|", v.Summary)
	for _, f := range v.Fields[:4] {
		fmt.Printf("%s=%q %s\n", f.Key, f.Value, f.Meaning)
	}
	// Output:
	// phish | SCL 6: spam; SFV SPM (marked spam by spam filtering); CAT SPOOF (spoofing)
	// CIP="192.0.2.7" connecting IP address
	// CTRY="" source country, from the connecting IP
	// LANG="en" language the message was written in
	// SCL="6" spam confidence level: spam
}
