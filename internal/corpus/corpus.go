// Package corpus loads the repository's test messages for tests and
// benchmarks in any package: the same files, read the same way, wherever a
// benchmark or a seed set needs real mail.
package corpus

import (
	"os"
	"path/filepath"
	"runtime"
	"testing"

	"github.com/mailtrace/mailtrace/fetch"
)

// Root is the repository's root directory.
func Root() string {
	_, file, _, _ := runtime.Caller(0)
	return filepath.Join(filepath.Dir(file), "..", "..")
}

// Messages reads the files matched by the patterns (relative to the
// repository root); with none, the conformance messages and the sample.
func Messages(tb testing.TB, patterns ...string) [][]byte {
	tb.Helper()
	if len(patterns) == 0 {
		patterns = []string{"testdata/conformance/messages/*.eml", "testdata/sample.eml"}
	}
	var out [][]byte
	for _, pat := range patterns {
		paths, err := filepath.Glob(filepath.Join(Root(), pat))
		if err != nil {
			tb.Fatal(err)
		}
		for _, p := range paths {
			b, err := os.ReadFile(p)
			if err != nil {
				tb.Fatal(err)
			}
			out = append(out, b)
		}
	}
	if len(out) == 0 {
		tb.Fatalf("no test messages match %q", patterns)
	}
	return out
}

// Headers is Messages cut to their header sections as a scan reads them
// (fetch.ExtractHeader); messages without one are left out.
func Headers(tb testing.TB, patterns ...string) [][]byte {
	tb.Helper()
	var out [][]byte
	for _, raw := range Messages(tb, patterns...) {
		if h, err := fetch.ExtractHeader(raw, 0); err == nil {
			out = append(out, h)
		}
	}
	return out
}
