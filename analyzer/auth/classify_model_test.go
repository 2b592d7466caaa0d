package auth

import (
	"maps"
	"slices"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/mailtrace/mailtrace/analyzer/header"
)

// The models: the field classification as it was before knownField
// looked names up by their first word in slots of their own, classify
// made the first-byte test itself and listed the fields collect reads
// rather than every field's kind. FuzzClassifyModels holds classify to
// them.
const knownSlotsModel = 128

func knownFieldModel(name string) *knownName {
	if len(name) < 4 || !knownStart(name[0]) { // none is shorter
		return nil
	}
	for i := nameSlotModel(name); ; i = (i + 1) % knownSlotsModel {
		e := &knownNamesModel[i]
		if e.name == "" {
			return nil
		}
		if len(e.name) == len(name) && equalLowerASCII(name, e.name) {
			return e
		}
	}
}

var knownNamesModel = func() (t [knownSlotsModel]knownName) {
	add := func(n knownName) {
		i := nameSlotModel(n.name)
		for t[i].name != "" {
			i = (i + 1) % knownSlotsModel
		}
		t[i] = n
	}
	names := slices.Sorted(maps.Keys(fieldKinds)) // a fixed order
	for _, name := range names {
		add(knownName{name: name, kind: uint8(fieldKinds[name].kind), id: -1, decoder: fieldKinds[name].decoder})
	}
	for id, name := range identityNames {
		add(knownName{name: strings.ToLower(name), kind: fieldNone, id: int8(id)})
	}
	return t
}()

func nameSlotModel(name string) int {
	n := len(name)
	return (n*31 + int(name[n-1]|0x20)*7 + int(name[n-3]|0x20)) % knownSlotsModel
}

func classifyNameModel(name string) (kind, id int) {
	if name == "" {
		return fieldNone, -1
	}
	if c := name[0]; c < utf8.RuneSelf {
		if !knownStart(c) {
			return fieldNone, -1 // whatever the rest of the name
		}
		if e := knownFieldModel(name); e != nil {
			return int(e.kind), int(e.id)
		}
		if isASCII(name) {
			return fieldNone, -1
		}
	}
	// strings.ToLower and strings.EqualFold fold some runes to ASCII
	k := fieldNone
	if mayCollect(name) {
		fk, _ := lookupLower(fieldKinds, name)
		k = fk.kind
	}
	return k, identityField(name)
}

func (a *analysis) classifyModel(kinds []uint8) ([]uint8, [numFieldKinds]int) {
	h := a.in.Header
	if len(h) > cap(kinds) {
		kinds = make([]uint8, 0, len(h))
	}
	var count [numFieldKinds]int
	a.entry, a.boundary = -1, len(h)
	seen, n, found := 0, a.in.RecipientHops, false
	for i := range h {
		k, id := classifyNameModel(h[i].Name)
		if k == fieldReceived {
			switch {
			case found:
			case seen == n:
				a.boundary, found = i, true
			default:
				seen++
				a.entry = i
			}
		}
		kinds = append(kinds, uint8(k))
		count[k]++
		if id >= 0 && a.identity[id] == 0 {
			a.identity[id] = i + 1
		}
	}
	return kinds, count
}

// checkClassifyModels compares classify, classifyName and knownField with
// the models for a header whose field names are the lines of names.
func checkClassifyModels(t *testing.T, names string, n int) {
	t.Helper()
	var h header.Header
	for _, name := range strings.Split(names, "\n") {
		h = append(h, header.Field{Name: name, Value: "v"})
		if got, want := knownField(name), knownFieldModel(name); (got == nil) != (want == nil) || got != nil && (got.name != want.name || got.kind != want.kind || got.id != want.id || got.decoder.vendor != want.decoder.vendor) {
			t.Fatalf("knownField(%q) = %+v, the model %+v", name, got, want)
		}
		k, id := classifyName(name)
		if wk, wid := classifyNameModel(name); k != wk || id != wid {
			t.Fatalf("classifyName(%q) = %d, %d; the model %d, %d", name, k, id, wk, wid)
		}
	}
	a := analysis{in: Input{Header: h, RecipientHops: n}}
	m := analysis{in: Input{Header: h, RecipientHops: n}}
	fields, count := a.classify(nil)
	wkinds, wcount := m.classifyModel(nil)
	var want []collected // the fields of the model's kinds that collect reads
	for i, k := range wkinds {
		if k != fieldNone && k != fieldReceived {
			want = append(want, collected{pos: int32(i), kind: k})
		}
	}
	if !slices.Equal(fields, want) || count != wcount || a.entry != m.entry || a.boundary != m.boundary || a.identity != m.identity {
		t.Fatalf("classify(%q, %d) = %v %v %d %d %v; the model %v %v %d %d %v", names, n,
			fields, count, a.entry, a.boundary, a.identity, want, wcount, m.entry, m.boundary, m.identity)
	}
}

func TestClassifyModels(t *testing.T) {
	all := slices.Sorted(maps.Keys(fieldKinds))
	all = append(all, identityNames[:]...)
	var more []string
	for _, s := range all {
		more = append(more, strings.ToUpper(s), s[:len(s)-1], s+"x", strings.Replace(s, "s", "ſ", 1), strings.Replace(s, "k", "\u212a", 1),
			strings.Replace(s, "i", "\u0130", 1), s[:len(s)/2]+"Q"+s[len(s)/2+1:])
	}
	for _, s := range append(classifySeeds, strings.Join(all, "\n"), strings.Join(more, "\n")) {
		for n := -1; n <= 5; n++ {
			checkClassifyModels(t, s, n)
		}
	}
}

// FuzzClassifyModels holds classify, classifyName and knownField to the
// models.
func FuzzClassifyModels(f *testing.F) {
	for _, s := range classifySeeds {
		f.Add(s, 1)
	}
	all := slices.Sorted(maps.Keys(fieldKinds))
	f.Add(strings.Join(append(all, identityNames[:]...), "\n"), 2)
	f.Fuzz(func(t *testing.T, names string, n int) {
		checkClassifyModels(t, names, n%8)
	})
}

// knownStart is the first-byte test of the models: whether a name
// starting with the ASCII byte c may be a known name (they start with a, d,
// f, m, r or x).
func knownStart(c byte) bool {
	switch c | 0x20 { // only A-Z and a-z give these
	case 'a', 'd', 'f', 'm', 'r', 'x':
		return true
	}
	return false
}
