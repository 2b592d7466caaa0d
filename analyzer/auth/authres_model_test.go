package auth

import (
	"encoding/json"
	"io/fs"
	"os"
	"path/filepath"
	"reflect"
	"regexp"
	"strings"
	"testing"

	"github.com/emersion/go-msgauth/authres"
)

// The models: how the Lenient flag was decided before strictAgrees read
// the field itself, by rendering it without comments and calling
// go-msgauth/authres.

// parseResultsModel is parseResults with strictAgreesModel.
func parseResultsModel(value string) ResultsField {
	toks := lexResults(nil, value)
	f := parseLenient(toks)
	if !strictAgreesModel(toks, f) {
		f.Lenient = true
	}
	return f
}

// strictAgreesModel reports whether go-msgauth/authres accepts the field
// (its comments removed, since authres does not skip them) and reads the
// same methods and results as the lenient reader.
func strictAgreesModel(toks []token, f ResultsField) bool {
	if f.AuthservID == "" || len(f.Extra) > 0 {
		return false
	}
	s := stripCommentsModel(toks)
	if s == "" {
		return false
	}
	id, results, err := authres.Parse(s)
	if err != nil || !strings.EqualFold(id, f.AuthservID) || len(results) != len(f.Methods) {
		return false
	}
	for i, r := range results {
		method, value := methodOf(r)
		if method != f.Methods[i].Method || value != f.Methods[i].Result {
			return false
		}
	}
	return true
}

// stripCommentsModel renders tokens back without comments, for authres; ""
// when a quoted string holds what authres cannot read.
func stripCommentsModel(toks []token) string {
	var b strings.Builder
	for _, t := range toks {
		switch t.kind {
		case tokComment:
			continue
		case tokSemi, tokEqual:
			b.WriteString(t.text)
			continue
		case tokQuoted:
			if strings.ContainsAny(t.text, " \t;=") {
				return ""
			}
		}
		if b.Len() > 0 {
			if c := b.String()[b.Len()-1]; c != ';' && c != '=' {
				b.WriteByte(' ')
			}
		}
		b.WriteString(t.text)
	}
	return b.String()
}

// methodOf names an authres result.
func methodOf(r authres.Result) (method, value string) {
	switch r := r.(type) {
	case *authres.AuthResult:
		return "auth", string(r.Value)
	case *authres.DKIMResult:
		return "dkim", string(r.Value)
	case *authres.DomainKeysResult:
		return "domainkeys", string(r.Value)
	case *authres.IPRevResult:
		return "iprev", string(r.Value)
	case *authres.SenderIDResult:
		return "sender-id", string(r.Value)
	case *authres.SPFResult:
		return "spf", string(r.Value)
	case *authres.DMARCResult:
		return "dmarc", string(r.Value)
	case *authres.ARCResult:
		return "arc", string(r.Value)
	case *authres.GenericResult:
		m := r.Method
		if j := strings.IndexByte(m, '/'); j > 0 {
			m = m[:j]
		}
		return m, string(r.Value)
	}
	return "", ""
}

// checkStrict holds the authres reading of strictAgrees to its model on s.
func checkStrict(t *testing.T, s string) {
	t.Helper()
	// readStrict against authres.Parse on any text, not only rendered fields.
	id, results, err := authres.Parse(s)
	want := make([]Method, len(results))
	for i, r := range results {
		want[i].Method, want[i].Result = methodOf(r)
	}
	r := strictReader{want: want, same: true}
	gotID, ok := readStrict([]byte(s), &r)
	if ok != (err == nil) {
		t.Fatalf("readStrict(%q) ok=%v, authres.Parse: %v", s, ok, err)
	}
	if ok && (string(gotID) != id || !r.same || r.n != len(want)) {
		t.Fatalf("readStrict(%q) = %q, %d results (same %v); authres.Parse: %q, %+v", s, gotID, r.n, r.same, id, want)
	}

	toks := lexResults(nil, s)
	f := parseLenient(toks)
	if got, want := strictAgrees(toks, f), strictAgreesModel(toks, f); got != want {
		t.Fatalf("strictAgrees(%q) = %v, the authres model says %v", s, got, want)
	}
	if got, want := parseResults(s), parseResultsModel(s); !reflect.DeepEqual(got, want) {
		t.Fatalf("parseResults(%q)\n got %+v\nwant %+v", s, got, want)
	}
}

// resultsSeeds are values that stress where authres and the lenient reader
// part ways.
var resultsSeeds = []string{
	"a.example; none", "a.example; NONE", "a.example 1; spf=pass", "a.example 2; spf=pass", "a.example\v1; spf=pass",
	"a.example; arc=pass header.oldest-pass=0", "a.example; arc=pass header.oldest-pass=2 HEADER.OLDEST-PASS=x",
	"a.example; ARC=fail header.oldest-pass=+3", "a.example; arc/1=pass header.oldest-pass=0",
	`a.example; dkim="" x=y`, `a.example; dkim=pass x="" =y`, `"" a.example; spf=pass`, `a.example; spf=pass ""`,
	"a.example; dkim=pass=x", "a.example; dkim = pass", "a.example; =pass", "a.example;; ;spf=pass;",
	"a.example; spf=pass\u00a0smtp.mailfrom=x", "a.example; spf=pass\u2028x=y", "a.example; \u212arc=pass",
	"a.example; DKIM/1=PASS", "a.example; d\xffkim=pass", "a.example; dkim=p\xc2\x85ass", `a.example; spf="pa\ss"`,
	"A.EXAMPLE; spf=pass", "\u212a.example; spf=pass", "a.example; spf=pass (c) smtp.mailfrom=a (d)",
	"a.example; spf=pass smtp.mailfrom=a\r\n\tdkim=pass", `a.example; spf="a;b"`, "a.example; spf=\"a\rb\"",
}

// seedResults adds seeds and every Authentication-Results and
// ARC-Authentication-Results value in the repository's test data (messages,
// mailboxes, and the inputs of the JSON Lines conformance cases).
func seedResults(f *testing.F) {
	for _, s := range resultsSeeds {
		f.Add(s)
	}
	for _, v := range resultsValues(f) {
		f.Add(v)
	}
}

// resultsField matches an Authentication-Results or
// ARC-Authentication-Results field with its continuation lines.
var resultsField = regexp.MustCompile(`(?im)^(?:arc-)?authentication-results:((?:.*)(?:\r?\n[ \t].*)*)`)

func resultsValues(tb testing.TB) []string {
	tb.Helper()
	var out []string
	scan := func(text string) {
		for _, m := range resultsField.FindAllStringSubmatch(text, -1) {
			out = append(out, m[1])
		}
	}
	for _, root := range []string{filepath.Join("..", "..", "testdata"), "testdata"} {
		err := filepath.WalkDir(root, func(path string, d fs.DirEntry, err error) error {
			if err != nil || d.IsDir() {
				return err
			}
			b, err := os.ReadFile(path)
			if err != nil {
				return err
			}
			scan(string(b))
			if strings.HasSuffix(path, ".jsonl") {
				for _, line := range strings.Split(string(b), "\n") {
					var c struct {
						Input any `json:"input"`
					}
					if json.Unmarshal([]byte(line), &c) == nil {
						if s, ok := c.Input.(string); ok {
							scan(s)
						}
					}
				}
			}
			return nil
		})
		if err != nil {
			tb.Fatal(err)
		}
	}
	return out
}

func TestStrictAgrees(t *testing.T) {
	values := resultsValues(t)
	if len(values) < 35 {
		t.Fatalf("only %d Authentication-Results values in the test data", len(values))
	}
	for _, s := range append(values, resultsSeeds...) {
		checkStrict(t, s)
		// and with the ARC prefix cut as ParseARCResults does
		if _, rest, ok := strings.Cut(s, ";"); ok {
			checkStrict(t, rest)
		}
	}
}

// FuzzStrictAgrees holds strictAgrees, which reads as authres.Parse does,
// to the authres call it replaced: the Lenient flag and every field the
// same on any value.
func FuzzStrictAgrees(f *testing.F) {
	seedResults(f)
	f.Fuzz(checkStrict)
}
