package auth

import (
	"strings"
	"testing"
	"unicode"
	"unicode/utf8"

	"github.com/mailtrace/mailtrace/analyzer/header"
	"github.com/mailtrace/mailtrace/internal/swar"
)

// recipientBoundaryModel is how the entry hop's field and the recipient
// boundary were found before classify did it in its one walk: by
// strings.EqualFold on every name.
func recipientBoundaryModel(h header.Header, n int) (entry, boundary int) {
	entry, seen := -1, 0
	for i, f := range h {
		if !strings.EqualFold(f.Name, "Received") {
			continue
		}
		if seen == n {
			return entry, i
		}
		seen++
		entry = i
	}
	return entry, len(h)
}

// identityFieldModel is what identityField stands for.
func identityFieldModel(name string) int {
	for id, n := range identityNames {
		if strings.EqualFold(name, n) {
			return id
		}
	}
	return -1
}

var classifySeeds = []string{
	"Received-SPF\nARC-Seal\nReply-To\nX-Spam-Flag\nX-MS-Exchange-Organization-SCL\nx-gm-spam\nDKIM-Signature\nARC-Authentication-Results",
	"X-Spam-Status\nX-Forefront-Antispam-Report-Untrusted\nX-Mailer\nDate\nFro\nFromm\nReceived-\nREPLY-TO\nArc-Seal\n\u212aeceived\ndkim-ſignature",
	"Received\nFrom\nreceived\nRECEIVED",
	"From\nReturn-Path\nReply-To\nMessage-ID\nfrom\nmessage-id",
	"Meſſage-ID\nFROM\nreturn-path\nREPLY-to\nReceived\nX-Received\nRecEived",
	"Subject\nTo\nAuthentication-Results\nReceived\nARC-Seal\nDKIM-Signature\nReceived\nReceived-SPF",
	"",
}

// checkClassify compares classify's boundary and identity fields with the
// models for a header whose field names are the lines of names.
func checkClassify(t *testing.T, names string, n int) {
	var h header.Header
	for _, name := range strings.Split(names, "\n") {
		h = append(h, header.Field{Name: name, Value: "v"})
	}
	a := analysis{in: Input{Header: h, RecipientHops: n}}
	fields, count := a.classify(nil)
	kinds := make([]int, len(h)) // fieldNone, or fieldReceived as counted
	for _, c := range fields {
		if c.kind == fieldNone || c.kind == fieldReceived || kinds[c.pos] != fieldNone {
			t.Fatalf("%q: field %d listed as %d", names, c.pos, c.kind)
		}
		kinds[c.pos] = int(c.kind)
	}
	var wcount [numFieldKinds]int
	for i, f := range h {
		k := kindModel(f.Name)
		wcount[k]++
		if k == fieldReceived {
			kinds[i] = fieldReceived // not listed, counted
		}
	}
	if count != wcount {
		t.Fatalf("%q: count %v, want %v", names, count, wcount)
	}
	if e, b := recipientBoundaryModel(h, n); a.entry != e || a.boundary != b {
		t.Fatalf("%q, %d: entry %d boundary %d, want %d %d", names, n, a.entry, a.boundary, e, b)
	}
	for id, name := range identityNames {
		if got, want := a.identityValue(id), h.Get(name); got != want || (a.identity[id] == 0) != (want == "") {
			t.Fatalf("%q: %s %q, want %q", names, name, got, want)
		}
	}
	for i, f := range h {
		if got, want := identityField(f.Name), identityFieldModel(f.Name); got != want {
			t.Fatalf("identityField(%q) = %d, want %d", f.Name, got, want)
		}
		if got, want := kinds[i], kindModel(f.Name); got != want {
			t.Fatalf("kind of %q = %d, want %d", f.Name, got, want)
		}
		checkClassifyName(t, f.Name)
	}
}

// kindModel is the kind classifyName stands for: a look-up of the lower
// case name.
func kindModel(name string) int {
	return fieldKinds[strings.ToLower(name)].kind
}

// checkClassifyName holds classifyName to the look-ups it replaced.
func checkClassifyName(t *testing.T, name string) {
	t.Helper()
	k, id := classifyName(name)
	if k != kindModel(name) || id != identityFieldModel(name) {
		t.Fatalf("classifyName(%q) = %d, %d; want %d, %d", name, k, id, kindModel(name), identityFieldModel(name))
	}
}

func TestClassify(t *testing.T) {
	for _, s := range classifySeeds {
		for n := -1; n <= 5; n++ {
			checkClassify(t, s, n)
		}
	}
	if identityField("meſſage-id") != identityMessageID || identityField("Reply-To ") != -1 {
		t.Error("identityField")
	}
	n := 1 // "from", in knownFrom
	for i, e := range knownNames {
		if e.name == "" {
			continue
		}
		n++
		if !strings.Contains("adfmrx", e.name[:1]) || e.name != strings.ToLower(e.name) || len(e.name) < 8 {
			t.Errorf("%q: knownField expects lower-case names of 8 bytes or more starting with a, d, f, m, r or x", e.name)
		}
		if f := knownField(strings.ToUpper(e.name)); f == nil || f.name != e.name {
			t.Errorf("%q not found", e.name)
		}
		if slot := nameSlot(e.first, len(e.name), e.name[len(e.name)/2], e.name[len(e.name)-3]); slot != i {
			t.Errorf("%q is in slot %d, not its own %d: nameSlot no longer parts the names", e.name, i, slot)
		}
	}
	if fromWord != load4("from") {
		t.Errorf("fromWord %#x is not load4(\"from\")", uint64(fromWord))
	}
	if receivedWord != swar.Load("received") {
		t.Errorf("receivedWord %#x is not swar.Load(\"received\")", uint64(receivedWord))
	}
	for _, name := range []string{"Received", "RECEIVED", "received", "receivee", "Received-", "ReceiveD", "Re\x00eived", "Reeeived", "\x52eceived"} {
		if got, want := isReceived(name), strings.EqualFold(name, "received"); got != want {
			t.Errorf("isReceived(%q) = %v, want %v", name, got, want)
		}
	}
	if f := knownField("FROM"); f != knownFrom || f.name != "from" || f.id != identityFrom {
		t.Errorf("knownField(FROM) = %+v", f)
	}
	if n != len(fieldKinds)+len(identityNames) || n > len(knownNames)/2 {
		t.Errorf("%d known names for %d and %d, in %d slots", n, len(fieldKinds), len(identityNames), len(knownNames))
	}
}

// FuzzClassify holds classify's one walk to the strings.EqualFold lookups
// it replaced (recipientBoundary and header.Header.Get).
func FuzzClassify(f *testing.F) {
	for _, s := range classifySeeds {
		f.Add(s, 1)
	}
	f.Fuzz(func(t *testing.T, names string, n int) {
		checkClassify(t, names, n%8)
	})
}

// TestFoldRunes checks foldRunes, which knownLengths counts on: the runes
// outside ASCII that strings.ToLower lower-cases to an ASCII letter, or
// that strings.EqualFold folds to one, are those it holds.
func TestFoldRunes(t *testing.T) {
	for r := rune(utf8.RuneSelf); r <= unicode.MaxRune; r++ {
		for f := unicode.SimpleFold(r); f != r; f = unicode.SimpleFold(f) {
			if f < utf8.RuneSelf && foldRunes[unicode.ToLower(f)] != r {
				t.Errorf("%U folds to %q, which foldRunes does not hold", r, f)
			}
		}
		if l := unicode.ToLower(r); l < utf8.RuneSelf && foldRunes[l] != r {
			t.Errorf("%U lower-cases to %q, which foldRunes does not hold", r, l)
		}
	}
	for a, r := range foldRunes {
		if !strings.EqualFold(string(r), string(a)) && strings.ToLower(string(r)) != string(a) {
			t.Errorf("foldRunes: %U neither folds nor lower-cases to %q", r, a)
		}
	}
}
