package auth

import (
	"slices"
	"strconv"
	"strings"
)

// Verdict is one vendor's spam-filter header, decoded. The raw value is kept
// beside every decoded field; keys the decoder does not know are kept with
// an empty Meaning.
type Verdict struct {
	Vendor   string         // microsoft, spamassassin, gmail, yahoo, proofpoint, mimecast
	Header   string         // field name as written
	Position int            // index of the field in the header section
	Class    string         // normalised conclusion: spam, phish, bulk, malware, ham, or "" when the header says none
	Summary  string         // one line, e.g. "SCL 1: not spam"
	Fields   []VerdictField // decoded parts in order
	Trusted  bool           // written on the recipient's side
	Raw      string         // value unfolded
}

// VerdictField is one decoded part of a verdict header.
type VerdictField struct {
	Key     string
	Value   string // raw
	Meaning string // "" when unknown
}

// Verdict classes.
const (
	ClassSpam    = "spam"
	ClassPhish   = "phish"
	ClassBulk    = "bulk"
	ClassMalware = "malware"
	ClassHam     = "ham"
)

// vendorDecoder decodes one header's value into v.
type vendorDecoder struct {
	vendor string
	decode func(v *Verdict)
}

// vendorHeaders maps lower-case field names to their decoder.
var vendorHeaders = map[string]vendorDecoder{
	"x-forefront-antispam-report":           {"microsoft", decodeForefront},
	"x-forefront-antispam-report-untrusted": {"microsoft", decodeForefront},
	"x-microsoft-antispam":                  {"microsoft", decodeMicrosoftAntispam},
	"x-microsoft-antispam-untrusted":        {"microsoft", decodeMicrosoftAntispam},
	"x-ms-exchange-organization-scl":        {"microsoft", decodeOrgSCL},
	"x-ms-exchange-organization-pcl":        {"microsoft", decodeOrgNumber("PCL", pclMeaning)},
	"x-ms-exchange-organization-bcl":        {"microsoft", decodeOrgNumber("BCL", bclMeaning)},
	"x-ms-exchange-organization-authas":     {"microsoft", decodeAuthAs},
	"x-spam-status":                         {"spamassassin", decodeSpamStatus},
	"x-spam-flag":                           {"spamassassin", decodeSpamFlag},
	"x-spam-level":                          {"spamassassin", decodeSpamLevel},
	"x-spam-score":                          {"spamassassin", decodeSpamScore},
	"x-gm-spam":                             {"gmail", decodeFlag01("gmail spam verdict", ClassSpam)},
	"x-gm-phishy":                           {"gmail", decodeFlag01("gmail phishing verdict", ClassPhish)},
	"x-yahoofilteredbulk":                   {"yahoo", decodeYahooBulk},
	"x-yahoo-newman-property":               {"yahoo", decodeSingle("property", "Yahoo service that handled the message")},
	"x-proofpoint-spam-details":             {"proofpoint", decodeProofpoint},
	"x-proofpoint-spam-details-enc":         {"proofpoint", decodeSingle("details", "encoded rule details (opaque)")},
	"x-proofpoint-spam-reason":              {"proofpoint", decodeProofpointReason},
	"x-proofpoint-virus-version":            {"proofpoint", decodeKeyValueSpaces},
	"x-mimecast-spam-score":                 {"mimecast", decodeMimecastScore},
	"x-mimecast-spam-signature":             {"mimecast", decodeMimecastSignature},
	"x-mimecast-bulk-signature":             {"mimecast", decodeMimecastBulk},
	"x-mimecast-impersonation-protect":      {"mimecast", decodeMimecastImpersonation},
}

// DecodeVerdict decodes a vendor header; ok is false for a field name that
// is not a known verdict header.
func DecodeVerdict(name, value string) (Verdict, bool) {
	d, ok := lookupLower(vendorHeaders, name)
	if !ok {
		return Verdict{}, false
	}
	v := &Verdict{Vendor: d.vendor, Header: name, Raw: unfold(value)} // allocated only for a verdict header
	d.decode(v)
	return *v, true
}

func (v *Verdict) add(key, value, meaning string) {
	v.Fields = append(v.Fields, VerdictField{Key: key, Value: value, Meaning: meaning})
}

// ----- Microsoft -----
// Meanings from Microsoft Learn, "Anti-spam message headers in Microsoft 365"
// (X-Forefront-Antispam-Report, X-Microsoft-Antispam, SCL, BCL, PCL).

var forefrontKeys = map[string]string{
	"ARC":  "ARC protocol fields",
	"CAT":  "category of protection policy applied",
	"CIP":  "connecting IP address",
	"CTRY": "source country, from the connecting IP",
	"DIR":  "direction",
	"H":    "HELO/EHLO name of the connecting server",
	"IPV":  "IP reputation",
	"LANG": "language the message was written in",
	"MLV":  "",
	"PCL":  "phishing confidence level",
	"PTR":  "reverse DNS (PTR) of the connecting IP",
	"SCL":  "spam confidence level",
	"SFP":  "",
	"SFS":  "spam filter rules matched (opaque IDs)",
	"SFTY": "safety tip / impersonation",
	"SFV":  "spam filtering verdict",
	"SRV":  "",
}

var sfvMeaning = map[string]string{
	"BLK":  "skipped filtering: sender on the user's Blocked Senders list",
	"NSPM": "marked not spam by spam filtering",
	"SFE":  "skipped filtering: sender on the user's Safe Senders list",
	"SKA":  "skipped filtering: sender on an allow list in the anti-spam policy",
	"SKB":  "marked spam: sender on a block list in the anti-spam policy",
	"SKI":  "skipped filtering: intra-organisation message",
	"SKN":  "marked not spam before filtering (e.g. a mail flow rule)",
	"SKQ":  "released from quarantine",
	"SKS":  "marked spam before filtering (e.g. a mail flow rule)",
	"SPM":  "marked spam by spam filtering",
}

var catMeaning = map[string]string{
	"AMP":    "anti-malware",
	"BIMP":   "brand impersonation",
	"BULK":   "bulk",
	"DIMP":   "domain impersonation",
	"FTBP":   "anti-malware filter policy",
	"GIMP":   "mailbox intelligence impersonation",
	"HPHSH":  "high confidence phishing",
	"HPHISH": "high confidence phishing",
	"HSPM":   "high confidence spam",
	"INTOS":  "intra-organisation phishing",
	"MALW":   "malware",
	"NONE":   "no category",
	"OSPM":   "outbound spam",
	"PHSH":   "phishing",
	"SAP":    "Safe Attachments",
	"SPM":    "spam",
	"SPOOF":  "spoofing",
	"UIMP":   "user impersonation",
}

var ipvMeaning = map[string]string{
	"CAL": "skipped filtering: IP on an IP Allow List (connection filter)",
	"NLI": "IP not on any reputation list",
}

var dirMeaning = map[string]string{
	"INB": "inbound",
	"OUT": "outbound",
	"INT": "intra-organisation",
}

var sftyMeaning = map[string]string{
	"9.19": "domain impersonation",
	"9.20": "user impersonation",
	"9.25": "first contact safety tip",
}

// sclMeaning decodes a spam confidence level.
func sclMeaning(s string) string {
	n, err := strconv.Atoi(strings.TrimSpace(s))
	switch {
	case err != nil:
		return ""
	case n == -1:
		return "not spam: filtering skipped (trusted or allowed sender)"
	case n == 0 || n == 1:
		return "not spam"
	case n >= 2 && n <= 4:
		return "not spam (unused level)"
	case n == 5 || n == 6:
		return "spam"
	case n == 7 || n == 8:
		return "high confidence spam"
	case n == 9:
		return "high confidence spam"
	}
	return "out of range"
}

func sclClass(s string) string {
	n, err := strconv.Atoi(strings.TrimSpace(s))
	switch {
	case err != nil:
		return ""
	case n >= 5:
		return ClassSpam
	default:
		return ClassHam
	}
}

func bclMeaning(s string) string {
	n, err := strconv.Atoi(strings.TrimSpace(s))
	switch {
	case err != nil:
		return ""
	case n == 0:
		return "not from a bulk sender"
	case n >= 1 && n <= 3:
		return "bulk sender with few complaints"
	case n >= 4 && n <= 7:
		return "bulk sender with a mixed number of complaints"
	case n >= 8 && n <= 9:
		return "bulk sender with many complaints"
	}
	return "out of range"
}

func pclMeaning(s string) string {
	n, err := strconv.Atoi(strings.TrimSpace(s))
	switch {
	case err != nil:
		return ""
	case n >= 0 && n <= 3:
		return "content unlikely to be phishing"
	case n >= 4 && n <= 8:
		return "content likely to be phishing"
	}
	return "out of range"
}

// splitPairs splits "K:V;K:V" (sep ':' ) or "K=V;..." lists; the
// separators are ASCII.
func splitPairs(s string, fieldSep, kvSep byte) [][2]string {
	out := make([][2]string, 0, strings.Count(s, string(rune(fieldSep)))+1)
	for rest, more := s, true; more; {
		var part string
		part, rest, more = cutByte(rest, fieldSep)
		if !trimmed(part) {
			part = strings.TrimSpace(part)
		}
		if part == "" {
			continue
		}
		k, v, _ := cutByte(part, kvSep)
		if !trimmed(k) {
			k = strings.TrimSpace(k)
		}
		if !trimmed(v) {
			v = strings.TrimSpace(v)
		}
		out = append(out, [2]string{k, v})
	}
	return out
}

// ParseForefront decodes an X-Forefront-Antispam-Report value:
// "CIP:192.0.2.1;CTRY:;LANG:en;SCL:1;SRV:;IPV:NLI;SFV:NSPM;H:...;PTR:...;CAT:NONE;SFS:(...)(...);DIR:INB;".
func ParseForefront(value string) Verdict {
	v := Verdict{Vendor: "microsoft", Header: "X-Forefront-Antispam-Report", Raw: unfold(value)}
	decodeForefront(&v)
	return v
}

func decodeForefront(v *Verdict) {
	var scl, sfv, cat string
	pairs := splitPairs(v.Raw, ';', ':')
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
	// "SCL 1: not spam; SFV NSPM (meaning); CAT BULK (meaning)", written
	// at once: one allocation
	sclM, sfvM, catM := sclMeaning(scl), sfvMeaning[sfv], catMeaning[cat]
	var b strings.Builder
	if scl != "" || sfv != "" || cat != "" {
		b.Grow(len(scl) + len(sclM) + len(sfv) + len(sfvM) + len(cat) + len(catM) + 3*len("; SCL  ()"))
	}
	part := func(name, val string) {
		if b.Len() > 0 {
			b.WriteString("; ")
		}
		b.WriteString(name)
		b.WriteString(val)
	}
	meaning := func(m string) { // sfx(m)
		if m != "" {
			b.WriteString(" (")
			b.WriteString(m)
			b.WriteByte(')')
		}
	}
	if scl != "" {
		part("SCL ", scl)
		b.WriteString(": ")
		b.WriteString(sclM)
	}
	if sfv != "" {
		part("SFV ", sfv)
		meaning(sfvM)
	}
	if cat != "" && cat != "NONE" {
		part("CAT ", cat)
		meaning(catM)
	}
	v.Summary = b.String()
}

func decodeMicrosoftAntispam(v *Verdict) {
	pairs := splitPairs(v.Raw, ';', ':')
	v.Fields = slices.Grow(v.Fields, len(pairs))
	for _, kv := range pairs {
		key := strings.ToUpper(kv[0])
		meaning := ""
		switch key {
		case "BCL":
			meaning = join("bulk complaint level", bclMeaning(kv[1]))
			v.Summary = "BCL " + kv[1] + sfx(bclMeaning(kv[1]))
			if n, err := strconv.Atoi(kv[1]); err == nil && n >= 4 {
				v.Class = ClassBulk
			}
		case "PCL":
			meaning = join("phishing confidence level", pclMeaning(kv[1]))
		case "ARA":
			meaning = "anti-spam rule IDs (opaque)"
		}
		v.add(kv[0], kv[1], meaning)
	}
}

func decodeOrgSCL(v *Verdict) {
	m := sclMeaning(v.Raw)
	v.add("SCL", v.Raw, join("spam confidence level", m))
	v.Summary = "SCL " + v.Raw + sfx(m)
	v.Class = sclClass(v.Raw)
}

func decodeOrgNumber(name string, meaning func(string) string) func(v *Verdict) {
	return func(v *Verdict) {
		m := meaning(v.Raw)
		v.add(name, v.Raw, m)
		v.Summary = name + " " + v.Raw + sfx(m)
	}
}

func decodeAuthAs(v *Verdict) {
	m := ""
	switch {
	case lowerIs(v.Raw, "anonymous"):
		m = "sender not authenticated: came from outside the organisation"
	case lowerIs(v.Raw, "internal"):
		m = "authenticated inside the organisation"
	case lowerIs(v.Raw, "partner"):
		m = "authenticated as a partner organisation"
	case lowerIs(v.Raw, "external"):
		m = "authenticated as an external sender"
	}
	v.add("AuthAs", v.Raw, m)
	v.Summary = "AuthAs " + v.Raw + sfx(m)
}

// ----- SpamAssassin (Mail::SpamAssassin::Conf add_header defaults) -----

// ParseSpamStatus decodes "Yes, score=7.1 required=5.0 tests=A,B autolearn=no version=3.4.6"
// (older versions write hits= for score=).
func ParseSpamStatus(value string) Verdict {
	v := Verdict{Vendor: "spamassassin", Header: "X-Spam-Status", Raw: unfold(value)}
	decodeSpamStatus(&v)
	return v
}

func decodeSpamStatus(v *Verdict) {
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
	var buf [32]string // the words, on the stack for all but the longest values
	words := appendFields(buf[:0], rest)
	n := len(words) // to allocate the fields once
	if meaning != "" {
		v.Class = class
		v.Fields = make([]VerdictField, 0, 1+n)
		v.add("flag", flag, meaning)
	} else {
		v.Fields = slices.Grow(v.Fields, n)
	}
	var score, required string
	for _, w := range words {
		k, val, ok := cutByte(w, '=')
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

func decodeSpamFlag(v *Verdict) {
	switch {
	case upperIs(v.Raw, "YES"):
		v.Class = ClassSpam
		v.add("flag", v.Raw, "spam")
	case upperIs(v.Raw, "NO"):
		v.Class = ClassHam
		v.add("flag", v.Raw, "not spam")
	default:
		v.add("flag", v.Raw, "")
	}
	v.Summary = v.Raw
}

func decodeSpamLevel(v *Verdict) {
	n := strings.Count(v.Raw, "*")
	if n == 0 {
		n = strings.Count(v.Raw, "+") // some sites configure another character
	}
	m := "score of at least " + strconv.Itoa(n) + " (one character per point)"
	v.add("level", v.Raw, m)
	v.Summary = "level " + strconv.Itoa(n)
}

func decodeSpamScore(v *Verdict) {
	v.add("score", v.Raw, "total score")
	v.Summary = "score " + v.Raw
}

// ----- Gmail, Yahoo -----

func decodeFlag01(what, class string) func(v *Verdict) {
	return func(v *Verdict) {
		m := ""
		switch strings.TrimSpace(v.Raw) {
		case "0":
			m = "no"
			v.Class = ClassHam
		case "1":
			m = "yes"
			v.Class = class
		}
		v.add("value", v.Raw, join(what, m))
		v.Summary = join(what, m)
	}
}

func decodeYahooBulk(v *Verdict) {
	v.add("ip", v.Raw, "Yahoo filtered the message as bulk; the value is the connecting IP")
	v.Class = ClassBulk
	v.Summary = "filtered as bulk (from " + v.Raw + ")"
}

func decodeSingle(key, meaning string) func(v *Verdict) {
	return func(v *Verdict) {
		v.add(key, v.Raw, meaning)
		v.Summary = v.Raw
	}
}

// ----- Proofpoint -----

var proofpointKeys = map[string]string{
	"rule":             "rule that decided (notspam, spam, bulk...)",
	"policy":           "policy applied",
	"score":            "overall score",
	"spamscore":        "spam score (0-100)",
	"phishscore":       "phishing score (0-100)",
	"malwarescore":     "malware score (0-100)",
	"bulkscore":        "bulk score (0-100)",
	"adultscore":       "adult content score (0-100)",
	"suspectscore":     "suspect score (0-100)",
	"impostorscore":    "impostor (BEC) score (0-100)",
	"mlxscore":         "machine learning score",
	"mlxlogscore":      "machine learning log score",
	"clxscore":         "classifier score (sender reputation)",
	"lowpriorityscore": "low priority score",
	"priorityscore":    "priority score",
	"classifier":       "classifier that decided",
	"adjust":           "score adjustment",
	"reason":           "reason for the rule",
	"scancount":        "times scanned",
	"engine":           "engine version",
	"definitions":      "definitions version",
	"vendor":           "anti-virus vendor",
	"signatures":       "anti-virus signatures matched",
}

func decodeProofpoint(v *Verdict) {
	decodeKeyValueSpaces(v)
	for _, f := range v.Fields {
		if f.Key != "rule" {
			continue
		}
		r := toLower(f.Value)
		switch {
		case strings.Contains(r, "notspam") || r == "safe":
			v.Class = ClassHam
		case strings.Contains(r, "phish") || strings.Contains(r, "impostor"):
			v.Class = ClassPhish
		case strings.Contains(r, "bulk"):
			v.Class = ClassBulk
		case strings.Contains(r, "malware") || strings.Contains(r, "virus"):
			v.Class = ClassMalware
		case strings.Contains(r, "spam"):
			v.Class = ClassSpam
		}
		v.Summary = "rule " + f.Value
	}
}

func decodeKeyValueSpaces(v *Verdict) {
	var buf [32]string // the words, on the stack for all but the longest values
	words := appendFields(buf[:0], v.Raw)
	v.Fields = slices.Grow(v.Fields, len(words)) // allocated once
	for _, w := range words {
		k, val, ok := cutByte(w, '=')
		if !ok {
			v.add("", w, "")
			continue
		}
		v.add(k, val, proofpointKeys[toLower(k)])
	}
}

func decodeProofpointReason(v *Verdict) {
	m := ""
	switch {
	case lowerIs(v.Raw, "safe"):
		m = "allowed: sender on a safe list"
	case lowerIs(v.Raw, "orgsafe"):
		m = "allowed: sender on an organisation safe list"
	case lowerIs(v.Raw, "mlx"):
		m = "decided by machine learning"
	}
	v.add("reason", v.Raw, m)
	v.Summary = v.Raw + sfx(m)
}

// ----- Mimecast -----

func decodeMimecastScore(v *Verdict) {
	v.add("score", v.Raw, "spam score (higher is more likely spam)")
	v.Summary = "spam score " + v.Raw
}

func decodeMimecastSignature(v *Verdict) {
	v.add("signature", v.Raw, "spam signature matched")
	v.Summary = v.Raw
	if strings.Contains(toLower(v.Raw), "bulk") {
		v.Class = ClassBulk
	}
}

func decodeMimecastBulk(v *Verdict) {
	v.add("signature", v.Raw, "bulk signature matched")
	v.Summary = v.Raw
	v.Class = ClassBulk
}

// decodeMimecastImpersonation reads "Policy=...;Similar Internal Domain=false;...".
func decodeMimecastImpersonation(v *Verdict) {
	var hits []string
	for _, kv := range splitPairs(v.Raw, ';', '=') {
		m := ""
		switch toLower(kv[1]) {
		case "true":
			m = "indicator hit"
			hits = append(hits, kv[0])
		case "false":
			m = "indicator not hit"
		}
		if strings.EqualFold(kv[0], "policy") {
			m = "impersonation protection policy"
		}
		v.add(kv[0], kv[1], m)
	}
	if len(hits) > 0 {
		v.Class = ClassPhish
		v.Summary = "impersonation indicators: " + strings.Join(hits, ", ")
	} else {
		v.Summary = "no impersonation indicator"
	}
}

// appendFields appends to dst the words of s as strings.Fields splits
// them, reading ASCII text by table, without decoding runes.
func appendFields(dst []string, s string) []string {
	if !isASCII(s) {
		for w := range strings.FieldsSeq(s) {
			dst = append(dst, w)
		}
		return dst
	}
	for i := 0; i < len(s); {
		for i < len(s) && keepByte[s[i]] == 0 { // white space, s being ASCII
			i++
		}
		start := i
		for i < len(s) && keepByte[s[i]] != 0 {
			i++
		}
		if start < i {
			dst = append(dst, s[start:i])
		}
	}
	return dst
}

func join(a, b string) string {
	switch {
	case a == "":
		return b
	case b == "":
		return a
	}
	return a + ": " + b
}

func sfx(meaning string) string {
	if meaning == "" {
		return ""
	}
	return " (" + meaning + ")"
}
