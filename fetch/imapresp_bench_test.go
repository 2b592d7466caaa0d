package fetch

import (
	"bytes"
	"fmt"
	"os"
	"path/filepath"
	"testing"
)

// benchFetchStream is a UID FETCH answer as Dovecot sends it: a FETCH
// response per conformance message, its header section with CRLF line
// ends as the literal, and the tagged completion.
func benchFetchStream(tb testing.TB) []byte {
	paths, err := filepath.Glob(filepath.Join("..", "testdata", "conformance", "messages", "*.eml"))
	if err != nil || len(paths) == 0 {
		tb.Fatalf("no test messages: %v", err)
	}
	var b bytes.Buffer
	for i, p := range paths {
		raw, err := os.ReadFile(p)
		if err != nil {
			tb.Fatal(err)
		}
		h, err := ExtractHeader(raw, 0)
		if err != nil {
			continue
		}
		h = bytes.ReplaceAll(bytes.ReplaceAll(h, []byte("\r\n"), []byte("\n")), []byte("\n"), []byte("\r\n"))
		h = append(h, "\r\n"...)
		fmt.Fprintf(&b, "* %d FETCH (UID %d RFC822.SIZE %d BODY[HEADER] {%d}\r\n%s)\r\n", i+1, i+1, len(raw), len(h), h)
	}
	b.WriteString("F1 OK Fetch completed (0.001 + 0.000 secs).\r\n")
	return b.Bytes()
}

// BenchmarkFetchResponse reads benchFetchStream as the IMAP source's step
// does; one op is the whole answer.
func BenchmarkFetchResponse(b *testing.B) {
	stream := benchFetchStream(b)
	b.SetBytes(int64(len(stream)))
	b.ReportAllocs()
	for b.Loop() {
		r := newRespReader(bytes.NewReader(stream))
		for {
			var f fetchResp
			kind, err := r.next(0, &f)
			if err != nil {
				b.Fatal(err)
			}
			if kind == respDone {
				break
			}
		}
	}
}
