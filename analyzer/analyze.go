package analyzer

import "github.com/mailtrace/mailtrace/analyzer/header"

// Analyze traces one message from its header section (or a whole message:
// it stops at the first empty line). It never fails: problems are findings.
func Analyze(raw []byte, opts Options) *Trace {
	h, _ := header.Parse(raw)
	t := &Trace{Header: h}
	analyzeAuth(t, opts)
	return t
}
