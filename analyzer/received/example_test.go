package received_test

import (
	"fmt"

	"github.com/mailtrace/mailtrace/analyzer/received"
)

func ExampleParse() {
	r := received.Parse("from helo.example (rdns.example [192.0.2.1])\r\n" +
		"\t(using TLSv1.3 with cipher TLS_AES_256_GCM_SHA384 (256/256 bits))\r\n" +
		"\tby mx.example (Postfix) with ESMTPS id 4XYZ\r\n" +
		"\tfor <to@example>; Mon, 21 Oct 2024 10:15:30 +0200 (CEST)")
	fmt.Println(r.From.HELO, r.From.RDNS, r.From.IP)
	fmt.Println(r.By.Host, r.With, r.ID, r.For)
	fmt.Println(r.TLS)
	fmt.Println(r.Date.UTC(), "from", r.DateRaw)
	// Output:
	// helo.example rdns.example 192.0.2.1
	// mx.example ESMTPS 4XYZ to@example
	// TLSv1.3 TLS_AES_256_GCM_SHA384
	// 2024-10-21 08:15:30 +0000 UTC from Mon, 21 Oct 2024 10:15:30 +0200 (CEST)
}
