package report_test

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/emersion/go-imap/v2"
	"github.com/emersion/go-imap/v2/imapclient"

	"github.com/mailtrace/mailtrace/fetch"
	"github.com/mailtrace/mailtrace/internal/dovecot"
	"github.com/mailtrace/mailtrace/report"
)

func alicePass(context.Context, string, string) (string, error) { return "alice-pass", nil }

// lines parses JSON Lines output into reports, failing on a partial line.
func lines(t *testing.T, b []byte) []*report.Report {
	t.Helper()
	var out []*report.Report
	sc := bufio.NewScanner(bytes.NewReader(b))
	sc.Buffer(make([]byte, 1<<20), 16<<20)
	for sc.Scan() {
		var r report.Report
		if err := json.Unmarshal(sc.Bytes(), &r); err != nil {
			t.Fatalf("line %d is not a complete report: %v: %.200q", len(out)+1, err, sc.Bytes())
		}
		out = append(out, &r)
	}
	if len(b) > 0 && b[len(b)-1] != '\n' {
		t.Fatalf("output ends inside a line")
	}
	return out
}

// canonical is a report as JSON without its source.
func canonical(t *testing.T, r *report.Report) string {
	t.Helper()
	c := *r
	c.Source = report.Source{}
	b, err := json.Marshal(&c)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// fileReports traces every seeded message file as `trace` does, by
// Message-ID.
func fileReports(t *testing.T, srv *dovecot.Server, user string, folders ...string) map[string]string {
	t.Helper()
	out := map[string]string{}
	for _, f := range folders {
		src, err := fetch.Open(context.Background(), srv.Maildir(user, f), fetch.Options{Folders: []string{"INBOX"}})
		if err != nil {
			t.Fatal(err)
		}
		for {
			m, err := src.Next(context.Background())
			if errors.Is(err, io.EOF) {
				break
			}
			if err != nil {
				t.Fatal(err)
			}
			r := report.Build(context.Background(), m, report.Options{})
			out[r.Message.MessageID] = canonical(t, r)
		}
		src.Close()
	}
	return out
}

// mailState is what must not change: every message's flags (by its stable
// Maildir key) and, through IMAP STATUS, counts, UIDNEXT and UIDVALIDITY.
func mailState(t *testing.T, srv *dovecot.Server, user, pass string) string {
	t.Helper()
	var b strings.Builder
	root := srv.Maildir(user, "INBOX")
	var files []string
	filepath.WalkDir(root, func(p string, d os.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return nil
		}
		dir := filepath.Base(filepath.Dir(p))
		if dir != "cur" && dir != "new" {
			return nil
		}
		key, flags, _ := strings.Cut(d.Name(), ":2,")
		rel, _ := filepath.Rel(root, filepath.Dir(filepath.Dir(p)))
		files = append(files, fmt.Sprintf("%s/%s flags=%q", rel, key, flags))
		return nil
	})
	sort.Strings(files)
	b.WriteString(strings.Join(files, "\n"))
	c, err := imapclient.DialInsecure(srv.IMAP, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	if err := c.Login(user, pass).Wait(); err != nil {
		t.Fatal(err)
	}
	list, err := c.List("", "*", nil).Collect()
	if err != nil {
		t.Fatal(err)
	}
	for _, l := range list {
		st, err := c.Status(l.Mailbox, &imap.StatusOptions{NumMessages: true, NumUnseen: true, UIDNext: true, UIDValidity: true}).Wait()
		if err != nil {
			t.Fatal(err)
		}
		fmt.Fprintf(&b, "\n%s messages=%d unseen=%d uidnext=%d uidvalidity=%d", l.Mailbox, *st.NumMessages, *st.NumUnseen, st.UIDNext, st.UIDValidity)
	}
	c.Logout().Wait()
	return b.String()
}

func scan(t *testing.T, ctx context.Context, spec string, fo fetch.Options, so report.ScanOptions) (report.Summary, error) {
	t.Helper()
	src, err := fetch.Open(ctx, spec, fo)
	if err != nil {
		t.Fatalf("open %s: %v", spec, err)
	}
	defer src.Close()
	return report.Scan(ctx, src, so)
}

// TestScanDovecot: a real Dovecot, IMAP (all folders, TLS verified) and
// POP3: every message once, each report equal to trace on the message
// file, and the mailbox unchanged.
func TestScanDovecot(t *testing.T) {
	srv := dovecot.Start(t, dovecot.DefaultUsers()...)
	ctx := context.Background()
	before := mailState(t, srv, "alice@example.test", "alice-pass")
	want := fileReports(t, srv, "alice@example.test", "INBOX", "Archive", "Archive/2023", "Spam", "Entwürfe")
	if len(want) != 355 {
		t.Fatalf("%d seeded messages", len(want))
	}

	check := func(name string, out []byte, wantN int, sum report.Summary) {
		t.Helper()
		rs := lines(t, out)
		if len(rs) != wantN || sum.Messages != wantN {
			t.Fatalf("%s: %d reports (summary %d), want %d", name, len(rs), sum.Messages, wantN)
		}
		seen := map[string]bool{}
		for i, r := range rs {
			id := fmt.Sprintf("%s/%d/%s", r.Source.Mailbox, r.Source.UID, r.Source.POP3UID)
			if seen[id] || seen[r.Message.MessageID] {
				t.Fatalf("%s: reported twice: %s %s", name, id, r.Message.MessageID)
			}
			seen[id], seen[r.Message.MessageID] = true, true
			if r.Source.Index != i+1 || strings.Contains(r.Source.Name, "alice-pass") {
				t.Errorf("%s: source %+v", name, r.Source)
			}
			w, ok := want[r.Message.MessageID]
			if !ok {
				t.Fatalf("%s: unknown message %q", name, r.Message.MessageID)
			}
			if got := canonical(t, r); got != w {
				t.Errorf("%s: report for %s differs from trace on the file:\n got %s\nwant %s", name, r.Message.MessageID, got, w)
			}
		}
	}

	var out bytes.Buffer
	sum, err := scan(t, ctx, "imaps://alice%40example.test@"+srv.IMAPS, fetch.Options{AllFolders: true, CAFile: srv.CAFile, Password: alicePass, BatchSize: 64},
		report.ScanOptions{Out: &out, Workers: 2})
	if err != nil {
		t.Fatal(err)
	}
	check("imaps all folders", out.Bytes(), 355, sum)
	rs := lines(t, out.Bytes())
	if r := rs[0]; r.Source.Kind != "imap" || r.Source.Mailbox != "INBOX" || r.Source.UID != 1 || r.Source.UIDValidity == 0 {
		t.Errorf("first source %+v", r.Source)
	}
	if sum.Hops == 0 || sum.Transit == nil || len(sum.TopOrigins) == 0 || len(sum.Findings) == 0 {
		t.Errorf("summary %+v", sum)
	}

	out.Reset()
	sum, err = scan(t, ctx, "pop3://alice%40example.test@"+srv.POP3, fetch.Options{StartTLS: true, CAFile: srv.CAFile, Password: alicePass},
		report.ScanOptions{Out: &out})
	if err != nil {
		t.Fatal(err)
	}
	check("pop3 starttls", out.Bytes(), 200, sum)

	if after := mailState(t, srv, "alice@example.test", "alice-pass"); after != before {
		t.Errorf("the mailbox changed:\nbefore:\n%s\nafter:\n%s", before, after)
	}
}

// cancelAfter cancels the scan once n messages were read.
type cancelAfter struct {
	fetch.Source
	n      int
	cancel func()
	read   atomic.Int32
	hook   func(int)
}

func (c *cancelAfter) Next(ctx context.Context) (*fetch.Message, error) {
	m, err := c.Source.Next(ctx)
	if err == nil {
		k := int(c.read.Add(1))
		if k == c.n && c.cancel != nil {
			c.cancel()
		}
		if c.hook != nil {
			c.hook(k)
		}
	}
	return m, err
}

func (c *cancelAfter) Total() (int, bool) { return c.Source.(fetch.Totaler).Total() }

// TestScanResume: a scan cancelled midway (twice) and resumed with its
// checkpoint writes every message exactly once, and the output holds only
// complete lines; then a server restart mid-scan is survived.
func TestScanResume(t *testing.T) {
	srv := dovecot.Start(t, dovecot.DefaultUsers()...)
	dir := t.TempDir()
	cpPath, outPath := filepath.Join(dir, "scan.ckpt"), filepath.Join(dir, "out.jsonl")
	spec := "imap://alice%40example.test@" + srv.IMAP
	fo := fetch.Options{AllFolders: true, Password: alicePass, BatchSize: 25}

	run := func(stopAfter int) (report.Summary, error) {
		cp, err := report.LoadCheckpoint(cpPath)
		if err != nil {
			t.Fatal(err)
		}
		f, err := os.OpenFile(outPath, os.O_RDWR|os.O_CREATE, 0o644)
		if err != nil {
			t.Fatal(err)
		}
		defer f.Close()
		// As `scan --out` does: cut back to what the checkpoint covers.
		if err := f.Truncate(cp.OutputOffset()); err != nil {
			t.Fatal(err)
		}
		f.Seek(cp.OutputOffset(), io.SeekStart)
		ctx, cancel := context.WithCancel(context.Background())
		defer cancel()
		o := fo
		o.Resume = cp
		src, err := fetch.Open(ctx, spec, o)
		if err != nil {
			t.Fatal(err)
		}
		defer src.Close()
		wrapped := &cancelAfter{Source: src, n: stopAfter, cancel: cancel}
		return report.Scan(ctx, wrapped, report.ScanOptions{Out: f, Checkpoint: cp, OutOffset: cp.OutputOffset(), Workers: 2, SaveEvery: time.Millisecond})
	}
	s1, err := run(90)
	if !errors.Is(err, context.Canceled) || !s1.Interrupted {
		t.Fatalf("first run: %v %+v", err, s1.Interrupted)
	}
	s2, err := run(150)
	if !errors.Is(err, context.Canceled) {
		t.Fatalf("second run: %v", err)
	}
	s3, err := run(-1)
	if err != nil {
		t.Fatalf("last run: %v", err)
	}
	b, _ := os.ReadFile(outPath)
	rs := lines(t, b)
	seen := map[string]int{}
	for _, r := range rs {
		seen[r.Message.MessageID]++
	}
	dups := 0
	for _, n := range seen {
		if n > 1 {
			dups++
		}
	}
	if len(seen) != 355 || dups > 0 || len(rs) != 355 {
		t.Fatalf("after resume: %d lines, %d distinct messages, %d duplicated (runs wrote %d+%d+%d)", len(rs), len(seen), dups, s1.Messages, s2.Messages, s3.Messages)
	}
	if s1.Messages == 0 || s2.Messages == 0 || s3.Messages == 0 {
		t.Errorf("runs wrote %d, %d, %d", s1.Messages, s2.Messages, s3.Messages)
	}

	// A server stopped and restarted mid-scan.
	ctx := context.Background()
	var warnings atomic.Int32
	src, err := fetch.Open(ctx, spec, fetch.Options{AllFolders: true, Password: alicePass, BatchSize: 25,
		Warn: func(msg string) { t.Log(msg); warnings.Add(1) }})
	if err != nil {
		t.Fatal(err)
	}
	defer src.Close()
	restarted := false
	wrapped := &cancelAfter{Source: src, hook: func(k int) {
		if k == 120 {
			if err := srv.Restart(); err != nil {
				t.Errorf("restart: %v", err)
			}
			restarted = true
		}
	}}
	var out bytes.Buffer
	sum, err := report.Scan(ctx, wrapped, report.ScanOptions{Out: &out, Workers: 1})
	if err != nil || !restarted {
		t.Fatalf("scan across a restart: %v (restarted %v)", err, restarted)
	}
	rs = lines(t, out.Bytes())
	seen = map[string]int{}
	for _, r := range rs {
		seen[r.Message.MessageID]++
	}
	if len(rs) != 355 || len(seen) != 355 || sum.Messages != 355 {
		t.Fatalf("across a restart: %d lines, %d distinct", len(rs), len(seen))
	}
	if warnings.Load() == 0 {
		t.Errorf("no reconnect was reported: did the restart cut the connection?")
	}
}
