package fetch

import (
	"bytes"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestExtractHeader(t *testing.T) {
	test := func(name, in, want string, wantErr error) {
		t.Helper()
		got, err := ExtractHeader([]byte(in), 64)
		if !errors.Is(err, wantErr) || (err != nil) != (wantErr != nil) {
			t.Errorf("%s: err %v, want %v", name, err, wantErr)
		}
		if string(got) != want {
			t.Errorf("%s: got %q, want %q", name, got, want)
		}
		// The streaming reader agrees (its error text may differ).
		got2, err2 := ReadHeader(strings.NewReader(in), 64)
		if string(got2) != want || !errors.Is(err2, wantErr) || (err2 != nil) != (wantErr != nil) {
			t.Errorf("%s: ReadHeader %q %v, want %q %v", name, got2, err2, want, wantErr)
		}
	}
	test("lf", "A: 1\nB: 2\n\nbody\n", "A: 1\nB: 2\n", nil)
	test("crlf", "A: 1\r\nB: 2\r\n\r\nbody\r\n", "A: 1\r\nB: 2\r\n", nil)
	test("folded", "A: 1\n\tcont\nB: 2\n\nx", "A: 1\n\tcont\nB: 2\n", nil)
	test("bare block, no newline", "A: 1\nB: 2", "A: 1\nB: 2", nil)
	test("leading blank lines", "\n\r\n  \nA: 1\n\nbody", "A: 1\n", nil)
	test("bom", "\xef\xbb\xbfA: 1\n", "A: 1\n", nil)
	test("indented", "  A: 1\n  \tcont\n  B: 2\n  \n  body", "A: 1\n\tcont\nB: 2\n", nil)
	test("indented crlf", "\r\n\tA: 1\r\n\t B\r\n\r\n", "A: 1\r\n B\r\n", nil)
	test("mbox From_ line", "From a@b Wed Nov 25 20:01:29 2026\nA: 1\n\nx", "A: 1\n", nil)
	test("ws-only line ends", "A: 1\n \t\nB: 2\n", "A: 1\n", nil)
	test("obsolete name ws", "A : 1\n", "A : 1\n", nil)
	test("empty", "", "", ErrNoHeader)
	test("blank only", "\n\n  \n", "", ErrNoHeader)
	test("body text", "Hello there,\nA: 1\n", "", ErrNoHeader)
	test("binary", "\x00\x01\x02: x\n", "", ErrNoHeader)
	test("too large", "A: 1\n"+strings.Repeat("B: 0123456789\n", 10)+"\nbody", "A: 1\nB: 0123456789\nB: 0123456789\nB: 0123456789\nB: 0123456789\n", ErrHeaderTooLarge)
	test("too large line", "A: "+strings.Repeat("x", 100)+"\n", "", ErrHeaderTooLarge)
}

func TestExtractHeaderSize(t *testing.T) {
	_, err := ExtractHeader([]byte("A: "+strings.Repeat("x", 100)+"\n\nbody"), 50)
	if err == nil || !strings.Contains(err.Error(), "104 bytes, limit 50") {
		t.Fatalf("err %v, want the size and limit", err)
	}
}

// A long line crosses bufio's buffer: the streaming reader must still strip
// the indentation only at line starts and find the end.
func TestReadHeaderLongLines(t *testing.T) {
	long := strings.Repeat("y", 200000)
	in := "  A: " + long + "\n  B: 2\n\n  body " + long
	got, err := ReadHeader(strings.NewReader(in), 1<<20)
	if err != nil || string(got) != "A: "+long+"\nB: 2\n" {
		t.Fatalf("got %d bytes %v", len(got), err)
	}
}

func TestExtractHeaderFixtures(t *testing.T) {
	test := func(file string, max int, wantPrefix, wantSuffix string, wantErr error) {
		t.Helper()
		raw, err := os.ReadFile(filepath.Join("..", "testdata", "mail", file))
		if err != nil {
			t.Fatal(err)
		}
		got, err := ExtractHeader(raw, max)
		if !errors.Is(err, wantErr) || (err != nil) != (wantErr != nil) {
			t.Errorf("%s: err %v, want %v", file, err, wantErr)
		}
		if !bytes.HasPrefix(got, []byte(wantPrefix)) || !bytes.HasSuffix(got, []byte(wantSuffix)) {
			t.Errorf("%s: got %q", file, got)
		}
	}
	test("postfix.eml", 0, "Return-Path: <sender@client.example>\n", "Message-ID: <postfix-1@client.example>\n", nil)
	test("pasted-indented-crlf.txt", 0, "Received: from [198.51.100.7] (helo=relay.sender.example)\r\n\tby mx", "Message-ID: <pasted-1@sender.example>\r\n", nil)
	test("bare-header.txt", 0, "Subject: bare header block\n", "+0000\n", nil)
	test("header-over-4k.eml", 4096, "Received: from a", "\n", ErrHeaderTooLarge)
	test("garbage.bin", 0, "", "", ErrNoHeader)
}

func FuzzExtractHeader(f *testing.F) {
	for _, s := range []string{"A: 1\r\n\r\nb", "  A: 1\n  \tc\n\n", "From x\nA: 1\n", "\xef\xbb\xbf\nA:\n", ""} {
		f.Add([]byte(s), 16)
	}
	if ents, err := os.ReadDir(filepath.Join("..", "testdata", "mail")); err == nil {
		for _, e := range ents {
			if b, err := os.ReadFile(filepath.Join("..", "testdata", "mail", e.Name())); err == nil {
				f.Add(b, 4096)
			}
		}
	}
	f.Fuzz(func(t *testing.T, raw []byte, max int) {
		if max > 1<<16 {
			max = 1 << 16
		}
		got, err := ExtractHeader(raw, max)
		limit := max
		if limit <= 0 {
			limit = DefaultMaxHeaderBytes
		}
		if len(got) > limit {
			t.Fatalf("%d bytes over the limit %d", len(got), limit)
		}
		if err == nil && len(got) > len(raw) {
			t.Fatalf("output longer than input")
		}
		got2, err2 := ReadHeader(bytes.NewReader(raw), max)
		if !bytes.Equal(got, got2) || errors.Is(err, ErrNoHeader) != errors.Is(err2, ErrNoHeader) || errors.Is(err, ErrHeaderTooLarge) != errors.Is(err2, ErrHeaderTooLarge) {
			t.Fatalf("ExtractHeader %q %v != ReadHeader %q %v", got, err, got2, err2)
		}
	})
}
