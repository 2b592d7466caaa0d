package auth

import (
	"reflect"
	"slices"
	"strings"
	"testing"
)

// The models: decodeSpamStatus and decodeKeyValueSpaces as they were before
// they split the value once into a buffer of words (appendFields) instead
// of twice with strings.FieldsSeq. FuzzFieldsModels holds them to these.

func decodeSpamStatusToday(v *Verdict) {
	s := v.Raw
	flag, rest, ok := strings.Cut(s, ",")
	if !ok {
		flag, rest = s, ""
		if i := strings.IndexAny(s, " \t"); i >= 0 {
			flag, rest = s[:i], s[i:]
		}
	}
	flag = strings.TrimSpace(flag)
	class, meaning := "", ""
	switch {
	case lowerIs(flag, "yes"):
		class, meaning = ClassSpam, "spam"
	case lowerIs(flag, "no"):
		class, meaning = ClassHam, "not spam"
	default:
		rest = s
	}
	n := 0 // words, to allocate the fields once
	for range strings.FieldsSeq(rest) {
		n++
	}
	if meaning != "" {
		v.Class = class
		v.Fields = make([]VerdictField, 0, 1+n)
		v.add("flag", flag, meaning)
	} else {
		v.Fields = slices.Grow(v.Fields, n)
	}
	var score, required string
	for w := range strings.FieldsSeq(rest) {
		k, val, ok := strings.Cut(w, "=")
		if n := len(v.Fields); !ok && n > 0 && strings.HasSuffix(v.Fields[n-1].Value, ",") {
			v.Fields[n-1].Value += w // a folded tests= list
			continue
		}
		if !ok {
			v.add("", w, "")
			continue
		}
		meaning := ""
		switch toLower(k) {
		case "score", "hits":
			score, meaning = val, "total score"
		case "required":
			required, meaning = val, "threshold for spam"
		case "tests":
			meaning = "rules that hit"
		case "autolearn":
			meaning = "Bayes auto-learning decision"
		case "autolearn_force":
			meaning = "Bayes auto-learning forced"
		case "version":
			meaning = "SpamAssassin version"
		case "shortcircuit":
			meaning = "rule evaluation stopped early"
		}
		v.add(k, val, meaning)
	}
	v.Summary = flag
	if score != "" {
		v.Summary = flag + ", score " + score + " of required " + required
	}
}

func decodeKeyValueSpacesToday(v *Verdict) {
	n := 0 // words, to allocate the fields once
	for range strings.FieldsSeq(v.Raw) {
		n++
	}
	v.Fields = slices.Grow(v.Fields, n)
	for w := range strings.FieldsSeq(v.Raw) {
		k, val, ok := strings.Cut(w, "=")
		if !ok {
			v.add("", w, "")
			continue
		}
		v.add(k, val, proofpointKeys[toLower(k)])
	}
}

func checkFieldsModels(t *testing.T, s string) {
	t.Helper()
	raw := unfold(s)
	for _, d := range []struct {
		name       string
		got, model func(*Verdict)
	}{
		{"decodeSpamStatus", decodeSpamStatus, decodeSpamStatusToday},
		{"decodeKeyValueSpaces", decodeKeyValueSpaces, decodeKeyValueSpacesToday},
	} {
		got, want := Verdict{Raw: raw}, Verdict{Raw: raw}
		d.got(&got)
		d.model(&want)
		if !reflect.DeepEqual(got, want) {
			t.Fatalf("%s(%q)\n got %+v\nwant %+v", d.name, s, got, want)
		}
	}
	if got, want := appendFields(nil, s), slices.Collect(strings.FieldsSeq(s)); !slices.Equal(got, want) {
		t.Fatalf("appendFields(%q) = %q, want %q", s, got, want)
	}
}

var fieldsSeeds = []string{
	"Yes, score=7.1 required=5.0 tests=A,B,\n\tC autolearn=no version=3.4.6", "No, hits=-1.0 required=5.0", "yes\vscore=1\fx",
	"a\u00a0b c\u0085d", "rule=notspam policy=default score=0 spamscore=0 x", "  ", "", "a=b=c ,", strings.Repeat("w=x ", 40),
}

func TestFieldsModels(t *testing.T) {
	for _, s := range append(append(fieldsSeeds, verdictSeeds...), resultsValues(t)...) {
		checkFieldsModels(t, s)
	}
}

// FuzzFieldsModels holds decodeSpamStatus, decodeKeyValueSpaces and
// appendFields to the models.
func FuzzFieldsModels(f *testing.F) {
	seedFields(f, "X-Spam-Status", "X-Proofpoint-Spam-Details", "X-Proofpoint-Virus-Version")
	for _, s := range fieldsSeeds {
		f.Add(s)
	}
	f.Fuzz(checkFieldsModels)
}
