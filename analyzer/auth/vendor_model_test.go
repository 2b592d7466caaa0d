package auth

import (
	"fmt"
	"reflect"
	"slices"
	"strings"
	"testing"
	"time"
)

// The models: the vendor decoders and finding messages as they were
// before they were written without fmt, per-call maps and case-converted
// copies. checkVerdictModels holds the decoders to them.

// modelDecoders are the decoders that have a model.
var modelDecoders = map[string]func(v *Verdict){
	"x-forefront-antispam-report":           decodeForefrontModel,
	"x-forefront-antispam-report-untrusted": decodeForefrontModel,
	"x-ms-exchange-organization-authas":     decodeAuthAsModel,
	"x-spam-status":                         decodeSpamStatusModel,
	"x-spam-flag":                           decodeSpamFlagModel,
	"x-spam-level":                          decodeSpamLevelModel,
	"x-proofpoint-spam-reason":              decodeProofpointReasonModel,
}

func decodeForefrontModel(v *Verdict) {
	var scl, sfv, cat string
	pairs := splitPairsModel(v.Raw, ";", ":")
	v.Fields = slices.Grow(v.Fields, len(pairs))
	for _, kv := range pairs {
		key, val := strings.ToUpper(kv[0]), kv[1]
		meaning := forefrontKeys[key]
		switch key {
		case "SCL":
			scl = val
			meaning = join(meaning, sclMeaning(val))
		case "SFV":
			sfv = strings.ToUpper(val)
			meaning = join(meaning, sfvMeaning[sfv])
		case "CAT":
			cat = strings.ToUpper(val)
			meaning = join(meaning, catMeaning[cat])
		case "IPV":
			meaning = join(meaning, ipvMeaning[strings.ToUpper(val)])
		case "DIR":
			meaning = join(meaning, dirMeaning[strings.ToUpper(val)])
		case "SFTY":
			meaning = join(meaning, sftyMeaning[val])
		case "PCL":
			meaning = join(meaning, pclMeaning(val))
		case "SRV":
			if strings.EqualFold(val, "BULK") {
				meaning = "identified as bulk (BCL above the threshold)"
			}
		}
		v.add(kv[0], val, meaning)
	}
	switch {
	case cat == "MALW" || cat == "AMP" || cat == "FTBP":
		v.Class = ClassMalware
	case cat == "PHSH" || cat == "HPHSH" || cat == "HPHISH" || cat == "SPOOF" || strings.HasSuffix(cat, "IMP") || cat == "INTOS":
		v.Class = ClassPhish
	case cat == "BULK":
		v.Class = ClassBulk
	case sfv == "SPM" || sfv == "SKS" || sfv == "SKB" || sfv == "BLK" || cat == "SPM" || cat == "HSPM":
		v.Class = ClassSpam
	case scl != "":
		v.Class = sclClass(scl)
	case sfv == "NSPM" || sfv == "SKN" || sfv == "SFE" || sfv == "SKA" || sfv == "SKI":
		v.Class = ClassHam
	}
	parts := []string{}
	if scl != "" {
		parts = append(parts, fmt.Sprintf("SCL %s: %s", scl, sclMeaning(scl)))
	}
	if sfv != "" {
		parts = append(parts, "SFV "+sfv+sfx(sfvMeaning[sfv]))
	}
	if cat != "" && cat != "NONE" {
		parts = append(parts, "CAT "+cat+sfx(catMeaning[cat]))
	}
	v.Summary = strings.Join(parts, "; ")
}

func decodeAuthAsModel(v *Verdict) {
	m := map[string]string{
		"anonymous": "sender not authenticated: came from outside the organisation",
		"internal":  "authenticated inside the organisation",
		"partner":   "authenticated as a partner organisation",
		"external":  "authenticated as an external sender",
	}[strings.ToLower(v.Raw)]
	v.add("AuthAs", v.Raw, m)
	v.Summary = "AuthAs " + v.Raw + sfx(m)
}

func decodeSpamStatusModel(v *Verdict) {
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
		switch strings.ToLower(k) {
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
		v.Summary = fmt.Sprintf("%s, score %s of required %s", flag, score, required)
	}
}

func decodeSpamFlagModel(v *Verdict) {
	switch strings.ToUpper(v.Raw) {
	case "YES":
		v.Class = ClassSpam
		v.add("flag", v.Raw, "spam")
	case "NO":
		v.Class = ClassHam
		v.add("flag", v.Raw, "not spam")
	default:
		v.add("flag", v.Raw, "")
	}
	v.Summary = v.Raw
}

func decodeSpamLevelModel(v *Verdict) {
	n := strings.Count(v.Raw, "*")
	if n == 0 {
		n = strings.Count(v.Raw, "+") // some sites configure another character
	}
	m := fmt.Sprintf("score of at least %d (one character per point)", n)
	v.add("level", v.Raw, m)
	v.Summary = fmt.Sprintf("level %d", n)
}

func decodeProofpointReasonModel(v *Verdict) {
	m := map[string]string{
		"safe":    "allowed: sender on a safe list",
		"orgsafe": "allowed: sender on an organisation safe list",
		"mlx":     "decided by machine learning",
	}[strings.ToLower(v.Raw)]
	v.add("reason", v.Raw, m)
	v.Summary = v.Raw + sfx(m)
}

// bodyLengthMessageModel and dateMessageModel are the finding messages as
// fmt wrote them.
func bodyLengthMessageModel(domain string, n int64) string {
	return fmt.Sprintf("the DKIM signature of %s signs only the first %d body bytes (l=): anything appended after them passes verification", orUnknown(domain), n)
}

func dateMessageModel(d time.Duration, dir string, hop int) string {
	return fmt.Sprintf("the Date: header is %s %s the first hop's time (hop %d): backdated, held, or forged", d.Round(time.Minute), dir, hop)
}

// checkVerdictModels decodes s as every vendor header that has a model
// and compares the verdicts.
func checkVerdictModels(t *testing.T, s string) {
	t.Helper()
	for name, model := range modelDecoders {
		got, ok := DecodeVerdict(name, s)
		if !ok {
			t.Fatalf("%s is not a verdict header", name)
		}
		want := Verdict{Vendor: got.Vendor, Header: got.Header, Raw: unfold(s)}
		model(&want)
		if !reflect.DeepEqual(got, want) {
			t.Fatalf("%s: %q\n got %+v\nwant %+v", name, s, got, want)
		}
	}
}

// checkMessageModels compares the finding messages with fmt's, on numbers
// taken from s.
func checkMessageModels(t *testing.T, s string, n int64) {
	t.Helper()
	if got, want := bodyLengthMessage(s, n), bodyLengthMessageModel(s, n); got != want {
		t.Fatalf("bodyLengthMessage(%q, %d) = %q, want %q", s, n, got, want)
	}
	d := time.Duration(n)
	if got, want := dateMessage(d, s, int(n>>8)), dateMessageModel(d, s, int(n>>8)); got != want {
		t.Fatalf("dateMessage(%v, %q, %d) = %q, want %q", d, s, n>>8, got, want)
	}
}

var verdictSeeds = []string{
	"CIP:2001:db8::1;CTRY:;SCL:5;SFV:SPM;CAT:PHSH;SFTY:9.19;", "SCL:x;SFV:nspm;CAT:none", "CAT:BULK", "SFV:;CAT:;SCL:",
	"CIP:192.0.2.1;CTRY:;LANG:en;SCL:1;SRV:;IPV:NLI;SFV:NSPM;H:mail.example;PTR:;CAT:NONE;SFS:(1)(2);DIR:INB;",
	"Anonymous", "INTERNAL", "partner", "External", "Yes", "yes", "NO", "No", "nO", "yeſ", "Yes, score=7.1 required=5.0 tests=A,B,\n\tC autolearn=no",
	"No, hits=-1.0 required=5.0", "***", "+++", "", " ", "Safe", "orgsafe", "MLX", "ſafe", "\u212a",
	"Yes score=1 required=2", "score=1", "Yes,", "yes , score= required=",
}

func TestVerdictModels(t *testing.T) {
	for _, s := range append(verdictSeeds, resultsValues(t)...) {
		checkVerdictModels(t, s)
	}
	for _, n := range []int64{0, 1, -1, 59e9, 61e9, 24 * 3600e9, -90061e9, 1 << 62, -1 << 63} {
		checkMessageModels(t, "a.example", n)
		checkMessageModels(t, "", n)
	}
}

// FuzzVerdictModels holds the vendor decoders and the finding messages to
// their models.
func FuzzVerdictModels(f *testing.F) {
	seedFields(f, "X-Forefront-Antispam-Report", "X-Microsoft-Antispam", "X-Spam-Status", "X-Spam-Flag", "X-Spam-Level",
		"X-MS-Exchange-Organization-AuthAs", "X-Proofpoint-Spam-Reason")
	for _, s := range verdictSeeds {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		checkVerdictModels(t, s)
		var n int64
		if len(s) >= 8 {
			for i := range 8 {
				n = n<<8 | int64(s[i])
			}
		}
		checkMessageModels(t, s, n)
	})
}
