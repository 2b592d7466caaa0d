package fetch

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"log"
	"net"
	"strings"
	"testing"
	"time"

	"github.com/emersion/go-imap/v2"
	"github.com/emersion/go-imap/v2/imapserver"
	"github.com/emersion/go-imap/v2/imapserver/imapmemserver"
)

type literal struct {
	*bytes.Reader
}

func (l literal) Size() int64 { return int64(l.Reader.Len()) }

// memIMAP serves folders of n synthetic messages on loopback, plain.
func memIMAP(t *testing.T, folders map[string]int) (addr string, user *imapmemserver.User) {
	t.Helper()
	mem := imapmemserver.New()
	user = imapmemserver.NewUser("alice@example.test", "secret")
	for name, n := range folders {
		if err := user.Create(name, nil); err != nil {
			t.Fatal(err)
		}
		for i := 1; i <= n; i++ {
			msg := fmt.Sprintf("Received: from a.example (a.example [192.0.2.%d]) by mx.example.test with ESMTP id X%d; Wed, 25 Nov 2026 20:01:28 +0000\r\nSubject: %s %d\r\n\r\nbody %d\r\n", i%250+1, i, name, i, i)
			if _, err := user.Append(name, literal{bytes.NewReader([]byte(msg))}, &imap.AppendOptions{}); err != nil {
				t.Fatal(err)
			}
		}
	}
	mem.AddUser(user)
	srv := imapserver.New(&imapserver.Options{
		NewSession: func(*imapserver.Conn) (imapserver.Session, *imapserver.GreetingData, error) {
			return mem.NewSession(), nil, nil
		},
		Caps:         imap.CapSet{imap.CapIMAP4rev1: {}, imap.CapIMAP4rev2: {}},
		InsecureAuth: true,
		Logger:       log.New(io.Discard, "", 0),
	})
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	go srv.Serve(ln)
	t.Cleanup(func() { srv.Close() })
	return ln.Addr().String(), user
}

func staticPassword(p string) func(context.Context, string, string) (string, error) {
	return func(context.Context, string, string) (string, error) { return p, nil }
}

func TestIMAPMem(t *testing.T) {
	addr, user := memIMAP(t, map[string]int{"INBOX": 23, "Archive": 7})
	ctx := context.Background()
	test := func(name, url string, opts Options, want int, wantFirst string) {
		t.Helper()
		opts.Password = staticPassword("secret")
		opts.BatchSize = 5
		src, err := Open(ctx, url, opts)
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		msgs := drain(t, src)
		if len(msgs) != want {
			t.Fatalf("%s: %d messages, want %d", name, len(msgs), want)
		}
		seen := map[string]bool{}
		for i, m := range msgs {
			k := fmt.Sprintf("%s/%d", m.Origin.Mailbox, m.Origin.UID)
			if seen[k] || m.Origin.Index != i+1 || m.Origin.UIDValidity == 0 || m.Err != nil {
				t.Errorf("%s: message %d: %+v %v", name, i, m.Origin, m.Err)
			}
			seen[k] = true
			if strings.Contains(string(m.Header), "body") || !strings.HasPrefix(string(m.Header), "Received: ") {
				t.Errorf("%s: header %q", name, m.Header)
			}
			if strings.Contains(m.Origin.Name, "secret") {
				t.Errorf("%s: password in name %q", name, m.Origin.Name)
			}
		}
		if !strings.Contains(string(msgs[0].Header), wantFirst) {
			t.Errorf("%s: first header %q lacks %q", name, msgs[0].Header, wantFirst)
		}
	}
	test("url folder", "imap://alice%40example.test@"+addr+"/INBOX", Options{}, 23, "Subject: INBOX 1\r\n")
	test("--user", "imap://"+addr+"/Archive", Options{User: "alice@example.test"}, 7, "Subject: Archive 1\r\n")
	test("folders", "imap://alice%40example.test@"+addr, Options{Folders: []string{"Archive", "INBOX"}}, 30, "Subject: Archive 1\r\n")
	test("all folders", "imap://alice%40example.test@"+addr, Options{AllFolders: true}, 30, "Subject: INBOX 1\r\n")
	test("limit", "imap://alice%40example.test@"+addr, Options{AllFolders: true, Limit: 12}, 12, "Subject: INBOX 1\r\n")

	// Nothing was marked \Seen.
	st, err := user.Status("INBOX", &imap.StatusOptions{NumUnseen: true})
	if err != nil || *st.NumUnseen != 23 {
		t.Fatalf("unseen after scans: %v %v", st.NumUnseen, err)
	}

	// A missing folder is reported and skipped; the others are read.
	src, err := Open(ctx, "imap://alice%40example.test@"+addr, Options{Folders: []string{"Nope", "Archive"}, Password: staticPassword("secret")})
	if err != nil {
		t.Fatal(err)
	}
	if n := len(drain(t, src)); n != 7 {
		t.Fatalf("%d messages", n)
	}
	if p := src.(Problems).Problems(); len(p) != 1 || !errors.Is(p[0], ErrFolder) {
		t.Fatalf("problems %v", p)
	}

	// Bad password, password in URL.
	if _, err := Open(ctx, "imap://alice%40example.test@"+addr, Options{Password: staticPassword("wrong")}); !errors.Is(err, ErrAuth) {
		t.Fatalf("wrong password: %v", err)
	}
	if _, err := Open(ctx, "imap://alice:secret@"+addr, Options{}); !errors.Is(err, ErrPasswordInURL) || strings.Contains(err.Error(), "secret") {
		t.Fatalf("password in URL: %v", err)
	}
}

// memResume is a minimal Resume for the source tests.
type memResume struct {
	uv   map[string]uint32
	done map[string]bool
}

func (r *memResume) Begin(key string, uv uint32) string {
	if old, ok := r.uv[key]; ok && old != uv {
		r.uv[key] = uv
		for k := range r.done {
			delete(r.done, k)
		}
		return "UIDVALIDITY changed"
	}
	r.uv[key] = uv
	return ""
}

func (r *memResume) Done(key, id string) bool { return r.done[key+" "+id] }

func TestIMAPSinceAndResume(t *testing.T) {
	addr, user := memIMAP(t, map[string]int{"INBOX": 9})
	ctx := context.Background()
	open := func(opts Options) []*Message {
		t.Helper()
		opts.Password = staticPassword("secret")
		src, err := Open(ctx, "imap://alice%40example.test@"+addr, opts)
		if err != nil {
			t.Fatal(err)
		}
		return drain(t, src)
	}
	if n := len(open(Options{Since: time.Now().Add(48 * time.Hour)})); n != 0 {
		t.Errorf("since the day after tomorrow: %d", n)
	}
	if n := len(open(Options{Since: time.Now().Add(-48 * time.Hour)})); n != 9 {
		t.Errorf("since two days ago: %d", n)
	}

	r := &memResume{uv: map[string]uint32{}, done: map[string]bool{}}
	first := open(Options{Resume: r, Limit: 4})
	for _, m := range first {
		r.done[m.Origin.Key+" "+m.Origin.ID] = true
	}
	rest := open(Options{Resume: r})
	if len(first) != 4 || len(rest) != 5 || rest[0].Origin.UID != first[3].Origin.UID+1 {
		t.Fatalf("resume: %d then %d", len(first), len(rest))
	}
	for _, m := range rest {
		r.done[m.Origin.Key+" "+m.Origin.ID] = true
	}
	// The folder is recreated: a new UIDVALIDITY, everything is new again.
	if err := user.Delete("INBOX"); err != nil {
		t.Fatal(err)
	}
	user.Create("INBOX", nil)
	for i := 0; i < 3; i++ {
		user.Append("INBOX", literal{bytes.NewReader([]byte("Subject: again\r\n\r\n"))}, &imap.AppendOptions{})
	}
	var warnings []string
	again := open(Options{Resume: r, Warn: func(s string) { warnings = append(warnings, s) }})
	if len(again) != 3 || len(warnings) != 1 || !strings.Contains(warnings[0], "UIDVALIDITY") {
		t.Fatalf("after a new UIDVALIDITY: %d messages, warnings %v", len(again), warnings)
	}
}
