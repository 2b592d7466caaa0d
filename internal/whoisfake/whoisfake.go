// Package whoisfake is a whois (RFC 3912) server on loopback that replays
// recorded answers, for tests of any package. It is data driven: a map
// from query to answer, plus behaviours a real network shows (a server
// that never answers, one that closes mid-answer, an endless answer).
// Every query is counted so tests can prove how many were sent.
package whoisfake

import (
	"bufio"
	"errors"
	"io"
	"net"
	"os"
	"strings"
	"sync"
	"time"
)

// Mode is how the server answers.
type Mode int

const (
	Normal   Mode = iota // write Text, close
	Hang                 // read the query, never answer, never close
	CloseMid             // write the first half of Text, then reset the connection
	Endless              // write Text over and over until the client goes away
	Silent               // accept and close without a byte
)

// Answer is a scripted reply.
type Answer struct {
	Text string
	Mode Mode
}

// File returns an Answer with a file's bytes (a recorded answer).
func File(path string) Answer {
	b, err := os.ReadFile(path)
	if err != nil {
		return Answer{Text: "% whoisfake: " + err.Error() + "\n"}
	}
	return Answer{Text: string(b)}
}

// Server is one fake whois server.
type Server struct {
	Name string // the registry server it stands for ("whois.ripe.net")

	ln net.Listener
	mu sync.Mutex
	// Answers by exact query (as received, without CRLF).
	answers map[string]Answer
	// Default answers any other query.
	def     Answer
	queries []string
	conns   map[net.Conn]bool
	wg      sync.WaitGroup
	closed  bool
}

// Start listens on 127.0.0.1:0 and serves until Close.
func Start(name string, def Answer) (*Server, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, err
	}
	s := &Server{Name: name, ln: ln, answers: map[string]Answer{}, def: def, conns: map[net.Conn]bool{}}
	s.wg.Add(1)
	go s.serve()
	return s, nil
}

// Addr is the host:port to dial.
func (s *Server) Addr() string { return s.ln.Addr().String() }

// Set scripts the answer to one query.
func (s *Server) Set(query string, a Answer) {
	s.mu.Lock()
	s.answers[query] = a
	s.mu.Unlock()
}

// SetDefault scripts the answer to any query without its own.
func (s *Server) SetDefault(a Answer) {
	s.mu.Lock()
	s.def = a
	s.mu.Unlock()
}

// Queries returns the queries received so far.
func (s *Server) Queries() []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]string(nil), s.queries...)
}

// Count is the number of queries received.
func (s *Server) Count() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return len(s.queries)
}

// Close stops the server and drops its connections.
func (s *Server) Close() error {
	s.mu.Lock()
	s.closed = true
	for c := range s.conns {
		c.Close()
	}
	s.mu.Unlock()
	err := s.ln.Close()
	s.wg.Wait()
	return err
}

func (s *Server) serve() {
	defer s.wg.Done()
	for {
		c, err := s.ln.Accept()
		if err != nil {
			return
		}
		s.mu.Lock()
		if s.closed {
			s.mu.Unlock()
			c.Close()
			return
		}
		s.conns[c] = true
		s.mu.Unlock()
		s.wg.Add(1)
		go func() {
			defer s.wg.Done()
			s.handle(c)
			s.mu.Lock()
			delete(s.conns, c)
			s.mu.Unlock()
			c.Close()
		}()
	}
}

func (s *Server) handle(c net.Conn) {
	_ = c.SetReadDeadline(time.Now().Add(5 * time.Second))
	line, err := bufio.NewReader(io.LimitReader(c, 1024)).ReadString('\n')
	if err != nil && !errors.Is(err, io.EOF) {
		return
	}
	q := strings.TrimRight(line, "\r\n")
	s.mu.Lock()
	s.queries = append(s.queries, q)
	a, ok := s.answers[q]
	if !ok {
		a = s.def
	}
	s.mu.Unlock()
	_ = c.SetReadDeadline(time.Time{})
	switch a.Mode {
	case Normal:
		_, _ = io.WriteString(c, a.Text)
	case Hang:
		// Hold the connection until the client or Close drops it.
		_, _ = io.Copy(io.Discard, c)
	case CloseMid:
		_, _ = io.WriteString(c, a.Text[:len(a.Text)/2])
		if tc, ok := c.(*net.TCPConn); ok {
			_ = tc.SetLinger(0) // RST, not FIN
		}
	case Endless:
		chunk := a.Text
		if chunk == "" {
			chunk = strings.Repeat("remarks: x\n", 100)
		}
		for {
			_ = c.SetWriteDeadline(time.Now().Add(5 * time.Second))
			if _, err := io.WriteString(c, chunk); err != nil {
				return
			}
		}
	case Silent:
	}
}

// Network is a set of fake servers standing for registry servers by name.
type Network struct {
	Servers map[string]*Server
}

// NewNetwork starts one server per name, each answering def until scripted.
func NewNetwork(names ...string) (*Network, error) {
	n := &Network{Servers: map[string]*Server{}}
	for _, name := range names {
		s, err := Start(name, Answer{Text: "% whoisfake: no entries found\n"})
		if err != nil {
			n.Close()
			return nil, err
		}
		n.Servers[name] = s
	}
	return n, nil
}

// Hosts maps each server name to its loopback address, the form
// --whois-host and whois.Options.Hosts take.
func (n *Network) Hosts() map[string]string {
	m := map[string]string{}
	for name, s := range n.Servers {
		m[name] = s.Addr()
	}
	return m
}

// Total is the number of queries all servers received.
func (n *Network) Total() int {
	t := 0
	for _, s := range n.Servers {
		t += s.Count()
	}
	return t
}

// Close stops every server.
func (n *Network) Close() {
	for _, s := range n.Servers {
		s.Close()
	}
}
