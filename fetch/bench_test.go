package fetch_test

import (
	"bytes"
	"context"
	"errors"
	"io"
	"testing"

	"github.com/mailtrace/mailtrace/fetch"
	"github.com/mailtrace/mailtrace/internal/corpus"
)

// benchMbox is the conformance messages' header sections as one mbox with
// LF line ends and a line of body each, as the comparison mbox of
// scripts/bench-compare.sh has them; with bodies, the whole messages.
func benchMbox(tb testing.TB, bodies bool) []byte {
	msgs := corpus.Headers(tb)
	if bodies {
		msgs = corpus.Messages(tb)
	}
	var b bytes.Buffer
	for range 4 {
		for _, m := range msgs {
			m = bytes.ReplaceAll(m, []byte("\r\n"), []byte("\n"))
			m = bytes.ReplaceAll(m, []byte("\nFrom "), []byte("\n>From "))
			b.WriteString("From bench@example.com Tue Nov 24 09:14:07 2026\n")
			b.Write(m)
			if !bytes.HasSuffix(m, []byte("\n")) {
				b.WriteByte('\n')
			}
			if !bodies {
				b.WriteString("\nA line of body.\n")
			}
			b.WriteByte('\n')
		}
	}
	return b.Bytes()
}

// BenchmarkMboxScan reads the header sections of benchMbox through the
// mbox source, as a scan does; one op is the whole mbox.
func BenchmarkMboxScan(b *testing.B) {
	b.Run("headers", func(b *testing.B) { benchmarkMboxScan(b, benchMbox(b, false)) })
	b.Run("bodies", func(b *testing.B) { benchmarkMboxScan(b, benchMbox(b, true)) })
}

func benchmarkMboxScan(b *testing.B, raw []byte) {
	b.SetBytes(int64(len(raw)))
	b.ReportAllocs()
	for b.Loop() {
		src, err := fetch.Open(context.Background(), "-", fetch.Options{Stdin: bytes.NewReader(raw)})
		if err != nil {
			b.Fatal(err)
		}
		for {
			if _, err := src.Next(context.Background()); err != nil {
				if !errors.Is(err, io.EOF) {
					b.Fatal(err)
				}
				break
			}
		}
	}
}
