package report

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"maps"
	"math/rand/v2"
	"reflect"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/mailtrace/mailtrace/fetch"
)

// sliceSource yields msgs in order.
type sliceSource struct {
	msgs []*fetch.Message
	i    int
}

func (s *sliceSource) Next(context.Context) (*fetch.Message, error) {
	if s.i == len(s.msgs) {
		return nil, io.EOF
	}
	s.i++
	return s.msgs[s.i-1], nil
}

func (s *sliceSource) Close() error { return nil }

// hopsHeader is a header section of n Received fields, from n distinct
// public addresses.
func hopsHeader(n int) []byte {
	var b bytes.Buffer
	for i := range n {
		fmt.Fprintf(&b, "Received: from relay%d.example.net (relay%d.example.net [62.239.%d.%d]) by mx%d.example.com with ESMTP id A%d; Tue, 24 Nov 2026 09:%02d:05 +0000\n",
			i, i, i/250, i%250+1, i+1, i, 59-i%60)
	}
	b.WriteString("Date: Tue, 24 Nov 2026 08:00:00 +0000\nMessage-ID: <" + fmt.Sprint(n) + "@hops>\n\n")
	return b.Bytes()
}

// authHeader is hopsHeader(2) below n Authentication-Results,
// ARC-Authentication-Results and DKIM-Signature fields each.
func authHeader(n int) []byte {
	var b bytes.Buffer
	for i := range n {
		fmt.Fprintf(&b, "Authentication-Results: mx%d.example.com; spf=pass smtp.mailfrom=a%d.example.net; dkim=fail header.d=b%d.example.net header.s=s%d\n", i, i, i, i)
		fmt.Fprintf(&b, "ARC-Authentication-Results: i=%d; mx.example.com; dmarc=pass header.from=c%d.example.net\n", i+1, i)
		fmt.Fprintf(&b, "DKIM-Signature: v=1; a=rsa-sha256; d=d%d.example.net; s=s%d; t=%d; h=from:to; bh=x; b=y\n", i, i, 1795511645+i)
	}
	b.Write(hopsHeader(2))
	return b.Bytes()
}

// reuseMessages are messages of very different shapes, each several times
// and in shuffled order: many hops, one, none, unreadable ones, the test
// data and the hostile inputs (once).
func reuseMessages(t *testing.T) []*fetch.Message {
	var hs [][]byte
	for _, name := range slices.Sorted(maps.Keys(testdataHeaders(t))) {
		hs = append(hs, testdataHeaders(t)[name])
	}
	hs = append(hs, hopsHeader(20), hopsHeader(1), hopsHeader(maxMemHops+5), hopsHeader(9), hopsHeader(0),
		authHeader(maxAuthRoom+3), authHeader(1), authHeader(maxAuthRoom), authHeader(3))
	var msgs []*fetch.Message
	add := func(h []byte, err error) {
		msgs = append(msgs, &fetch.Message{Origin: fetch.Origin{Kind: fetch.KindMbox, Name: "reuse", Index: len(msgs) + 1}, Header: h, Err: err})
	}
	unreadable := errors.New("unreadable")
	rng := rand.New(rand.NewPCG(7, 8))
	for round := range 12 {
		// 1 hop after 20 hops after an unreadable message, and the other
		// way round.
		add(nil, unreadable)
		add(hopsHeader(20), nil)
		add(hopsHeader(1), nil)
		add(hopsHeader(1), fetch.ErrHeaderTooLarge)
		add(hopsHeader(20), nil)
		add(nil, unreadable)
		for _, i := range rng.Perm(len(hs)) {
			add(hs[i], nil)
			if i%7 == round {
				add(nil, unreadable)
			}
		}
	}
	// The hostile inputs once, among the others (they are slow).
	hostile := hostileInputs()
	for i, name := range slices.Sorted(maps.Keys(hostile)) {
		add(hostile[name], nil)
		add(hs[i], nil)
	}
	return msgs
}

// TestScanReusesReports: a scan, whose reports and analyses are made in
// memory used again for message after message, writes for each message
// exactly the line Build gives for it alone, and the summary of Build's
// reports; with every address attributed, so that no hop's attribution
// is left over either. The reports' strings are poisoned when they are
// released: nothing the scan keeps (the summary) may point into them.
func TestScanReusesReports(t *testing.T) {
	poisonMem = true
	t.Cleanup(func() { poisonMem = false })
	msgs := reuseMessages(t)
	// Twice as many as two workers' batches hold: each batch is used
	// again.
	if len(msgs) < 2*batchMax*(2*128/batchMax+3) {
		t.Fatalf("only %d messages: too few to go round the batches", len(msgs))
	}
	start := time.Unix(1795511645, 0)
	now := func() time.Time { return start }
	for _, opts := range []Options{{}, {Attributor: fakeAttributor{}, Lookup: LookupAll}} {
		for _, workers := range []int{1, 2} {
			var want bytes.Buffer
			wantSum := NewSummary(start)
			for _, m := range msgs {
				r := Build(context.Background(), m, opts)
				b, err := appendReport(nil, r)
				if err != nil {
					t.Fatal(err)
				}
				want.Write(b)
				wantSum.Add(r)
			}
			wantSum.Finish(start)
			var got bytes.Buffer
			sum, err := Scan(context.Background(), &sliceSource{msgs: msgs}, ScanOptions{Build: opts, Workers: workers, Out: &got, Now: now})
			if err != nil {
				t.Fatal(err)
			}
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
				t.Fatalf("summary\n%s\nwant\n%s", g, w)
			}
		}
	}
}

// sameReused fails unless the report of msg made in m by b, which made
// other reports before, is the one Build makes.
func sameReused(t *testing.T, b *scanBuilder, m *reportMem, msg *fetch.Message, opts Options) {
	t.Helper()
	got, want := b.build(context.Background(), msg, opts, m), Build(context.Background(), msg, opts)
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("report made again in its memory:\n%+v\nBuild:\n%+v", got, want)
	}
	g, err := appendReport(nil, got)
	if err != nil {
		t.Fatal(err)
	}
	if w, _ := appendReport(nil, want); !bytes.Equal(g, w) {
		t.Fatalf("report made again in its memory:\n%s\nBuild:\n%s", g, w)
	}
}

// FuzzScanBuild holds the report a scan worker makes in a batch's memory,
// after the report of another message there, to Build's, with and
// without attribution.
func FuzzScanBuild(f *testing.F) {
	var hs [][]byte
	for _, name := range slices.Sorted(maps.Keys(testdataHeaders(f))) {
		hs = append(hs, testdataHeaders(f)[name])
	}
	for i, h := range hs {
		f.Add(hs[(i+1)%len(hs)], h, false)
	}
	f.Add(hopsHeader(20), hopsHeader(1), true)
	f.Add([]byte{}, hopsHeader(maxMemHops+1), true)
	f.Add(authHeader(maxAuthRoom+1), authHeader(2), false)
	f.Fuzz(func(t *testing.T, prev, header []byte, unreadable bool) {
		var b scanBuilder
		var m reportMem
		opts := Options{Attributor: fakeAttributor{}, Lookup: LookupAll}
		b.build(context.Background(), &fetch.Message{Header: prev}, opts, &m)
		msg := &fetch.Message{Header: header, Origin: fetch.Origin{Kind: fetch.KindMbox, Name: "x", Index: 2}}
		if unreadable {
			msg.Err = fetch.ErrHeaderTooLarge
		}
		sameReused(t, &b, &m, msg, Options{})
		sameReused(t, &b, &m, &fetch.Message{Header: prev}, opts)
		m.release()
		sameReused(t, &b, &m, msg, opts)
	})
}

// TestReleaseKeepsNothing: a released reportMem points to nothing of the
// report it held, its room included.
func TestReleaseKeepsNothing(t *testing.T) {
	var b scanBuilder
	var m reportMem
	opts := Options{Attributor: fakeAttributor{}, Lookup: LookupAll}
	zero := func(what string, v any) {
		t.Helper()
		if !reflect.ValueOf(v).IsZero() {
			t.Fatalf("%s holds %+v", what, v)
		}
	}
	for _, h := range [][]byte{authHeader(maxAuthRoom), hopsHeader(maxMemHops), authHeader(3), hopsHeader(2)} {
		b.build(context.Background(), &fetch.Message{Header: h}, opts, &m)
		m.release()
		zero("the report", m.r)
		zero("top", m.top)
		zero("compauth", m.auth.compAuth)
		zero("the ARC chain", m.auth.chain)
		for i := range m.hops {
			zero(fmt.Sprint("hop ", i), m.hops[i])
			zero(fmt.Sprint("values ", i), m.vals[i])
		}
		l := &m.auth.lists
		for _, buf := range []any{l.dkim.buf, l.results.buf, l.methods.buf, l.fields.buf, l.spf.buf, l.sigs.buf, l.verdicts.buf, l.seals.buf} {
			v := reflect.ValueOf(buf)
			for i := range v.Len() {
				if !v.Index(i).IsZero() {
					t.Fatalf("%T element %d holds %+v", buf, i, v.Index(i))
				}
			}
		}
	}
}
