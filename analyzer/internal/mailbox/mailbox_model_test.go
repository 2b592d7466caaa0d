package mailbox

// angled as it was before this round: the model FuzzAngledOld holds the
// new one to.

import (
	"strings"
	"testing"
)

func angledOld(s string) (addr, phrase string, ok bool) {
	lt := strings.LastIndexByte(s, '<')
	if lt <= 0 || s[len(s)-1] != '>' {
		return "", "", false
	}
	if addr, ok = simpleAddr(s[lt:]); !ok {
		return "", "", false
	}
	return addr, strings.TrimRight(s[:lt], " \t"), true
}

// FuzzAngledOld compares angled with its model on any text.
func FuzzAngledOld(f *testing.F) {
	for _, s := range []string{"a.b", "a..b", ".a", "a.", "a", "", "x@y.z", "Jo Doe \t<jo@x.org>", "<a@b>", " <a@b>", "a.b.c.d.e.f.g.h"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		a, p, ok := angled(s)
		a2, p2, ok2 := angledOld(s)
		if a != a2 || p != p2 || ok != ok2 {
			t.Fatalf("angled(%q) = %q, %q, %v; model %q, %q, %v", s, a, p, ok, a2, p2, ok2)
		}
	})
}
