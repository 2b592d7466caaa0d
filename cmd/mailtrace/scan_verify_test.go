package main

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/mailtrace/mailtrace/internal/dnsfake"
)

// TestScanVerify: scan --verify reads whole messages from a local mbox and
// re-checks each DKIM signature (DNS from a map); a changed body fails. IMAP
// and POP3 sources, which fetch headers only, are refused.
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

	code, _, errs := run(t, "", "scan", "--verify", "--lookup", "none", "imaps://alice@127.0.0.1:1/INBOX")
	if code != exitUsage || !strings.Contains(errs, "headers only") {
		t.Errorf("IMAP: exit %d: %s", code, errs)
	}
	code, _, errs = run(t, "", "scan", "--verify", "--offline", mbox)
	if code != exitUsage || !strings.Contains(errs, "needs the network") {
		t.Errorf("offline: exit %d: %s", code, errs)
	}
}
