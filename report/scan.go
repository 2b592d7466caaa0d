package report

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"runtime"
	"sync"
	"time"

	"github.com/mailtrace/mailtrace/fetch"
)

// ScanOptions say how to run a bulk scan.
type ScanOptions struct {
	Build      Options     // per message, as for trace
	Workers    int         // concurrent Build calls; <= 0: GOMAXPROCS
	Out        io.Writer   // reports, in input order; nil: discarded
	Format     string      // FormatJSONL (default) or FormatText
	Text       TextStyle   // for FormatText
	Checkpoint *Checkpoint // nil: no resume
	// OutOffset is how many bytes Out already holds (an output resumed
	// after a checkpoint); the checkpoint records the size after each save.
	OutOffset int64
	SaveEvery time.Duration // checkpoint interval; <= 0: 2 s
	// Progress is called from the writer goroutine, at most every 250 ms
	// and once at the end; nil: none.
	Progress func(Progress)
	Now      func() time.Time // nil: time.Now
}

// Progress is the state of a running scan.
type Progress struct {
	Done       int
	Failed     int
	Total      int // 0 when unknown
	Elapsed    time.Duration
	Final      bool
	TotalKnown bool
}

// Rate is messages per second so far.
func (p Progress) Rate() float64 {
	if p.Elapsed <= 0 {
		return 0
	}
	return float64(p.Done) / p.Elapsed.Seconds()
}

// ETA is the expected time left, 0 when unknown.
func (p Progress) ETA() time.Duration {
	r := p.Rate()
	if !p.TotalKnown || r <= 0 || p.Total <= p.Done {
		return 0
	}
	return time.Duration(float64(p.Total-p.Done) / r * float64(time.Second))
}

// scanJob is one message on its way through the pipeline; done receives
// its report, already rendered by the worker (so that encoding runs in
// parallel and the writer only copies bytes).
type scanJob struct {
	msg  *fetch.Message
	done chan scanResult
}

type scanResult struct {
	r   *Report
	out *[]byte // the rendered line, in a buffer from jsonlBufs
	err error
}

// Scan reads src to the end and writes one report per message to
// opts.Out as it goes, in input order: one reader (src.Next), Workers
// calling Build, ONE writer (this goroutine) that writes, counts the
// summary and saves the checkpoint. At most 96 jobs per worker are in
// flight (enough to ride out a burst from an IMAP server while the workers
// are busy), so memory stays flat whatever the source's size.
//
// When ctx ends, the reports not yet written are dropped (they are not in
// the checkpoint either): the output holds only complete lines, and a
// resumed run writes exactly the rest. Scan then returns the summary so far
// (Interrupted) and ctx's error. A fatal source error (the connection
// could not be re-established) is returned the same way; per-message
// problems are counted in Summary.Failed and the skipped parts of the
// source (an IMAP folder that failed) in Summary.Skipped.
func Scan(ctx context.Context, src fetch.Source, opts ScanOptions) (Summary, error) {
	now := opts.Now
	if now == nil {
		now = time.Now
	}
	workers := opts.Workers
	if workers <= 0 {
		workers = runtime.GOMAXPROCS(0)
	}
	saveEvery := opts.SaveEvery
	if saveEvery <= 0 {
		saveEvery = 2 * time.Second
	}
	sum := NewSummary(now())
	out := &countingWriter{w: opts.Out, n: opts.OutOffset}
	if opts.Out == nil {
		out.w = io.Discard
	}
	bw := bufio.NewWriterSize(out, 64<<10)
	// render appends a report to a pooled buffer, which the writer puts
	// back once the line is written.
	var render func([]byte, *Report) ([]byte, error)
	switch opts.Format {
	case FormatText:
		render = func(b []byte, r *Report) ([]byte, error) {
			buf := bytes.NewBuffer(b)
			if err := WriteText(buf, r, opts.Text); err != nil {
				return nil, err
			}
			buf.WriteString("\n")
			return buf.Bytes(), nil
		}
	case "", FormatJSONL:
		render = appendReport
	default:
		return *sum, fmt.Errorf("report: scan format %q (want %s or %s)", opts.Format, FormatJSONL, FormatText)
	}

	jobs := make(chan scanJob, workers*32)
	order := make(chan scanJob, workers*64)
	// The jobs' done channels go round: the writer hands each back once
	// received from (empty again), and the reader takes them before making
	// one. A new channel per message was two allocations of a scan's few.
	free := make(chan chan scanResult, workers*96+1)
	var srcErr error
	var wg sync.WaitGroup
	wg.Add(1)
	go func() { // the reader
		defer wg.Done()
		defer close(jobs)
		defer close(order)
		for {
			m, err := src.Next(ctx)
			if err != nil {
				if !errors.Is(err, io.EOF) {
					srcErr = err
				}
				return
			}
			var done chan scanResult
			select {
			case done = <-free:
			default:
				done = make(chan scanResult, 1)
			}
			j := scanJob{msg: m, done: done}
			select {
			case order <- j:
			case <-ctx.Done():
				return
			}
			jobs <- j // a worker is free soon: order bounds what is queued
		}
	}()
	for range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for j := range jobs {
				r := Build(ctx, j.msg, opts.Build)
				p := jsonlBufs.Get().(*[]byte) // back in the pool once written
				var err error
				*p, err = render((*p)[:0], r)
				j.done <- scanResult{r: r, out: p, err: err}
			}
		}()
	}

	var writeErr error
	lastSave, lastProgress := now(), time.Time{}
	total := func() (int, bool) {
		if t, ok := src.(fetch.Totaler); ok {
			return t.Total()
		}
		return 0, false
	}
	progress := func(final bool) {
		if opts.Progress == nil {
			return
		}
		n, ok := total()
		opts.Progress(Progress{Done: sum.Messages, Failed: sum.Failed, Total: n, TotalKnown: ok,
			Elapsed: now().Sub(sum.start), Final: final})
	}
	save := func() error {
		if err := bw.Flush(); err != nil {
			return fmt.Errorf("report: writing output: %w", err)
		}
		if opts.Checkpoint == nil {
			return nil
		}
		if f, ok := opts.Out.(*os.File); ok {
			f.Sync() // a pipe or terminal cannot sync; a file must, before the checkpoint says so
		}
		return opts.Checkpoint.Save(out.n)
	}
	for j := range order {
		res := <-j.done
		select {
		case free <- j.done:
		default: // full: more channels were made than can be in flight
		}
		written := func() { // the line's buffer goes back to the pool
			if cap(*res.out) <= maxPooledLine {
				jsonlBufs.Put(res.out)
			}
		}
		if ctx.Err() != nil || writeErr != nil {
			written()
			continue // drain: the rest is left to a resumed run
		}
		if res.err != nil {
			written()
			writeErr = res.err
			continue
		}
		// One Write per report: a line is written whole or not at all.
		_, err := bw.Write(*res.out)
		written()
		if err != nil {
			writeErr = fmt.Errorf("report: writing output: %w", err)
			continue
		}
		sum.Add(res.r)
		if opts.Checkpoint != nil {
			opts.Checkpoint.Mark(j.msg.Origin)
		}
		if t := now(); opts.Checkpoint != nil && t.Sub(lastSave) >= saveEvery {
			if err := save(); err != nil {
				writeErr = err
			}
			lastSave = t
		}
		if t := now(); t.Sub(lastProgress) >= 250*time.Millisecond {
			progress(false)
			lastProgress = t
		}
	}
	wg.Wait()
	if err := save(); err != nil && writeErr == nil {
		writeErr = err
	}
	if p, ok := src.(fetch.Problems); ok {
		for _, e := range p.Problems() {
			sum.Problem(e)
		}
	}
	sum.Interrupted = ctx.Err() != nil
	sum.Finish(now())
	progress(true)
	switch {
	case writeErr != nil:
		return *sum, writeErr
	case ctx.Err() != nil:
		return *sum, ctx.Err()
	case srcErr != nil:
		return *sum, srcErr
	}
	return *sum, nil
}

// countingWriter counts the bytes that reached w: the output offset a
// checkpoint records.
type countingWriter struct {
	w io.Writer
	n int64
}

func (c *countingWriter) Write(p []byte) (int, error) {
	n, err := c.w.Write(p)
	c.n += int64(n)
	return n, err
}
