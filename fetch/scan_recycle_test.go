package fetch_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"io"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/mailtrace/mailtrace/fetch"
	"github.com/mailtrace/mailtrace/internal/corpus"
	"github.com/mailtrace/mailtrace/report"
)

// TestScanRecycledSlabs: a scan of an mbox, which releases each message
// once its line is written and counted so that its slab is used again
// (poisoned first, here), writes for each message exactly the line Build
// gives for it alone, and the summary of Build's reports: nothing a scan
// keeps after a message is written (the summary's keys, above all) points
// into its header section.
func TestScanRecycledSlabs(t *testing.T) {
	// The corpus, and results the summary does not know (it keeps each,
	// where it keeps the usual ones as constants).
	hs := corpus.Headers(t)
	for i, res := range []string{"hardfail", "unknown", "bestguess"} {
		hs = append(hs, []byte("Authentication-Results: mx.example.com; spf="+res+" smtp.mailfrom=a.example.net; dkim="+res+
			" header.d=b.example.net; dmarc="+res+" header.from=b.example.net\n"+
			"Received: from a.example.net (a.example.net [192.0.2."+string(rune('1'+i))+"]) by mx.example.com; Tue, 24 Nov 2026 09:00:05 +0000\n"+
			"From: <a@b.example.net>\n\n"))
	}
	rng := rand.New(rand.NewPCG(3, 4))
	var mb bytes.Buffer
	for range 30 { // enough to fill many slabs, used again many times
		for _, i := range rng.Perm(len(hs)) {
			mb.WriteString("From bench@example.com Tue Nov 24 09:14:07 2026\n")
			for _, line := range bytes.SplitAfter(bytes.ReplaceAll(hs[i], []byte("\r\n"), []byte("\n")), []byte("\n")) {
				if bytes.HasPrefix(line, []byte("From ")) {
					mb.WriteByte('>')
				}
				mb.Write(line)
			}
			mb.WriteString("\nbody\n\n")
		}
	}
	path := filepath.Join(t.TempDir(), "box.mbox")
	if err := os.WriteFile(path, mb.Bytes(), 0o644); err != nil {
		t.Fatal(err)
	}
	start := time.Unix(1795511645, 0)
	now := func() time.Time { return start }

	// What each message gives alone, read without releasing any.
	src, err := fetch.Open(context.Background(), path, fetch.Options{})
	if err != nil {
		t.Fatal(err)
	}
	var want bytes.Buffer
	wantSum := report.NewSummary(start)
	w := report.NewJSONLWriter(&want)
	for {
		m, err := src.Next(context.Background())
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
		r := report.Build(context.Background(), m, report.Options{})
		if err := w.Write(r); err != nil {
			t.Fatal(err)
		}
		wantSum.Add(r)
	}
	wantSum.Finish(start)
	src.Close()

	fetch.PoisonSlabs(t)
	for _, workers := range []int{1, 2} {
		src, err := fetch.Open(context.Background(), path, fetch.Options{})
		if err != nil {
			t.Fatal(err)
		}
		var got bytes.Buffer
		sum, err := report.Scan(context.Background(), src, report.ScanOptions{Workers: workers, Out: &got, Now: now})
		if err != nil {
			t.Fatal(err)
		}
		src.Close()
		gl, wl := strings.Split(got.String(), "\n"), strings.Split(want.String(), "\n")
		if len(gl) != len(wl) {
			t.Fatalf("%d lines, want %d", len(gl), len(wl))
		}
		for i := range wl {
			if gl[i] != wl[i] {
				t.Fatalf("workers %d, line %d:\n%.2000s\nwant\n%.2000s", workers, i+1, gl[i], wl[i])
			}
		}
		g, _ := json.Marshal(sum)
		w, _ := json.Marshal(wantSum)
		if !bytes.Equal(g, w) {
			t.Fatalf("workers %d: summary\n%s\nwant\n%s", workers, g, w)
		}
	}
}
