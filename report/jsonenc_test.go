package report

import (
	"bytes"
	"context"
	"encoding"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"math/rand/v2"
	"net/netip"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/mailtrace/mailtrace/fetch"
	"github.com/mailtrace/mailtrace/report/attrib"
)

// stdJSONL is the reference: what encoding/json writes for v as a JSON line.
func stdJSONL(v any) ([]byte, error) {
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	err := enc.Encode(v)
	return buf.Bytes(), err
}

// sameAsStd fails unless appendReport and encoding/json agree on r: the same
// bytes, or both an error with the same text.
func sameAsStd(tb testing.TB, r *Report) {
	tb.Helper()
	want, wantErr := stdJSONL(r)
	prefix := []byte("prefix ") // appendReport must append, not overwrite
	got, err := appendReport(bytes.Clone(prefix), r)
	if !bytes.HasPrefix(got, prefix) {
		tb.Fatalf("appendReport lost the bytes before it: %.40q", got)
	}
	got = got[len(prefix):]
	if (err != nil) != (wantErr != nil) || (err != nil && err.Error() != wantErr.Error()) {
		tb.Fatalf("error %v, encoding/json: %v", err, wantErr)
	}
	if err != nil {
		if len(got) != 0 {
			tb.Fatalf("wrote %q on error", got)
		}
		return
	}
	if !bytes.Equal(got, want) {
		i := 0
		for i < len(got) && i < len(want) && got[i] == want[i] {
			i++
		}
		lo := max(0, i-80)
		tb.Fatalf("differs from encoding/json at byte %d:\n got  …%s\n want …%s", i,
			got[lo:min(len(got), i+80)], want[lo:min(len(want), i+80)])
	}
}

// trickyStrings exercise every branch of string escaping.
var trickyStrings = []string{
	"",
	"plain ascii",
	`"quoted" and \back\slashed\`,
	"\b\f\n\r\t",
	"\x00\x01\x07\x0b\x0e\x1b\x1f\x7f",
	"<script>alert('x&y')</script> &amp; >",
	"\u2028line\u2029para\u2027\u202a",
	"emoji 😀👍🏽 and é, 日本語, \ufffd literal",
	"\xff\xfe\xfd",                    // invalid bytes
	"\xe2\x82",                        // truncated sequence
	"a\xe2\x82",                       // truncated at the end
	"\xc0\x80\xc1\xbf",                // overlong
	"\xed\xa0\x80\xed\xbf\xbf",        // surrogates
	"\xf4\x90\x80\x80",                // beyond U+10FFFF
	"\xf0\x9f\x98",                    // truncated emoji
	"\x80continuation first",          // stray continuation byte
	"mixed \x00 \u2028 \xff \" \\ <>", // everything at once
	"\x1b]0;pwned\x07\x1b[2J\u202e\x9b",
	strings.Repeat("long ", 200) + "\n" + strings.Repeat("\xff", 3),
}

func TestAppendStringTricky(t *testing.T) {
	for _, s := range trickyStrings {
		want, _ := stdJSONL(s)
		got := append(appendString(nil, s), '\n')
		if !bytes.Equal(got, want) {
			t.Errorf("%q: got %s, want %s", s, got, want)
		}
	}
}

// TestAppendStringExhaustive compares every one- and two-byte string, every
// rune, and every three-byte sequence starting like a surrogate.
func TestAppendStringExhaustive(t *testing.T) {
	check := func(s string) {
		t.Helper()
		want, _ := stdJSONL(s)
		if got := append(appendString(nil, s), '\n'); !bytes.Equal(got, want) {
			t.Fatalf("%q: got %s, want %s", s, got, want)
		}
	}
	for a := range 256 {
		check(string([]byte{byte(a)}))
		for b := range 256 {
			check(string([]byte{byte(a), byte(b)}))
		}
	}
	// Every byte at every place of a run long enough for the eight-at-a-time
	// path of appendString, among the bytes on either side of its limits.
	for _, fill := range []byte{' ', '!', '#', '[', ']', '~', 'a'} {
		for n := 8; n <= 25; n++ {
			for at := range n {
				for c := range 256 {
					s := bytes.Repeat([]byte{fill}, n)
					s[at] = byte(c)
					check(string(s))
				}
			}
		}
	}
	rng := rand.New(rand.NewPCG(3, 4))
	edges := []byte{0x00, 0x01, 0x1f, 0x20, 0x21, 0x22, 0x23, 0x5b, 0x5c, 0x5d, 0x7e, 0x7f, 0x80, 0xbf, 0xc2, 0xe2, 0xed, 0xf0, 0xff}
	for range 20000 {
		s := make([]byte, rng.IntN(40))
		for i := range s {
			s[i] = edges[rng.IntN(len(edges))]
		}
		check(string(s))
	}
	var all strings.Builder
	for r := rune(0); r <= utf8.MaxRune; r++ {
		all.WriteRune(r) // surrogates come out as U+FFFD
	}
	check(all.String())
	for b := 0x80; b < 0xc0; b++ {
		for c := 0x80; c < 0xc0; c++ {
			check(string([]byte{0xed, byte(b), byte(c), 'x'}))
		}
	}
}

// TestPlainPrefix checks the table and the eight-at-a-time scan against a
// byte-by-byte one.
func TestPlainPrefix(t *testing.T) {
	naive := func(s string) int {
		for j := range len(s) {
			if c := s[j]; c < 0x20 || c >= utf8.RuneSelf || c == '"' || c == '\\' {
				return j
			}
		}
		return len(s)
	}
	rng := rand.New(rand.NewPCG(5, 6))
	edges := []byte{0x00, 0x1f, 0x20, 0x21, 0x22, 0x23, 0x41, 0x5b, 0x5c, 0x5d, 0x7f, 0x80, 0xa0, 0xff}
	for range 100000 {
		b := make([]byte, rng.IntN(40))
		for i := range b {
			b[i] = edges[rng.IntN(len(edges))]
			if rng.IntN(3) > 0 {
				b[i] = 'a'
			}
		}
		s := string(b)
		if got, want := plainPrefix(s), naive(s); got != want {
			t.Fatalf("plainPrefix(%q) = %d, want %d", s, got, want)
		}
	}
}

func TestAppendFloat(t *testing.T) {
	for _, f := range []float64{0, math.Copysign(0, -1), 1, -1, 0.1, 1e-6, 9.99999e-7, 1e-7, -1e-7, 1.5e-10,
		1e20, 1e21, -1e21, 123456789012345678901234.0, 1e300, 5e-324, math.MaxFloat64, math.SmallestNonzeroFloat64,
		51.5072, -0.1276, -33.8688, 151.2093, 37.751, -97.822, 1.0 / 3} {
		want, _ := json.Marshal(f)
		if got := appendFloat(nil, f); !bytes.Equal(got, want) {
			t.Errorf("%v: got %s, want %s", f, got, want)
		}
	}
}

// filler fills a value through reflection: fully (every pointer set, every
// slice and map with several elements, nothing zero) or at random (nil,
// empty and zero values included). It fails on a kind or a type the
// encoder was not written for, so a new field of any sort is caught.
type filler struct {
	tb   testing.TB
	rng  *rand.Rand
	full bool
	strs []string // the strings to draw from
	bits bool     // floats from random bits, NaN and infinities included
}

var (
	jsonMarshaler = reflect.TypeFor[json.Marshaler]()
	textMarshaler = reflect.TypeFor[encoding.TextMarshaler]()
)

func (f *filler) fill(v reflect.Value, depth int) {
	t := v.Type()
	if depth > 20 {
		f.tb.Fatalf("%v: recursive type, teach appendReport and this filler", t)
	}
	for _, m := range []reflect.Type{jsonMarshaler, textMarshaler} {
		if t.Implements(m) || reflect.PointerTo(t).Implements(m) {
			f.tb.Fatalf("%v implements %v: teach appendReport and this filler", t, m)
		}
	}
	switch v.Kind() {
	case reflect.Struct:
		for i := range t.NumField() {
			sf := t.Field(i)
			if sf.Anonymous {
				f.tb.Fatalf("%v.%s is embedded: teach appendReport and this filler", t, sf.Name)
			}
			if sf.IsExported() { // encoding/json ignores the others
				f.fill(v.Field(i), depth+1)
			}
		}
	case reflect.Pointer:
		if !f.full && f.rng.IntN(3) == 0 {
			return // nil
		}
		v.Set(reflect.New(t.Elem()))
		f.fill(v.Elem(), depth+1)
	case reflect.Slice:
		n := f.length()
		if n < 0 {
			return // nil
		}
		v.Set(reflect.MakeSlice(t, n, n))
		for i := range n {
			f.fill(v.Index(i), depth+1)
		}
	case reflect.Map:
		if t.Key().Kind() != reflect.String {
			f.tb.Fatalf("%v: only string keys are known to appendReport", t)
		}
		n := f.length()
		if n < 0 {
			return // nil
		}
		v.Set(reflect.MakeMap(t))
		for i := range n {
			k := reflect.New(t.Key()).Elem()
			k.SetString(f.str() + fmt.Sprint(i))
			e := reflect.New(t.Elem()).Elem()
			f.fill(e, depth+1)
			v.SetMapIndex(k, e)
		}
	case reflect.String:
		v.SetString(f.str())
	case reflect.Bool:
		v.SetBool(f.full || f.rng.IntN(2) == 0)
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64:
		for {
			x := [...]int64{0, 1, -1, 7, 300, math.MaxInt32, math.MinInt32, math.MaxInt64, math.MinInt64,
				f.rng.Int64() - f.rng.Int64()}[f.rng.IntN(10)]
			if !v.OverflowInt(x) && (x != 0 || !f.full) {
				v.SetInt(x)
				break
			}
		}
	case reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64:
		for {
			x := [...]uint64{0, 1, 9, 65535, math.MaxUint32, math.MaxUint64, f.rng.Uint64()}[f.rng.IntN(7)]
			if !v.OverflowUint(x) && (x != 0 || !f.full) {
				v.SetUint(x)
				break
			}
		}
	case reflect.Float32, reflect.Float64:
		vals := [...]float64{1, -1, 0.5, 51.5072, -0.1276, 1e-7, -2.5e-9, 1e21, 1e20, math.MaxFloat64,
			5e-324, f.rng.NormFloat64() * 100, 0, math.Copysign(0, -1)}
		n := len(vals)
		if f.full {
			n -= 2 // not the zeros
		}
		x := vals[f.rng.IntN(n)]
		if f.bits && f.rng.IntN(4) == 0 {
			x = math.Float64frombits(f.rng.Uint64())
			if f.rng.IntN(4) == 0 {
				x = [...]float64{math.NaN(), math.Inf(1), math.Inf(-1)}[f.rng.IntN(3)]
			}
		}
		v.SetFloat(x)
	default:
		f.tb.Fatalf("%v is of kind %v: teach appendReport and this filler", t, v.Kind())
	}
}

// length is a slice or map length, -1 for nil.
func (f *filler) length() int {
	if f.full {
		return 2 + f.rng.IntN(3)
	}
	return f.rng.IntN(5) - 1
}

func (f *filler) str() string {
	for {
		s := f.strs[f.rng.IntN(len(f.strs))]
		if s != "" || !f.full {
			return s
		}
	}
}

func filledReport(tb testing.TB, seed uint64, full bool, strs []string, bits bool) *Report {
	r := &Report{}
	f := &filler{tb: tb, rng: rand.New(rand.NewPCG(seed, 7)), full: full, strs: strs, bits: bits}
	f.fill(reflect.ValueOf(r).Elem(), 0)
	return r
}

// TestAppendReportEveryField fills every field of every type reachable
// from Report: a field the encoder does not write makes it fail.
func TestAppendReportEveryField(t *testing.T) {
	for seed := range uint64(50) {
		r := filledReport(t, seed, true, trickyStrings, false)
		if r.Hops[0].Attribution == nil || r.Auth.Verified == nil || r.Auth.Verified.SPF == nil {
			t.Fatal("the full filler left a pointer nil")
		}
		sameAsStd(t, r)
	}
}

// TestAppendReportRandom mixes nil, empty and populated values at random.
func TestAppendReportRandom(t *testing.T) {
	for seed := range uint64(3000) {
		sameAsStd(t, filledReport(t, seed, false, trickyStrings, false))
	}
}

func TestAppendReportCases(t *testing.T) {
	ts, d := "2026-11-24T09:14:05Z", int64(-3)
	for name, r := range map[string]*Report{
		"nil":  nil,
		"zero": {},
		"empty lists": {Hops: []Hop{}, Findings: []Finding{}, Message: Message{To: []string{}},
			Auth: &Auth{DKIM: []DKIMResult{}, Results: []AuthResults{}, ARCResults: []AuthResults{}, ReceivedSPF: []ReceivedSPF{},
				DKIMSignatures: []DKIMSignature{}, Verdicts: []Verdict{}, ARCChain: &ARCChain{Seals: []ARCSeal{}},
				Verified: &Verification{DKIM: []VerifiedDKIM{}, Errors: []string{}}}},
		"nil lists inside": {Hops: []Hop{{}}, Auth: &Auth{Results: []AuthResults{{Methods: []AuthMethod{{}}}},
			ReceivedSPF: []ReceivedSPF{{}}, DKIMSignatures: []DKIMSignature{{}}, Verdicts: []Verdict{{}}, Verified: &Verification{}}},
		"omitempty set": {Error: "boom", Source: Source{Mailbox: "INBOX", UID: 1, UIDValidity: math.MaxUint32, POP3UID: "x"},
			Hops: []Hop{{Attribution: &attrib.Attribution{Raw: "raw"}}}},
		"maps": {Auth: &Auth{Results: []AuthResults{{Methods: []AuthMethod{{Properties: map[string]string{
			"smtp.mailfrom": "a@b", "header.d": "b", "header.s": "s1", "header.b": "\xff", "": "empty key", "\u2028": "<&>", "Z": "upper"}}}}},
			ReceivedSPF: []ReceivedSPF{{Extra: map[string]string{"c": "3", "b": "2", "a": "1", "aa": "", "a\x00": "nul"}}, {Extra: map[string]string{}}}}},
		"pointers": {Message: Message{Date: &ts}, TotalDelaySeconds: &d, Hops: []Hop{{Timestamp: &ts, DelaySeconds: &d}},
			Auth: &Auth{DKIMSignatures: []DKIMSignature{{BodyLength: &d, Timestamp: &ts, Expiration: &ts}}}},
		"geo": {Attribution: &attrib.Attribution{Geo: &attrib.Geo{Latitude: -33.8688, Longitude: 1e-7}},
			Hops: []Hop{{Attribution: &attrib.Attribution{Geo: &attrib.Geo{Latitude: math.Copysign(0, -1), Longitude: 1e21}}}}},
		"NaN":      {Attribution: &attrib.Attribution{Geo: &attrib.Geo{Latitude: math.NaN()}}},
		"hop +Inf": {Hops: []Hop{{}, {Attribution: &attrib.Attribution{Geo: &attrib.Geo{Longitude: math.Inf(1)}}}}},
		"-Inf":     {Attribution: &attrib.Attribution{Geo: &attrib.Geo{Longitude: math.Inf(-1)}}},
		"hop NaN before top -Inf": {Attribution: &attrib.Attribution{Geo: &attrib.Geo{Longitude: math.Inf(-1)}},
			Hops: []Hop{{Attribution: &attrib.Attribution{Geo: &attrib.Geo{Latitude: 1, Longitude: math.NaN()}}}}},
	} {
		t.Run(name, func(t *testing.T) { sameAsStd(t, r) })
	}
}

// testdataHeaders are the header sections of the conformance messages and
// the sample, as benchHeaders reads them.
func testdataHeaders(tb testing.TB) map[string][]byte {
	tb.Helper()
	paths, _ := filepath.Glob("../testdata/conformance/messages/*.eml")
	paths = append(paths, "../testdata/sample.eml")
	out := map[string][]byte{}
	for _, p := range paths {
		raw, err := os.ReadFile(p)
		if err != nil {
			tb.Fatal(err)
		}
		if h, err := fetch.ExtractHeader(raw, 0); err == nil {
			out[filepath.Base(p)] = h
		}
	}
	if len(out) < 10 {
		tb.Fatalf("only %d header sections", len(out))
	}
	return out
}

// fakeAttributor attributes every address, so that Build fills the
// attribution of the report and of every public hop.
type fakeAttributor struct{}

func (fakeAttributor) Attribute(_ context.Context, ip netip.Addr) attrib.Attribution {
	return attrib.Attribution{IP: ip.String(), RIR: "RIPE NCC", Source: attrib.SourceOffline, Abuse: []string{"abuse@example.net"},
		Network: &attrib.Network{CIDR: []string{ip.String() + "/32"}, Name: "NET <x>", Country: "GB"},
		ASN:     &attrib.ASN{Number: 64496, Org: "Example \"AS\""}, Geo: &attrib.Geo{Country: "GB", City: "Lo\u2028ndon", Latitude: 51.5072, Longitude: -0.1276}}
}

func TestAppendReportTestdata(t *testing.T) {
	inputs := testdataHeaders(t)
	for name, h := range hostileInputs() {
		inputs["hostile: "+name] = h
	}
	for name, h := range inputs {
		t.Run(name, func(t *testing.T) {
			msg := &fetch.Message{Origin: fetch.Origin{Kind: fetch.KindFile, Name: name}, Header: h}
			sameAsStd(t, Build(context.Background(), msg, Options{}))
			sameAsStd(t, Build(context.Background(), msg, Options{Attributor: fakeAttributor{}, Lookup: LookupAll}))
		})
	}
	msg := &fetch.Message{Origin: fetch.Origin{Kind: fetch.KindIMAP, Name: "imap", Mailbox: "INBOX", UID: 7, UIDValidity: 9},
		Err: errors.New("unreadable \xff")}
	sameAsStd(t, Build(context.Background(), msg, Options{}))
}

// writeRecorder records each Write call; it fails after failAfter calls.
type writeRecorder struct {
	calls     [][]byte
	failAfter int
}

func (w *writeRecorder) Write(p []byte) (int, error) {
	if w.failAfter > 0 && len(w.calls) >= w.failAfter {
		return 0, errors.New("disk full")
	}
	w.calls = append(w.calls, bytes.Clone(p))
	return len(p), nil
}

func TestJSONLWriter(t *testing.T) {
	var reports []*Report
	for _, h := range testdataHeaders(t) {
		reports = append(reports, Build(context.Background(), &fetch.Message{Header: h}, Options{}))
	}
	reports = append(reports, nil)
	w := &writeRecorder{}
	jw := NewJSONLWriter(w)
	for _, r := range reports {
		if err := jw.Write(r); err != nil {
			t.Fatal(err)
		}
	}
	if len(w.calls) != len(reports) {
		t.Fatalf("%d Write calls for %d reports", len(w.calls), len(reports))
	}
	for i, r := range reports {
		if want, _ := stdJSONL(r); !bytes.Equal(w.calls[i], want) {
			t.Errorf("line %d differs from encoding/json", i)
		}
	}

	// A float encoding/json refuses: its error, and nothing written.
	w = &writeRecorder{}
	jw = NewJSONLWriter(w)
	err := jw.Write(&Report{Attribution: &attrib.Attribution{Geo: &attrib.Geo{Latitude: math.NaN()}}})
	var uv *json.UnsupportedValueError
	if !errors.As(err, &uv) || len(w.calls) != 0 {
		t.Fatalf("NaN: %v, %d writes", err, len(w.calls))
	}
	if err := jw.Write(reports[0]); err != nil || len(w.calls) != 1 {
		t.Fatalf("after NaN: %v, %d writes", err, len(w.calls))
	}

	// A write error sticks, as with json.Encoder.
	w = &writeRecorder{failAfter: 1}
	jw = NewJSONLWriter(w)
	if err := jw.Write(reports[0]); err != nil {
		t.Fatal(err)
	}
	for range 2 {
		if err := jw.Write(reports[0]); err == nil || !strings.Contains(err.Error(), "disk full") {
			t.Fatalf("write error: %v", err)
		}
	}
	if len(w.calls) != 1 {
		t.Fatalf("%d writes after the error", len(w.calls))
	}
}

// FuzzAppendReport compares appendReport with encoding/json on reports
// built by Build from fuzzed header bytes, and on reports filled at random
// from the fuzzed string, with random float bits.
func FuzzAppendReport(f *testing.F) {
	for i, s := range trickyStrings {
		f.Add(uint64(i), s, []byte("Subject: "+s+"\nReceived: from "+s+" ([62.239.237.1]) by mx.example.com; Tue, 24 Nov 2026 09:14:05 +0000\n\n"))
	}
	f.Add(uint64(42), "00", []byte("0")) // found: the first bad float is in a hop, not at the top
	i := 0
	for _, h := range testdataHeaders(f) {
		f.Add(uint64(1000+i), string(h[:min(len(h), 40)]), h)
		i++
	}
	f.Fuzz(func(t *testing.T, seed uint64, s string, header []byte) {
		msg := &fetch.Message{Origin: fetch.Origin{Kind: fetch.KindMaildir, Name: s, Mailbox: s, POP3UID: s, UID: uint32(seed)},
			Header: header}
		sameAsStd(t, Build(context.Background(), msg, Options{}))
		strs := append([]string{s, s[:len(s)/2], s[len(s)/2:], s + s}, trickyStrings[:4]...)
		sameAsStd(t, filledReport(t, seed, seed%2 == 0, strs, true))
	})
}

// benchReports are the reports of the test data, the same for both
// encoders; the bytes per op are their average line length.
func benchReports(b *testing.B) []*Report {
	var rs []*Report
	n := 0
	for _, h := range testdataHeaders(b) {
		r := Build(context.Background(), &fetch.Message{Header: h}, Options{})
		line, _ := stdJSONL(r)
		n += len(line)
		rs = append(rs, r)
	}
	b.SetBytes(int64(n / len(rs)))
	b.ReportAllocs()
	return rs
}

// BenchmarkJSONL is JSONLWriter (appendReport); BenchmarkEncodingJSON is
// what it replaced, encoding/json on the same reports.
func BenchmarkJSONL(b *testing.B) {
	rs := benchReports(b)
	w := NewJSONLWriter(io.Discard)
	i := 0
	for b.Loop() {
		if err := w.Write(rs[i%len(rs)]); err != nil {
			b.Fatal(err)
		}
		i++
	}
}

func BenchmarkEncodingJSON(b *testing.B) {
	rs := benchReports(b)
	enc := json.NewEncoder(io.Discard)
	enc.SetEscapeHTML(false)
	i := 0
	for b.Loop() {
		if err := enc.Encode(rs[i%len(rs)]); err != nil {
			b.Fatal(err)
		}
		i++
	}
}

// TestAppendKey appends each long constant run after every amount of spare
// capacity around its word: the bytes are the run's, and nothing past them
// counts.
func TestAppendKey(t *testing.T) {
	for _, s := range []string{`,"from":{"helo":"`, `,"total_delay_seconds":`, "0123456789abcdef0123456"} {
		k := makeLongKey(s)
		for spare := range 30 {
			b := append(make([]byte, 0, 3+spare), "x\n{"...)
			if got := appendKey(b, &k); string(got) != "x\n{"+s {
				t.Errorf("%q, spare %d: appendKey gave %q", s, spare, got)
			}
		}
	}
}

// TestAppendHopRuns encodes hops with every value appendHop has a run
// for, next to ones it has none for, in every combination of the fields
// the runs cover, after every amount of spare room around the longest
// run: the bytes are encoding/json's and the round-three encoder's.
func TestAppendHopRuns(t *testing.T) {
	trusts := append(trustWords[:], "", "Recipient", "recipients", "externa")
	classes := append(classWords[:], "link-local", "publi", "loopback\n")
	idents := []string{"", "root"}
	ports := []int{0, 25}
	byIPs := []string{"", "192.0.2.1"}
	tails := []string{"", "x"}
	var hops []Hop
	for _, tr := range trusts {
		for _, parsed := range []bool{false, true} {
			for _, class := range classes {
				for _, ident := range idents {
					for _, port := range ports {
						for _, byIP := range byIPs {
							for k := range 8 {
								h := Hop{Index: len(hops) + 1, Raw: "from a\n\tby b", Parsed: parsed, Trust: tr,
									From: HopFrom{HELO: "a", IP: "192.0.2.7", IPClass: class, Ident: ident, Port: port},
									By:   HopBy{Host: "b", IP: byIP}, EnvelopeFrom: tails[k&1], TLS: tails[k>>1&1], Auth: tails[k>>2&1],
									Warnings: []string{}}
								if k == 7 {
									h.Warnings = nil
								}
								if k == 6 {
									h.Warnings = []string{"w"}
								}
								hops = append(hops, h)
							}
						}
					}
				}
			}
		}
	}
	r := &Report{Schema: Schema, Hops: hops, Message: Message{To: []string{}}, Findings: []Finding{}}
	sameAsStd(t, r)
	for spare := range 70 {
		for i := range hops {
			b := append(make([]byte, 0, 2+spare), "x\n"...)
			want := appendHopR3(bytes.Clone(b), &hops[i])
			if got := appendHop(b, &hops[i]); !bytes.Equal(got, want) {
				t.Fatalf("spare %d, hop %+v:\n got  %s\n want %s", spare, hops[i], got, want)
			}
		}
	}
}

// TestAppendRun appends runs of several lengths after every amount of
// spare capacity around their array: the bytes are the run's, and
// nothing past them counts.
func TestAppendRun(t *testing.T) {
	for _, s := range []string{"", `,"warnings":[]}`, `,"parsed":false,"trust":"recipient","from":{"helo":"`, strings.Repeat("0123456789abcdef", 4)} {
		r := makeRun(s)
		for spare := range 70 {
			b := append(make([]byte, 0, 3+spare), "x\n{"...)
			if got := appendRun(b, &r); string(got) != "x\n{"+s {
				t.Errorf("%q, spare %d: appendRun gave %q", s, spare, got)
			}
		}
	}
}

// TestAppendReportRuns encodes reports with the schema and the
// severities appendReport has runs for, and ones it has none for.
func TestAppendReportRuns(t *testing.T) {
	for _, schema := range []string{Schema, "", "mailtrace/v2", Schema + "\n"} {
		r := &Report{Schema: schema, Message: Message{To: []string{}}, Hops: []Hop{}}
		for i, sev := range []string{"info", "warning", "alert", "", "Info", "warnings", "alert\x00"} {
			r.Findings = append(r.Findings, Finding{Code: "c", Severity: sev, Hop: i * 7, Message: "m"})
		}
		sameAsStd(t, r)
		want, _ := appendReportR3(nil, r)
		if got, _ := appendReport(nil, r); !bytes.Equal(got, want) {
			t.Fatalf("schema %q:\n got  %s\n want %s", schema, got, want)
		}
	}
}

// TestCleanRawViews encodes hops whose strings are views of their raw
// text, clear of its bytes needing an escape or over them, at its start,
// middle and end: appendHop copies only the clear ones as they are, and
// the bytes are encoding/json's and the round-three encoder's.
func TestCleanRawViews(t *testing.T) {
	raws := []string{
		"from a.example (b.example [192.0.2.1])\n\tby mx.example; Tue, 24 Nov 2026 09:14:05 +0000",
		"from a\"q (b\\q [192.0.2.1])\n\tby mx.example\r\n\tfor <x@example.com>; Tue, \x00 24 Nov 2026",
		"from caf\u00e9.example by mx.example for x\u2028y; \xffTue, 24 Nov 2026 09:14:05 +0000",
		"plain from first to last, no fold at all, 24 Nov 2026 09:14:05 +0000",
		"\n\tstarts with a fold and ends with one\n\t",
	}
	for _, raw := range raws {
		var hops []Hop
		for i := 0; i < len(raw); i++ {
			for j := i; j <= len(raw) && j <= i+40; j += 3 {
				v := raw[i:j]
				hops = append(hops, Hop{Index: i, Raw: raw, Trust: "external", From: HopFrom{HELO: v, RDNS: raw[j/2 : j]},
					For: v, TimestampRaw: raw[i:], Warnings: []string{}})
			}
		}
		r := &Report{Schema: Schema, Hops: hops, Message: Message{To: []string{}}, Findings: []Finding{}}
		sameAsStd(t, r)
		want, _ := appendReportR3(nil, r)
		if got, _ := appendReport(nil, r); !bytes.Equal(got, want) {
			t.Fatalf("%q: differs from round three", raw)
		}
	}
	c := cleanRaw{raw: "abc\n\tdef"}
	_, c.head, c.tail = appendRaw(nil, c.raw)
	for _, tc := range []struct {
		f    string
		want bool
	}{{c.raw[:3], true}, {c.raw[1:3], true}, {c.raw[2:5], false}, {c.raw[3:4], false}, {c.raw[5:], true},
		{c.raw[4:], false}, {"abc", false}, {"", false}, {c.raw[:0], false}} {
		if got := c.has(tc.f); got != tc.want {
			t.Errorf("has(%q) = %v, want %v (head %d, tail %d)", tc.f, got, tc.want, c.head, c.tail)
		}
	}
}

// TestAppendOfflineAttribution encodes the offline attributor's
// attribution, which appendAttribution ends with one run, and each
// variant of it with one field more, which it must not.
func TestAppendOfflineAttribution(t *testing.T) {
	base := attrib.Attribution{IP: "192.0.2.1", RIR: "RIPE NCC", Source: attrib.SourceOffline, Abuse: []string{}}
	variants := []func(a *attrib.Attribution){
		func(*attrib.Attribution) {},
		func(a *attrib.Attribution) { a.Source = "offline\n" },
		func(a *attrib.Attribution) { a.Source = attrib.SourceRDAP },
		func(a *attrib.Attribution) { a.Server = "whois.example" },
		func(a *attrib.Attribution) { a.Network = &attrib.Network{Name: "N"} },
		func(a *attrib.Attribution) { a.Abuse = nil },
		func(a *attrib.Attribution) { a.Abuse = []string{"abuse@example.net"} },
		func(a *attrib.Attribution) { a.ASN = &attrib.ASN{Number: 64496} },
		func(a *attrib.Attribution) { a.Geo = &attrib.Geo{Country: "NL"} },
		func(a *attrib.Attribution) { a.RDNS = "host.example" },
		func(a *attrib.Attribution) { a.Error = "timeout" },
		func(a *attrib.Attribution) { a.Raw = "raw" },
		func(a *attrib.Attribution) { a.RIR = "" },
	}
	for i, v := range variants {
		a := base
		v(&a)
		h := a
		r := &Report{Schema: Schema, Message: Message{To: []string{}}, Findings: []Finding{}, Attribution: &a,
			Hops: []Hop{{Index: 1, Attribution: &h, Warnings: []string{}}}}
		sameAsStd(t, r)
		want, _ := appendReportR3(nil, r)
		if got, _ := appendReport(nil, r); !bytes.Equal(got, want) {
			t.Fatalf("variant %d:\n got  %s\n want %s", i, got, want)
		}
	}
}
