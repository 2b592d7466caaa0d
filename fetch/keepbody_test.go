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

// TestKeepBody: with KeepBody, file, stdin, mbox and directory sources give
// the whole message back byte for byte (DKIM verification needs it).
func TestKeepBody(t *testing.T) {
	want, err := os.ReadFile("../testdata/sample.eml")
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "a.eml"), want, 0o644); err != nil {
		t.Fatal(err)
	}
	mbox := filepath.Join(t.TempDir(), "box.mbox")
	if err := os.WriteFile(mbox, append([]byte("From x@example.com Tue Nov 24 09:14:07 2026\n"), want...), 0o644); err != nil {
		t.Fatal(err)
	}
	test := func(spec string, stdin io.Reader) {
		t.Helper()
		src, err := Open(context.Background(), spec, Options{KeepBody: true, Stdin: stdin})
		if err != nil {
			t.Fatal(err)
		}
		defer src.Close()
		m, err := src.Next(context.Background())
		if err != nil || m.Err != nil {
			t.Fatalf("%s: %v %v", spec, err, m.Err)
		}
		norm := func(b []byte) []byte { return bytes.TrimRight(bytes.ReplaceAll(b, []byte("\r\n"), []byte("\n")), "\n") }
		if !bytes.Equal(norm(m.Raw), norm(want)) {
			t.Errorf("%s: Raw differs (%d bytes, want %d)", spec, len(m.Raw), len(want))
		}
	}
	test("../testdata/sample.eml", nil)
	test("-", bytes.NewReader(want))
	test(mbox, nil)
	test(dir, nil)
	src, _ := Open(context.Background(), "../testdata/sample.eml", Options{})
	defer src.Close()
	if m, _ := src.Next(context.Background()); m.Raw != nil {
		t.Error("Raw kept without KeepBody")
	}
}

// TestKeepBodyIMAP: with KeepBody the IMAP source asks for BODY.PEEK[] and
// keeps each message whole; a BODY[] literal over MaxMessageBytes gives
// that message its header and ErrMessageTooLarge, no Raw, and the scan
// goes on with the next.
func TestKeepBodyIMAP(t *testing.T) {
	addr := scriptIMAP(t, 4, 0, 0, 2)
	src, err := Open(context.Background(), "imap://alice@"+addr, Options{KeepBody: true, Password: staticPassword("pw"), BatchSize: 3})
	if err != nil {
		t.Fatal(err)
	}
	msgs := drain(t, src)
	if len(msgs) != 4 {
		t.Fatalf("%d messages, want 4", len(msgs))
	}
	for i, m := range msgs {
		u := i + 1
		h := fmt.Sprintf("Subject: %d\r\n", u)
		if string(m.Header) != h {
			t.Errorf("UID %d: Header %q", u, m.Header)
		}
		if u == 2 {
			if !errors.Is(m.Err, ErrMessageTooLarge) || m.Raw != nil {
				t.Errorf("UID 2 (too large): Err %v, Raw %d bytes", m.Err, len(m.Raw))
			}
			continue
		}
		if want := fmt.Sprintf("%s\r\nbody %d\r\n", h, u); m.Err != nil || string(m.Raw) != want {
			t.Errorf("UID %d: Raw %q, Err %v", u, m.Raw, m.Err)
		}
	}
}

// TestKeepBodyPOP3: with KeepBody the POP3 source sends TOP n with every
// line, never RETR (which may set \Seen); an answer over MaxMessageBytes
// gives that message its header and ErrMessageTooLarge, and the scan goes
// on.
func TestKeepBodyPOP3(t *testing.T) {
	for _, pipelined := range []bool{false, true} {
		p := &pop3Script{msgs: []string{"Subject: one\n\nbody\n..dot\n", "Subject: big\r\n", "Subject: three\n"},
			uidls: []string{"a", "b", "c"}, pipelined: pipelined, huge: 2}
		addr := p.serve(t)
		src, err := Open(context.Background(), "pop3://alice@"+addr, Options{KeepBody: true, Password: staticPassword("pw")})
		if err != nil {
			t.Fatal(err)
		}
		msgs := drain(t, src)
		if len(msgs) != 3 {
			t.Fatalf("%d messages, want 3", len(msgs))
		}
		if m := msgs[0]; m.Err != nil || string(m.Raw) != "Subject: one\r\n\r\nbody\r\n..dot\r\n\r\n" || string(m.Header) != "Subject: one\r\n" {
			t.Errorf("message 1: Raw %q Header %q Err %v", m.Raw, m.Header, m.Err)
		}
		if m := msgs[1]; !errors.Is(m.Err, ErrMessageTooLarge) || m.Raw != nil || string(m.Header) != "Subject: big\r\n" {
			t.Errorf("message 2 (too large): Err %v, Raw %d bytes, Header %q", m.Err, len(m.Raw), m.Header)
		}
		if m := msgs[2]; m.Err != nil || string(m.Raw) != "Subject: three\r\n\r\n" {
			t.Errorf("message 3: Raw %q Err %v", m.Raw, m.Err)
		}
		p.mu.Lock()
		for _, c := range p.commands {
			if strings.HasPrefix(c, "RETR") || strings.HasPrefix(c, "TOP") && !strings.HasSuffix(c, " 2147483647") {
				t.Errorf("command %q", c)
			}
		}
		p.mu.Unlock()
	}
}

// TestKeepBodyTooLargeLocal: a local message over MaxMessageBytes gets its
// header and ErrMessageTooLarge, no Raw cut short (as from IMAP and POP3),
// and an mbox goes on with the next message.
func TestKeepBodyTooLargeLocal(t *testing.T) {
	head := "From: a@example.com\nSubject: big\n\n"
	big := head + strings.Repeat(strings.Repeat("x", 1023)+"\n", MaxMessageBytes/1024+1)
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "big.eml"), []byte(big), 0o644); err != nil {
		t.Fatal(err)
	}
	mbox := filepath.Join(t.TempDir(), "box.mbox")
	small := "From: b@example.com\nSubject: small\n\nbody\n"
	if err := os.WriteFile(mbox, []byte("From x@example.com Tue Nov 24 09:14:07 2026\n"+big+"\nFrom y@example.com Tue Nov 24 09:14:08 2026\n"+small), 0o644); err != nil {
		t.Fatal(err)
	}
	for _, spec := range []string{filepath.Join(dir, "big.eml"), dir, mbox} {
		src, err := Open(context.Background(), spec, Options{KeepBody: true})
		if err != nil {
			t.Fatal(err)
		}
		m, err := src.Next(context.Background())
		if err != nil || !errors.Is(m.Err, ErrMessageTooLarge) || m.Raw != nil {
			t.Fatalf("%s: %v, message error %v, %d bytes kept", spec, err, m.Err, len(m.Raw))
		}
		if !strings.Contains(string(m.Header), "Subject: big") {
			t.Errorf("%s: header %q", spec, m.Header)
		}
		if spec == mbox {
			m, err := src.Next(context.Background())
			if err != nil || m.Err != nil || string(bytes.ReplaceAll(m.Raw, []byte("\r\n"), []byte("\n"))) != small {
				t.Errorf("after the big message: %v %v %q", err, m.Err, m.Raw)
			}
		}
		src.Close()
	}
}
