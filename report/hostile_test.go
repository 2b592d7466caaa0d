package report

import (
	"bytes"
	"context"
	"encoding/json"
	"math/rand/v2"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/mailtrace/mailtrace/fetch"
)

// hostile inputs: each must give a best-effort report (or a clear error),
// valid JSON, and text output free of raw control characters.
func hostileInputs() map[string][]byte {
	rng := rand.New(rand.NewPCG(1, 2))
	garbage := make([]byte, 64<<10)
	for i := range garbage {
		garbage[i] = byte(rng.UintN(256))
	}
	var many strings.Builder
	for range 10000 {
		many.WriteString("Received: from a.example.net ([62.239.237.1]) by mx.example.com; Tue, 24 Nov 2026 09:14:05 +0000\n")
	}
	esc := "\x1b]0;pwned\x07\x1b[2J\x1b[31m<script>alert(1)</script>\u202e\x9b"
	return map[string][]byte{
		"binary garbage":    garbage,
		"NUL bytes":         []byte("Received: from a\x00b.example.net ([62.239.237.1])\x00 by mx.example.com; Tue, 24 Nov 2026 09:14:05 +0000\nSubject: a\x00b\n\n"),
		"invalid UTF-8":     []byte("Subject: \xff\xfe\xc3\x28\nFrom: \xe2\x82 <a@example.com>\nReceived: from \xff ([62.239.237.1]) by mx.example.com; \xfe\n\n"),
		"8-bit header":      []byte("Subject: Grüße aus Köln\xe9\nReceived: from mäil.example.net ([62.239.237.1]) by mx.example.com; Tue, 24 Nov 2026 09:14:05 +0000\n\n"),
		"mixed charsets":    []byte("Subject: =?ISO-8859-1?Q?caf=E9?= =?KOI8-R?B?8NLJ18XU?= =?bogus?Q?x?= =?UTF-8?B?!!!?=\n\n"),
		"10,000 Received":   []byte(many.String()),
		"1 MiB folded line": []byte("Received: from " + strings.Repeat("x.example.net\n\t", 1<<20/15) + "by mx.example.com; Tue, 24 Nov 2026 09:14:05 +0000\n\n"),
		"1 MiB one line":    []byte("Received: " + strings.Repeat("(", 1<<20) + "\n\n"),
		"escapes and HTML everywhere": []byte("Subject: " + esc + "\nFrom: " + esc + " <a@example.com>\nTo: " + esc + "\nMessage-ID: " + esc +
			"\nReceived: from " + esc + " (" + esc + " [62.239.237.1]) by " + esc + " with " + esc + " id " + esc + "; " + esc + "\nX-Originating-IP: " + esc + "\n\n"),
		"only continuation": []byte("\tfolded\n\tmore\n\n"),
		"no colon at all":   []byte(strings.Repeat("garbage line\n", 1000)),
	}
}

func TestHostileInput(t *testing.T) {
	for name, raw := range hostileInputs() {
		t.Run(name, func(t *testing.T) {
			r := Build(context.Background(), &fetch.Message{Origin: fetch.Origin{Kind: fetch.KindFile, Name: name}, Header: raw}, Options{})
			var jb bytes.Buffer
			if err := WriteJSON(&jb, r); err != nil {
				t.Fatal(err)
			}
			if !json.Valid(jb.Bytes()) || !utf8.Valid(jb.Bytes()) {
				t.Fatal("JSON output is not valid UTF-8 JSON")
			}
			var tb bytes.Buffer
			if err := WriteText(&tb, r, TextStyle{Raw: true}); err != nil {
				t.Fatal(err)
			}
			for _, c := range tb.String() {
				if (c < 0x20 && c != '\n') || c == 0x7f || (c >= 0x80 && c < 0xa0) || isBidiControl(c) {
					t.Fatalf("control character %U reached the text output", c)
				}
			}
		})
	}
}
