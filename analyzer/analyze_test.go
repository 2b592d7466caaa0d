package analyzer_test

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/mailtrace/mailtrace/analyzer"
	"github.com/mailtrace/mailtrace/analyzer/ipclass"
)

// seeds are real messages from testdata: the sample and the conformance set.
func seeds(tb testing.TB) [][]byte {
	tb.Helper()
	paths, _ := filepath.Glob("../testdata/conformance/messages/*.eml")
	paths = append(paths, "../testdata/sample.eml")
	var out [][]byte
	for _, p := range paths {
		b, err := os.ReadFile(p)
		if err != nil {
			tb.Fatal(err)
		}
		out = append(out, b)
	}
	return out
}

// check asserts the invariants every trace keeps, whatever the input.
func check(t *testing.T, raw []byte, tr *analyzer.Trace) {
	t.Helper()
	last := -1
	for i, h := range tr.Hops {
		if h.Index != i+1 {
			t.Fatalf("hop %d has index %d", i+1, h.Index)
		}
		switch h.Trust {
		case analyzer.TrustRecipient:
			last = i
		case analyzer.TrustExternal, analyzer.TrustSuspect:
			if last >= 0 {
				t.Fatalf("hop %d is %s above a recipient hop", h.Index, h.Trust)
			}
		default:
			t.Fatalf("hop %d has no trust", h.Index)
		}
	}
	if len(tr.Hops) > 0 && tr.Hops[len(tr.Hops)-1].Trust != analyzer.TrustRecipient {
		t.Fatal("the top hop must be the recipient's")
	}
	for _, e := range []*analyzer.Endpoint{tr.Entry, tr.Origin} {
		if e == nil {
			continue
		}
		if !ipclass.IsPublic(e.IP) {
			t.Fatalf("endpoint %s is not public", e.IP)
		}
		if e.Hop < 1 || e.Hop > len(tr.Hops) || tr.Hops[e.Hop-1].Trust == analyzer.TrustSuspect {
			t.Fatalf("endpoint from hop %d", e.Hop)
		}
	}
	if tr.Origin != nil && tr.Entry != nil && tr.Origin.Hop > tr.Entry.Hop {
		t.Fatalf("origin hop %d above entry hop %d", tr.Origin.Hop, tr.Entry.Hop)
	}
	for _, f := range tr.Findings {
		if f.Code == "" || f.Hop < 0 || f.Hop > len(tr.Hops) {
			t.Fatalf("bad finding %+v", f)
		}
	}
}

func FuzzAnalyze(f *testing.F) {
	for _, s := range seeds(f) {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, raw []byte) {
		check(t, raw, analyzer.Analyze(raw, analyzer.Options{}))
	})
}

func TestSeedsKeepInvariants(t *testing.T) {
	for _, s := range seeds(t) {
		check(t, s, analyzer.Analyze(s, analyzer.Options{}))
	}
}

func BenchmarkAnalyze(b *testing.B) {
	all := seeds(b)
	n := 0
	for _, s := range all {
		n += len(s)
	}
	b.SetBytes(int64(n / len(all)))
	b.ReportAllocs()
	i := 0
	for b.Loop() {
		analyzer.Analyze(all[i%len(all)], analyzer.Options{})
		i++
	}
}

// BenchmarkAnalyzeManyReceived: 10,000 Received fields stay linear.
func BenchmarkAnalyzeManyReceived(b *testing.B) {
	var sb strings.Builder
	for i := range 10000 {
		sb.WriteString("Received: from relay")
		sb.WriteString(strings.Repeat("x", i%7))
		sb.WriteString(".example.net (relay.example.net [62.239.237.1]) by mx.example.com with ESMTP id A; Tue, 24 Nov 2026 09:14:05 +0000\n")
	}
	raw := []byte(sb.String())
	b.SetBytes(int64(len(raw)))
	for b.Loop() {
		analyzer.Analyze(raw, analyzer.Options{})
	}
}
