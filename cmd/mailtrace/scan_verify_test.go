package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/mailtrace/mailtrace/internal/dnsfake"
	"github.com/mailtrace/mailtrace/internal/dovecot"
)

// TestScanVerify: scan --verify reads whole messages from a local mbox and
// re-checks each DKIM signature (DNS from a map); a changed body fails.
func TestScanVerify(t *testing.T) {
	signed, zone := dnsfake.SignedMessage(t)
	good := strings.ReplaceAll(string(signed), "\r\n", "\n")
	bad := strings.Replace(good, "Hello.", "Pay me.", 1)
	mbox := filepath.Join(t.TempDir(), "signed.mbox")
	from := "From news@shop.example Mon Mar  2 10:00:00 2026\n"
	if err := os.WriteFile(mbox, []byte(from+good+"\n"+from+bad+"\n"), 0o644); err != nil {
		t.Fatal(err)
	}

	var out, errb bytes.Buffer
	s := &streams{In: strings.NewReader(""), Out: &out, Err: &errb}
	cmd := newScanCmdWith(s, func(ctx context.Context, o *scanOptions) error {
		o.resolver = zone
		return scanRun(ctx, o)
	})
	cmd.SetArgs([]string{"--verify", "--quiet", "--lookup", "none", "--no-cache", mbox})
	if err := cmd.Execute(); err != nil {
		t.Fatalf("%v: %s", err, errb.String())
	}
	rs := jsonLines(t, out.Bytes())
	if len(rs) != 2 {
		t.Fatalf("%d reports", len(rs))
	}
	for i, want := range []string{"pass", "fail"} {
		auth, _ := rs[i]["auth"].(map[string]any)
		v, _ := auth["verified"].(map[string]any)
		dk, _ := v["dkim"].([]any)
		if len(dk) != 1 || dk[0].(map[string]any)["result"] != want {
			t.Errorf("message %d: verified %v, want DKIM %s", i+1, v, want)
		}
	}

	code, _, errs := run(t, "", "scan", "--verify", "--offline", mbox)
	if code != exitUsage || !strings.Contains(errs, "needs the network") {
		t.Errorf("offline: exit %d: %s", code, errs)
	}
}

// TestScanVerifyRemote: scan --verify over IMAP and POP3 against Dovecot
// fetches whole messages and gives every message the same DKIM and SPF
// results (DNS from a map) as a scan of the same Maildir's files, and
// leaves every flag as it was.
func TestScanVerifyRemote(t *testing.T) {
	signed, zone := dnsfake.SignedMessage(t)
	zone["sender3.example"] = "v=spf1 ip4:185.70.42.9 -all" // one seeded message passes, one fails
	lf := strings.ReplaceAll(string(signed), "\r\n", "\n")
	start := time.Date(2026, 3, 2, 10, 0, 0, 0, time.UTC)
	msgs := dovecot.SeedMessages("INBOX", 12, 21, start)
	for i, body := range []string{lf, strings.Replace(lf, "Hello.", "Pay me.", 1), lf} {
		raw := fmt.Sprintf("Return-Path: <news@shop.example>\nReceived: from mail.shop.example (mail.shop.example [192.0.2.25])\n\tby mx.recipient.example with ESMTPS id V%d\n\tfor <user@recipient.example>; Mon, 2 Mar 2026 10:00:0%d +0000\n%s", i, i, body)
		msgs = append(msgs, dovecot.Seed{Raw: []byte(raw), Time: start.Add(time.Duration(100+i) * time.Hour), New: i == 1})
	}
	user := dovecot.User{Name: "dave@example.test", Password: "dave-pass", Folders: []dovecot.Folder{{Name: "INBOX", Messages: msgs}}}
	srv := dovecot.Start(t, user)
	t.Setenv("MAILTRACE_PASSWORD", user.Password)
	flags := func() string {
		var keys []string
		for _, sub := range []string{"cur", "new"} {
			ents, _ := os.ReadDir(filepath.Join(srv.Maildir(user.Name, "INBOX"), sub))
			for _, e := range ents {
				key, fl, _ := strings.Cut(e.Name(), ":2,")
				keys = append(keys, fmt.Sprintf("%s %q", key, fl))
			}
		}
		sort.Strings(keys)
		return strings.Join(keys, "\n")
	}
	scan := func(src string) []string {
		t.Helper()
		var out, errb bytes.Buffer
		s := &streams{In: strings.NewReader(""), Out: &out, Err: &errb}
		cmd := newScanCmdWith(s, func(ctx context.Context, o *scanOptions) error {
			o.resolver = zone
			return scanRun(ctx, o)
		})
		cmd.SetArgs([]string{"--verify", "--quiet", "--lookup", "none", "--no-cache", "--ca-file", srv.CAFile, src})
		if err := cmd.Execute(); err != nil {
			t.Fatalf("%s: %v: %s", src, err, errb.String())
		}
		var got []string
		for _, r := range jsonLines(t, out.Bytes()) {
			auth, _ := r["auth"].(map[string]any)
			v, _ := json.Marshal(auth["verified"])
			got = append(got, fmt.Sprintf("%v %s error=%v", r["message"].(map[string]any)["message_id"], v, r["error"]))
		}
		sort.Strings(got)
		return got
	}
	before := flags()
	want := scan(srv.Maildir(user.Name, "INBOX"))
	joined := strings.Join(want, "\n")
	if len(want) != len(msgs) || strings.Count(joined, `"result":"pass"`) < 2 || !strings.Contains(joined, `"result":"fail","selector"`) ||
		!strings.Contains(joined, `-all","result":"pass"}`) || !strings.Contains(joined, `-all","result":"fail"}`) {
		t.Fatalf("the files' verification:\n%s", joined)
	}
	for _, url := range []string{"imaps://dave%40example.test@" + srv.IMAPS + "/INBOX", "pop3s://dave%40example.test@" + srv.POP3S} {
		got := scan(url)
		if strings.Join(got, "\n") != joined {
			t.Errorf("%s: verification differs from the files':\n%s\nwant\n%s", url, strings.Join(got, "\n"), joined)
		}
		// A POP3 session moves new/ to cur/, flags unchanged: compare keys and flags.
		if after := flags(); after != before {
			t.Errorf("%s: flags changed:\n%s\nwant\n%s", url, after, before)
		}
	}
}
