package web

import (
	"testing"

	"github.com/mailtrace/mailtrace/report"
)

func hopAt(index int, ts string, delay *int64) report.Hop {
	h := report.Hop{Index: index, DelaySeconds: delay}
	if ts != "" {
		h.Timestamp = &ts
	}
	return h
}

func ptr(n int64) *int64 { return &n }

func TestChart(t *testing.T) {
	if c := newChart(&report.Report{}); c != nil {
		t.Error("a chart without hops")
	}
	if c := newChart(&report.Report{Hops: []report.Hop{hopAt(1, "", nil), hopAt(2, "2026-11-24T10:00:00Z", nil)}}); c != nil {
		t.Error("a chart without delays")
	}

	c := newChart(&report.Report{Hops: []report.Hop{
		hopAt(1, "2026-11-24T10:00:05Z", ptr(-5)), // 5s before the Date: header
		hopAt(2, "2026-11-24T10:00:20Z", ptr(15)),
		hopAt(3, "", nil),
		hopAt(4, "2026-11-24T10:02:20Z", ptr(0)),
	}})
	if c == nil || len(c.Rows) != 4 {
		t.Fatalf("chart %+v", c)
	}
	test := func(i int, class, value string) {
		t.Helper()
		r := c.Rows[i]
		if r.Class != class || r.Value != value || r.HasBar != (class != "") {
			t.Errorf("row %d: class %q value %q bar %v, want %q %q", i+1, r.Class, r.Value, r.HasBar, class, value)
		}
	}
	test(0, "bar-neg", "−5s")
	test(1, "bar-pos", "15s")
	test(2, "", "")
	test(3, "bar-zero", "0s")
	if c.Rows[2].Missing == "" {
		t.Error("row 3 does not say why it has no bar")
	}
	if c.Span != "2m 15s" {
		t.Errorf("span %q", c.Span)
	}
	if n := len(c.Ticks); n < 2 || n > 9 || c.Ticks[0].Label != "0" {
		t.Errorf("ticks %+v", c.Ticks)
	}
	// A zero-width delay still shows a sliver of a bar.
	if c.Rows[3].W != "3.0" {
		t.Errorf("zero bar width %q", c.Rows[3].W)
	}
}

func TestChartForgedYears(t *testing.T) {
	c := newChart(&report.Report{Hops: []report.Hop{
		hopAt(1, "1996-01-01T00:00:00Z", ptr(0)),
		hopAt(2, "2026-11-24T10:00:00Z", ptr(971_000_000)),
	}})
	if c == nil || len(c.Ticks) > 9 {
		t.Fatalf("ticks %+v", c)
	}
}

func TestTickLabel(t *testing.T) {
	test := func(s int64, want string) {
		t.Helper()
		if got := tickLabel(s); got != want {
			t.Errorf("tickLabel(%d) = %q, want %q", s, got, want)
		}
	}
	test(0, "0s")
	test(30, "30s")
	test(60, "1m")
	test(90, "1m 30s")
	test(7200, "2h")
	test(129600, "1d 12h")
}
