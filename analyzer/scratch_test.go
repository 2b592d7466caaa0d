package analyzer_test

import (
	"reflect"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/mailtrace/mailtrace/analyzer"
)

// scratchOpts fixes the clock: the future-timestamp findings of the two
// analyses compared must not depend on when each ran.
var scratchOpts = analyzer.Options{Now: time.Date(2026, 11, 26, 0, 0, 0, 0, time.UTC)}

// checkScratch analyzes raw in s, used before for other messages, and
// holds the Trace to Analyze's of raw alone.
func checkScratch(t *testing.T, s *analyzer.Scratch, raw []byte) {
	t.Helper()
	got, want := s.AnalyzeOwned(raw, scratchOpts), analyzer.Analyze(raw, scratchOpts)
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("Scratch.AnalyzeOwned of %q:\n%+v\nAnalyze:\n%+v", raw, got, want)
	}
}

// manyHops is a header of n Received fields.
func manyHops(n int) []byte {
	var sb strings.Builder
	for i := range n {
		sb.WriteString("Received: from relay")
		sb.WriteString(strings.Repeat("x", i%7))
		sb.WriteString(".example.net (relay.example.net [62.239.237.1]) by mx.example.com with ESMTP id A; Tue, 24 Nov 2026 09:14:05 +0000\n")
	}
	return []byte(sb.String())
}

// TestScratchReuse: messages of every shape analysed one after another in
// one Scratch (both ways round, and with hop counts growing past its
// room and falling back) give what each gives alone: nothing of one
// message is left in the next.
func TestScratchReuse(t *testing.T) {
	all := seeds(t)
	all = append(all, manyHops(20), manyHops(1), []byte("no header at all"), manyHops(100), manyHops(2), nil, manyHops(64), manyHops(3))
	var s analyzer.Scratch
	for _, raw := range all {
		checkScratch(t, &s, raw)
	}
	for _, raw := range slices.Backward(all) {
		checkScratch(t, &s, raw)
	}
}

// FuzzScratch holds Scratch.AnalyzeOwned, after an analysis of another
// message in the same Scratch, to Analyze.
func FuzzScratch(f *testing.F) {
	all := seeds(f)
	for i, s := range all {
		f.Add(all[(i+1)%len(all)], s)
	}
	f.Add(manyHops(20), manyHops(1))
	f.Fuzz(func(t *testing.T, prev, raw []byte) {
		var s analyzer.Scratch
		s.AnalyzeOwned(prev, scratchOpts)
		checkScratch(t, &s, raw)
		checkScratch(t, &s, prev)
	})
}

// BenchmarkScratchAnalyze is BenchmarkAnalyze in one Scratch, as a scan
// worker analyses.
func BenchmarkScratchAnalyze(b *testing.B) {
	all := seeds(b)
	b.ReportAllocs()
	var s analyzer.Scratch
	i := 0
	for b.Loop() {
		s.AnalyzeOwned(all[i%len(all)], analyzer.Options{})
		i++
	}
}
