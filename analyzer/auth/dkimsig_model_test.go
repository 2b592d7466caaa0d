package auth

import (
	"fmt"
	"os"
	"path/filepath"
	"reflect"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/mailtrace/mailtrace/analyzer/header"
)

// The models: the DKIM-Signature and ARC-Seal readers as they were before
// they read the tag list in one pass (tagReader) instead of collecting it
// and searching it once per tag. FuzzDKIMModels holds the readers to them.

func parseTagListModel(s string, tags []Tag) ([]Tag, error) {
	var err error
	var seen map[string]bool // the tag names, once there are too many to search tags
	for rest, more := s, true; more; {
		var part string
		part, rest, more = strings.Cut(rest, ";")
		part = strings.TrimSpace(part)
		if part == "" {
			continue
		}
		name, value, ok := strings.Cut(part, "=")
		name = strings.TrimSpace(name)
		if !ok || name == "" || strings.ContainsAny(name, " \t\r\n") {
			if err == nil {
				err = fmt.Errorf("%w: %q is not tag=value", ErrTagList, truncate(part, 40))
			}
			continue
		}
		if err == nil { // only the first error is told: no need to look once there is one
			if seen == nil && len(tags) >= 16 {
				seen = make(map[string]bool, 2*len(tags))
				for _, t := range tags {
					seen[t.Name] = true
				}
			}
			var dup bool
			if seen != nil {
				dup = seen[name]
				seen[name] = true
			} else {
				_, dup = tagValueModel(tags, name)
			}
			if dup {
				err = fmt.Errorf("%w: tag %q repeated", ErrTagList, name)
			}
		}
		if tags == nil {
			n := 1 // this part and, when more, the parts of rest
			if more {
				n += strings.Count(rest, ";") + 1
			}
			tags = make([]Tag, 0, n)
		}
		tags = append(tags, Tag{Name: name, Value: strings.TrimSpace(value)})
	}
	return tags, err
}

func tagValueModel(tags []Tag, name string) (string, bool) {
	for _, t := range tags {
		if t.Name == name {
			return t.Value, true
		}
	}
	return "", false
}

// dkimRequiredModel is the list of mandatory tags the model checks.
var dkimRequiredModel = []string{"v", "a", "b", "bh", "d", "h", "s"}

func parseDKIMSignatureModel(value, raw string) DKIMSignature {
	sig := DKIMSignature{Raw: raw}
	var buf [24]Tag
	tags, err := parseTagListModel(value, buf[:0])
	var problems []string
	if err != nil {
		problems = append(problems, err.Error())
	}
	for _, t := range dkimRequiredModel {
		if _, ok := tagValueModel(tags, t); !ok {
			problems = append(problems, "missing "+t+"=")
		}
	}
	tag := func(name string) string {
		v, _ := tagValueModel(tags, name)
		return v
	}
	sig.Version = tag("v")
	sig.Algorithm = toLower(stripWS(tag("a")))
	sig.Canonicalization = toLower(stripWS(tag("c")))
	sig.Domain = toLower(strings.TrimSuffix(stripWS(tag("d")), "."))
	sig.Selector = stripWS(tag("s"))
	sig.Identity = stripWS(tag("i"))
	sig.HasSignature = !onlyWS(tag("b")) // not stripWS: b= is long, and only its presence counts
	sig.HasBodyHash = !onlyWS(tag("bh"))
	sig.Headers = headerListModel(tag("h"))
	if v, ok := tagValueModel(tags, "l"); ok {
		n, err := strconv.ParseInt(stripWS(v), 10, 64)
		if err != nil || n < 0 {
			problems = append(problems, fmt.Sprintf("l=%q is not a length", truncate(v, 20)))
		} else {
			sig.BodyLength = &n
		}
	}
	sig.Timestamp = unixTagModel(tags, "t", &problems)
	sig.Expiration = unixTagModel(tags, "x", &problems)
	if sig.Domain != "" && sig.Identity != "" {
		// RFC 6376 §3.5 i=: the AUID's domain is d= or a subdomain of it.
		_, dom, _ := strings.Cut(sig.Identity, "@")
		dom = toLower(dom)
		if dom != sig.Domain && !strings.HasSuffix(dom, "."+sig.Domain) {
			problems = append(problems, fmt.Sprintf("i= domain %q is not d= or below it", dom))
		}
	}
	if len(sig.Headers) > 0 && !containsString(sig.Headers, "from") {
		problems = append(problems, "h= does not include From (RFC 6376 §5.4)")
	}
	sig.Error = strings.Join(problems, "; ")
	return sig
}

func headerListModel(h string) []string {
	var out []string
	if !isASCII(h) {
		for _, name := range strings.Split(h, ":") {
			if name = toLower(stripWS(name)); name != "" {
				out = append(out, name)
			}
		}
		return out
	}
	// ASCII: lower-casing and removing white space commute with splitting
	// at ':', so the whole list is done at once and the names share it.
	h = lowerStripASCIIModel(h)
	for rest, more := h, true; more; {
		var name string
		name, rest, more = strings.Cut(rest, ":")
		if name != "" {
			if out == nil {
				n := 1 // this name and, when more, those of rest
				if more {
					n += strings.Count(rest, ":") + 1
				}
				out = make([]string, 0, n)
			}
			out = append(out, name)
		}
	}
	return out
}

func lowerStripASCIIModel(s string) string {
	i := 0
	for i < len(s) && !isWS(s[i]) && (s[i] < 'A' || s[i] > 'Z') {
		i++
	}
	if i == len(s) {
		return s
	}
	var b strings.Builder
	b.Grow(len(s))
	b.WriteString(s[:i])
	for ; i < len(s); i++ {
		switch c := s[i]; {
		case isWS(c):
		case 'A' <= c && c <= 'Z':
			b.WriteByte(c + 'a' - 'A')
		default:
			b.WriteByte(c)
		}
	}
	return b.String()
}

func unixTagModel(tags []Tag, name string, problems *[]string) time.Time {
	v, ok := tagValueModel(tags, name)
	if !ok {
		return time.Time{}
	}
	n, err := strconv.ParseInt(stripWS(v), 10, 64)
	if err != nil || n < 0 || n > 1<<40 {
		*problems = append(*problems, fmt.Sprintf("%s=%q is not a time", name, truncate(v, 20)))
		return time.Time{}
	}
	return time.Unix(n, 0).UTC()
}

func parseARCSealModel(value, raw string) ARCSeal {
	s := ARCSeal{Raw: raw}
	var buf [16]Tag
	tags, err := parseTagListModel(value, buf[:0])
	if err != nil {
		s.Error = err.Error()
	}
	tag := func(name string) string {
		v, _ := tagValueModel(tags, name)
		return v
	}
	s.Instance, _ = strconv.Atoi(stripWS(tag("i")))
	s.CV = toLower(stripWS(tag("cv")))
	s.Domain = toLower(stripWS(tag("d")))
	s.Selector = stripWS(tag("s"))
	if s.Instance < 1 || s.Instance > 50 { // RFC 8617 §4.2.1
		s.Error = strings.TrimPrefix(s.Error+"; i= is not an instance 1..50", "; ")
		s.Instance = 0
	}
	return s
}

// checkDKIMModels holds the tag-list readers to their models on s.
func checkDKIMModels(t *testing.T, s string) {
	t.Helper()
	raw := unfold(s)
	if got, want := parseDKIMSignature(s, raw), parseDKIMSignatureModel(s, raw); !reflect.DeepEqual(got, want) {
		t.Fatalf("parseDKIMSignature(%q)\n got %+v\nwant %+v", s, got, want)
	}
	if got, want := parseARCSeal(s, raw), parseARCSealModel(s, raw); !reflect.DeepEqual(got, want) {
		t.Fatalf("parseARCSeal(%q)\n got %+v\nwant %+v", s, got, want)
	}
	tags, err := parseTagList(s, nil)
	wtags, werr := parseTagListModel(s, nil)
	if !reflect.DeepEqual(tags, wtags) || fmt.Sprint(err) != fmt.Sprint(werr) {
		t.Fatalf("parseTagList(%q) = %q, %v; the model: %q, %v", s, tags, err, wtags, werr)
	}
	if isASCII(s) {
		if got, want := lowerStripASCII(s), lowerStripASCIIModel(s); got != want {
			t.Fatalf("lowerStripASCII(%q) = %q, want %q", s, got, want)
		}
	}
	if got, want := headerList(s), headerListModel(s); !reflect.DeepEqual(got, want) {
		t.Fatalf("headerList(%q) = %q, want %q", s, got, want)
	}
}

// dkimSeeds stress the tag-list grammar: repeated, malformed and unusual
// names, white space inside names and values, many tags.
var dkimSeeds = []string{
	"v=1; a=rsa-sha256; d=a.example; s=s; l=-1; t=99999999999999999999; h=:::; bh=; b=",
	"v=1; v=2", "a=1;b=2;a=3", "x=1; bad; y=2; y=3", "q=1; q=1", "foo=1; bar=2; foo=3", "bh=1;bh=2", "cv=a;cv=b",
	"a b=1; c=2", "=1", " ; ;; ", "v=1;\r\n\th=From:To:\r\n\t Subject; d=A.Example.; i=@sub.a.example",
	"k1=1;k2=2;k3=3;k4=4;k5=5;k6=6;k1=7", "k1=1;k2=2;k3=3;k4=4;k5=5;k6=6;k7=7;k8=8;k9=9;k10=10;k11=11;k12=12;k13=13;k14=14;k15=15;k16=16;k17=17;k16=x",
	"V=1; A=x; v=2", "h=FROM : TO", "h=" + strings.Repeat("X-Long-Header-Name:", 40) + "from", "t=12 34; x=\u00a01; l=0",
	"i=0; cv=PASS; d=X.Example", "i=51", "i=\v1", "a\u00a0=1; \u00a0b=2", "h=\u017fubject:From",
	"v=1; a=rsa-sha256; c=relaxed/relaxed; d=example.com; s=sel; t=1700000000; x=1800000000; h=From:To; bh=abc; b=def; l=10",
	// white space and control bytes in long names and values, and before the Unicode spaces TrimSpace trims
	"x=1; \t\r\n\u00a0y=2", "a=1;  \u2028 b=2", "longtagname12345 x=1; abcdefgh\vijk=1; abcdefghij\x01=2", "d=abcdefgh ijklmnop; s=abcdefghijklmno\tp",
	"d=abcdefghijklmnopqrstuvw\xc2\xa0; s=\xff\xfe\xfd\xfc\xfb\xfa\xf9\xf8 x", "=; ==; a==b; b=c=d",
}

func TestDKIMModels(t *testing.T) {
	for _, s := range dkimSeeds {
		checkDKIMModels(t, s)
	}
	for _, s := range dkimValues(t) {
		checkDKIMModels(t, s)
	}
}

// dkimValues are the DKIM-Signature, ARC-Seal and ARC-Message-Signature
// values of the repository's test messages.
func dkimValues(tb testing.TB) []string {
	tb.Helper()
	var out []string
	files, _ := filepath.Glob(filepath.Join("..", "..", "testdata", "*", "*", "*.eml"))
	for _, file := range files {
		b, err := os.ReadFile(file)
		if err != nil {
			tb.Fatal(err)
		}
		h, _ := header.Parse(b)
		for _, f := range h {
			switch strings.ToLower(f.Name) {
			case "dkim-signature", "arc-seal", "arc-message-signature":
				out = append(out, f.Value)
			}
		}
	}
	if len(out) < 20 {
		tb.Fatalf("only %d tag lists in the test data", len(out))
	}
	return out
}

// FuzzDKIMModels holds the one-pass DKIM-Signature and ARC-Seal readers to
// the models that collected the tag list first.
func FuzzDKIMModels(f *testing.F) {
	for _, s := range dkimSeeds {
		f.Add(s)
	}
	for _, s := range dkimValues(f) {
		f.Add(s)
	}
	f.Fuzz(checkDKIMModels)
}
