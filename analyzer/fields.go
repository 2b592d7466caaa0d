package analyzer

import (
	"strings"

	"github.com/mailtrace/mailtrace/analyzer/header"
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
// strings.EqualFold does (FuzzClassifyField holds it to that). Every known
// name is ASCII, and an ASCII name can only fold-equal an ASCII name of
// the same length, so such a name is compared with those alone; a name
// with other bytes (U+017F ſ folds to s, U+212A K to k) is compared with
// them all.
func classifyField(name string) fieldKind {
	for i := 0; i < len(name); i++ {
		if name[i] >= 0x80 {
			for k := fieldOther + 1; k < numFieldKinds; k++ {
				if strings.EqualFold(name, fieldNames[k]) {
					return k
				}
			}
			return fieldOther
		}
	}
	if len(name) >= len(kindsByLen) {
		return fieldOther
	}
	for _, k := range kindsByLen[len(name)] {
		if strings.EqualFold(name, fieldNames[k]) {
			return k
		}
	}
	return fieldOther
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
