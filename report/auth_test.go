package report

import (
	"context"
	"encoding/json"
	"net/netip"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/mailtrace/mailtrace/analyzer"
	"github.com/mailtrace/mailtrace/analyzer/auth"
	"github.com/mailtrace/mailtrace/analyzer/header"
	"github.com/mailtrace/mailtrace/analyzer/received"
	"github.com/mailtrace/mailtrace/report/verify"
)

// TestAuthFieldNames pins the auth object's field names (issue 6), the v1
// ones of DESIGN.md included.
func TestAuthFieldNames(t *testing.T) {
	b, err := os.ReadFile(filepath.Join("..", "testdata", "auth", "crafted", "microsoft365.eml"))
	if err != nil {
		t.Fatal(err)
	}
	h, _ := header.Parse(b)
	res, _ := auth.Analyze(auth.Input{Header: h, RecipientHops: 3})
	h2, _ := header.Parse([]byte("ARC-Seal: i=1; cv=none; d=a.example; s=s; b=x\nARC-Authentication-Results: i=1; a.example; spf=pass\n" +
		"Received-SPF: pass client-ip=192.0.2.1\nReceived: by a.example; Mon, 2 Mar 2026 10:00:00 +0000\n"))
	res2, _ := auth.Analyze(auth.Input{Header: h2, RecipientHops: 1})
	res.ARCSeals, res.ARCChain, res.ARCResults, res.ReceivedSPF = res2.ARCSeals, res2.ARCChain, res2.ARCResults, res2.ReceivedSPF
	r := &Report{}
	r.Auth = convertAuth(res)
	AddVerification(r, &verify.Result{DKIM: []verify.DKIMCheck{{Domain: "bank.example", Selector: "s1", Result: verify.DKIMFail, Error: "bad"}},
		SPF: &verify.SPFCheck{IP: netip.MustParseAddr("198.51.100.7"), Domain: "bounce.shop.example", Result: verify.SPFFail, Mechanism: "-all"}})
	raw, err := json.Marshal(r.Auth)
	if err != nil {
		t.Fatal(err)
	}
	var top map[string]json.RawMessage
	_ = json.Unmarshal(raw, &top)
	test := func(name string, obj json.RawMessage, want ...string) {
		t.Helper()
		var m map[string]json.RawMessage
		if err := json.Unmarshal(obj, &m); err != nil {
			t.Fatalf("%s: %v in %s", name, err, obj)
		}
		var got []string
		for k := range m {
			got = append(got, k)
		}
		slices.Sort(got)
		slices.Sort(want)
		if !slices.Equal(got, want) {
			t.Errorf("%s keys\n got %v\nwant %v", name, got, want)
		}
	}
	first := func(list json.RawMessage) json.RawMessage {
		var l []json.RawMessage
		if err := json.Unmarshal(list, &l); err != nil || len(l) == 0 {
			t.Fatalf("empty list %s", list)
		}
		return l[0]
	}
	test("auth", raw, "spf", "dkim", "dmarc", "arc", "authserv_id", "raw", "compauth", "spf_mailfrom", "dmarc_from",
		"results", "arc_chain", "arc_results", "received_spf", "dkim_signatures", "verdicts", "verified")
	test("auth.dkim", first(top["dkim"]), "result", "domain", "selector", "identifier", "reason")
	test("auth.compauth", top["compauth"], "result", "reason")
	res0 := first(top["results"])
	test("auth.results", res0, "header", "instance", "authserv_id", "version", "trusted", "why", "lenient", "methods", "extra", "raw")
	var rm map[string]json.RawMessage
	_ = json.Unmarshal(res0, &rm)
	test("auth.results.methods", first(rm["methods"]), "method", "result", "reason", "comment", "properties")
	test("auth.arc_results", first(top["arc_results"]), "header", "instance", "authserv_id", "version", "trusted", "why", "lenient", "methods", "extra", "raw")
	test("auth.arc_chain", top["arc_chain"], "instances", "cv", "sealer", "trusted", "seals")
	var ac map[string]json.RawMessage
	_ = json.Unmarshal(top["arc_chain"], &ac)
	test("auth.arc_chain.seals", first(ac["seals"]), "instance", "cv", "domain", "selector", "trusted", "error")
	test("auth.received_spf", first(top["received_spf"]), "result", "comment", "client_ip", "envelope_from", "helo",
		"identity", "receiver", "mechanism", "extra", "trusted", "raw")
	test("auth.dkim_signatures", first(top["dkim_signatures"]), "domain", "selector", "algorithm", "canonicalization",
		"identity", "headers", "body_length", "timestamp", "expiration", "error", "raw")
	v0 := first(top["verdicts"])
	test("auth.verdicts", v0, "vendor", "header", "class", "summary", "trusted", "fields", "raw")
	var vm map[string]json.RawMessage
	_ = json.Unmarshal(v0, &vm)
	test("auth.verdicts.fields", first(vm["fields"]), "key", "value", "meaning")
	test("auth.verified", top["verified"], "dkim", "spf", "errors")
	var ve map[string]json.RawMessage
	_ = json.Unmarshal(top["verified"], &ve)
	test("auth.verified.dkim", first(ve["dkim"]), "domain", "selector", "identifier", "result", "error")
	test("auth.verified.spf", ve["spf"], "ip", "domain", "result", "mechanism", "record", "lookups", "error")

	var codes []string
	for _, f := range r.Findings {
		codes = append(codes, f.Code)
	}
	if strings.Join(codes, ",") != CodeVerifyDKIM+","+CodeVerifySPF {
		t.Errorf("verification findings: %v", r.Findings)
	}
	if !strings.Contains(string(raw), `"body_length":120`) || !strings.Contains(string(raw), `"timestamp":"2026-03-02T10:00:00Z"`) {
		t.Errorf("signature summary: %s", top["dkim_signatures"])
	}
}

// TestAuthNil: no authentication headers, no auth object; --verify alone makes one.
func TestAuthNil(t *testing.T) {
	if convertAuth(nil) != nil {
		t.Error("want nil")
	}
	r := &Report{}
	AddVerification(r, nil)
	if r.Auth != nil {
		t.Error("nil verification made an auth object")
	}
	AddVerification(r, &verify.Result{})
	if r.Auth == nil || r.Auth.Verified == nil || r.Auth.DKIM == nil || r.Auth.Verdicts == nil {
		t.Errorf("auth = %+v", r.Auth)
	}
}

func TestVerifyTarget(t *testing.T) {
	ip := netip.MustParseAddr("192.0.2.7")
	trace := func(hdr, returnPath, mailfrom, envFrom, helo string) *analyzer.Trace {
		h, _ := header.Parse([]byte(hdr))
		tr := &analyzer.Trace{Header: h, Message: analyzer.Summary{ReturnPath: returnPath},
			Hops:  []analyzer.Hop{{Index: 1, Received: received.Received{EnvelopeFrom: envFrom, From: received.Peer{HELO: helo, IP: ip}}}},
			Entry: &analyzer.Endpoint{IP: ip, Hop: 1}}
		if mailfrom != "" {
			tr.Auth = &auth.Result{SPFMailFrom: mailfrom}
		}
		return tr
	}
	test := func(tr *analyzer.Trace, want string) {
		t.Helper()
		gotIP, got := VerifyTarget(tr)
		if got != want || gotIP != ip {
			t.Errorf("VerifyTarget = %s %q, want %q", gotIP, got, want)
		}
	}
	test(trace("", "b@bounce.shop.example", "x@Mail.Shop.Example.", "", ""), "mail.shop.example")
	test(trace("", "b@bounce.shop.example", "", "", ""), "bounce.shop.example")
	test(trace("", "", "", "<e@env.shop.example>", ""), "env.shop.example")
	test(trace("Return-Path: <>\n", "", "", "", "mail.shop.example"), "mail.shop.example")
	test(trace("Return-Path: <>\n", "", "", "", "[192.0.2.7]"), "")
	test(trace("", "", "", "", "mail.shop.example"), "")

	// Reverify: the whole message, a fake DNS.
	r := &Report{}
	res := verify.MockResolver{TXT: map[string][]string{"bounce.shop.example": {"v=spf1 ip4:192.0.2.0/24 -all"}}}
	err := Reverify(context.Background(), r, trace("", "b@bounce.shop.example", "", "", ""), []byte("From: a@shop.example\n\nhi\n"), res)
	if err != nil || r.Auth == nil || r.Auth.Verified == nil || r.Auth.Verified.SPF.Result != verify.SPFPass {
		t.Errorf("Reverify: %v %+v", err, r.Auth)
	}
}
