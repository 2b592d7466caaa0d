package report

import (
	"bytes"
	"context"
	"encoding/json"
	"os"
	"slices"
	"sort"
	"strings"
	"testing"

	"github.com/mailtrace/mailtrace/fetch"
	"github.com/mailtrace/mailtrace/report/attrib"
)

// keys returns the sorted keys of a JSON object.
func keys(t *testing.T, raw json.RawMessage) []string {
	t.Helper()
	var m map[string]json.RawMessage
	if err := json.Unmarshal(raw, &m); err != nil {
		t.Fatalf("not an object: %s", raw)
	}
	var out []string
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}

func sorted(s ...string) []string { sort.Strings(s); return s }

// TestSchemaFieldNames pins the mailtrace/v1 field names of DESIGN.md.
func TestSchemaFieldNames(t *testing.T) {
	s := "2026-11-24T09:14:05Z"
	d := int64(7)
	r := &Report{Schema: Schema, Hops: []Hop{{Index: 1, Timestamp: &s, DelaySeconds: &d,
		Attribution: &attrib.Attribution{Network: &attrib.Network{}, ASN: &attrib.ASN{}, Geo: &attrib.Geo{}}}},
		Entry: &Entry{}, Origin: &Origin{}, ClientIP: &ClientIP{}, Auth: &Auth{DKIM: []DKIMResult{{}}},
		Attribution:       &attrib.Attribution{Network: &attrib.Network{}, ASN: &attrib.ASN{}, Geo: &attrib.Geo{}},
		TotalDelaySeconds: &d, Findings: []Finding{{}}}
	raw, err := json.Marshal(r)
	if err != nil {
		t.Fatal(err)
	}
	var top map[string]json.RawMessage
	_ = json.Unmarshal(raw, &top)
	test := func(name string, obj json.RawMessage, want ...string) {
		t.Helper()
		got := keys(t, obj)
		for _, k := range want {
			if !slices.Contains(got, k) {
				t.Errorf("%s: key %q missing (have %v)", name, k, got)
			}
		}
	}
	test("report", raw, "schema", "source", "message", "hops", "entry", "origin", "client_ip", "attribution", "auth", "total_delay_seconds", "findings")
	test("source", top["source"], "kind", "name", "index")
	test("message", top["message"], "message_id", "date", "from", "to", "subject", "return_path", "reply_to")
	var hops []json.RawMessage
	_ = json.Unmarshal(top["hops"], &hops)
	test("hop", hops[0], "index", "raw", "parsed", "trust", "from", "by", "with", "id", "for", "envelope_from", "tls", "auth", "timestamp", "timestamp_raw", "delay_seconds", "attribution", "warnings")
	var hop map[string]json.RawMessage
	_ = json.Unmarshal(hops[0], &hop)
	test("hop.from", hop["from"], "helo", "rdns", "ip", "ip_class", "ident", "port")
	test("hop.by", hop["by"], "host", "ip")
	test("entry", top["entry"], "ip", "hop")
	test("origin", top["origin"], "ip", "hop", "reason")
	test("client_ip", top["client_ip"], "ip", "header")
	test("attribution", top["attribution"], "ip", "rir", "source", "server", "network", "abuse", "asn", "geo", "rdns", "error")
	var a map[string]json.RawMessage
	_ = json.Unmarshal(top["attribution"], &a)
	test("attribution.network", a["network"], "cidr", "range", "name", "handle", "org", "country")
	test("attribution.asn", a["asn"], "number", "org")
	test("attribution.geo", a["geo"], "country", "city", "latitude", "longitude")
	test("auth", top["auth"], "spf", "dkim", "dmarc", "arc", "authserv_id", "raw")
	var au map[string]json.RawMessage
	_ = json.Unmarshal(top["auth"], &au)
	var dk []json.RawMessage
	_ = json.Unmarshal(au["dkim"], &dk)
	test("auth.dkim", dk[0], "result", "domain", "selector")
	var fs []json.RawMessage
	_ = json.Unmarshal(top["findings"], &fs)
	test("finding", fs[0], "code", "severity", "hop", "message")
	if got := keys(t, top["source"]); !slices.Equal(got, sorted("kind", "name", "index")) {
		t.Errorf("source of a file must not carry mailbox/uid keys: %v", got)
	}
}

// TestWriteJSONNoHTMLEscape: machine output keeps <, > and & as they are.
func TestWriteJSONNoHTMLEscape(t *testing.T) {
	var b bytes.Buffer
	if err := WriteJSON(&b, &Report{Schema: Schema, Message: Message{From: "A <a@example.com>"}}); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(b.String(), `"A <a@example.com>"`) {
		t.Errorf("HTML-escaped: %s", b.String())
	}
}

// TestTextNeverPassesControlCharacters: escape sequences and bidi overrides
// from input never reach the terminal raw.
func TestTextNeverPassesControlCharacters(t *testing.T) {
	evil := "x\x1b[31mRED\x1b]0;title\x07\u202eevil\x9b2J\r\nnext"
	r := &Report{Schema: Schema, Source: Source{Kind: "file", Name: evil},
		Message:     Message{From: evil, Subject: evil, To: []string{evil}},
		Hops:        []Hop{{Index: 1, Raw: evil, From: HopFrom{HELO: evil, IP: "192.0.2.1"}, By: HopBy{Host: evil}, With: evil, Trust: "external"}},
		Findings:    []Finding{{Code: "x", Severity: "info", Message: evil}},
		Attribution: &attrib.Attribution{RIR: evil, Network: &attrib.Network{Name: evil, Org: evil}, Abuse: []string{evil}, Error: evil, Raw: evil + "\n" + evil}}
	for _, color := range []bool{false, true} {
		var b bytes.Buffer
		if err := WriteText(&b, r, TextStyle{Color: color, Raw: true}); err != nil {
			t.Fatal(err)
		}
		out := b.String()
		if color {
			// Only our own SGR sequences may appear.
			out = strings.NewReplacer(ansiReset, "", ansiBold, "", ansiDim, "", ansiRed, "", ansiGreen, "", ansiYellow, "", ansiCyan, "").Replace(out)
		}
		for i, c := range []rune(out) {
			if (c < 0x20 && c != '\n') || c == 0x7f || (c >= 0x80 && c < 0xa0) || c == '\u202e' {
				t.Fatalf("color=%v: control character %U at rune %d in output:\n%q", color, c, i, out)
			}
		}
		if !strings.Contains(out, `\x1b[31mRED`) {
			t.Errorf("escape not shown visibly: %q", out)
		}
	}
	var b bytes.Buffer
	if err := WriteAttribution(&b, r.Attribution, TextStyle{}); err != nil {
		t.Fatal(err)
	}
	for _, c := range b.String() {
		if (c < 0x20 && c != '\n') || c == 0x7f || (c >= 0x80 && c < 0xa0) || c == '\u202e' {
			t.Fatalf("WriteAttribution: control character %U in output:\n%q", c, b.String())
		}
	}
	if !strings.Contains(b.String(), "  raw:\n") {
		t.Errorf("raw answers not shown: %q", b.String())
	}
}

func TestClean(t *testing.T) {
	test := func(in, want string) {
		t.Helper()
		if got := Clean(in); got != want {
			t.Errorf("Clean(%q) = %q, want %q", in, got, want)
		}
	}
	test("plain", "plain")
	test("Café", "Café")
	test("a\x1b[2Jb", `a\x1b[2Jb`)
	test("a\nb\tc", "a b c")
	test("\xff\xfe", "\ufffd\ufffd")
	test("\u202egnp.exe", `\u202egnp.exe`)
	test("\u009b", `\x9b`)
}

func TestFormatDelay(t *testing.T) {
	test := func(sec int64, signed bool, want string) {
		t.Helper()
		if got := formatDelay(sec, signed); got != want {
			t.Errorf("formatDelay(%d) = %q, want %q", sec, got, want)
		}
	}
	test(0, true, "+0s")
	test(7, true, "+7s")
	test(-65, true, "-1m05s")
	test(3600*5+60, false, "5h01m")
	test(86400*3, true, "+3d00h")
}

// TestBuildSample traces the bundled sample end to end.
func TestBuildSample(t *testing.T) {
	raw, err := os.ReadFile("../testdata/sample.eml")
	if err != nil {
		t.Fatal(err)
	}
	r := Build(context.Background(), &fetch.Message{Origin: fetch.Origin{Kind: fetch.KindFile, Name: "sample.eml", Index: 1}, Header: raw}, Options{})
	if r.Schema != Schema || len(r.Hops) != 4 {
		t.Fatalf("schema %q hops %d", r.Schema, len(r.Hops))
	}
	var trust []string
	for _, h := range r.Hops {
		trust = append(trust, h.Trust)
		if !h.Parsed || h.Timestamp == nil {
			t.Errorf("hop %d: parsed %v timestamp %v", h.Index, h.Parsed, h.Timestamp)
		}
	}
	if !slices.Equal(trust, []string{"external", "recipient", "recipient", "recipient"}) {
		t.Errorf("trust %v", trust)
	}
	if r.Entry == nil || r.Entry.IP != "200.57.141.161" || r.Entry.Hop != 2 {
		t.Errorf("entry %+v", r.Entry)
	}
	if r.Origin == nil || r.Origin.IP != "62.239.237.1" || r.Origin.Hop != 1 {
		t.Errorf("origin %+v", r.Origin)
	}
	if r.Hops[0].DelaySeconds == nil || *r.Hops[0].DelaySeconds != 3 || *r.Hops[1].DelaySeconds != 7 {
		t.Errorf("delays %v %v", r.Hops[0].DelaySeconds, r.Hops[1].DelaySeconds)
	}
	if r.TotalDelaySeconds == nil || *r.TotalDelaySeconds != 12 {
		t.Errorf("total %v", r.TotalDelaySeconds)
	}
	if r.Message.Subject != "Your order № 4711 has shipped" {
		t.Errorf("subject %q", r.Message.Subject)
	}
	if len(r.Findings) != 0 {
		t.Errorf("a clean sample has findings: %+v", r.Findings)
	}
}
