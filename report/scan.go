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

// scanBatch is a few consecutive messages on their way through the
// pipeline: the reader hands them to a worker together, and the worker
// tells the writer once when all their reports are rendered (so that
// encoding runs in parallel and the writer only copies bytes). One
// hand-off per batch rather than per message: each channel operation that
// finds its partner asleep costs a wake-up, a futex call when the other
// goroutine's P is idle.
//
// A batch's lines are rendered one after another into its own buffer, out,
// which the writer hands to the output in one Write: no copy into a
// bufio.Writer (the writer's memmove was a tenth of its time) and one
// write(2) per batch.
//
// The reports of a batch are made in its mem, used again by the next
// messages it carries: they are needed only until the writer has written
// and counted them.
type scanBatch struct {
	msgs []*fetch.Message
	res  []scanResult
	mem  []reportMem   // batchMax
	out  []byte        // the rendered lines, res[i]'s ending at res[i].end
	done chan struct{} // receives once res is complete
}

type scanResult struct {
	r   *Report
	end int // where the line ends in the batch's out
	err error
}

const (
	// batchOut is the buffer a new batch starts with, room for the lines
	// of 16 typical messages, so that it is not grown by copying.
	batchOut = 128 << 10
	// maxBatchOut is the largest buffer a batch keeps for the next: the
	// odd batch of huge lines from hostile messages is left to the
	// garbage collector.
	maxBatchOut = 512 << 10
	// directWrite is the size from which a batch's lines go to the output
	// as they are rather than through the bufio.Writer: a full batch
	// (about 90 KB of JSON for 16 typical messages), where the copy would
	// save no syscall. A small batch (a slow source) is gathered there.
	directWrite = 32 << 10
)

const (
	// batchMax is how many messages a batch holds at most: enough to make
	// the hand-offs cheap, few enough that every worker has batches to do.
	batchMax = 16
	// batchWait is how long a message waits in a batch being filled
	// before it is sent anyway, for a source that yields slowly (a
	// reconnecting or slow server), or that blocks.
	batchWait = 2 * time.Millisecond
)

// batcher fills batches from the reader and sends each, full or after
// batchWait, to the order and job queues. The timer sends a late batch
// while the reader is blocked in the source, so under mu: sends stay in
// input order.
type batcher struct {
	mu     sync.Mutex
	cur    *scanBatch // being filled; nil when none
	timer  *time.Timer
	closed bool
	send   func(*scanBatch) bool // false once ctx has ended
	get    func() *scanBatch     // an empty batch
}

// add puts m in the current batch and sends it when full; false once ctx
// has ended.
func (b *batcher) add(m *fetch.Message) bool {
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.cur == nil {
		b.cur = b.get()
		b.timer.Reset(batchWait)
	}
	b.cur.msgs = append(b.cur.msgs, m)
	if len(b.cur.msgs) < batchMax {
		return true
	}
	return b.flushLocked()
}

func (b *batcher) flushLocked() bool {
	cur := b.cur
	if cur == nil {
		return true
	}
	b.cur = nil
	b.timer.Stop()
	return b.send(cur)
}

// late is the timer's: the batch has waited long enough. (A timer that
// fired for a batch sent since sends the next one early: no harm.)
func (b *batcher) late() {
	b.mu.Lock()
	defer b.mu.Unlock()
	if !b.closed {
		b.flushLocked()
	}
}

// close sends what remains when sendRest, and stops the timer.
func (b *batcher) close(sendRest bool) {
	b.mu.Lock()
	defer b.mu.Unlock()
	if sendRest {
		b.flushLocked()
	}
	b.closed = true
	b.timer.Stop()
}

// Scan reads src to the end and writes one report per message to
// opts.Out as it goes, in input order: one reader (src.Next) that hands
// the messages on in batches of up to 16 (none waits more than 2 ms for
// its batch to fill), Workers calling Build, ONE writer (this goroutine)
// that writes, counts the summary and saves the checkpoint. About 128
// messages per worker are in flight (enough to ride out a burst from an
// IMAP server while the workers are busy), so memory stays flat whatever
// the source's size.
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

	// Every batch sent is in order until written, so order bounds what is
	// in flight: 128 messages per worker. It is four times jobs, so that
	// the writer may lag well behind the workers before the reader stops:
	// the writer runs only when a worker's P lets it (it is woken onto
	// the P of the worker that finished its batch), and with order twice
	// jobs, the workers found no job 6-9% of the time (runtime/metrics
	// idle CPU, medians of 12-16 runs of the bench mbox), 2-5% with this.
	jobs := make(chan *scanBatch, max(workers*32/batchMax, 1))
	order := make(chan *scanBatch, max(workers*128/batchMax, 2))
	// The batches go round: the writer hands each back once written (empty
	// again), and the reader takes them before making one.
	free := make(chan *scanBatch, workers*128/batchMax+3)
	b := &batcher{
		get: func() *scanBatch {
			select {
			case j := <-free:
				return j
			default:
				return &scanBatch{msgs: make([]*fetch.Message, 0, batchMax), res: make([]scanResult, 0, batchMax),
					mem: make([]reportMem, batchMax), out: make([]byte, 0, batchOut), done: make(chan struct{}, 1)}
			}
		},
		send: func(j *scanBatch) bool {
			select {
			case order <- j:
			case <-ctx.Done():
				return false
			}
			jobs <- j // a worker is free soon: order bounds what is queued
			return true
		},
	}
	b.timer = time.AfterFunc(time.Hour, b.late)
	b.timer.Stop()
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
				// What was read is reported, as when each message went
				// alone; after a cancel it is left to a resumed run.
				b.close(ctx.Err() == nil)
				return
			}
			if !b.add(m) {
				b.close(false)
				return
			}
		}
	}()
	for range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			var sb scanBuilder
			for j := range jobs {
				for i, m := range j.msgs {
					r := sb.build(ctx, m, opts.Build, &j.mem[i])
					b, err := render(j.out, r)
					if err == nil { // else b may be nil: the lines so far stay
						j.out = b
					}
					j.res = append(j.res, scanResult{r: r, end: len(j.out), err: err})
				}
				j.done <- struct{}{}
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
	// put gives the output the lines of a batch, straight when they are
	// many (bw flushed first, for the order), else through bw.
	put := func(p []byte) error {
		if len(p) < directWrite {
			_, err := bw.Write(p)
			return err
		}
		if err := bw.Flush(); err != nil {
			return err
		}
		_, err := out.Write(p)
		return err
	}
	// write writes the lines of a batch up to the first that failed to
	// render (an error that ends the scan), and counts them.
	write := func(j *scanBatch) {
		if ctx.Err() != nil || writeErr != nil {
			return // drain: the rest is left to a resumed run
		}
		n := 0
		for n < len(j.res) && j.res[n].err == nil {
			n++
		}
		if n > 0 {
			if err := put(j.out[:j.res[n-1].end]); err != nil {
				writeErr = fmt.Errorf("report: writing output: %w", err)
				return
			}
		}
		for i := range n {
			sum.Add(j.res[i].r)
			if opts.Checkpoint != nil {
				opts.Checkpoint.Mark(j.msgs[i].Origin)
			}
		}
		if n < len(j.res) {
			writeErr = j.res[n].err
			return
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
	for j := range order {
		<-j.done
		write(j)
		// Written and counted: nothing reads the messages any more (the
		// summary and the checkpoint copy what they keep), and their
		// source may use their memory again.
		for _, m := range j.msgs {
			m.Release()
		}
		clear(j.msgs) // no message kept alive by a batch in the free list
		for i := range j.res {
			j.mem[i].release()
		}
		clear(j.res)
		j.msgs, j.res, j.out = j.msgs[:0], j.res[:0], j.out[:0]
		if cap(j.out) > maxBatchOut {
			j.out = nil
		}
		select {
		case free <- j:
		default: // full: more batches were made than can be in flight
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
