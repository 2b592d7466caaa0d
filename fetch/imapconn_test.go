package fetch

import (
	"crypto/tls"
	"io"
	"net"
	"strings"
	"testing"
	"time"

	"github.com/emersion/go-imap/v2"
)

// take ends a read of the client's that waits on a silent server, the
// source then reads the connection alone, and giveBack hands the client
// what the source read past its responses, then the connection.
func TestHandoffConn(t *testing.T) {
	a, b := net.Pipe()
	defer b.Close()
	c := newHandoffConn(a, 5*time.Second, []byte("* OK hi\r\n"))
	defer c.Close()
	got := make(chan string, 4)
	go func() { // the client's reader
		buf := make([]byte, 64)
		for {
			n, err := c.Read(buf)
			if err != nil {
				close(got)
				return
			}
			got <- string(buf[:n])
		}
	}()
	if s := <-got; s != "* OK hi\r\n" {
		t.Fatalf("greeting %q", s)
	}
	done := make(chan struct{})
	go func() { c.take(); close(done) }()
	select {
	case <-done:
	case <-time.After(3 * time.Second):
		t.Fatal("take waits for the server")
	}
	go b.Write([]byte("F1 OK\r\nextra"))
	buf := make([]byte, 7)
	if _, err := io.ReadFull(sourceReader{c}, buf); err != nil || string(buf) != "F1 OK\r\n" {
		t.Fatalf("source read %q %v", buf, err)
	}
	rest := make([]byte, 5)
	if _, err := io.ReadFull(sourceReader{c}, rest); err != nil {
		t.Fatal(err)
	}
	select {
	case s := <-got:
		t.Fatalf("the client read %q while the source had the connection", s)
	default:
	}
	c.giveBack(rest)
	if s := <-got; s != "extra" {
		t.Fatalf("after giveBack %q", s)
	}
	go b.Write([]byte("* BYE\r\n"))
	if s := <-got; s != "* BYE\r\n" {
		t.Fatalf("then %q", s)
	}
	c.take() // the reader waits in Read again: Close must end it
	c.Close()
	if _, ok := <-got; ok {
		t.Fatal("the client's reader did not end")
	}
}

// startTLS refuses a PREAUTH greeting (the session would skip TLS) and
// bytes sent after the STARTTLS answer in clear (they would be taken as
// sent under TLS: the STARTTLS injection of RFC 9051 §11.1).
func TestStartTLSRefuses(t *testing.T) {
	test := func(name, script, want string) {
		t.Helper()
		a, b := net.Pipe()
		defer a.Close()
		go func() {
			defer b.Close()
			greeting, answer, _ := strings.Cut(script, "|")
			io.WriteString(b, greeting)
			if answer == "" {
				io.Copy(io.Discard, b)
				return
			}
			line := make([]byte, len("S1 STARTTLS\r\n"))
			if _, err := io.ReadFull(b, line); err != nil || string(line) != "S1 STARTTLS\r\n" {
				return
			}
			io.WriteString(b, answer)
		}()
		_, err := startTLS(a, &tls.Config{InsecureSkipVerify: true}, 2*time.Second) //nolint:gosec // never gets that far
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("%s: %v, want %q", name, err, want)
		}
	}
	test("preauth", "* PREAUTH hi\r\n", "PREAUTH")
	test("bye", "* BYE no\r\n", "greeting")
	test("refused", "* OK hi\r\n|S1 NO never\r\n", "refused")
	test("injection", "* OK hi\r\n|S1 OK begin\r\n* OK injected\r\n", "data after")
}

// A batch of scattered UIDs is cut so that its UID set stays within the
// command-line limit; contiguous ones make a whole batch in one range.
func TestNextBatch(t *testing.T) {
	var uids []imap.UID
	for u := imap.UID(1_000_001); len(uids) < 5000; u += 2 {
		uids = append(uids, u)
	}
	end, set := nextBatch(uids, 10, DefaultBatchSize)
	if len(set) > maxUIDSetLen || end <= 10 || end-10 > DefaultBatchSize || end-10 < DefaultBatchSize/4 {
		t.Fatalf("scattered: %d UIDs, set of %d bytes", end-10, len(set))
	}
	for i := range uids {
		uids[i] = imap.UID(i + 1)
	}
	if end, set := nextBatch(uids, 10, DefaultBatchSize); end != 10+DefaultBatchSize || set != "11:2010" {
		t.Fatalf("contiguous: end %d, set %q", end, set)
	}
	if end, set := nextBatch(uids, 4990, DefaultBatchSize); end != 5000 || set != "4991:5000" {
		t.Fatalf("the rest: end %d, set %q", end, set)
	}
}

// Whole messages (KeepBody) come in batches of about wholeBatchBytes,
// sized from the mean of the messages read so far; headers in batches of
// the batch size.
func TestBatchLen(t *testing.T) {
	test := func(keep bool, batch, n int, bytes int64, want int) {
		t.Helper()
		s := &imapSource{opts: Options{KeepBody: keep, BatchSize: batch}, wholeN: n, wholeBytes: bytes}
		if got := s.batchLen(); got != want {
			t.Errorf("keep %v batch %d after %d messages of %d bytes: %d, want %d", keep, batch, n, bytes, got, want)
		}
	}
	test(false, 0, 0, 0, DefaultBatchSize)
	test(false, 50, 10, 1<<30, 50)
	test(true, 0, 0, 0, wholeBatchFirst)
	test(true, 5, 0, 0, 5)
	test(true, 0, 100, 100<<10, min(DefaultBatchSize, wholeBatchBytes>>10)) // 1 KiB each
	test(true, 0, 10, 10*wholeBatchBytes/4, 4)                              // a quarter of the budget each
	test(true, 0, 1, 1<<30, 1)                                              // one huge message: one at a time
}
