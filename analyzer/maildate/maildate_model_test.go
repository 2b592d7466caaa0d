package maildate

// isSpace and isSep as they were before the byte table: the models
// FuzzByteClassOld holds the new ones to.

import "testing"

func isSpaceOld(c byte) bool {
	return c == ' ' || c == '\t' || c == '\r' || c == '\n' || c == 0
}

func isSepOld(c byte) bool { return isSpaceOld(c) || c == ',' }

// TestByteClassAll compares every byte value.
func TestByteClassAll(t *testing.T) {
	for c := range 256 {
		checkByteClass(t, byte(c))
	}
}

func checkByteClass(t *testing.T, c byte) {
	t.Helper()
	if got, want := isSpace(c), isSpaceOld(c); got != want {
		t.Fatalf("isSpace(%q) = %v, model %v", c, got, want)
	}
	if got, want := isSep(c), isSepOld(c); got != want {
		t.Fatalf("isSep(%q) = %v, model %v", c, got, want)
	}
}

// FuzzByteClassOld compares the classes of every byte of any text.
func FuzzByteClassOld(f *testing.F) {
	f.Add("Tue, 1 Jul 2003 10:52:37 +0200 (CEST)\x00\r\n\t,")
	f.Fuzz(func(t *testing.T, s string) {
		for i := 0; i < len(s); i++ {
			checkByteClass(t, s[i])
		}
	})
}
