package analyzer

import (
	"strings"

	"github.com/mailtrace/mailtrace/analyzer/header"
	"github.com/mailtrace/mailtrace/internal/swar"
)

// fieldKind names a header field the analysis looks up by name.
type fieldKind uint8

const (
	fieldOther fieldKind = iota
	fieldReceived
	fieldMessageID
	fieldDate
	fieldFrom
	fieldTo
	fieldSubject
	fieldReturnPath
	fieldReplyTo
	// fieldClientIP is the first of len(clientIPHeaders) kinds, one per
	// client-IP header in clientIPHeaders order.
	fieldClientIP
	numFieldKinds = fieldClientIP + fieldKind(len(clientIPHeaders))
)

// fieldNames holds each kind's field name; fieldOther has none.
var fieldNames = func() (n [numFieldKinds]string) {
	n[fieldReceived] = "Received"
	n[fieldMessageID] = "Message-ID"
	n[fieldDate] = "Date"
	n[fieldFrom] = "From"
	n[fieldTo] = "To"
	n[fieldSubject] = "Subject"
	n[fieldReturnPath] = "Return-Path"
	n[fieldReplyTo] = "Reply-To"
	for i, name := range clientIPHeaders {
		n[fieldClientIP+fieldKind(i)] = name
	}
	return n
}()

// kindsByLen lists the kinds whose (ASCII) name is that many bytes long.
var kindsByLen = func() (m [][]fieldKind) {
	for k := fieldOther + 1; k < numFieldKinds; k++ {
		n := len(fieldNames[k])
		for len(m) <= n {
			m = append(m, nil)
		}
		m[n] = append(m[n], k)
	}
	return m
}()

// classifyField returns the kind of a field named name, compared as
// strings.EqualFold does (FuzzClassifyField holds it to that, and
// FuzzNamesOld to classifyFieldOld, the version before this).
// Every known name is ASCII, and an ASCII name can only fold-equal an
// ASCII name of the same length, so a name is first compared, ASCII
// letters folded, with the known names of its length alone: a match means
// an ASCII name, which then fold-equals no other. Only a name that matches
// none and has other bytes (U+017F ſ folds to s, U+212A K to k) is
// compared with them all as EqualFold compares.
func classifyField(name string) fieldKind {
	if len(name) < len(kindsByLen) {
		for _, k := range kindsByLen[len(name)] {
			if lowerEqual(name, lowerNames[k]) {
				return k
			}
		}
	}
	if isASCII(name) {
		return fieldOther
	}
	for k := fieldOther + 1; k < numFieldKinds; k++ {
		if strings.EqualFold(name, fieldNames[k]) {
			return k
		}
	}
	return fieldOther
}

// lowerNames holds fieldNames in lower case.
var lowerNames = func() (n [numFieldKinds]string) {
	for k, name := range fieldNames {
		n[k] = strings.ToLower(name)
	}
	return n
}()

// lowerEqual reports whether s with its ASCII capitals lowered is lower,
// a lower-case ASCII name of the same length. A byte from 0x80 up matches
// nothing in lower.
func lowerEqual(s, lower string) bool {
	if len(s) != len(lower) {
		return false
	}
	for i := 0; i < len(s); i++ {
		if asciiLower[s[i]] != lower[i] {
			return false
		}
	}
	return true
}

// asciiLower maps 'A' to 'Z' to lower case and every other byte to itself.
var asciiLower = func() (t [256]byte) {
	for c := range t {
		t[c] = byte(c)
		if c >= 'A' && c <= 'Z' {
			t[c] += 'a' - 'A'
		}
	}
	return t
}()

// isASCII reports whether s holds no byte from 0x80 up, eight at a time.
func isASCII(s string) bool {
	i := 0
	for ; i+8 <= len(s); i += 8 {
		if swar.Load(s[i:])&swar.Hi != 0 {
			return false
		}
	}
	for ; i < len(s); i++ {
		if s[i] >= 0x80 {
			return false
		}
	}
	return true
}

// fieldIndex classifies a header's field names once, so the stages that
// look fields up by name (summarize, parseHops, findClientIP) do not each
// compare every name again.
type fieldIndex struct {
	h     header.Header
	kinds []fieldKind        // kinds[i] is h[i]'s kind
	first [numFieldKinds]int // 1 + the index of the kind's first field, 0 when none
	count [numFieldKinds]int // how many fields of the kind there are
}

// indexFields classifies h's fields, keeping their kinds in kinds' storage
// when it has room (a caller's array: kept in the index itself, it would
// make the index escape to the heap).
func indexFields(h header.Header, kinds []fieldKind) fieldIndex {
	x := fieldIndex{h: h}
	if len(h) <= cap(kinds) {
		x.kinds = kinds[:len(h)]
	} else {
		x.kinds = make([]fieldKind, len(h))
	}
	for i, f := range h {
		k := classifyField(f.Name)
		x.kinds[i] = k
		if x.first[k] == 0 {
			x.first[k] = i + 1
		}
		x.count[k]++
	}
	return x
}

// get returns the first value of a kind, "" if none (as header.Header.Get).
func (x *fieldIndex) get(k fieldKind) string {
	if i := x.first[k]; i > 0 {
		return x.h[i-1].Value
	}
	return ""
}

// start returns the index of a kind's first field, len(h) when none: the
// fields of kind k are h[i] for i from start(k) on where kinds[i] == k.
func (x *fieldIndex) start(k fieldKind) int {
	if i := x.first[k]; i > 0 {
		return i - 1
	}
	return len(x.h)
}
