package main

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"os"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"
)

// lockedBuffer is a stderr that the serving goroutine writes while the test
// reads it.
type lockedBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *lockedBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *lockedBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}

// TestServe runs `mailtrace serve --offline` on a free loopback port, as a
// user would: the announced address serves the page, /healthz and an API
// report equal to `trace --json` of the same message; the end of the
// command's context (Ctrl-C) shuts it down with exit 0.
func TestServe(t *testing.T) {
	var errb lockedBuffer
	s := &streams{In: strings.NewReader(""), Out: io.Discard, Err: &errb}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	done := make(chan int, 1)
	go func() { done <- mainContext(ctx, []string{"serve", "--offline", "--listen", "127.0.0.1:0"}, s) }()

	announced := regexp.MustCompile(`serving on (http://127\.0\.0\.1:\d+)/`)
	var base string
	for deadline := time.Now().Add(10 * time.Second); base == ""; {
		if m := announced.FindStringSubmatch(errb.String()); m != nil {
			base = m[1]
			break
		}
		select {
		case code := <-done:
			t.Fatalf("serve ended with %d: %s", code, errb.String())
		case <-time.After(10 * time.Millisecond):
		}
		if time.Now().After(deadline) {
			t.Fatalf("no address announced: %q", errb.String())
		}
	}

	get := func(path string) (int, string) {
		t.Helper()
		resp, err := http.Get(base + path)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		return resp.StatusCode, string(b)
	}
	if code, body := get("/healthz"); code != http.StatusOK || strings.TrimSpace(body) != "ok" {
		t.Errorf("/healthz: %d %q", code, body)
	}
	if code, body := get("/"); code != http.StatusOK || !strings.Contains(body, "<textarea") {
		t.Errorf("/: %d, no paste box", code)
	}

	raw, err := os.ReadFile(sample)
	if err != nil {
		t.Fatal(err)
	}
	resp, err := http.Post(base+"/api/trace", "message/rfc822", bytes.NewReader(raw))
	if err != nil {
		t.Fatal(err)
	}
	var api map[string]any
	err = json.NewDecoder(resp.Body).Decode(&api)
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK || err != nil {
		t.Fatalf("/api/trace: %d %v", resp.StatusCode, err)
	}
	code, out, errs := run(t, "", "trace", "--json", sample)
	if code != exitOK {
		t.Fatalf("trace: exit %d: %s", code, errs)
	}
	var cli map[string]any
	if err := json.Unmarshal([]byte(out), &cli); err != nil {
		t.Fatal(err)
	}
	// The two differ only in where the message came from.
	delete(api, "source")
	delete(cli, "source")
	a, _ := json.Marshal(api)
	c, _ := json.Marshal(cli)
	if !bytes.Equal(a, c) {
		t.Errorf("API report differs from trace --json:\n%s\n%s", a, c)
	}

	cancel()
	select {
	case code := <-done:
		if code != exitOK {
			t.Errorf("exit %d after the context ended: %s", code, errb.String())
		}
	case <-time.After(10 * time.Second):
		t.Fatal("serve did not stop")
	}
	if _, err := http.Get(base + "/healthz"); err == nil {
		t.Error("still serving after shutdown")
	}
}
