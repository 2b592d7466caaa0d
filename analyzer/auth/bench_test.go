package auth_test

import (
	"testing"

	"github.com/mailtrace/mailtrace/analyzer"
	"github.com/mailtrace/mailtrace/analyzer/auth"
	"github.com/mailtrace/mailtrace/internal/corpus"
)

// benchInputs builds auth.Input for each message matched by the patterns
// (relative to the repository root) as analyzer.analyzeAuth does in a scan:
// the header section as fetch extracts it, hops and trust from the analyzer.
func benchInputs(b *testing.B, patterns ...string) []auth.Input {
	b.Helper()
	var out []auth.Input
	for _, h := range corpus.Headers(b, patterns...) {
		t := analyzer.Analyze(h, analyzer.Options{})
		in := auth.Input{Header: t.Header, RecipientOrg: t.Recipient, Date: t.Message.Date}
		for i := range t.Hops {
			hop := &t.Hops[i]
			if hop.Trust == analyzer.TrustRecipient {
				in.RecipientHops++
				if in.EnvelopeFrom == "" {
					in.EnvelopeFrom = hop.EnvelopeFrom
				}
			}
			if in.FirstHop == 0 && !hop.Date.IsZero() {
				in.FirstHop, in.FirstHopTime = hop.Index, hop.Date
			}
		}
		if t.Entry != nil && t.Entry.Hop >= 1 && t.Entry.Hop <= len(t.Hops) {
			hop := &t.Hops[t.Entry.Hop-1]
			in.Entry = &auth.Peer{Hop: hop.Index, HELO: hop.From.HELO, RDNS: hop.From.RDNS, IP: hop.From.IP}
		}
		out = append(out, in)
	}
	if len(out) < 5 {
		b.Fatalf("only %d messages for %v", len(out), patterns)
	}
	return out
}

// BenchmarkAnalyze is the authentication stage of a scan, one message per
// iteration: "scan" cycles through the messages the scan benchmarks use
// (report/bench_test.go), "auth" through the authentication fixtures.
func BenchmarkAnalyze(b *testing.B) {
	sets := []struct {
		name     string
		patterns []string
	}{
		{"scan", []string{"testdata/conformance/messages/*.eml", "testdata/sample.eml"}},
		{"auth", []string{"testdata/auth/*/*.eml"}},
	}
	for _, s := range sets {
		b.Run(s.name, func(b *testing.B) {
			ins := benchInputs(b, s.patterns...)
			b.ReportAllocs()
			var buf [8]auth.Finding // as analyzeAuth passes it
			i := 0
			for b.Loop() {
				auth.AnalyzeTo(ins[i%len(ins)], buf[:0])
				i++
			}
		})
	}
}
