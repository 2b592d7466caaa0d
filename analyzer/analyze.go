package analyzer

// Analyze traces one message from its header section (or a whole message:
// it stops at the first empty line). It never fails: problems are findings.
func Analyze(header []byte, opts Options) *Trace {
	h, _ := ParseHeader(header)
	t := &Trace{Header: h}
	return t
}
