package report

import (
	"context"
	"testing"
	"time"

	"github.com/mailtrace/mailtrace/analyzer"
	"github.com/mailtrace/mailtrace/fetch"
)

// BenchmarkAppendReport is the JSON encoding alone, of the reports of the
// bench headers, without their analysis.
func BenchmarkAppendReport(b *testing.B) {
	hs := benchHeaders(b)
	rs := make([]*Report, len(hs))
	for i, h := range hs {
		rs[i] = Build(context.Background(), &fetch.Message{Header: h}, Options{})
	}
	b.ReportAllocs()
	buf := make([]byte, 0, 64<<10)
	i := 0
	for b.Loop() {
		var err error
		if buf, err = appendReport(buf[:0], rs[i%len(rs)]); err != nil {
			b.Fatal(err)
		}
		i++
	}
}

// BenchmarkFill is the conversion of analyses into reports alone.
func BenchmarkFill(b *testing.B) {
	hs := benchHeaders(b)
	ts := make([]*analyzer.Trace, len(hs))
	for i, h := range hs {
		ts[i] = analyzer.Analyze(h, analyzer.Options{})
	}
	b.ReportAllocs()
	i := 0
	for b.Loop() {
		t := ts[i%len(ts)]
		r, top, room := newReport(len(t.Hops))
		st := room.strtab(len(t.Hops))
		fill(r, top, room, &st, t)
		fillAuth(r, top, t, nil)
		i++
	}
}

// BenchmarkAnalyzeOnly is the analysis alone, BenchmarkBuildJSONL's floor:
// the difference of the two is the part of this package.
func BenchmarkAnalyzeOnly(b *testing.B) {
	hs := benchHeaders(b)
	b.ReportAllocs()
	i := 0
	for b.Loop() {
		analyzer.Analyze(hs[i%len(hs)], analyzer.Options{})
		i++
	}
}

// BenchmarkSummaryAdd is the scan summary's count of one report, of the
// bench headers' reports with every address attributed (fakeAttributor),
// as a scan with attribution adds them.
func BenchmarkSummaryAdd(b *testing.B) {
	hs := benchHeaders(b)
	rs := make([]*Report, len(hs))
	for i, h := range hs {
		rs[i] = Build(context.Background(), &fetch.Message{Header: h}, Options{Attributor: fakeAttributor{}, Lookup: LookupOrigin})
	}
	b.ReportAllocs()
	s := NewSummary(time.Unix(0, 0))
	i := 0
	for b.Loop() {
		s.Add(rs[i%len(rs)])
		i++
	}
}
