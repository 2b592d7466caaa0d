package fetch_test

import (
	"bytes"
	"context"
	"errors"
	"io"
	"strings"
	"testing"

	"github.com/mailtrace/mailtrace/fetch"
	"github.com/mailtrace/mailtrace/internal/dovecot"
)

func pass(p string) func(context.Context, string, string) (string, error) {
	return func(context.Context, string, string) (string, error) { return p, nil }
}

// drainAll reads src to the end and, as drainRetained, fails when a
// message's Header changed after Next returned it (Message's promise).
func drainAll(t *testing.T, src fetch.Source) []*fetch.Message {
	t.Helper()
	var out []*fetch.Message
	var headers [][]byte
	for {
		m, err := src.Next(context.Background())
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			t.Fatalf("Next: %v", err)
		}
		out = append(out, m)
		headers = append(headers, bytes.Clone(m.Header))
	}
	src.Close()
	for i, m := range out {
		if !bytes.Equal(m.Header, headers[i]) {
			t.Errorf("message %d: Header changed after Next returned it", i+1)
		}
	}
	return out
}

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
