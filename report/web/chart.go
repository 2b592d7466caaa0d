package web

import (
	"fmt"
	"math"
	"time"

	"github.com/mailtrace/mailtrace/report"
)

// chart is the timeline of the delays, drawn by the server as inline SVG (no
// script): one row per hop, a bar from the previous hop's time (hop 1: the
// Date: header) to this hop's time, on a common time axis. A negative delay
// (clock skew or forgery) is drawn backwards and red.
type chart struct {
	Width, Height int
	PlotX, PlotW  int // the plot area
	AxisY         int
	Ticks         []tick
	Rows          []chartRow
	Span          string // the whole span, formatted
}

type tick struct {
	X     string
	Label string
}

type chartRow struct {
	Hop     int
	Label   string // hop number
	Host    string // the receiving host, for the label
	Y       int    // top of the row
	TextY   int    // text baseline
	BarY    int
	HasBar  bool
	X, W    string // bar geometry
	Class   string // bar-pos, bar-neg, bar-zero
	Value   string // the delay, formatted
	ValueX  string
	Missing string // why there is no bar
	Title   string // tooltip
}

// Chart geometry, in SVG user units (the SVG scales to its box).
const (
	chartWidth  = 1000
	chartLabelW = 210
	chartRight  = 110
	chartRowH   = 30
	chartTop    = 8
	chartAxisH  = 30
	chartBarH   = 14
	chartMinBar = 3
)

// tickSteps are the candidate axis steps, in seconds.
var tickSteps = []int64{1, 2, 5, 10, 15, 30, 60, 120, 300, 600, 900, 1800, 3600, 7200, 10800,
	21600, 43200, 86400, 2 * 86400, 7 * 86400, 14 * 86400, 30 * 86400, 90 * 86400, 365 * 86400}

func newChart(rep *report.Report) *chart {
	if len(rep.Hops) == 0 {
		return nil
	}
	type span struct{ start, end time.Time }
	spans := make([]*span, len(rep.Hops))
	var lo, hi time.Time
	see := func(t time.Time) {
		if lo.IsZero() || t.Before(lo) {
			lo = t
		}
		if hi.IsZero() || t.After(hi) {
			hi = t
		}
	}
	bars := 0
	for i, h := range rep.Hops {
		if h.Timestamp == nil || h.DelaySeconds == nil {
			continue
		}
		end, err := time.Parse(time.RFC3339, *h.Timestamp)
		if err != nil {
			continue
		}
		start := end.Add(-time.Duration(*h.DelaySeconds) * time.Second)
		spans[i] = &span{start, end}
		see(start)
		see(end)
		bars++
	}
	if bars == 0 {
		return nil
	}
	total := int64(hi.Sub(lo) / time.Second)
	scale := total
	if scale < 1 {
		scale = 1
	}
	plotW := chartWidth - chartLabelW - chartRight
	x := func(t time.Time) float64 {
		return chartLabelW + float64(t.Sub(lo)/time.Second)/float64(scale)*float64(plotW)
	}
	c := &chart{Width: chartWidth, PlotX: chartLabelW, PlotW: plotW, Span: durationString(total)}
	for i, h := range rep.Hops {
		y := chartTop + i*chartRowH
		row := chartRow{Hop: h.Index, Label: fmt.Sprintf("hop %d", h.Index), Host: shorten(h.By.Host, 24),
			Y: y, TextY: y + chartRowH/2 + 5, BarY: y + (chartRowH-chartBarH)/2}
		s := spans[i]
		if s == nil {
			row.Missing = "no delay: time unknown"
			if h.Timestamp != nil {
				row.Missing = "no delay: previous time unknown"
			}
			c.Rows = append(c.Rows, row)
			continue
		}
		d := *h.DelaySeconds
		x0, x1 := x(s.start), x(s.end)
		row.Class = "bar-pos"
		if d < 0 {
			x0, x1 = x1, x0
			row.Class = "bar-neg"
		} else if d == 0 {
			row.Class = "bar-zero"
		}
		w := x1 - x0
		if w < chartMinBar {
			w = chartMinBar
			if x0+w > chartLabelW+float64(plotW) {
				x0 = chartLabelW + float64(plotW) - w
			}
		}
		row.HasBar = true
		row.X, row.W = num(x0), num(w)
		row.Value = durationString(d)
		from := "previous hop"
		if i == 0 {
			from = "the Date: header"
		}
		row.Title = fmt.Sprintf("hop %d: %s since %s", h.Index, row.Value, from)
		// The value goes right of the bar, in the right margin at the latest.
		row.ValueX = num(x0 + w + 6)
		c.Rows = append(c.Rows, row)
	}
	c.AxisY = chartTop + len(rep.Hops)*chartRowH + 4
	c.Height = c.AxisY + chartAxisH
	step := tickSteps[len(tickSteps)-1]
	for _, s := range tickSteps {
		if total/s <= 6 {
			step = s
			break
		}
	}
	if total/step > 8 { // a forged time years away: keep the axis readable
		step = total/6 + 1
	}
	for t := int64(0); t <= scale; t += step {
		px := chartLabelW + float64(t)/float64(scale)*float64(plotW)
		label := "+" + tickLabel(t)
		if t == 0 {
			label = "0"
		}
		c.Ticks = append(c.Ticks, tick{X: num(px), Label: label})
	}
	return c
}

func num(f float64) string {
	if math.IsNaN(f) || math.IsInf(f, 0) {
		return "0"
	}
	return fmt.Sprintf("%.1f", f)
}

// shorten keeps the end of a long host name (the domain is the telling part).
func shorten(s string, n int) string {
	r := []rune(s)
	if len(r) <= n {
		return s
	}
	return "…" + string(r[len(r)-n+1:])
}

// tickLabel formats an axis offset without zero parts: 30s, 1m, 1m 30s, 2h, 1d 12h.
func tickLabel(s int64) string {
	parts := []struct {
		n    int64
		unit string
	}{{s / 86400, "d"}, {s % 86400 / 3600, "h"}, {s % 3600 / 60, "m"}, {s % 60, "s"}}
	out := ""
	for _, p := range parts {
		if p.n == 0 {
			continue
		}
		if out != "" {
			out += " "
		}
		out += fmt.Sprintf("%d%s", p.n, p.unit)
	}
	if out == "" {
		return "0s"
	}
	return out
}
