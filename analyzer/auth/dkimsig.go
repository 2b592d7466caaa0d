package auth

import (
	"encoding/binary"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/mailtrace/mailtrace/internal/swar"
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
// tests pass a buffer on the stack.
func parseTagList(s string, tags []Tag) ([]Tag, error) {
	r := tagReader{rest: s, more: true}
	for {
		name, value, ok := r.next()
		if !ok {
			return tags, r.err
		}
		if tags == nil {
			n := 1 // this pair and, when more, the parts of rest
			if r.more {
				n += strings.Count(r.rest, ";") + 1
			}
			tags = make([]Tag, 0, n)
		}
		tags = append(tags, Tag{Name: name, Value: value})
	}
}

// tagReader reads a tag list one pair at a time, as ParseTagList splits
// it: the readers of this file take the tags they want as they come
// rather than collect the list and search it once per tag.
type tagReader struct {
	rest string
	more bool    // rest is still to read
	err  error   // the first error, as ParseTagList returns it
	seen tagSeen // the names read so far, for the repeated-tag error
}

// next returns the next well-formed pair, value trimmed; ok is false at
// the end. A part without '=' or with an empty or spaced name is skipped
// (the first such part, or the first repeated name, sets err).
func (r *tagReader) next() (name, value string, ok bool) {
	for r.more {
		var part string
		part, r.rest, r.more = cutByte(r.rest, ';')
		if !trimmed(part) {
			// Most parts but the first start with the space after the
			// ';' before them: stepped over before the full trim.
			if part = skipWS(part); !trimmed(part) {
				part = strings.TrimSpace(part)
			}
		}
		if part == "" {
			continue
		}
		name, value, ok = cutEqual(part)
		if !trimmed(name) {
			name = strings.TrimSpace(name)
		}
		if !ok || name == "" || hasWS(name) {
			if r.err == nil {
				r.err = fmt.Errorf("%w: %q is not tag=value", ErrTagList, truncate(part, 40))
			}
			continue
		}
		// Only the first error is told: no need to look once there is one.
		if r.err == nil && r.seen.add(name) {
			r.err = fmt.Errorf("%w: tag %q repeated", ErrTagList, name)
		}
		if !trimmed(value) {
			value = strings.TrimSpace(value)
		}
		return name, value, true
	}
	return "", "", false
}

// skipWS returns s after the white space stripWS removes at its start:
// what strings.TrimSpace trims first, and then TrimSpace(skipWS(s)) is
// TrimSpace(s).
func skipWS(s string) string {
	for len(s) > 0 && isWS(s[0]) {
		s = s[1:]
	}
	return s
}

// cutEqual is cutByte(part, '=') for a tag: its name is a few bytes, which
// a loop reads sooner than strings.IndexByte is called.
func cutEqual(part string) (name, value string, found bool) {
	for i := 0; i < len(part); i++ {
		if part[i] == '=' {
			return part[:i], part[i+1:], true
		}
	}
	return part, "", false
}

// hasWS reports whether s holds white space stripWS removes, eight bytes
// at a time: only a word with a byte below '!' is read byte by byte.
func hasWS(s string) bool {
	for ; len(s) >= 8; s = s[8:] {
		if w := swar.Load(s); (w-belowBang)&^w&swar.Hi != 0 && hasWSBytes(s[:8]) {
			return true
		}
	}
	return hasWSBytes(s)
}

// hasWSBytes is hasWS a byte at a time.
func hasWSBytes(s string) bool {
	for i := 0; i < len(s); i++ {
		if isWS(s[i]) {
			return true
		}
	}
	return false
}

// tagSeen is the set of tag names read: a bit for the one-letter names
// and bh= and cv= that DKIM-Signature and ARC-Seal use (RFC 6376 §3.5,
// RFC 8617 §4.1.3), the few others in a list, a map past that.
type tagSeen struct {
	bits   uint32
	others [4]string
	n      int
	more   map[string]bool
}

// add adds name to the set; dup reports it was there.
func (s *tagSeen) add(name string) (dup bool) {
	if b := tagBit(name); b >= 0 {
		dup = s.bits&(1<<b) != 0
		s.bits |= 1 << b
		return dup
	}
	for _, o := range s.others[:s.n] {
		if o == name {
			return true
		}
	}
	if s.n < len(s.others) {
		s.others[s.n] = name
		s.n++
		return false
	}
	if s.more == nil {
		s.more = make(map[string]bool)
	}
	dup = s.more[name]
	s.more[name] = true
	return dup
}

// tagBit numbers the tag names tagSeen keeps as bits: 0-25 for a-z, 26
// for bh, 27 for cv; -1 for another name. Names are case-sensitive (RFC
// 6376 §3.2).
func tagBit(name string) int {
	switch {
	case len(name) == 1 && 'a' <= name[0] && name[0] <= 'z':
		return int(name[0] - 'a')
	case name == "bh":
		return 26
	case name == "cv":
		return 27
	}
	return -1
}

// tagValues are the values of the first tags with the names tagBit
// numbers, as a reader of the list keeps them.
type tagValues struct {
	have uint32
	vals [28]string
}

// read reads the tag list s, keeping the first value of each name tagBit
// numbers, and returns the list's error.
func (t *tagValues) read(s string) error {
	r := tagReader{rest: s, more: true}
	for {
		name, value, ok := r.next()
		if !ok {
			return r.err
		}
		if b := tagBit(name); b >= 0 && t.have&(1<<b) == 0 {
			t.have |= 1 << b
			t.vals[b] = value
		}
	}
}

// get returns the value of the first tag named by bit b, and whether
// there is one.
func (t *tagValues) get(b int) (string, bool) {
	return t.vals[b], t.have&(1<<b) != 0
}

// Bits of tagBit for the tags read.
const (
	tagA  = 0 // 'a' - 'a', which staticcheck takes for a slip (SA4000)
	tagB  = 'b' - 'a'
	tagC  = 'c' - 'a'
	tagD  = 'd' - 'a'
	tagH  = 'h' - 'a'
	tagI  = 'i' - 'a'
	tagL  = 'l' - 'a'
	tagS  = 's' - 'a'
	tagT  = 't' - 'a'
	tagV  = 'v' - 'a'
	tagX  = 'x' - 'a'
	tagBH = 26
	tagCV = 27
)

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

// dkimRequired are the tags RFC 6376 §3.5 makes mandatory, in the order
// their absence is told.
var dkimRequired = [...]struct {
	name string
	bit  int
}{{"v", tagV}, {"a", tagA}, {"b", tagB}, {"bh", tagBH}, {"d", tagD}, {"h", tagH}, {"s", tagS}}

// ParseDKIMSignature summarises a DKIM-Signature value. It never fails:
// problems are in Error beside the best-effort summary.
func ParseDKIMSignature(value string) DKIMSignature {
	return parseDKIMSignature(value, unfold(value))
}

// parseDKIMSignature is ParseDKIMSignature with the value unfolded given.
func parseDKIMSignature(value, raw string) DKIMSignature {
	sig := DKIMSignature{Raw: raw}
	var tags tagValues
	err := tags.read(value)
	var buf [4]string // the problems, on the stack for the usual few
	problems := buf[:0]
	if err != nil {
		problems = append(problems, err.Error())
	}
	for _, t := range dkimRequired {
		if _, ok := tags.get(t.bit); !ok {
			problems = append(problems, "missing "+t.name+"=")
		}
	}
	sig.Version = tags.vals[tagV]
	sig.Algorithm = toLower(stripWS(tags.vals[tagA]))
	sig.Canonicalization = toLower(stripWS(tags.vals[tagC]))
	sig.Domain = toLower(strings.TrimSuffix(stripWS(tags.vals[tagD]), "."))
	sig.Selector = stripWS(tags.vals[tagS])
	sig.Identity = stripWS(tags.vals[tagI])
	sig.HasSignature = !onlyWS(tags.vals[tagB]) // not stripWS: b= is long, and only its presence counts
	sig.HasBodyHash = !onlyWS(tags.vals[tagBH])
	sig.Headers = headerList(tags.vals[tagH])
	if v, ok := tags.get(tagL); ok {
		n, err := strconv.ParseInt(stripWS(v), 10, 64)
		if err != nil || n < 0 {
			problems = append(problems, fmt.Sprintf("l=%q is not a length", truncate(v, 20)))
		} else {
			sig.BodyLength = &n
		}
	}
	sig.Timestamp = unixTag(&tags, tagT, &problems)
	sig.Expiration = unixTag(&tags, tagX, &problems)
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
		name, rest, more = cutByte(rest, ':')
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
// copy at most, made on the stack for the usual lengths. h= lists are
// long (hundreds of bytes when a signer lists every field twice), so the
// copy goes eight bytes at a time where they hold no white space.
func lowerStripASCII(s string) string {
	i := 0
	for i < len(s) && !isWS(s[i]) && (s[i] < 'A' || s[i] > 'Z') {
		i++
	}
	if i == len(s) {
		return s
	}
	var buf [512]byte
	var b []byte
	if len(s) <= len(buf) {
		b = buf[:len(s)]
	} else {
		b = make([]byte, len(s)) // escapes: string(b) copies either way
	}
	n := copy(b, s[:i])
	for i+8 <= len(s) {
		// No byte below '!' (no white space): the eight lower-cased at once.
		if w := swar.Load(s[i:]); (w-belowBang)&^w&swar.Hi == 0 {
			binary.LittleEndian.PutUint64(b[n:], lowerWord(w))
			i, n = i+8, n+8
			continue
		}
		for end := i + 8; i < end; i++ {
			if c := s[i]; !isWS(c) {
				b[n] = lowerASCII(c)
				n++
			}
		}
	}
	for ; i < len(s); i++ {
		if c := s[i]; !isWS(c) {
			b[n] = lowerASCII(c)
			n++
		}
	}
	return string(b[:n])
}

// belowBang is '!' in each byte: a word w of ASCII bytes has a byte below
// it where (w-belowBang)&^w has a high bit set.
const belowBang = 0x2121212121212121

// lowerASCII lower-cases an ASCII letter.
func lowerASCII(c byte) byte {
	if 'A' <= c && c <= 'Z' {
		c += 'a' - 'A'
	}
	return c
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

// unixTag reads the seconds since the epoch of the tag numbered b (named
// name) when there is one, adding a problem when they are not a time.
func unixTag(tags *tagValues, b int, problems *[]string) time.Time {
	v, ok := tags.get(b)
	if !ok {
		return time.Time{}
	}
	n, err := strconv.ParseInt(stripWS(v), 10, 64)
	if err != nil || n < 0 || n > 1<<40 {
		*problems = append(*problems, fmt.Sprintf("%c=%q is not a time", 'a'+b, truncate(v, 20)))
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
	var tags tagValues
	if err := tags.read(value); err != nil {
		s.Error = err.Error()
	}
	s.Instance, _ = strconv.Atoi(stripWS(tags.vals[tagI]))
	s.CV = toLower(stripWS(tags.vals[tagCV]))
	s.Domain = toLower(stripWS(tags.vals[tagD]))
	s.Selector = stripWS(tags.vals[tagS])
	if s.Instance < 1 || s.Instance > 50 { // RFC 8617 §4.2.1
		s.Error = strings.TrimPrefix(s.Error+"; i= is not an instance 1..50", "; ")
		s.Instance = 0
	}
	return s
}

// stripWS removes all white space (RFC 6376 §3.2: FWS inside values).
func stripWS(s string) string {
	if !hasWS(s) { // the usual case, without strings.ContainsAny's search for four bytes
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
