package fetch

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"io"
	"slices"
	"strings"
	"testing"
)

// nextModel is next as it was before the header sections were collected
// in a slab: each in a pooled scratch buffer, then copied out at its size.
// FuzzMboxSlab compares the two.
func (s *mboxSplitter) nextModel(max int) (header []byte, headerErr, err error) {
	if !s.started {
		if err := s.first(); err != nil {
			return nil, nil, err
		}
		s.started = true
	}
	if s.eof {
		return nil, nil, io.EOF
	}
	h := pooledHeaderScan(max)
	defer h.release()
	bol, inHeader := true, true
	for {
		if inHeader && bol && !s.noRun {
			took, ended := s.headerRun(h)
			inHeader = !ended
			if took || ended {
				continue
			}
		}
		chunk, rerr := s.br.ReadSlice('\n')
		complete := rerr == nil || errors.Is(rerr, io.EOF)
		if rerr != nil && !complete && !errors.Is(rerr, bufio.ErrBufferFull) {
			return nil, nil, rerr
		}
		if bol && bytes.HasPrefix(chunk, fromLine) {
			// The next message's separator: this one has ended.
			if !complete {
				if err := s.skipLine(); err != nil {
					return nil, nil, err
				}
			}
			header, headerErr = h.copyOut(h.result())
			return header, headerErr, nil
		}
		if inHeader && len(chunk) > 0 {
			c := chunk
			if bol && bytes.HasPrefix(c, escapedFrom) {
				c = c[1:]
			}
			inHeader = !h.feed(c, bol, complete) // once ended, the rest is body, skipped
		}
		if errors.Is(rerr, io.EOF) {
			s.eof = true
			header, headerErr = h.copyOut(h.result())
			return header, headerErr, nil
		}
		bol = complete
	}
}

// splitKeep splits raw as splitAll does, with next or its model, and
// describes every result only once all are read: a header handed out
// earlier must not change when later ones are collected.
func splitKeep(raw []byte, size, max int, model bool) string {
	s := &mboxSplitter{br: bufio.NewReaderSize(bytes.NewReader(raw), size)}
	type result struct {
		h         []byte
		herr, err error
	}
	var rs []result
	for range len(raw) + 2 { // bounded: each call consumes a message
		var r result
		if model {
			r.h, r.herr, r.err = s.nextModel(max)
		} else {
			r.h, r.herr, r.err = s.next(max)
		}
		rs = append(rs, r)
		if r.err != nil {
			break
		}
	}
	if !model {
		for _, r := range rs { // an append to one must not reach the next
			_ = append(r.h, "appended"...)
		}
	}
	var b strings.Builder
	for _, r := range rs {
		fmt.Fprintf(&b, "%q %v %v\n", r.h, r.herr, r.err)
	}
	return b.String()
}

func sameSlab(t *testing.T, raw []byte, size, max int) {
	t.Helper()
	if got, want := splitKeep(raw, size, max, false), splitKeep(raw, size, max, true); got != want {
		t.Fatalf("%.200q (buffer %d, max %d):\nslab  %.400s\nmodel %.400s", raw, size, max, got, want)
	}
}

// TestMboxSlab: many messages, so that sections fill slabs and cross from
// one to the next, and sections larger than a slab.
func TestMboxSlab(t *testing.T) {
	var b strings.Builder
	for i := range 400 {
		fmt.Fprintf(&b, "From x\nA: %d\nB: %s\n\nbody\n", i, strings.Repeat("y", i*7%1500))
		if i%97 == 0 {
			fmt.Fprintf(&b, "From big\nC: %s\n\n", strings.Repeat("z", 70<<10))
		}
	}
	for _, max := range []int{0, 900, 100 << 10} {
		sameSlab(t, []byte(b.String()), 4096, max)
		sameSlab(t, []byte(b.String()), 64<<10, max)
	}
	for _, raw := range runSeeds {
		sameSlab(t, []byte(raw), 16, 0)
		sameSlab(t, []byte(raw), 16, 7)
	}
}

func FuzzMboxSlab(f *testing.F) {
	for _, raw := range runSeeds {
		f.Add([]byte(raw), uint8(0), uint16(0))
		f.Add([]byte(raw), uint8(4), uint16(13))
	}
	f.Fuzz(func(t *testing.T, raw []byte, size uint8, max uint16) {
		sameSlab(t, raw, 16+int(size), int(max))
	})
}

// runEndOld is headerRun's line loop before runEnd: every line compared
// with both prefixes and tested for blankness.
func runEndOld(buf []byte, room int) int {
	n := 0
	for {
		i := bytes.IndexByte(buf[n:], '\n')
		if i < 0 {
			break
		}
		line := buf[n : n+i+1]
		if n+len(line) > room || bytes.HasPrefix(line, fromLine) || bytes.HasPrefix(line, escapedFrom) || isBlankLine(line) {
			break
		}
		n += len(line)
	}
	return n
}

// FuzzRunEnd holds runEnd to runEndOld.
func FuzzRunEnd(f *testing.F) {
	for _, raw := range runSeeds {
		f.Add([]byte(raw), uint16(0xffff))
		f.Add([]byte(raw), uint16(13))
	}
	f.Add([]byte("A: 1\n \n"), uint16(100))
	f.Add([]byte("A: 1\n>From\nFrom\n>From x\n"), uint16(100))
	f.Fuzz(func(t *testing.T, buf []byte, room uint16) {
		var hint lineHint
		hint.starts, hint.ok = make([]int32, 0, int(room)%7), true
		got, blank := runEnd(buf, int(room), &hint, 3)
		starts, ok := fieldStartsOf(buf[:got], 3)
		if ok && len(starts) > cap(hint.starts) {
			starts, ok = starts[:cap(hint.starts)], false
		}
		if !slices.Equal(hint.starts, starts) && ok || hint.ok != ok {
			t.Fatalf("runEnd(%q, %d) took %d bytes with starts %v (%v); want %v (%v)", buf, room, got, hint.starts, hint.ok, starts, ok)
		}
		want, wantBlank := runEndOld(buf, int(room)), 0
		if i := bytes.IndexByte(buf[want:], '\n'); i >= 0 && isBlankLine(buf[want:want+i+1]) {
			wantBlank = i + 1 // the blank line it stopped at, which feed would end the section with
		}
		if got != want || blank != wantBlank {
			t.Fatalf("runEnd(%q, %d) = %d, %d; runEndOld %d, %d", buf, room, got, blank, want, wantBlank)
		}
	})
}

// FuzzFromLineStart holds fromLineStart to the search bodyRun made before
// it: bytes.Index of "\nFrom ".
func FuzzFromLineStart(f *testing.F) {
	for _, raw := range runSeeds {
		f.Add([]byte(raw))
	}
	f.Add([]byte("From x\nFrom y"))
	f.Add([]byte("xFrom From \nFrom \n"))
	f.Fuzz(func(t *testing.T, buf []byte) {
		if got, want := fromLineStart(buf), bytes.Index(buf, []byte("\nFrom "))+1; got != want {
			t.Fatalf("fromLineStart(%q) = %d, bytes.Index says %d", buf, got, want)
		}
	})
}
