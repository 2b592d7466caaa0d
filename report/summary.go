package report

import (
	"fmt"
	"io"
	"sort"
	"strconv"
	"strings"
	"time"
)

// SummarySchema names the scan summary's JSON form.
const SummarySchema = "mailtrace/scan-summary/v1"

// topN is how many entries the top lists keep.
const topN = 10

// Summary closes a scan: what was read, what was found, where the mail came
// from. Its JSON field names are a contract like the report's.
type Summary struct {
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
	networks, countries, registries counter
	origins                         map[string]*int    // by IP, counted through the pointer (see Add)
	findings                        map[string]*int    // Findings', likewise: put there in Finish
	netNames                        map[string]netName // the last seen of each network
	asns                            map[uint32]int     // by number: "AS64496" is made in Finish, not per message
	asnNames                        map[uint32]string
	delays                          map[int64]int
	authSPF, authDKIM, authDMARC    map[string]int // Auth's, once made: one lookup fewer a count
	start                           time.Time
}

// netName is what a network's name in the top list is made of, in Finish:
// kept apart, it is not joined for every message.
type netName struct{ name, org string }

// Count is one line of a top list.
type Count struct {
	Key   string `json:"key"`
	Name  string `json:"name,omitempty"`
	Count int    `json:"count"`
}

// Percentiles of transit time, in seconds (nearest rank).
type Percentiles struct {
	Count int   `json:"count"`
	Min   int64 `json:"min"`
	P50   int64 `json:"p50"`
	P90   int64 `json:"p90"`
	P99   int64 `json:"p99"`
	Max   int64 `json:"max"`
}

type counter map[string]int

// NewSummary starts a summary at now.
func NewSummary(now time.Time) *Summary {
	return &Summary{Schema: SummarySchema, Started: now.UTC().Format(time.RFC3339), start: now,
		Findings: map[string]int{}, Auth: map[string]map[string]int{}, Problems: []string{},
		origins: map[string]*int{}, findings: map[string]*int{}, networks: counter{}, asns: map[uint32]int{}, countries: counter{}, registries: counter{},
		netNames: map[string]netName{}, asnNames: map[uint32]string{}, delays: map[int64]int{}}
}

// Add counts one report. Memory grows with the number of distinct
// networks, countries and delay values, never with the number of messages.
func (s *Summary) Add(r *Report) {
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
	for i := range r.Findings {
		code := r.Findings[i].Code
		if n := s.findings[code]; n != nil {
			*n++ // a lookup; m[code]++ stored the key anew
			continue
		}
		n := new(int)
		*n = 1
		s.findings[strings.Clone(code)] = n // the key outlives the report, as the origins'
	}
	if r.Origin == nil {
		s.NoOrigin++
	} else if n := s.origins[r.Origin.IP]; n != nil {
		// Through the pointer: an assignment to m[ip] would store ip as
		// the key anew.
		*n++
	} else {
		// The key outlives the report: not a view of its string buffer
		// (build.go's strtab), which it would keep whole.
		n = new(int)
		*n = 1
		s.origins[strings.Clone(r.Origin.IP)] = n
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
				if nn := (netName{n.Name, n.Org}); (nn != netName{}) {
					if cur, ok := s.netNames[key]; !ok || cur != nn {
						s.netNames[key] = nn
					}
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
			k := a.ASN.Number
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
		count := func(m *map[string]int, mech, result string) {
			result = internResult(strings.ToLower(strings.TrimSpace(result)))
			if result == "" {
				return
			}
			if *m == nil {
				if *m = s.Auth[mech]; *m == nil {
					*m = map[string]int{}
					s.Auth[mech] = *m
				}
			}
			(*m)[result]++
			switch result {
			case "fail", "softfail", "permerror":
				failed = true
			}
		}
		count(&s.authSPF, "spf", a.SPF)
		count(&s.authDMARC, "dmarc", a.DMARC)
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
		count(&s.authDKIM, "dkim", dk)
		if failed {
			s.AuthFailures++
		}
	}
}

// internResult is an authentication result as the summary keeps it: the
// usual ones as constants, any other copied. The result may be a view of a
// message's header section (of a source's whole read buffer), and m[k]++
// stores the k it is given as the key anew, so a view would keep that
// buffer alive for the rest of the scan.
func internResult(r string) string {
	switch r {
	case "pass":
		return "pass"
	case "fail":
		return "fail"
	case "none":
		return "none"
	case "neutral":
		return "neutral"
	case "softfail":
		return "softfail"
	case "temperror":
		return "temperror"
	case "permerror":
		return "permerror"
	case "policy":
		return "policy"
	case "bestguesspass":
		return "bestguesspass"
	}
	return strings.Clone(r)
}

// asnKey is an AS number's key in the top list, "AS64496".
func asnKey(n uint32) string { return "AS" + strconv.FormatUint(uint64(n), 10) }

func bracketIf(s string) string {
	if s == "" {
		return ""
	}
	return "(" + s + ")"
}

// Problem records a part of the source that could not be read.
func (s *Summary) Problem(err error) {
	s.Skipped++
	s.Problems = append(s.Problems, err.Error())
}

// Finish computes the top lists and percentiles at now.
func (s *Summary) Finish(now time.Time) {
	s.Seconds = now.Sub(s.start).Round(time.Millisecond).Seconds()
	for code, n := range s.findings {
		s.Findings[code] = *n
	}
	origins := make(counter, len(s.origins))
	for ip, n := range s.origins {
		origins[ip] = *n
	}
	s.TopOrigins = top(origins, nil)
	netNames := make(map[string]string, len(s.netNames))
	for k, n := range s.netNames {
		netNames[k] = strings.TrimSpace(n.name + " " + bracketIf(n.org))
	}
	s.TopNetworks = top(s.networks, netNames)
	asns, asnNames := make(counter, len(s.asns)), make(map[string]string, len(s.asnNames))
	for n, c := range s.asns {
		asns[asnKey(n)] = c
	}
	for n, name := range s.asnNames {
		asnNames[asnKey(n)] = name
	}
	s.TopASNs = top(asns, asnNames)
	s.TopCountries = top(s.countries, nil)
	s.TopRegistries = top(s.registries, nil)
	s.Transit = percentiles(s.delays)
}

func top(c counter, names map[string]string) []Count {
	out := make([]Count, 0, len(c))
	for k, n := range c {
		out = append(out, Count{Key: k, Name: names[k], Count: n})
	}
	sort.Slice(out, func(i, j int) bool {
		if out[i].Count != out[j].Count {
			return out[i].Count > out[j].Count
		}
		return out[i].Key < out[j].Key
	})
	if len(out) > topN {
		out = out[:topN]
	}
	return out
}

// percentiles by nearest rank (the smallest value with at least p% of the
// values at or below it).
func percentiles(d map[int64]int) *Percentiles {
	if len(d) == 0 {
		return nil
	}
	keys := make([]int64, 0, len(d))
	total := 0
	for k, n := range d {
		keys = append(keys, k)
		total += n
	}
	sort.Slice(keys, func(i, j int) bool { return keys[i] < keys[j] })
	rank := func(p int) int64 {
		want := (p*total + 99) / 100 // ceil(p/100 * total)
		seen := 0
		for _, k := range keys {
			seen += d[k]
			if seen >= want {
				return k
			}
		}
		return keys[len(keys)-1]
	}
	return &Percentiles{Count: total, Min: keys[0], Max: keys[len(keys)-1], P50: rank(50), P90: rank(90), P99: rank(99)}
}

// WriteSummaryText writes the summary for people (stderr). Every string
// that came from a message or a registry goes through Clean.
func WriteSummaryText(w io.Writer, s *Summary) error {
	t := &textWriter{w: w}
	state := "done"
	if s.Interrupted {
		state = "interrupted"
	}
	t.printf("scan %s: %d messages in %.1fs", state, s.Messages, s.Seconds)
	if s.Seconds > 0 {
		t.printf(" (%.0f/s)", float64(s.Messages)/s.Seconds)
	}
	t.printf("\n")
	t.printf("  failed %d, skipped %d, hops %d, unparsed hops %d, no public origin %d\n",
		s.Failed, s.Skipped, s.Hops, s.ParseFailures, s.NoOrigin)
	for _, p := range s.Problems {
		t.printf("  problem: %s\n", Clean(p))
	}
	if len(s.Findings) > 0 {
		codes := make([]string, 0, len(s.Findings))
		for c := range s.Findings {
			codes = append(codes, c)
		}
		sort.Strings(codes)
		t.printf("  findings:")
		for _, c := range codes {
			t.printf(" %s=%d", Clean(c), s.Findings[c])
		}
		t.printf("\n")
	}
	if p := s.Transit; p != nil {
		t.printf("  transit time (s): p50 %d, p90 %d, p99 %d (min %d, max %d, %d messages)\n", p.P50, p.P90, p.P99, p.Min, p.Max, p.Count)
	}
	list := func(title string, cs []Count) {
		if len(cs) == 0 {
			return
		}
		t.printf("  %s:\n", title)
		for _, c := range cs {
			name := ""
			if c.Name != "" {
				name = "  " + Clean(c.Name)
			}
			t.printf("    %6d  %s%s\n", c.Count, Clean(c.Key), name)
		}
	}
	list("top origins", s.TopOrigins)
	list("top networks", s.TopNetworks)
	list("top ASNs", s.TopASNs)
	list("top countries", s.TopCountries)
	list("top registries", s.TopRegistries)
	if len(s.Auth) > 0 {
		t.printf("  authentication (messages with a failing result: %d):", s.AuthFailures)
		for _, mech := range []string{"spf", "dkim", "dmarc"} {
			res := s.Auth[mech]
			if len(res) == 0 {
				continue
			}
			keys := make([]string, 0, len(res))
			for k := range res {
				keys = append(keys, k)
			}
			sort.Strings(keys)
			parts := make([]string, len(keys))
			for i, k := range keys {
				parts[i] = fmt.Sprintf("%s=%d", Clean(k), res[k])
			}
			t.printf(" %s %s;", mech, strings.Join(parts, " "))
		}
		t.printf("\n")
	}
	return t.err
}
