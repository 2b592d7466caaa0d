package fetch_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/emersion/go-imap/v2"
	"github.com/emersion/go-imap/v2/imapclient"

	"github.com/mailtrace/mailtrace/fetch"
	"github.com/mailtrace/mailtrace/internal/dnsfake"
	"github.com/mailtrace/mailtrace/internal/dovecot"
	"github.com/mailtrace/mailtrace/report/verify"
)

func pass(p string) func(context.Context, string, string) (string, error) {
	return func(context.Context, string, string) (string, error) { return p, nil }
}

// drainAll is drainRetained: it reads src to the end and fails when a
// message's Header or Raw changed after Next returned it.
var drainAll = fetch.DrainRetained

func TestDovecotSmoke(t *testing.T) {
	srv := dovecot.Start(t, dovecot.DefaultUsers()...)
	ctx := context.Background()
	for _, tc := range []struct {
		url  string
		opts fetch.Options
		want int
	}{
		{"imaps://alice%40example.test@" + srv.IMAPS, fetch.Options{AllFolders: true, CAFile: srv.CAFile}, 355},
		{"imap://alice%40example.test@" + srv.IMAP + "/Archive", fetch.Options{StartTLS: true, CAFile: srv.CAFile}, 100},
		{"imap://alice%40example.test@" + srv.IMAP, fetch.Options{Folders: []string{"Entwürfe"}}, 5},
		{"pop3s://alice%40example.test@" + srv.POP3S, fetch.Options{CAFile: srv.CAFile}, 200},
		{"pop3://bob%40example.test@" + srv.POP3, fetch.Options{StartTLS: true, CAFile: srv.CAFile}, 20},
	} {
		tc.opts.Password = pass("alice-pass")
		if tc.want == 20 {
			tc.opts.Password = pass("bob-pass")
		}
		src, err := fetch.Open(ctx, tc.url, tc.opts)
		if err != nil {
			t.Fatalf("%s: %v\n%s", tc.url, err, srv.Log())
		}
		msgs := drainAll(t, src)
		if len(msgs) != tc.want {
			t.Errorf("%s: %d messages, want %d", tc.url, len(msgs), tc.want)
		}
	}

	// TLS is verified: the test certificate is refused without --ca-file,
	// accepted with --insecure.
	for _, url := range []string{"imaps://alice%40example.test@" + srv.IMAPS, "pop3s://alice%40example.test@" + srv.POP3S} {
		if _, err := fetch.Open(ctx, url, fetch.Options{Password: pass("alice-pass")}); err == nil || !strings.Contains(err.Error(), "certificate") {
			t.Errorf("%s: unverified certificate accepted: %v", url, err)
		}
		src, err := fetch.Open(ctx, url, fetch.Options{Password: pass("alice-pass"), Insecure: true, Limit: 3})
		if err != nil {
			t.Fatalf("%s --insecure: %v", url, err)
		}
		if n := len(drainAll(t, src)); n != 3 {
			t.Errorf("%s --insecure: %d messages", url, n)
		}
	}
	if _, err := fetch.Open(ctx, "imaps://alice%40example.test@"+srv.IMAPS, fetch.Options{Password: pass("wrong"), CAFile: srv.CAFile}); !errors.Is(err, fetch.ErrAuth) {
		t.Errorf("wrong password: %v", err)
	}
}

// keepBodyUser is a user whose INBOX holds seeded messages and, last,
// three DKIM-signed ones (stored with LF line ends, as a delivery agent
// writes them; Dovecot serves CRLF), one of them unseen in new/.
func keepBodyUser(t *testing.T) (dovecot.User, dnsfake.TXT) {
	signed, zone := dnsfake.SignedMessage(t)
	lf := bytes.ReplaceAll(signed, []byte("\r\n"), []byte("\n"))
	start := time.Date(2026, 3, 1, 8, 0, 0, 0, time.UTC)
	msgs := dovecot.SeedMessages("INBOX", 60, 11, start)
	for i, flags := range []string{"S", "", "FS"} {
		msgs = append(msgs, dovecot.Seed{Raw: lf, Time: start.Add(time.Duration(1000+i) * time.Hour), Flags: flags, New: flags == ""})
	}
	return dovecot.User{Name: "carol@example.test", Password: "carol-pass",
		Folders: []dovecot.Folder{{Name: "INBOX", Messages: msgs}}}, zone
}

// mailState is what a scan must not change: every message's Maildir flags
// (by its stable key) and, through IMAP STATUS, the counts. Whether a file
// is in new/ or cur/ is left out: a POP3 session moves new mail to cur/
// (it is no longer \Recent), flags unchanged, header-only or not.
func mailState(t *testing.T, srv *dovecot.Server, user, password string) string {
	t.Helper()
	var files []string
	root := srv.Maildir(user, "INBOX")
	for _, sub := range []string{"cur", "new"} {
		ents, err := os.ReadDir(filepath.Join(root, sub))
		if err != nil {
			t.Fatal(err)
		}
		for _, e := range ents {
			key, flags, _ := strings.Cut(e.Name(), ":2,")
			files = append(files, fmt.Sprintf("%s flags=%q", key, flags))
		}
	}
	sort.Strings(files)
	c, err := imapclient.DialInsecure(srv.IMAP, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	if err := c.Login(user, password).Wait(); err != nil {
		t.Fatal(err)
	}
	st, err := c.Status("INBOX", &imap.StatusOptions{NumMessages: true, NumUnseen: true, UIDNext: true}).Wait()
	if err != nil {
		t.Fatal(err)
	}
	c.Logout().Wait()
	return fmt.Sprintf("%s\nmessages=%d unseen=%d uidnext=%d", strings.Join(files, "\n"), *st.NumMessages, *st.NumUnseen, st.UIDNext)
}

// TestDovecotKeepBody: with KeepBody, IMAP (BODY.PEEK[]) and POP3 (TOP n
// with every line) give every message whole, Raw the Maildir file's bytes
// with the CRLF line ends the server sends, and Header the same as a
// header-only scan's; the signed messages verify; and no flag or count
// changed.
func TestDovecotKeepBody(t *testing.T) {
	user, zone := keepBodyUser(t)
	srv := dovecot.Start(t, user)
	before := mailState(t, srv, user.Name, user.Password)
	seeds := user.Folders[0].Messages
	crlf := func(b []byte) []byte { return bytes.ReplaceAll(b, []byte("\n"), []byte("\r\n")) }
	ctx := context.Background()
	for _, tc := range []struct {
		url  string
		opts fetch.Options
	}{
		{"imaps://carol%40example.test@" + srv.IMAPS, fetch.Options{CAFile: srv.CAFile}},
		{"imap://carol%40example.test@" + srv.IMAP, fetch.Options{BatchSize: 7}},
		{"pop3s://carol%40example.test@" + srv.POP3S, fetch.Options{CAFile: srv.CAFile}},
		{"pop3://carol%40example.test@" + srv.POP3, fetch.Options{}},
	} {
		tc.opts.Password = pass(user.Password)
		open := func(keep bool) []*fetch.Message {
			o := tc.opts
			o.KeepBody = keep
			src, err := fetch.Open(ctx, tc.url, o)
			if err != nil {
				t.Fatalf("%s: %v\n%s", tc.url, err, srv.Log())
			}
			return drainAll(t, src)
		}
		heads, whole := open(false), open(true)
		if len(heads) != len(seeds) || len(whole) != len(seeds) {
			t.Fatalf("%s: %d and %d messages, want %d", tc.url, len(heads), len(whole), len(seeds))
		}
		for i, m := range whole {
			if m.Err != nil || heads[i].Err != nil {
				t.Fatalf("%s: message %d: %v / %v", tc.url, i+1, m.Err, heads[i].Err)
			}
			if !bytes.Equal(m.Header, heads[i].Header) {
				t.Errorf("%s: message %d: Header differs from the header-only scan's:\n%q\n%q", tc.url, i+1, m.Header, heads[i].Header)
			}
			if heads[i].Raw != nil {
				t.Errorf("%s: message %d: Raw without KeepBody", tc.url, i+1)
			}
			if want := crlf(seeds[i].Raw); !bytes.Equal(m.Raw, want) {
				t.Errorf("%s: message %d: Raw differs from the file (%d bytes, want %d)", tc.url, i+1, len(m.Raw), len(want))
			}
		}
		for _, m := range whole[len(whole)-3:] {
			checks, err := verify.CheckDKIM(ctx, zone, m.Raw)
			if err != nil || len(checks) != 1 || checks[0].Result != verify.DKIMPass {
				t.Errorf("%s: signed message %d: %+v %v", tc.url, m.Origin.Index, checks, err)
			}
		}
		if after := mailState(t, srv, user.Name, user.Password); after != before {
			t.Fatalf("%s: the mailbox changed:\nbefore %s\nafter  %s", tc.url, before, after)
		}
	}
}
