package received

// Parse parses one Received field value (without the "Received:" name;
// folded or unfolded, LF or CRLF). It never fails: what it cannot
// understand is kept in Raw and explained in Warnings.
func Parse(value string) Received {
	// TODO(received helper): real parser.
	return Received{Raw: value}
}
