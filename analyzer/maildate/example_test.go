package maildate_test

import (
	"fmt"

	"github.com/mailtrace/mailtrace/analyzer/maildate"
)

func ExampleParse() {
	for _, s := range []string{
		"Tue, 3 Feb 04 11:14 EST",                 // RFC 5322 §4.3: two-digit year, named zone, no seconds
		"2018-03-26 13:35:36.270951634 +0000 UTC", // Go's time.String (SendGrid)
		"Sun Nov 13 14:50:12 2005",                // asctime, no zone: UTC
	} {
		t, err := maildate.Parse(s)
		fmt.Println(t.UTC(), err)
	}
	// Output:
	// 2004-02-03 16:14:00 +0000 UTC <nil>
	// 2018-03-26 13:35:36.270951634 +0000 UTC <nil>
	// 2005-11-13 14:50:12 +0000 UTC <nil>
}
