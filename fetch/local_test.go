package fetch

import (
	"context"
	"errors"
	"io"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"
)

func mailPath(name string) string { return filepath.Join("..", "testdata", "mail", name) }

// drain reads a source to the end, holding it to Message's promise
// (drainRetained).
func drain(t *testing.T, src Source) []*Message {
	t.Helper()
	return drainRetained(t, src)
}

func TestOpenLocal(t *testing.T) {
	type want struct {
		kind, mailbox, contains, name string
		err                           error
	}
	test := func(spec string, opts Options, wants ...want) {
		t.Helper()
		src, err := Open(context.Background(), spec, opts)
		if err != nil {
			t.Fatalf("%s: Open: %v", spec, err)
		}
		got := drain(t, src)
		if len(got) != len(wants) {
			t.Fatalf("%s: %d messages, want %d", spec, len(got), len(wants))
		}
		for i, w := range wants {
			m := got[i]
			if m.Origin.Kind != w.kind || m.Origin.Index != i+1 || m.Origin.Mailbox != w.mailbox {
				t.Errorf("%s #%d: origin %+v, want kind %s mailbox %q", spec, i+1, m.Origin, w.kind, w.mailbox)
			}
			if w.name != "" && !strings.HasSuffix(m.Origin.Name, w.name) {
				t.Errorf("%s #%d: name %q, want …%s", spec, i+1, m.Origin.Name, w.name)
			}
			if !strings.Contains(string(m.Header), w.contains) {
				t.Errorf("%s #%d: header %q lacks %q", spec, i+1, m.Header, w.contains)
			}
			if !errors.Is(m.Err, w.err) || (m.Err != nil) != (w.err != nil) {
				t.Errorf("%s #%d: err %v, want %v", spec, i+1, m.Err, w.err)
			}
			if strings.Contains(string(m.Header), "body") {
				t.Errorf("%s #%d: header holds the body: %q", spec, i+1, m.Header)
			}
		}
	}
	small := Options{MaxHeaderBytes: 4096}
	test(mailPath("postfix.eml"), small, want{kind: KindFile, contains: "Subject: Postfix fixture\n", name: "postfix.eml"})
	test(mailPath("pasted-indented-crlf.txt"), small, want{kind: KindFile, contains: "\r\nReceived: from [192.0.2.44] (helo=workstation)\r\n"})
	test(mailPath("header-over-4k.eml"), small, want{kind: KindFile, contains: "X-Filler-1:", err: ErrHeaderTooLarge})
	test(mailPath("garbage.bin"), small, want{kind: KindFile, err: ErrNoHeader})
	test(mailPath("archive.mbox"), small,
		want{kind: KindMbox, contains: "Subject: mbox one\n"},
		want{kind: KindMbox, contains: "Subject: mbox two"},
		want{kind: KindMbox, contains: "[2001:db8::25]"})
	test(mailPath("maildir"), small,
		want{kind: KindMaildir, mailbox: "INBOX", contains: "Postfix fixture", name: ":2,S"},
		want{kind: KindMaildir, mailbox: "INBOX", contains: "Unseen in new", name: "new/1764100999.M2P100.mail.example.test"},
		want{kind: KindMaildir, mailbox: "INBOX", contains: "Flagged, answered"},
		want{kind: KindMaildir, mailbox: "Archive", contains: "Archived"})
	test(mailPath("maildir"), Options{Folders: []string{"Archive"}},
		want{kind: KindMaildir, mailbox: "Archive", contains: "Archived"})
	test(mailPath("eml-dir"), small,
		want{kind: KindFile, contains: "a first", name: "a.eml"},
		want{kind: KindFile, contains: "Postfix fixture", name: "b.eml"},
		want{kind: KindFile, contains: "in sub", name: "c.EML"})
	test("-", Options{Stdin: strings.NewReader("\n\n  Received: from x by y; Wed, 25 Nov 2026 20:01:28 +0000\n  Subject: s\n\n body")},
		want{kind: KindStdin, contains: "Received: from x by y;", name: "-"})
	mbox, _ := os.ReadFile(mailPath("archive.mbox"))
	test("-", Options{Stdin: strings.NewReader(string(mbox))},
		want{kind: KindStdin, contains: "mbox one"}, want{kind: KindStdin, contains: "mbox two"}, want{kind: KindStdin, contains: "mbox three"})
}

func TestOpenErrors(t *testing.T) {
	test := func(spec string, want error) {
		t.Helper()
		_, err := Open(context.Background(), spec, Options{})
		if !errors.Is(err, want) {
			t.Errorf("%s: err %v, want %v", spec, err, want)
		}
	}
	test(mailPath("does-not-exist.eml"), ErrNotFound)
	test("ftp://example.test/x", ErrUnsupported)
}

// The Maildir source never moves or renames a file.
func TestMaildirReadOnly(t *testing.T) {
	dir := t.TempDir()
	if err := os.CopyFS(dir, os.DirFS(mailPath("maildir"))); err != nil {
		t.Fatal(err)
	}
	list := func() []string {
		var names []string
		filepath.WalkDir(dir, func(p string, d os.DirEntry, err error) error {
			if err == nil {
				fi, _ := d.Info()
				names = append(names, p+" "+fi.ModTime().String())
			}
			return nil
		})
		sort.Strings(names)
		return names
	}
	before := list()
	src, err := Open(context.Background(), dir, Options{})
	if err != nil {
		t.Fatal(err)
	}
	if n := len(drain(t, src)); n != 4 {
		t.Fatalf("%d messages", n)
	}
	if after := list(); strings.Join(before, "\n") != strings.Join(after, "\n") {
		t.Fatalf("maildir changed:\n%v\n%v", before, after)
	}
}

// An mbox streams: a huge body is read through, never held.
func TestMboxLargeBody(t *testing.T) {
	r, w := io.Pipe()
	go func() {
		w.Write([]byte("From a@b Wed Nov 25 20:01:29 2026\nSubject: big\n\n"))
		line := []byte(strings.Repeat("z", 1000) + "\n")
		for range 20000 { // 20 MB
			w.Write(line)
		}
		w.Write([]byte("From c@d Wed Nov 25 20:01:29 2026\nSubject: after\n\nx\n"))
		w.Close()
	}()
	src, err := Open(context.Background(), "-", Options{Stdin: r})
	if err != nil {
		t.Fatal(err)
	}
	got := drain(t, src)
	if len(got) != 2 || string(got[1].Header) != "Subject: after\n" {
		t.Fatalf("got %d messages", len(got))
	}
}
