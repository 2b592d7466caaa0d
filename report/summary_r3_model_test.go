package report

import (
	"bytes"
	"context"
	"encoding/json"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/mailtrace/mailtrace/fetch"
)

// The scan summary as it was at the start of the fourth round (commit
// 9282917), renamed: the model FuzzSummaryR3 holds Summary.Add and Finish
// to. top and percentiles are unchanged and shared.

// summaryR3 is Summary of commit 9282917.
type summaryR3 struct {
	Schema        string                    `json:"schema"`
	Started       string                    `json:"started"` // RFC 3339 UTC
	Seconds       float64                   `json:"seconds"`
	Interrupted   bool                      `json:"interrupted"`
	Messages      int                       `json:"messages"`       // reports written
	Failed        int                       `json:"failed"`         // reports with an error (message unreadable)
	Skipped       int                       `json:"skipped"`        // parts of the source that could not be read
	Problems      []string                  `json:"problems"`       // what those were
	Hops          int                       `json:"hops"`           // Received hops in all
	ParseFailures int                       `json:"parse_failures"` // hops that could not be parsed
	NoOrigin      int                       `json:"no_origin"`      // messages without a public origin
	Findings      map[string]int            `json:"findings"`       // by code
	TopOrigins    []Count                   `json:"top_origins"`    // origin IPs
	TopNetworks   []Count                   `json:"top_networks"`   // origin networks (CIDR, with the name)
	TopASNs       []Count                   `json:"top_asns"`
	TopCountries  []Count                   `json:"top_countries"`
	TopRegistries []Count                   `json:"top_registries"`
	Transit       *Percentiles              `json:"transit_seconds"` // total_delay_seconds
	Auth          map[string]map[string]int `json:"auth"`            // spf, dkim, dmarc -> result -> messages
	AuthFailures  int                       `json:"auth_failures"`   // messages with a failing SPF, DKIM or DMARC result

	// accumulators, not serialised
	origins, networks, asns, countries, registries counter
	netNames                                       map[string]string
	asnNames                                       map[string]string
	delays                                         map[int64]int
	start                                          time.Time
}

// newSummaryR3 is NewSummary of commit 9282917.
func newSummaryR3(now time.Time) *summaryR3 {
	return &summaryR3{Schema: SummarySchema, Started: now.UTC().Format(time.RFC3339), start: now,
		Findings: map[string]int{}, Auth: map[string]map[string]int{}, Problems: []string{},
		origins: counter{}, networks: counter{}, asns: counter{}, countries: counter{}, registries: counter{},
		netNames: map[string]string{}, asnNames: map[string]string{}, delays: map[int64]int{}}
}

// Add counts one report. Memory grows with the number of distinct
// networks, countries and delay values, never with the number of messages.
func (s *summaryR3) Add(r *Report) {
	s.Messages++
	if r.Error != "" {
		s.Failed++
	}
	s.Hops += len(r.Hops)
	for i := range r.Hops { // by index: a Hop is a few hundred bytes to copy
		if !r.Hops[i].Parsed {
			s.ParseFailures++
		}
	}
	for _, f := range r.Findings {
		s.Findings[f.Code]++
	}
	if r.Origin == nil {
		s.NoOrigin++
	} else {
		ip := r.Origin.IP
		if _, ok := s.origins[ip]; !ok {
			// The key outlives the report: not a view of its string buffer
			// (build.go's strtab), which it would keep whole.
			ip = strings.Clone(ip)
		}
		s.origins[ip]++
	}
	if a := r.Attribution; a != nil {
		if a.RIR != "" {
			s.registries[a.RIR]++
		}
		if n := a.Network; n != nil {
			key := n.Range
			if len(n.CIDR) > 0 {
				key = strings.Join(n.CIDR, " ")
			}
			if key != "" {
				s.networks[key]++
				if n.Name != "" || n.Org != "" {
					s.netNames[key] = strings.TrimSpace(n.Name + " " + bracketIf(n.Org))
				}
			}
		}
		country := ""
		if a.Geo != nil && a.Geo.Country != "" {
			country = a.Geo.Country
		} else if a.Network != nil {
			country = a.Network.Country
		}
		if country != "" {
			s.countries[strings.ToUpper(country)]++
		}
		if a.ASN != nil && a.ASN.Number != 0 {
			k := "AS" + strconv.FormatUint(uint64(a.ASN.Number), 10)
			s.asns[k]++
			if a.ASN.Org != "" {
				s.asnNames[k] = a.ASN.Org
			}
		}
	}
	if r.TotalDelaySeconds != nil {
		s.delays[*r.TotalDelaySeconds]++
	}
	if a := r.Auth; a != nil {
		failed := false
		count := func(mech, result string) {
			result = strings.ToLower(strings.TrimSpace(result))
			if result == "" {
				return
			}
			if s.Auth[mech] == nil {
				s.Auth[mech] = map[string]int{}
			}
			s.Auth[mech][result]++
			switch result {
			case "fail", "softfail", "permerror":
				failed = true
			}
		}
		count("spf", a.SPF)
		count("dmarc", a.DMARC)
		// One DKIM verdict per message: pass if any signature passed.
		dk := ""
		for _, d := range a.DKIM {
			if strings.EqualFold(d.Result, "pass") {
				dk = "pass"
				break
			}
			if dk == "" {
				dk = d.Result
			}
		}
		count("dkim", dk)
		if failed {
			s.AuthFailures++
		}
	}
}

// Finish computes the top lists and percentiles at now.
func (s *summaryR3) Finish(now time.Time) {
	s.Seconds = now.Sub(s.start).Round(time.Millisecond).Seconds()
	s.TopOrigins = top(s.origins, nil)
	s.TopNetworks = top(s.networks, s.netNames)
	s.TopASNs = top(s.asns, s.asnNames)
	s.TopCountries = top(s.countries, nil)
	s.TopRegistries = top(s.registries, nil)
	s.Transit = percentiles(s.delays)
}

// sameSummaryR3 adds rs to a Summary and to the round-three one, and fails
// unless they give the same JSON.
func sameSummaryR3(t *testing.T, rs []*Report) {
	t.Helper()
	start := time.Unix(1795511645, 0)
	got, want := NewSummary(start), newSummaryR3(start)
	for _, r := range rs {
		got.Add(r)
		want.Add(r)
	}
	got.Finish(start.Add(1500 * time.Millisecond))
	want.Finish(start.Add(1500 * time.Millisecond))
	g, err := json.Marshal(got)
	if err != nil {
		t.Fatal(err)
	}
	w, err := json.Marshal(want)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(g, w) {
		t.Fatalf("summary\n%s\nround three\n%s", g, w)
	}
}

// FuzzSummaryR3 compares Summary with its round-three code on reports
// built from fuzzed headers (every address attributed) and reports filled
// at random from a few strings, so that keys repeat with other names.
func FuzzSummaryR3(f *testing.F) {
	f.Add(uint64(1), "x", []byte("Received: from a ([62.239.237.1]) by mx.example.com; Tue, 24 Nov 2026 09:14:05 +0000\n\n"))
	i := 0
	for _, h := range testdataHeaders(f) {
		f.Add(uint64(1000+i), string(h[:min(len(h), 12)]), h)
		i++
	}
	f.Fuzz(func(t *testing.T, seed uint64, s string, header []byte) {
		msg := &fetch.Message{Header: header}
		rs := []*Report{Build(context.Background(), msg, Options{}),
			Build(context.Background(), msg, Options{Attributor: fakeAttributor{}, Lookup: LookupOrigin})}
		strs := []string{"", s, strings.ToUpper(s), " Pass ", "fail", "softfail", "AS1"}
		for k := range uint64(8) {
			rs = append(rs, filledReport(t, seed+k, false, strs, false))
		}
		sameSummaryR3(t, rs)
		sameSummaryR3(t, append(rs, rs...))
	})
}

// TestSummaryR3Corpus adds the test data's reports, attributed and not.
func TestSummaryR3Corpus(t *testing.T) {
	var rs []*Report
	for _, h := range testdataHeaders(t) {
		msg := &fetch.Message{Header: h}
		rs = append(rs, Build(context.Background(), msg, Options{}),
			Build(context.Background(), msg, Options{Attributor: fakeAttributor{}, Lookup: LookupAll}))
	}
	for seed := range uint64(200) {
		rs = append(rs, filledReport(t, seed, seed%3 == 0, trickyStrings[:6], false))
	}
	sameSummaryR3(t, rs)
}
