package psl

import (
	"testing"

	"golang.org/x/net/publicsuffix"
)

func TestSameAnswers(t *testing.T) {
	for _, d := range []string{"mail.example.com", "a.b.example.co.uk", "co.uk", "example", "", "x.github.io", "1.2.3.4", "mail.example.com"} {
		for range 2 { // once looked up, once remembered
			got, gotErr := EffectiveTLDPlusOne(d)
			want, wantErr := publicsuffix.EffectiveTLDPlusOne(d)
			if got != want || (gotErr == nil) != (wantErr == nil) {
				t.Errorf("%q: %q, %v; publicsuffix says %q, %v", d, got, gotErr, want, wantErr)
			}
		}
	}
}

func TestBounded(t *testing.T) {
	for i := range maxEntries + 100 {
		EffectiveTLDPlusOne(string(rune('a'+i%26)) + string(rune(i)) + ".example.net")
	}
	if n := entries.Load(); n > maxEntries {
		t.Errorf("%d entries, bound %d", n, maxEntries)
	}
}
