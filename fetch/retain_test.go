package fetch

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// The retention tests hold every source to Message's promise: its Header
// and Raw bytes are never modified once Next has returned it (analysis
// points into them instead of copying, header.ParseOwned). Each test reads
// all messages first, keeping a copy of what Next returned, and only then
// compares: a source that reused or wrote a buffer shows a changed message.

// drainRetained reads src to the end and fails when a message's Header or
// Raw changed after Next returned it. It returns the messages.
func drainRetained(t *testing.T, src Source) []*Message {
	t.Helper()
	var msgs []*Message
	var headers, raws [][]byte
	for {
		m, err := src.Next(context.Background())
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			t.Fatalf("Next: %v", err)
		}
		msgs = append(msgs, m)
		headers = append(headers, bytes.Clone(m.Header))
		raws = append(raws, bytes.Clone(m.Raw))
	}
	if err := src.Close(); err != nil {
		t.Fatal(err)
	}
	for i, m := range msgs {
		if !bytes.Equal(m.Header, headers[i]) {
			t.Errorf("message %d: Header changed after Next returned it:\n%q\nwas\n%q", i+1, m.Header, headers[i])
		}
		if !bytes.Equal(m.Raw, raws[i]) {
			t.Errorf("message %d: Raw changed after Next returned it", i+1)
		}
	}
	return msgs
}

// retainMbox is an mbox of n messages whose headers vary in size (up to a
// few times the splitter's slab, so that some grow out of it), with
// ">From " lines, folded fields and bodies.
func retainMbox(n int) []byte {
	var b bytes.Buffer
	for i := range n {
		fmt.Fprintf(&b, "From sender%d@example.test Wed Nov 25 20:01:28 2026\n", i)
		fmt.Fprintf(&b, "Received: from a%d.example (a.example [192.0.2.%d])\n\tby mx.example.test; Wed, 25 Nov 2026 20:01:28 +0000\n", i, i%250+1)
		if i%3 == 0 {
			b.WriteString(">From a header line escaped\n")
		}
		fmt.Fprintf(&b, "X-Pad: %s\n", strings.Repeat("p", (i*i*37)%(3*slabSize/2)))
		fmt.Fprintf(&b, "Subject: message %d\n\nbody %d\nFrom: not a header\n>From escaped body\n\n", i, i)
	}
	return b.Bytes()
}

func TestRetainMbox(t *testing.T) {
	raw := retainMbox(200)
	path := filepath.Join(t.TempDir(), "box.mbox")
	if err := os.WriteFile(path, raw, 0o644); err != nil {
		t.Fatal(err)
	}
	for _, opts := range []Options{{}, {MaxHeaderBytes: 2000}, {KeepBody: true}} {
		src, err := Open(context.Background(), path, opts)
		if err != nil {
			t.Fatal(err)
		}
		if n := len(drainRetained(t, src)); n != 200 {
			t.Errorf("%+v: %d messages, want 200", opts, n)
		}
		src, _ = Open(context.Background(), "-", Options{Stdin: bytes.NewReader(raw), MaxHeaderBytes: opts.MaxHeaderBytes, KeepBody: opts.KeepBody})
		if n := len(drainRetained(t, src)); n != 200 {
			t.Errorf("stdin %+v: %d messages, want 200", opts, n)
		}
	}
}

func TestRetainLocal(t *testing.T) {
	for _, spec := range []string{mailPath("postfix.eml"), mailPath("header-over-4k.eml"), mailPath("pasted-indented-crlf.txt"),
		mailPath("eml-dir"), mailPath("maildir"), mailPath("archive.mbox"), "../testdata/sample.eml"} {
		for _, opts := range []Options{{}, {MaxHeaderBytes: 100}, {KeepBody: true}} {
			src, err := Open(context.Background(), spec, opts)
			if err != nil {
				t.Fatal(err)
			}
			drainRetained(t, src)
		}
	}
	raw, err := os.ReadFile("../testdata/sample.eml")
	if err != nil {
		t.Fatal(err)
	}
	for _, keep := range []bool{false, true} {
		src, _ := Open(context.Background(), "-", Options{Stdin: bytes.NewReader(raw), KeepBody: keep})
		drainRetained(t, src)
	}
	src := Concat([]string{mailPath("eml-dir"), mailPath("archive.mbox"), mailPath("maildir")}, Options{})
	drainRetained(t, src)
}

func TestRetainIMAP(t *testing.T) {
	addr, _ := memIMAP(t, map[string]int{"INBOX": 60, "Archive": 9})
	for _, opts := range []Options{{BatchSize: 7, AllFolders: true}, {MaxHeaderBytes: 40, AllFolders: true}} {
		opts.Password = staticPassword("secret")
		src, err := Open(context.Background(), "imap://alice%40example.test@"+addr, opts)
		if err != nil {
			t.Fatal(err)
		}
		if n := len(drainRetained(t, src)); n != 69 {
			t.Errorf("%d messages, want 69", n)
		}
	}
}

func TestRetainPOP3(t *testing.T) {
	var msgs, uidls []string
	for i := range 40 {
		msgs = append(msgs, fmt.Sprintf("Received: from a (a [192.0.2.%d]) by b; Wed, 25 Nov 2026 20:01:28 +0000\nSubject: %d\n%s\n", i+1, i, strings.Repeat("X-Pad: x\n", i)))
		uidls = append(uidls, fmt.Sprintf("u%d", i))
	}
	for _, pipelined := range []bool{false, true} {
		p := &pop3Script{msgs: msgs, uidls: uidls, pipelined: pipelined}
		addr := p.serve(t)
		src, err := Open(context.Background(), "pop3://alice%40example.test@"+addr, Options{Password: staticPassword("pw")})
		if err != nil {
			t.Fatal(err)
		}
		if n := len(drainRetained(t, src)); n != 40 {
			t.Errorf("%d messages, want 40", n)
		}
	}
}
