package web

import (
	"encoding/base64"
	"fmt"
	"html/template"
	"strings"
	"time"

	"github.com/mailtrace/mailtrace/report"
)

// pageData is what the page template renders.
type pageData struct {
	Mode      string // what leaves the machine, shown in the top bar
	ModeClass string
	MaxBody   string // the request size limit, for people
	MaxBytes  int64  // the same, for app.js
	Input     string // the pasted text, shown again in the textarea
	FileName  string // the uploaded file's name
	Error     string // why there is no result
	Result    *result
}

// result is one report and what the page derives from it.
type result struct {
	R        *report.Report
	Chart    *chart
	JSONHref template.URL // data: URL of the v1 JSON, for the download link
	JSONName string
	Counts   findingCounts
	Trust    trustCounts
}

type findingCounts struct{ Alert, Warning, Info int }

type trustCounts struct{ Recipient, External, Suspect int }

func newResult(rep *report.Report) (*result, error) {
	body, err := encodeJSON(rep)
	if err != nil {
		return nil, err
	}
	res := &result{
		R: rep,
		// The href is built here from base64 only, so it is safe as a URL.
		JSONHref: template.URL("data:application/json;base64," + base64.StdEncoding.EncodeToString(body)),
		JSONName: downloadName,
		Chart:    newChart(rep),
	}
	for _, f := range rep.Findings {
		switch f.Severity {
		case "alert":
			res.Counts.Alert++
		case "warning":
			res.Counts.Warning++
		default:
			res.Counts.Info++
		}
	}
	for _, h := range rep.Hops {
		switch h.Trust {
		case "recipient":
			res.Trust.Recipient++
		case "external":
			res.Trust.External++
		case "suspect":
			res.Trust.Suspect++
		}
	}
	return res, nil
}

var funcs = template.FuncMap{
	"duration":   durationPtr,
	"utc":        utcTime,
	"trustLabel": trustLabel,
	"trustClass": trustClass,
	"sevClass":   sevClass,
	"verdict":    verdictClass,
	"isEntry":    isEntry,
	"isOrigin":   isOrigin,
	"publicIP":   func(class string) bool { return class == "" || class == "public" },
	"join":       strings.Join,
	"add":        func(a, b int) int { return a + b },
	"mod":        func(a, b int) int { return a % b },
	"deref":      func(p *int64) int64 { return *p },
}

// durationPtr formats a signed number of seconds, "—" when unknown.
func durationPtr(s *int64) string {
	if s == nil {
		return "—"
	}
	return durationString(*s)
}

// durationString formats signed seconds compactly: 0s, 42s, 3m 05s, 2h 07m,
// 3d 04h; negative values keep their sign (clock skew is worth seeing).
func durationString(s int64) string {
	sign := ""
	if s < 0 {
		sign, s = "−", -s
	}
	switch {
	case s < 60:
		return fmt.Sprintf("%s%ds", sign, s)
	case s < 3600:
		return fmt.Sprintf("%s%dm %02ds", sign, s/60, s%60)
	case s < 86400:
		return fmt.Sprintf("%s%dh %02dm", sign, s/3600, s%3600/60)
	}
	return fmt.Sprintf("%s%dd %02dh", sign, s/86400, s%86400/3600)
}

// utcTime shows an RFC 3339 time as "2006-01-02 15:04:05 UTC".
func utcTime(s *string) string {
	if s == nil {
		return ""
	}
	t, err := time.Parse(time.RFC3339, *s)
	if err != nil {
		return *s
	}
	return t.UTC().Format("2006-01-02 15:04:05") + " UTC"
}

func trustLabel(t string) string {
	switch t {
	case "recipient":
		return "recipient"
	case "external":
		return "external"
	case "suspect":
		return "suspect"
	}
	return "unknown"
}

func trustClass(t string) string { return "trust-" + trustLabel(t) }

func sevClass(s string) string {
	switch s {
	case "alert", "warning":
		return "sev-" + s
	}
	return "sev-info"
}

// verdictClass colours an authentication result (RFC 8601 §2.7).
func verdictClass(v string) string {
	switch strings.ToLower(v) {
	case "pass":
		return "v-pass"
	case "fail", "permerror", "softfail":
		return "v-fail"
	case "":
		return "v-none"
	}
	return "v-neutral"
}

func isEntry(r *report.Report, hop int) bool  { return r.Entry != nil && r.Entry.Hop == hop }
func isOrigin(r *report.Report, hop int) bool { return r.Origin != nil && r.Origin.Hop == hop }
