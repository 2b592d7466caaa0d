package main

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/mailtrace/mailtrace/fetch"
	"github.com/mailtrace/mailtrace/internal/dovecot"
)

const mailDir = "../../testdata/mail/"

// jsonLines checks that b is complete JSON lines and returns the objects.
func jsonLines(t *testing.T, b []byte) []map[string]any {
	t.Helper()
	var out []map[string]any
	sc := bufio.NewScanner(bytes.NewReader(b))
	sc.Buffer(nil, 16<<20)
	for sc.Scan() {
		var m map[string]any
		if err := json.Unmarshal(sc.Bytes(), &m); err != nil {
			t.Fatalf("line %d: %v: %.100q", len(out)+1, err, sc.Bytes())
		}
		out = append(out, m)
	}
	if len(b) > 0 && b[len(b)-1] != '\n' {
		t.Fatal("output ends inside a line")
	}
	return out
}

func TestScanLocal(t *testing.T) {
	summary := filepath.Join(t.TempDir(), "summary.json")
	code, out, errs := run(t, "", "scan", "--offline", "--quiet", "--summary", summary, mailDir+"archive.mbox", mailDir+"maildir")
	if code != exitOK {
		t.Fatalf("exit %d: %s", code, errs)
	}
	rs := jsonLines(t, []byte(out))
	if len(rs) != 7 || rs[6]["source"].(map[string]any)["index"].(float64) != 7 {
		t.Fatalf("%d reports", len(rs))
	}
	var s map[string]any
	b, _ := os.ReadFile(summary)
	if err := json.Unmarshal(b, &s); err != nil || s["schema"] != "mailtrace/scan-summary/v1" || s["messages"].(float64) != 7 {
		t.Fatalf("summary %v %s", err, b)
	}
	for _, k := range []string{"hops", "parse_failures", "findings", "top_networks", "top_asns", "top_countries", "top_registries", "transit_seconds", "auth_failures"} {
		if _, ok := s[k]; !ok {
			t.Errorf("summary lacks %q", k)
		}
	}
	// Text summary on stderr without --quiet.
	code, _, errs = run(t, "", "scan", "--offline", "--no-cache", mailDir+"archive.mbox")
	if code != exitOK || !strings.Contains(errs, "scan done: 3 messages") {
		t.Errorf("exit %d, stderr %s", code, errs)
	}
}

func TestScanExitCodes(t *testing.T) {
	test := func(want int, wantErr string, args ...string) {
		t.Helper()
		code, _, errs := run(t, "", append([]string{"scan", "--offline", "--quiet"}, args...)...)
		if code != want || !strings.Contains(errs, wantErr) {
			t.Errorf("%v: exit %d, want %d; stderr %s", args, code, want, errs)
		}
		if strings.Contains(errs, "hunter2") {
			t.Errorf("%v: password on stderr: %s", args, errs)
		}
	}
	test(exitPartial, "1 message(s) could not be read", mailDir+"garbage.bin", mailDir+"postfix.eml")
	test(exitPartial, "no such source", mailDir+"nope.eml")
	test(exitUsage, "SOURCE")
	test(exitUsage, "--since", "--since", "yesterday", mailDir+"postfix.eml")
	test(exitUsage, "--format", "--format", "xml", mailDir+"postfix.eml")
	test(exitPartial, "password in the URL", "imap://alice:hunter2@127.0.0.1:1/INBOX")
}

func TestParseSince(t *testing.T) {
	now := time.Date(2026, 11, 25, 12, 0, 0, 0, time.UTC)
	test := func(in string, want time.Time, wantErr bool) {
		t.Helper()
		got, err := parseSince(in, now)
		if !got.Equal(want) || (err != nil) != wantErr {
			t.Errorf("%q: %v %v", in, got, err)
		}
	}
	test("", time.Time{}, false)
	test("2026-01-02", time.Date(2026, 1, 2, 0, 0, 0, 0, time.UTC), false)
	test("30d", now.AddDate(0, 0, -30), false)
	test("2026-01-02T03:04:05Z", time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC), false)
	test("soon", time.Time{}, true)
}

func TestScanPassword(t *testing.T) {
	dir := t.TempDir()
	pwFile := filepath.Join(dir, "pw")
	os.WriteFile(pwFile, []byte("from-file\r\nsecond line\n"), 0o600)
	netrc := filepath.Join(dir, "netrc")
	os.WriteFile(netrc, []byte("machine imap.example.test login alice password from-netrc\n"), 0o600)
	env := map[string]string{}
	o := &scanOptions{s: &streams{In: strings.NewReader(""), Err: &bytes.Buffer{}},
		getenv: func(k string) string { return env[k] }, home: func() (string, error) { return dir, nil }}
	test := func(want string, wantErr error) {
		t.Helper()
		got, err := o.password(context.Background(), "alice", "imap.example.test")
		if got != want || !errors.Is(err, wantErr) {
			t.Errorf("got %q %v, want %q %v", got, err, want, wantErr)
		}
	}
	test("", fetch.ErrNoPassword) // no source, not a terminal: no prompt
	env["NETRC"] = netrc
	test("from-netrc", nil)
	o.passwordFile = pwFile
	test("from-file", nil)
	env["MAILTRACE_PASSWORD"] = "from-env"
	test("from-env", nil)
}

// TestScanResumeAfterKill: a scan stopped after its checkpoint, with lines
// written past it (as when killed between a flush and the next save), then
// resumed: the output is cut back and completed, each message exactly
// once. --limit takes the mailbox in chunks.
func TestScanResumeAfterKill(t *testing.T) {
	srv := dovecot.Start(t, dovecot.DefaultUsers()...)
	t.Setenv("MAILTRACE_PASSWORD", "alice-pass")
	dir := t.TempDir()
	out, cp := filepath.Join(dir, "out.jsonl"), filepath.Join(dir, "scan.ckpt")
	args := []string{"scan", "--offline", "--quiet", "--all-folders", "--checkpoint", cp, "--out", out,
		"--ca-file", srv.CAFile, "imaps://alice%40example.test@" + srv.IMAPS}
	code, _, errs := run(t, "", append(args, "--limit", "120")...)
	if code != exitOK {
		t.Fatalf("exit %d: %s", code, errs)
	}
	b, _ := os.ReadFile(out)
	if n := len(jsonLines(t, b)); n != 120 {
		t.Fatalf("first chunk: %d", n)
	}
	// Killed after writing more: a whole line and half of another.
	f, _ := os.OpenFile(out, os.O_APPEND|os.O_WRONLY, 0)
	lines := bytes.SplitAfter(b, []byte("\n"))
	f.Write(lines[0])
	f.Write(lines[1][:40])
	f.Close()
	code, _, errs = run(t, "", args...)
	if code != exitOK || !strings.Contains(errs, "cutting") {
		t.Fatalf("exit %d: %s", code, errs)
	}
	b, _ = os.ReadFile(out)
	rs := jsonLines(t, b)
	seen := map[string]bool{}
	for _, r := range rs {
		id := r["message"].(map[string]any)["message_id"].(string)
		if seen[id] {
			t.Fatalf("duplicate %s", id)
		}
		seen[id] = true
	}
	if len(rs) != 355 {
		t.Fatalf("%d reports after resume, want 355", len(rs))
	}
	// A third run has nothing left to do.
	code, _, errs = run(t, "", args...)
	b2, _ := os.ReadFile(out)
	if code != exitOK || !bytes.Equal(b, b2) {
		t.Fatalf("third run: exit %d, output changed: %s", code, errs)
	}
	ck, _ := os.ReadFile(cp)
	if bytes.Contains(ck, []byte("alice-pass")) || bytes.Contains(b, []byte("alice-pass")) {
		t.Error("the password was written out")
	}

	// The protocol trace leaves the login out.
	for _, url := range []string{"imap://alice%40example.test@" + srv.IMAP + "/Spam", "pop3://alice%40example.test@" + srv.POP3} {
		code, out, errs := run(t, "", "scan", "--offline", "--quiet", "--debug-protocol", "--starttls", "--ca-file", srv.CAFile, "--limit", "2", url)
		if code != exitOK || len(jsonLines(t, []byte(out))) != 2 {
			t.Fatalf("%s: exit %d: %s", url, code, errs)
		}
		if strings.Contains(errs, "alice-pass") || !(strings.Contains(errs, "EXAMINE") || strings.Contains(errs, "TOP 1 0")) {
			t.Errorf("%s: trace:\n%s", url, errs)
		}
	}
}
