package fetch

import (
	"io"
	"net"
	"testing"
	"time"
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
