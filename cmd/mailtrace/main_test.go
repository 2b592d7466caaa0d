package main

import (
	"bufio"
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

const sample = "../../testdata/sample.eml"

// run runs the command line with the given stdin and returns exit code, stdout, stderr.
func run(t *testing.T, stdin string, args ...string) (int, string, string) {
	t.Helper()
	var out, errb bytes.Buffer
	s := &streams{In: strings.NewReader(stdin), Out: &out, Err: &errb}
	if len(args) > 0 && args[0] == "trace" {
		// Tests never leave loopback: trace offline unless told otherwise.
		args = append([]string{"trace", "--offline"}, args[1:]...)
	}
	code := Main(args, s)
	return code, out.String(), errb.String()
}

func TestTraceJSON(t *testing.T) {
	code, out, errs := run(t, "", "trace", "--json", sample)
	if code != exitOK {
		t.Fatalf("exit %d, stderr %s", code, errs)
	}
	var r map[string]any
	if err := json.Unmarshal([]byte(out), &r); err != nil {
		t.Fatalf("not one JSON object: %v\n%s", err, out)
	}
	if r["schema"] != "mailtrace/v1" {
		t.Errorf("schema %v", r["schema"])
	}
	src := r["source"].(map[string]any)
	if src["kind"] != "file" || src["name"] != sample {
		t.Errorf("source %v", src)
	}
}

func TestTraceStdinAndArray(t *testing.T) {
	raw, err := os.ReadFile(sample)
	if err != nil {
		t.Fatal(err)
	}
	code, out, errs := run(t, string(raw), "trace", "--format", "json", sample, "-")
	if code != exitOK {
		t.Fatalf("exit %d, stderr %s", code, errs)
	}
	var list []map[string]any
	if err := json.Unmarshal([]byte(out), &list); err != nil || len(list) != 2 {
		t.Fatalf("want an array of 2: %v\n%s", err, out)
	}
	if list[1]["source"].(map[string]any)["kind"] != "stdin" {
		t.Errorf("second source %v", list[1]["source"])
	}
}

func TestTraceJSONL(t *testing.T) {
	code, out, _ := run(t, "", "trace", "--format", "jsonl", sample, sample)
	if code != exitOK {
		t.Fatalf("exit %d", code)
	}
	sc := bufio.NewScanner(strings.NewReader(out))
	n := 0
	for sc.Scan() {
		var r map[string]any
		if err := json.Unmarshal(sc.Bytes(), &r); err != nil {
			t.Fatalf("line %d: %v", n+1, err)
		}
		n++
	}
	if n != 2 {
		t.Errorf("%d lines, want 2", n)
	}
}

func TestTraceText(t *testing.T) {
	code, out, _ := run(t, "", "trace", "--color", "never", sample)
	if code != exitOK {
		t.Fatalf("exit %d", code)
	}
	for _, want := range []string{"Your order № 4711 has shipped", "TRUST", "mx1.example.com"} {
		if !strings.Contains(out, want) {
			t.Errorf("text lacks %q:\n%s", want, out)
		}
	}
	if strings.Contains(out, "\x1b[") {
		t.Error("colour with --color never")
	}
}

func TestExitCodes(t *testing.T) {
	dir := t.TempDir()
	big := filepath.Join(dir, "big.eml")
	if err := os.WriteFile(big, []byte("Subject: "+strings.Repeat("x", 5000)+"\n\nbody\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	test := func(want int, args ...string) (string, string) {
		t.Helper()
		code, out, errs := run(t, "", args...)
		if code != want {
			t.Errorf("%v: exit %d, want %d (stderr %q)", args, code, want, errs)
		}
		return out, errs
	}
	test(exitUsage, "trace", "--format", "xml", sample)
	test(exitUsage, "trace", "--trust", "not a domain/", sample)
	test(exitUsage, "trace", "--lookup", "everything", sample)
	test(exitUsage, "trace", "--no-such-flag")
	test(exitUsage, "serve", "--verify", "--offline")
	// A missing file fails; the good one is still reported.
	out, errs := test(exitPartial, "trace", "--format", "jsonl", filepath.Join(dir, "missing.eml"), sample)
	if strings.Count(out, "\n") != 1 || !strings.Contains(errs, "missing.eml") {
		t.Errorf("partial run: stdout %q stderr %q", out, errs)
	}
	// A header over the limit is an error for that message only.
	out, _ = test(exitPartial, "trace", "--format", "jsonl", "--max-header-bytes", "1024", big, sample)
	if strings.Count(out, "\n") != 2 || !strings.Contains(out, `"error"`) {
		t.Errorf("too large: stdout %q", out)
	}
}

// TestReferenceUpToDate: docs/cli.md is what `make docs` writes today.
func TestReferenceUpToDate(t *testing.T) {
	code, out, _ := run(t, "", "docs")
	if code != exitOK {
		t.Fatalf("exit %d", code)
	}
	want, err := os.ReadFile("../../docs/cli.md")
	if err != nil {
		t.Fatal(err)
	}
	if out != string(want) {
		t.Error("docs/cli.md is stale: run `make docs`")
	}
}
