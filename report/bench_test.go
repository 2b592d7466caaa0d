package report

import (
	"bytes"
	"context"
	"testing"

	"github.com/mailtrace/mailtrace/fetch"
	"github.com/mailtrace/mailtrace/internal/corpus"
)

// benchHeaders are the header sections of the conformance messages, the
// same set scripts/bench-compare.sh cycles through.
func benchHeaders(b *testing.B) [][]byte { return corpus.Headers(b) }

// BenchmarkBuildJSONL is the per-message work of a scan: analysis, the v1
// report and its JSON line.
func BenchmarkBuildJSONL(b *testing.B) {
	hs := benchHeaders(b)
	n := 0
	for _, h := range hs {
		n += len(h)
	}
	b.SetBytes(int64(n / len(hs)))
	b.ReportAllocs()
	var buf bytes.Buffer
	w := NewJSONLWriter(&buf)
	i := 0
	for b.Loop() {
		r := Build(context.Background(), &fetch.Message{Header: hs[i%len(hs)]}, Options{})
		buf.Reset()
		if err := w.Write(r); err != nil {
			b.Fatal(err)
		}
		i++
	}
}

// BenchmarkScanBuildJSONL is BenchmarkBuildJSONL as a scan worker does
// it: the analysis and the report in memory used again (a batch's).
func BenchmarkScanBuildJSONL(b *testing.B) {
	hs := benchHeaders(b)
	b.ReportAllocs()
	var sb scanBuilder
	mem := make([]reportMem, batchMax)
	buf := make([]byte, 0, batchOut)
	i := 0
	for b.Loop() {
		r := sb.build(context.Background(), &fetch.Message{Header: hs[i%len(hs)]}, Options{}, &mem[i%len(mem)])
		var err error
		if buf, err = appendReport(buf[:0], r); err != nil {
			b.Fatal(err)
		}
		i++
	}
}

// benchMbox is an mbox of n messages cycling through the header sections,
// as scripts/mkmbox writes it.
func benchMbox(b *testing.B, n int) []byte {
	hs := benchHeaders(b)
	var mb bytes.Buffer
	for i := range n {
		mb.WriteString("From bench@example.com Tue Nov 24 09:14:07 2026\n")
		for _, line := range bytes.SplitAfter(bytes.ReplaceAll(hs[i%len(hs)], []byte("\r\n"), []byte("\n")), []byte("\n")) {
			if bytes.HasPrefix(line, []byte("From ")) {
				mb.WriteByte('>')
			}
			mb.Write(line)
		}
		mb.WriteString("\nMessage body.\n\n")
	}
	return mb.Bytes()
}

// BenchmarkScanMbox runs the whole offline pipeline on a 1,000-message mbox
// in memory; BenchmarkCountReceived is its floor on the same bytes, what
// grep -c '^Received:' does. The ratio of the two is the figure to watch.
func BenchmarkScanMbox(b *testing.B) {
	mb := benchMbox(b, 1000)
	b.SetBytes(int64(len(mb)))
	b.ReportAllocs()
	for b.Loop() {
		src, err := fetch.Open(context.Background(), "-", fetch.Options{Stdin: bytes.NewReader(mb)})
		if err != nil {
			b.Fatal(err)
		}
		sum, err := Scan(context.Background(), src, ScanOptions{Out: discard{}})
		if err != nil || sum.Messages != 1000 {
			b.Fatalf("%d messages, %v", sum.Messages, err)
		}
	}
}

func BenchmarkCountReceived(b *testing.B) {
	mb := benchMbox(b, 1000)
	b.SetBytes(int64(len(mb)))
	for b.Loop() {
		if bytes.Count(mb, []byte("\nReceived:")) == 0 {
			b.Fatal("no Received fields")
		}
	}
}

type discard struct{}

func (discard) Write(p []byte) (int, error) { return len(p), nil }
