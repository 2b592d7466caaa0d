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
	var tags []Tag
	var err error
	seen := map[string]bool{}
	for _, part := range strings.Split(s, ";") {
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
		if seen[name] && err == nil {
			err = fmt.Errorf("%w: tag %q repeated", ErrTagList, name)
		}
		seen[name] = true
		tags = append(tags, Tag{Name: name, Value: strings.TrimSpace(value)})
	}
	return tags, err
}

func tagMap(tags []Tag) map[string]string {
	m := make(map[string]string, len(tags))
	for _, t := range tags {
		if _, ok := m[t.Name]; !ok {
			m[t.Name] = t.Value
		}
	}
	return m
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
	sig := DKIMSignature{Raw: unfold(value)}
	tags, err := ParseTagList(value)
	var problems []string
	if err != nil {
		problems = append(problems, err.Error())
	}
	m := tagMap(tags)
	for _, t := range dkimRequired {
		if _, ok := m[t]; !ok {
			problems = append(problems, "missing "+t+"=")
		}
	}
	sig.Version = m["v"]
	sig.Algorithm = strings.ToLower(stripWS(m["a"]))
	sig.Canonicalization = strings.ToLower(stripWS(m["c"]))
	sig.Domain = strings.ToLower(strings.TrimSuffix(stripWS(m["d"]), "."))
	sig.Selector = stripWS(m["s"])
	sig.Identity = stripWS(m["i"])
	sig.HasSignature = stripWS(m["b"]) != ""
	sig.HasBodyHash = stripWS(m["bh"]) != ""
	for _, h := range strings.Split(m["h"], ":") {
		if h = strings.ToLower(stripWS(h)); h != "" {
			sig.Headers = append(sig.Headers, h)
		}
	}
	if v, ok := m["l"]; ok {
		n, err := strconv.ParseInt(stripWS(v), 10, 64)
		if err != nil || n < 0 {
			problems = append(problems, fmt.Sprintf("l=%q is not a length", truncate(v, 20)))
		} else {
			sig.BodyLength = &n
		}
	}
	sig.Timestamp = unixTag(m, "t", &problems)
	sig.Expiration = unixTag(m, "x", &problems)
	if sig.Domain != "" && sig.Identity != "" {
		// RFC 6376 §3.5 i=: the AUID's domain is d= or a subdomain of it.
		_, dom, _ := strings.Cut(sig.Identity, "@")
		dom = strings.ToLower(dom)
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

func unixTag(m map[string]string, name string, problems *[]string) time.Time {
	v, ok := m[name]
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
	s := ARCSeal{Raw: unfold(value)}
	tags, err := ParseTagList(value)
	if err != nil {
		s.Error = err.Error()
	}
	m := tagMap(tags)
	s.Instance, _ = strconv.Atoi(stripWS(m["i"]))
	s.CV = strings.ToLower(stripWS(m["cv"]))
	s.Domain = strings.ToLower(stripWS(m["d"]))
	s.Selector = stripWS(m["s"])
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
