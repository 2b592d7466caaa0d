package fetch

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"strings"
	"sync"
	"testing"
	"time"
)

// pop3Script is a scripted POP3 server on loopback: messages by number,
// their UIDLs, and a record of every command. dropAfter > 0 closes the
// first session after that many TOP answers.
type pop3Script struct {
	msgs      []string
	uidls     []string
	errTop    int // message number answered -ERR
	pipelined bool
	dropAfter int
	huge      int    // message number answered with over MaxMessageBytes
	endless   int    // message number whose TOP answer never ends
	stat      string // the STAT answer after +OK, when set
	uidlLines int    // when set, UIDL lists this many lines
	trickle   bool   // UIDL's listing comes a byte every 20 ms, without end

	mu       sync.Mutex
	commands []string
	sessions int
}

func (p *pop3Script) serve(t *testing.T) string {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { ln.Close() })
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			go p.session(c)
		}
	}()
	return ln.Addr().String()
}

func (p *pop3Script) session(c net.Conn) {
	defer c.Close()
	p.mu.Lock()
	p.sessions++
	first := p.sessions == 1
	p.mu.Unlock()
	r := bufio.NewReader(c)
	w := bufio.NewWriter(c)
	fmt.Fprintf(w, "+OK scripted POP3 ready\r\n")
	w.Flush()
	tops := 0
	for {
		line, err := r.ReadString('\n')
		if err != nil {
			return
		}
		line = strings.TrimRight(line, "\r\n")
		p.mu.Lock()
		p.commands = append(p.commands, line)
		p.mu.Unlock()
		f := strings.Fields(line)
		switch strings.ToUpper(f[0]) {
		case "CAPA":
			fmt.Fprintf(w, "+OK\r\nTOP\r\nUIDL\r\nUSER\r\n")
			if p.pipelined {
				fmt.Fprintf(w, "PIPELINING\r\n")
			}
			fmt.Fprintf(w, ".\r\n")
		case "USER":
			fmt.Fprintf(w, "+OK\r\n")
		case "PASS":
			if f[1] != "pw" {
				fmt.Fprintf(w, "-ERR [AUTH] bad password\r\n")
			} else {
				fmt.Fprintf(w, "+OK logged in\r\n")
			}
		case "STAT":
			if p.stat != "" {
				fmt.Fprintf(w, "+OK %s\r\n", p.stat)
				break
			}
			fmt.Fprintf(w, "+OK %d 1000\r\n", len(p.msgs))
		case "UIDL":
			fmt.Fprintf(w, "+OK\r\n")
			if p.trickle {
				w.Flush()
				for i := 0; ; i++ {
					time.Sleep(20 * time.Millisecond)
					if _, err := c.Write([]byte{"1 u1\r\n"[i%6]}); err != nil {
						return
					}
				}
			}
			for i := 1; i <= p.uidlLines; i++ {
				if _, err := fmt.Fprintf(w, "%d u%d\r\n", i, i); err != nil {
					return
				}
			}
			for i, u := range p.uidls {
				fmt.Fprintf(w, "%d %s\r\n", i+1, u)
			}
			fmt.Fprintf(w, ".\r\n")
		case "TOP":
			var n int
			fmt.Sscan(f[1], &n)
			if first && p.dropAfter > 0 && tops == p.dropAfter {
				w.Flush()
				return
			}
			tops++
			if n == p.errTop || n < 1 || n > len(p.msgs) {
				fmt.Fprintf(w, "-ERR no such message\r\n")
				break
			}
			fmt.Fprintf(w, "+OK\r\n")
			if n == p.endless {
				w.WriteString(p.msgs[n-1] + "\r\n")
				for {
					if _, err := w.WriteString("x\r\n"); err != nil {
						return
					}
				}
			}
			if n == p.huge {
				w.WriteString(p.msgs[n-1] + "\r\n")
				line := strings.Repeat("x", 62) + "\r\n"
				for k := 0; k <= MaxMessageBytes/len(line); k++ {
					w.WriteString(line)
				}
				fmt.Fprintf(w, ".\r\n")
				break
			}
			for _, l := range strings.Split(p.msgs[n-1], "\n") {
				if strings.HasPrefix(l, ".") {
					l = "." + l // RFC 1939 §3 byte-stuffing
				}
				fmt.Fprintf(w, "%s\r\n", l)
			}
			fmt.Fprintf(w, ".\r\n")
		case "QUIT":
			fmt.Fprintf(w, "+OK bye\r\n")
			w.Flush()
			return
		default:
			fmt.Fprintf(w, "-ERR unknown command\r\n")
		}
		if r.Buffered() == 0 {
			w.Flush()
		}
	}
}

func TestPOP3Scripted(t *testing.T) {
	msgs := []string{
		"Received: from a (a [192.0.2.1]) by b; Wed, 25 Nov 2026 20:01:28 +0000\nSubject: one\n",
		"Subject: two\nX-Dots: .leading dot kept once\n..\n",
		"Subject: three\n",
		"Subject: four\n",
	}
	for _, pipelined := range []bool{false, true} {
		p := &pop3Script{msgs: msgs, uidls: []string{"u1", "u2", "u3", "u4"}, errTop: 3, pipelined: pipelined}
		addr := p.serve(t)
		src, err := Open(context.Background(), "pop3://alice%40example.test@"+addr, Options{Password: staticPassword("pw")})
		if err != nil {
			t.Fatal(err)
		}
		got := drain(t, src)
		if len(got) != 4 {
			t.Fatalf("pipelined %v: %d messages", pipelined, len(got))
		}
		if string(got[1].Header) != "Subject: two\r\nX-Dots: .leading dot kept once\r\n..\r\n" {
			t.Errorf("dot-unstuffing: %q", got[1].Header)
		}
		if got[2].Err == nil || got[2].Origin.POP3UID != "u3" || got[3].Err != nil || got[3].Origin.POP3UID != "u4" || got[3].Origin.Index != 4 {
			t.Errorf("-ERR for one message: %+v %v / %+v", got[2].Origin, got[2].Err, got[3].Origin)
		}
		p.mu.Lock()
		all := strings.Join(p.commands, "\n")
		p.mu.Unlock()
		if strings.Contains(all, "DELE") || strings.Contains(all, "RETR") || strings.Contains(all, "RSET") || !strings.HasSuffix(all, "QUIT") {
			t.Errorf("commands:\n%s", all)
		}
	}

	// A connection dropped midway: reconnect, continue after the last UIDL.
	p := &pop3Script{msgs: msgs, uidls: []string{"u1", "u2", "u3", "u4"}, dropAfter: 2}
	addr := p.serve(t)
	var warned []string
	src, err := Open(context.Background(), "pop3://alice%40example.test@"+addr, Options{Password: staticPassword("pw"), Warn: func(s string) { warned = append(warned, s) }})
	if err != nil {
		t.Fatal(err)
	}
	got := drain(t, src)
	var uids []string
	for _, m := range got {
		uids = append(uids, m.Origin.POP3UID)
	}
	p.mu.Lock()
	sessions := p.sessions
	p.mu.Unlock()
	if strings.Join(uids, " ") != "u1 u2 u3 u4" || sessions != 2 || len(warned) != 1 {
		t.Errorf("after a drop: %v, %d sessions, warnings %v", uids, sessions, warned)
	}

	// A wrong password is an authentication error.
	if _, err := Open(context.Background(), "pop3://alice@"+addr, Options{Password: staticPassword("nope")}); !errors.Is(err, ErrAuth) {
		t.Errorf("bad password: %v", err)
	}
}

// A POP3 server's counts, lists and answers are untrusted: each of these
// ends in bounded time and memory with an error, never a crash (a
// negative STAT count made the listing's make panic; a huge one, or a
// listing without end, allocated without end; a TOP answer without end,
// or a listing that trickles, kept the scan reading it).
func TestPOP3Hostile(t *testing.T) {
	msgs := []string{"Subject: one\n", "Subject: two\n"}
	for _, tc := range []struct {
		name string
		p    *pop3Script
		want string
	}{
		{"negative count", &pop3Script{msgs: msgs, stat: "-5 100"}, "STAT"},
		{"huge count", &pop3Script{msgs: msgs, stat: "99999999999 100"}, "STAT"},
		{"endless listing", &pop3Script{msgs: msgs, uidlLines: 1 << 20}, "UIDL lists over"},
		{"endless answer", &pop3Script{msgs: msgs, uidls: []string{"u1", "u2"}, endless: 1}, "timeout"},
		{"trickled listing", &pop3Script{msgs: msgs, trickle: true}, "timeout"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			addr := tc.p.serve(t)
			opts := Options{Password: staticPassword("pw"), Timeout: 300 * time.Millisecond, Retries: -1}
			start := time.Now()
			src, err := Open(context.Background(), "pop3://alice@"+addr, opts)
			if err == nil {
				for err == nil {
					_, err = src.Next(context.Background())
				}
			}
			if err == nil || errors.Is(err, io.EOF) || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("err %v, want one about %q", err, tc.want)
			}
			if d := time.Since(start); d > 20*time.Second {
				t.Errorf("took %v", d)
			}
		})
	}
}

// FuzzPOP3Answer feeds a server's answer to the status and multi-line
// readers: no panic, no runaway, the header bounded.
func FuzzPOP3Answer(f *testing.F) {
	f.Add([]byte("+OK\r\nSubject: x\r\n..\r\n.\r\n"))
	f.Add([]byte("-ERR nope\r\n"))
	f.Add([]byte("+OK\r\nA: 1\r\n\r\nbody\r\n.x\r\n.\r\n+OK next"))
	f.Add([]byte("garbage"))
	f.Fuzz(func(t *testing.T, b []byte) {
		c := &pop3Conn{r: bufio.NewReaderSize(bytes.NewReader(b), 4096)}
		if _, err := c.status(); err != nil {
			return
		}
		dr := &dotReader{r: c.r}
		h, _ := ReadHeader(dr, 256)
		if len(h) > 256 {
			t.Fatalf("header over the limit: %d", len(h))
		}
		io.Copy(io.Discard, dr)
		c.lines(func([]byte) error { return nil })
	})
}

// FuzzPOP3Whole: readWholeAnswer (KeepBody) takes from a TOP answer the
// header ReadHeader takes (the header-only scan's), with the same problem;
// it keeps Raw only when the header is sound and the answer within the
// bound, and the header is Raw's.
func FuzzPOP3Whole(f *testing.F) {
	f.Add([]byte("+OK\r\nSubject: x\r\n..\r\n.\r\n"), 0, 100)
	f.Add([]byte("+OK\r\nA: 1\r\n\r\nbody\r\n.x\r\n.\r\n+OK next"), 4, 12)
	f.Add([]byte("+OK\r\n\xef\xbb\xbfFrom x\r\n  A: 1\r\n  B: 2\r\n\r\nbody\r\n.\r\n"), 0, 1000)
	f.Fuzz(func(t *testing.T, b []byte, max, limit int) {
		if max < 0 || max > 1<<16 || limit < 1 || limit > 1<<20 {
			return
		}
		answer := func() *dotReader {
			c := &pop3Conn{r: bufio.NewReaderSize(bytes.NewReader(b), 4096)}
			if _, err := c.status(); err != nil {
				return nil
			}
			return &dotReader{r: c.r}
		}
		dr := answer()
		if dr == nil {
			return
		}
		want, werr := ReadHeader(dr, max)
		raw, h, merr, err := readWholeAnswer(answer(), max, limit)
		if err != nil || dr.err != nil {
			return // the answer is cut short: the connection broke
		}
		if errors.Is(merr, ErrMessageTooLarge) {
			if raw != nil || werr != nil || string(h) != string(want) {
				t.Fatalf("%q (limit %d): over the bound: raw %q, header %q, header-only %q %v", b, limit, raw, h, want, werr)
			}
			return
		}
		if string(h) != string(want) || fmt.Sprint(merr) != fmt.Sprint(werr) {
			t.Fatalf("%q (max %d):\nwhole  %q %v\nheader %q %v", b, max, h, merr, want, werr)
		}
		if (raw == nil) != (merr != nil) {
			t.Fatalf("%q: raw %q beside %v", b, raw, merr)
		}
		if raw != nil {
			if s, err := sectionOf(raw, max); err != nil || string(s) != string(h) || len(raw) > limit {
				t.Fatalf("%q: raw %q does not hold header %q", b, raw, h)
			}
		}
	})
}
