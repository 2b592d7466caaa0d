package fetch

import (
	"bytes"
	"context"
	"io"
	"os"
	"path/filepath"
	"testing"
)

// TestKeepBody: with KeepBody, file, stdin, mbox and directory sources give
// the whole message back byte for byte (DKIM verification needs it).
func TestKeepBody(t *testing.T) {
	want, err := os.ReadFile("../testdata/sample.eml")
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "a.eml"), want, 0o644); err != nil {
		t.Fatal(err)
	}
	mbox := filepath.Join(t.TempDir(), "box.mbox")
	if err := os.WriteFile(mbox, append([]byte("From x@example.com Tue Nov 24 09:14:07 2026\n"), want...), 0o644); err != nil {
		t.Fatal(err)
	}
	test := func(spec string, stdin io.Reader) {
		t.Helper()
		src, err := Open(context.Background(), spec, Options{KeepBody: true, Stdin: stdin})
		if err != nil {
			t.Fatal(err)
		}
		defer src.Close()
		m, err := src.Next(context.Background())
		if err != nil || m.Err != nil {
			t.Fatalf("%s: %v %v", spec, err, m.Err)
		}
		norm := func(b []byte) []byte { return bytes.TrimRight(bytes.ReplaceAll(b, []byte("\r\n"), []byte("\n")), "\n") }
		if !bytes.Equal(norm(m.Raw), norm(want)) {
			t.Errorf("%s: Raw differs (%d bytes, want %d)", spec, len(m.Raw), len(want))
		}
	}
	test("../testdata/sample.eml", nil)
	test("-", bytes.NewReader(want))
	test(mbox, nil)
	test(dir, nil)
	src, _ := Open(context.Background(), "../testdata/sample.eml", Options{})
	defer src.Close()
	if m, _ := src.Next(context.Background()); m.Raw != nil {
		t.Error("Raw kept without KeepBody")
	}
}
