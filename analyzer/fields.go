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

// classifyField returns the kind of a field named name, compared as
// strings.EqualFold does (FuzzClassifyField holds it to that, and
// FuzzNamesOld to classifyFieldOld, the version before this). Every known
// name is ASCII, and an ASCII name can only fold-equal an ASCII name of
// the same length, so a name is first compared, ASCII letters folded,
// with the known name of its slot alone (nameSlot), when it is of that
// name's length: a match means an ASCII name, which then fold-equals no
// other. Only a name that matches none, is of a length a known name's
// other spellings have (foldLen) and has bytes from 0x80 up (U+017F ſ
// folds to s, U+212A K to k) is compared with them all as EqualFold
// compares.
func classifyField(name string) fieldKind {
	n := len(name)
	if n == 0 {
		return fieldOther // no known name is empty
	}
	slot := nameSlot(name)
	if k := kindSlots[slot]; int(slotLen[slot]) == n && lowerEqual(name, lowerNames[k]) {
		return k // an empty slot's length, 0, is no name's
	}
	if n >= len(foldLen) || !foldLen[n] || isASCII(name) {
		return fieldOther
	}
	for k := fieldOther + 1; k < numFieldKinds; k++ {
		if strings.EqualFold(name, fieldNames[k]) {
			return k
		}
	}
	return fieldOther
}

// slotLen holds the length of the known name of each slot of kindSlots,
// 0 for the empty slots: most names differ from their slot's in length,
// and are told apart without a call.
var slotLen = func() (t [numSlots]uint8) {
	for slot, k := range kindSlots {
		t[slot] = uint8(len(fieldNames[k])) // fieldOther's "": 0
	}
	return t
}()

// foldLen marks the lengths of the strings that fold-equal a known name
// and are no ASCII: each rune of such a string is an ASCII byte or one of
// the two runes that fold to an ASCII letter, U+017F ſ (two bytes, for an
// s) and U+212A K (three, for a k), so its length is its known name's
// plus at most one for each s and two for each k in it.
var foldLen = func() (t [80]bool) {
	for _, name := range fieldNames[fieldOther+1:] {
		lower := strings.ToLower(name)
		extra := strings.Count(lower, "s") + 2*strings.Count(lower, "k")
		for n := len(name); n <= len(name)+extra; n++ {
			t[n] = true // the longest name, 62 bytes, has three s
		}
	}
	return t
}()

// nameSlot hashes a non-empty name by its length and its middle byte,
// an ASCII letter folded: no two known names share a slot (kindSlots
// panics at start-up if an edit makes them), so a field is compared with
// one known name at most, instead of with each of its length's.
func nameSlot(name string) int {
	return int(uint(len(name)+13*int(asciiLower[name[len(name)/2]])) % numSlots)
}

// kindSlots holds the kinds by nameSlot of their names; the other slots
// are fieldOther, whose lowerNames entry ("") matches no name.
var kindSlots = func() (t [numSlots]fieldKind) {
	for k := fieldOther + 1; k < numFieldKinds; k++ {
		slot := &t[nameSlot(fieldNames[k])]
		if *slot != fieldOther {
			panic("analyzer: two field names share a slot: " + fieldNames[k])
		}
		*slot = k
	}
	return t
}()

// numSlots is the size of kindSlots.
const numSlots = 64

// lowerNames holds fieldNames in lower case.
var lowerNames = func() (n [numFieldKinds]string) {
	for k, name := range fieldNames {
		n[k] = strings.ToLower(name)
	}
	return n
}()

// lowerEqual reports whether s with its ASCII capitals lowered is lower,
// a lower-case ASCII name of the same length. A byte from 0x80 up matches
// nothing in lower. Eight bytes are compared at a time, the last eight
// overlapping the ones before when the length is no multiple of eight.
func lowerEqual(s, lower string) bool {
	n := len(s)
	if n != len(lower) {
		return false
	}
	if n < 8 {
		for i := 0; i < n; i++ {
			if asciiLower[s[i]] != lower[i] {
				return false
			}
		}
		return true
	}
	for i := 0; i < n-8; i += 8 {
		if !lowerWordIs(swar.Load(s[i:]), swar.Load(lower[i:])) {
			return false
		}
	}
	return lowerWordIs(swar.Load(s[n-8:]), swar.Load(lower[n-8:]))
}

// lowerWordIs reports whether eight bytes of a name, lowered, are the
// eight of a lower-case ASCII name: an ASCII word with its capitals
// (capitals' high bits, shifted to 0x20) set to lower case.
func lowerWordIs(w, lower uint64) bool {
	return w&swar.Hi == 0 && w|capitals(w)>>2 == lower
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

// isASCII reports whether s holds no byte from 0x80 up, eight at a time,
// the last eight overlapping the ones before when the length is no
// multiple of eight.
func isASCII(s string) bool {
	n := len(s)
	if n < 8 {
		for i := 0; i < n; i++ {
			if s[i] >= 0x80 {
				return false
			}
		}
		return true
	}
	for i := 0; i < n-8; i += 8 {
		if swar.Load(s[i:])&swar.Hi != 0 {
			return false
		}
	}
	return swar.Load(s[n-8:])&swar.Hi == 0
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

// index classifies the fields of h into x, zero but for kinds, which
// the caller sets to kindsRoom's slice (set here, through the pointer, a
// caller's array would escape to the heap). x is filled in place:
// returned, the index (some 350 bytes) was copied out whole.
func (x *fieldIndex) index(h header.Header) {
	x.h = h
	kinds := x.kinds[:len(h)] // the same length as h: no bounds check below
	for i := range h {
		k := classifyField(h[i].Name)
		kinds[i] = k
		if x.first[k] == 0 {
			x.first[k] = i + 1
		}
		x.count[k]++
	}
}

// kindsRoom returns the room for the kinds of h's fields: kinds' storage
// when it has room (a caller's array), else a slice of its own.
func kindsRoom(h header.Header, kinds []fieldKind) []fieldKind {
	if len(h) <= cap(kinds) {
		return kinds[:len(h)]
	}
	return make([]fieldKind, len(h))
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
