package auth

import (
	"fmt"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"strings"
	"testing"

	"github.com/mailtrace/mailtrace/analyzer/header"
)

// seedFields adds every value of the named fields found in testdata/auth.
func seedFields(f *testing.F, names ...string) {
	files, _ := filepath.Glob(filepath.Join("..", "..", "testdata", "auth", "*", "*.eml"))
	for _, file := range files {
		b, err := os.ReadFile(file)
		if err != nil {
			f.Fatal(err)
		}
		h, _ := header.Parse(b)
		for _, fl := range h {
			for _, n := range names {
				if strings.EqualFold(fl.Name, n) {
					f.Add(fl.Value)
				}
			}
		}
	}
}

func FuzzParseResults(f *testing.F) {
	seedFields(f, "Authentication-Results", "ARC-Authentication-Results")
	f.Add("spf=pass (sender IP is 192.0.2.1) smtp.mailfrom=a.example;compauth=pass reason=109")
	f.Add(`a.example; dkim=pass (x; y=z) header.i="q\"; r" reason = "s"`)
	f.Fuzz(func(t *testing.T, s string) {
		r := ParseResults(s)
		for _, m := range r.Methods {
			if m.Method == "" && m.Result != "" {
				t.Fatalf("result without method: %+v", m)
			}
			if m.Properties == nil {
				t.Fatalf("nil properties: %+v", m)
			}
		}
		a := ParseARCResults(s)
		if a.Raw != unfold(s) {
			t.Fatalf("raw lost")
		}
	})
}

func FuzzForefront(f *testing.F) {
	seedFields(f, "X-Forefront-Antispam-Report", "X-Microsoft-Antispam")
	f.Add("CIP:2001:db8::1;CTRY:;SCL:5;SFV:SPM;CAT:PHSH;SFTY:9.19;")
	f.Fuzz(func(t *testing.T, s string) {
		v := ParseForefront(s)
		if v.Raw != unfold(s) {
			t.Fatal("raw lost")
		}
		for _, fl := range v.Fields {
			if strings.Contains(fl.Key, ";") || strings.Contains(fl.Value, ";") {
				t.Fatalf("field holds a separator: %+v", fl)
			}
		}
		for name := range vendorHeaders {
			DecodeVerdict(name, s)
		}
	})
}

func FuzzDKIMSignature(f *testing.F) {
	seedFields(f, "DKIM-Signature", "ARC-Seal", "ARC-Message-Signature")
	f.Add("v=1; a=rsa-sha256; d=a.example; s=s; l=-1; t=99999999999999999999; h=:::; bh=; b=")
	f.Fuzz(func(t *testing.T, s string) {
		tags, err := ParseTagList(s)
		var buf [4]Tag // a buffer, as the parsers pass, too short for some lists
		onStack, err2 := parseTagList(s, buf[:0])
		if !slices.Equal(tags, onStack) || fmt.Sprint(err) != fmt.Sprint(err2) {
			t.Fatalf("parseTagList into a buffer: %v, %v; ParseTagList: %v, %v", onStack, err2, tags, err)
		}
		for _, tg := range tags {
			if tg.Name == "" || strings.ContainsAny(tg.Name, " \t\r\n;") {
				t.Fatalf("bad tag name %q", tg.Name)
			}
		}
		sig := ParseDKIMSignature(s)
		if sig.BodyLength != nil && *sig.BodyLength < 0 {
			t.Fatalf("negative l=")
		}
		ParseARCSeal(s)
	})
}

func FuzzReceivedSPF(f *testing.F) {
	seedFields(f, "Received-SPF", "X-Spam-Status")
	f.Fuzz(func(t *testing.T, s string) {
		ParseReceivedSPF(s)
		ParseSpamStatus(s)
	})
}

// FuzzAnalyze runs the whole stage on arbitrary header sections.
func FuzzAnalyze(f *testing.F) {
	files, _ := filepath.Glob(filepath.Join("..", "..", "testdata", "auth", "*", "*.eml"))
	for _, file := range files {
		b, err := os.ReadFile(file)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(b, 2)
	}
	f.Fuzz(func(t *testing.T, b []byte, hops int) {
		h, _ := header.Parse(b)
		r, _ := Analyze(Input{Header: h, RecipientHops: hops % 8, RecipientOrg: "recipient.example", AuthservIDs: nil})
		checkCollected(t, h, r)
	})
}

// checkCollected holds what collect read (with the values unfolded into
// one shared string) to the exported parsers, field by field.
func checkCollected(t *testing.T, h header.Header, r *Result) {
	t.Helper()
	if r == nil {
		return
	}
	check := func(got, want any) {
		t.Helper()
		if !reflect.DeepEqual(got, want) {
			t.Fatalf("collected\n%+v\nthe parser reads\n%+v", got, want)
		}
	}
	for _, got := range r.Results {
		want := ParseResults(h[got.Position].Value)
		want.Header, want.Position, want.Trusted, want.Why = got.Header, got.Position, got.Trusted, got.Why
		check(got, want)
	}
	for _, got := range r.ARCResults {
		want := ParseARCResults(h[got.Position].Value)
		want.Header, want.Position, want.Trusted = got.Header, got.Position, got.Trusted
		check(got, want)
	}
	for _, got := range r.ARCSeals {
		want := ParseARCSeal(h[got.Position].Value)
		want.Position, want.Trusted = got.Position, got.Trusted
		check(got, want)
	}
	for _, got := range r.ReceivedSPF {
		want := ParseReceivedSPF(h[got.Position].Value)
		want.Position, want.Trusted = got.Position, got.Trusted
		check(got, want)
	}
	for _, got := range r.Signatures {
		want := ParseDKIMSignature(h[got.Position].Value)
		want.Position = got.Position
		check(got, want)
	}
	for _, got := range r.Verdicts {
		want, _ := DecodeVerdict(h[got.Position].Name, h[got.Position].Value)
		want.Position, want.Trusted = got.Position, got.Trusted
		check(got, want)
	}
}

func TestCollected(t *testing.T) {
	files, _ := filepath.Glob(filepath.Join("..", "..", "testdata", "*", "*", "*.eml"))
	if len(files) < 40 {
		t.Fatalf("only %d messages", len(files))
	}
	for _, file := range files {
		b, err := os.ReadFile(file)
		if err != nil {
			t.Fatal(err)
		}
		h, _ := header.Parse(b)
		for hops := range 4 {
			r, _ := Analyze(Input{Header: h, RecipientHops: hops, RecipientOrg: "recipient.example"})
			checkCollected(t, h, r)
		}
	}
}
