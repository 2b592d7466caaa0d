package report_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"testing"
	"time"

	"github.com/mailtrace/mailtrace/fetch"
	"github.com/mailtrace/mailtrace/report"
)

// fakeSource yields n synthetic messages; every bad-th carries an error.
type fakeSource struct {
	n, i, bad int
	problems  []error
}

func (f *fakeSource) Next(ctx context.Context) (*fetch.Message, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	if f.i >= f.n {
		return nil, io.EOF
	}
	f.i++
	m := &fetch.Message{Origin: fetch.Origin{Kind: fetch.KindMbox, Name: "fake", Index: f.i, Key: "fake", ID: fmt.Sprint(f.i)}}
	m.Header = fmt.Appendf(nil, "Received: from a.example (a.example [192.0.2.%d]) by mx.example.test with ESMTP id Q%d; Wed, 25 Nov 2026 20:01:%02d +0000\nDate: Wed, 25 Nov 2026 20:01:00 +0000\nMessage-ID: <%d@fake>\n", f.i%250+1, f.i, f.i%60, f.i)
	if f.bad > 0 && f.i%f.bad == 0 {
		m.Err = fetch.ErrHeaderTooLarge
	}
	return m, nil
}

func (f *fakeSource) Close() error       { return nil }
func (f *fakeSource) Problems() []error  { return f.problems }
func (f *fakeSource) Total() (int, bool) { return f.n, true }

func TestScanOrderAndSummary(t *testing.T) {
	var out bytes.Buffer
	var progress []report.Progress
	src := &fakeSource{n: 1000, bad: 100, problems: []error{errors.New("fetch: folder failed: \"Nope\"")}}
	sum, err := report.Scan(context.Background(), src, report.ScanOptions{Out: &out, Workers: 8,
		Progress: func(p report.Progress) { progress = append(progress, p) }})
	if err != nil {
		t.Fatal(err)
	}
	rs := lines(t, out.Bytes())
	if len(rs) != 1000 {
		t.Fatalf("%d reports", len(rs))
	}
	for i, r := range rs {
		if r.Source.Index != i+1 || r.Message.MessageID != fmt.Sprintf("<%d@fake>", i+1) {
			t.Fatalf("report %d out of order: %+v", i+1, r.Source)
		}
	}
	if sum.Messages != 1000 || sum.Failed != 10 || sum.Skipped != 1 || sum.Hops != 1000 || sum.Transit == nil || sum.Schema != report.SummarySchema {
		t.Errorf("summary %+v", sum)
	}
	if len(progress) == 0 || !progress[len(progress)-1].Final || progress[len(progress)-1].Done != 1000 || progress[len(progress)-1].Total != 1000 {
		t.Errorf("progress %+v", progress)
	}
	var text bytes.Buffer
	if err := report.WriteSummaryText(&text, &sum); err != nil || !bytes.Contains(text.Bytes(), []byte("1000 messages")) {
		t.Errorf("text summary %q %v", text.String(), err)
	}
}

// slowWriter makes the writer the bottleneck, so that a cancel finds
// reports in flight.
type slowWriter struct{ bytes.Buffer }

func (w *slowWriter) Write(p []byte) (int, error) {
	time.Sleep(time.Millisecond)
	return w.Buffer.Write(p)
}

func TestScanCancel(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	src := &cancelAfter{Source: &fakeSource{n: 100000}, n: 500, cancel: cancel}
	var out slowWriter
	sum, err := report.Scan(ctx, src, report.ScanOptions{Out: &out, Workers: 4})
	if !errors.Is(err, context.Canceled) || !sum.Interrupted {
		t.Fatalf("err %v interrupted %v", err, sum.Interrupted)
	}
	rs := lines(t, out.Bytes()) // only complete lines
	if len(rs) != sum.Messages || len(rs) > 500 {
		t.Fatalf("%d lines, summary %d", len(rs), sum.Messages)
	}
	for i, r := range rs {
		if r.Source.Index != i+1 {
			t.Fatalf("gap at %d", i+1)
		}
	}
}

func TestScanFormatText(t *testing.T) {
	var out bytes.Buffer
	if _, err := report.Scan(context.Background(), &fakeSource{n: 3}, report.ScanOptions{Out: &out, Format: report.FormatText}); err != nil {
		t.Fatal(err)
	}
	if !bytes.Contains(out.Bytes(), []byte("192.0.2.2")) {
		t.Errorf("text output %q", out.String())
	}
	if _, err := report.Scan(context.Background(), &fakeSource{n: 3}, report.ScanOptions{Format: "xml"}); err == nil {
		t.Error("bad format accepted")
	}
}

// blockingSource yields one message, then blocks until that message has
// been reported (or a few seconds have passed), then ends.
type blockingSource struct {
	fakeSource
	reported chan struct{}
	waited   time.Duration
}

func (b *blockingSource) Next(ctx context.Context) (*fetch.Message, error) {
	if b.i == 1 {
		start := time.Now()
		select {
		case <-b.reported:
		case <-time.After(5 * time.Second):
		}
		b.waited = time.Since(start)
		return nil, io.EOF
	}
	return b.fakeSource.Next(ctx)
}

// A batch that a blocked source leaves partly filled is sent after a short
// wait: a message does not wait for the next ones to be reported.
func TestScanPartialBatch(t *testing.T) {
	src := &blockingSource{fakeSource: fakeSource{n: 10}, reported: make(chan struct{})}
	var once bool
	sum, err := report.Scan(context.Background(), src, report.ScanOptions{Workers: 2, Progress: func(p report.Progress) {
		if p.Done == 1 && !once {
			once = true
			close(src.reported)
		}
	}})
	if err != nil || sum.Messages != 1 {
		t.Fatalf("%d messages, %v", sum.Messages, err)
	}
	if src.waited > 2*time.Second {
		t.Fatalf("the first message was reported only after %v", src.waited)
	}
}

// sizedSource is fakeSource with a subject of a different length in each
// message (reports of a few hundred bytes to several KB) and a pause now
// and then, so that full batches too large for the output buffer and
// partial ones that fit go out together.
type sizedSource struct{ fakeSource }

func (s *sizedSource) Next(ctx context.Context) (*fetch.Message, error) {
	m, err := s.fakeSource.Next(ctx)
	if err != nil {
		return nil, err
	}
	if s.i%97 == 0 {
		time.Sleep(5 * time.Millisecond) // longer than a batch waits
	}
	m.Header = append(m.Header, fmt.Sprintf("Subject: %s\n", bytes.Repeat([]byte("s"), s.i*397%6000))...)
	return m, nil
}

// A scan writes, whichever way a batch's lines reach the output, what
// JSONLWriter writes for the same messages one after another.
func TestScanLinesWhole(t *testing.T) {
	var got, want bytes.Buffer
	if _, err := report.Scan(context.Background(), &sizedSource{fakeSource{n: 600}}, report.ScanOptions{Out: &got, Workers: 3}); err != nil {
		t.Fatal(err)
	}
	src, jw := &sizedSource{fakeSource{n: 600}}, report.NewJSONLWriter(&want)
	for {
		m, err := src.Next(context.Background())
		if err != nil {
			break
		}
		if err := jw.Write(report.Build(context.Background(), m, report.Options{})); err != nil {
			t.Fatal(err)
		}
	}
	if !bytes.Equal(got.Bytes(), want.Bytes()) {
		t.Fatalf("scan wrote %d bytes, JSONLWriter %d", got.Len(), want.Len())
	}
}
