package auth

import (
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"
)

// ErrTagList is wrapped by the errors of ParseTagList.
var ErrTagList = errors.New("auth: malformed tag list")

// Tag is one tag=value pair of a DKIM tag list.
type Tag struct {
	Name, Value string
}

// ParseTagList reads a DKIM tag list (RFC 6376 §3.2): "tag=value" pairs
// separated by ';', white space around them ignored (white space inside a
// value is kept: whether it matters depends on the tag). It returns every
// pair it could read beside the first error (a pair without '=', an empty or
// duplicate tag name).
func ParseTagList(s string) ([]Tag, error) {
	return parseTagList(s, nil)
}

// parseTagList is ParseTagList appending to tags, which is empty: the
// parsers of this file pass a buffer on the stack, as they keep none of
// the list.
func parseTagList(s string, tags []Tag) ([]Tag, error) {
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
				_, dup = tagValue(tags, name)
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

// tagValue returns the value of the first tag with the name: what a map of
// the list would hold (a repeated tag is an error, the first one counts).
func tagValue(tags []Tag, name string) (string, bool) {
	for _, t := range tags {
		if t.Name == name {
			return t.Value, true
		}
	}
	return "", false
}

// DKIMSignature summarises one DKIM-Signature field (RFC 6376 §3.5). The
// signature itself (b=) and body hash (bh=) are not kept: only whether they
// are there.
type DKIMSignature struct {
	Position         int       // index of the field in the header section
	Version          string    // v=
	Algorithm        string    // a=, e.g. rsa-sha256
	Canonicalization string    // c=, e.g. relaxed/relaxed
	Domain           string    // d= (SDID)
	Selector         string    // s=
	Identity         string    // i= (AUID)
	Headers          []string  // h=, lower case, in order
	BodyLength       *int64    // l=: only this many body bytes are signed
	Timestamp        time.Time // t=, zero when absent
	Expiration       time.Time // x=, zero when absent
	HasSignature     bool      // b= non-empty
	HasBodyHash      bool      // bh= non-empty
	Error            string    // what is malformed, "" when nothing
	Raw              string    // value unfolded
}

// dkimRequired are the tags RFC 6376 §3.5 makes mandatory.
var dkimRequired = []string{"v", "a", "b", "bh", "d", "h", "s"}

// ParseDKIMSignature summarises a DKIM-Signature value. It never fails:
// problems are in Error beside the best-effort summary.
func ParseDKIMSignature(value string) DKIMSignature {
	return parseDKIMSignature(value, unfold(value))
}

// parseDKIMSignature is ParseDKIMSignature with the value unfolded given.
func parseDKIMSignature(value, raw string) DKIMSignature {
	sig := DKIMSignature{Raw: raw}
	var buf [24]Tag
	tags, err := parseTagList(value, buf[:0])
	var problems []string
	if err != nil {
		problems = append(problems, err.Error())
	}
	for _, t := range dkimRequired {
		if _, ok := tagValue(tags, t); !ok {
			problems = append(problems, "missing "+t+"=")
		}
	}
	tag := func(name string) string {
		v, _ := tagValue(tags, name)
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
	sig.Headers = headerList(tag("h"))
	if v, ok := tagValue(tags, "l"); ok {
		n, err := strconv.ParseInt(stripWS(v), 10, 64)
		if err != nil || n < 0 {
			problems = append(problems, fmt.Sprintf("l=%q is not a length", truncate(v, 20)))
		} else {
			sig.BodyLength = &n
		}
	}
	sig.Timestamp = unixTag(tags, "t", &problems)
	sig.Expiration = unixTag(tags, "x", &problems)
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

// headerList reads h=: the names lower case, white space removed, empty
// ones dropped; nil when there is none.
func headerList(h string) []string {
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
	h = lowerStripASCII(h)
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

// lowerStripASCII is strings.ToLower(stripWS(s)) for ASCII s, with one
// copy at most.
func lowerStripASCII(s string) string {
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

// isWS is the white space stripWS removes.
func isWS(c byte) bool { return c == ' ' || c == '\t' || c == '\r' || c == '\n' }

// onlyWS reports whether stripWS(s) == "".
func onlyWS(s string) bool {
	for i := 0; i < len(s); i++ {
		if !isWS(s[i]) {
			return false
		}
	}
	return true
}

func unixTag(tags []Tag, name string, problems *[]string) time.Time {
	v, ok := tagValue(tags, name)
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

// ARCSeal summarises one ARC-Seal field (RFC 8617 §4.1.3).
type ARCSeal struct {
	Position int    // index of the field in the header section
	Instance int    // i=
	CV       string // cv=: none | pass | fail, the chain status this sealer saw
	Domain   string // d=
	Selector string // s=
	Trusted  bool   // written on the recipient's side
	Error    string
	Raw      string
}

// ParseARCSeal summarises an ARC-Seal value; it never fails.
func ParseARCSeal(value string) ARCSeal {
	return parseARCSeal(value, unfold(value))
}

// parseARCSeal is ParseARCSeal with the value unfolded given.
func parseARCSeal(value, raw string) ARCSeal {
	s := ARCSeal{Raw: raw}
	var buf [16]Tag
	tags, err := parseTagList(value, buf[:0])
	if err != nil {
		s.Error = err.Error()
	}
	tag := func(name string) string {
		v, _ := tagValue(tags, name)
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

// stripWS removes all white space (RFC 6376 §3.2: FWS inside values).
func stripWS(s string) string {
	if !strings.ContainsAny(s, " \t\r\n") {
		return s
	}
	return strings.Map(func(r rune) rune {
		if r == ' ' || r == '\t' || r == '\r' || r == '\n' {
			return -1
		}
		return r
	}, s)
}

// truncate shortens s to at most n bytes without splitting a UTF-8 sequence.
func truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	for n > 0 && !utf8.RuneStart(s[n]) {
		n--
	}
	return s[:n] + "..."
}

func containsString(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}
