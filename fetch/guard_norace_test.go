//go:build !race

package fetch

// These close the connection in the middle of a literal, where go-imap's
// client has a data race of its own (its reader goes on once the literal
// read fails while the pending command's Close discards that literal
// again), before this package's watchdog as after it: they run without
// the race detector only.

import (
	"context"
	"testing"
	"time"
)

// A step stuck on a literal that never ends, though every read gets a
// byte well within the timeout, is ended by the watchdog within the
// timeout.
func TestIMAPWatchdogEndsStuckStep(t *testing.T) {
	addr := scriptIMAP(t, 3, 0, 2)
	src, err := Open(context.Background(), "imap://u@"+addr+"/INBOX", Options{Password: staticPassword("p"), Timeout: 300 * time.Millisecond, Retries: -1})
	if err != nil {
		t.Fatal(err)
	}
	defer src.Close()
	start := time.Now()
	m, err := src.Next(context.Background())
	if err != nil || m.Origin.UID != 1 {
		t.Fatalf("first: %v %v", m, err)
	}
	_, err = src.Next(context.Background())
	if d := time.Since(start); err == nil || d > 3*time.Second {
		t.Fatalf("stuck step: %v after %v", err, d)
	}
}

// A context that ends during a step closes the connection: Next returns
// at once with the context's error.
func TestIMAPCancelEndsStep(t *testing.T) {
	addr := scriptIMAP(t, 3, 0, 2)
	src, err := Open(context.Background(), "imap://u@"+addr+"/INBOX", Options{Password: staticPassword("p"), Retries: -1})
	if err != nil {
		t.Fatal(err)
	}
	defer src.Close()
	ctx, cancel := context.WithCancel(context.Background())
	if _, err := src.Next(ctx); err != nil {
		t.Fatal(err)
	}
	time.AfterFunc(200*time.Millisecond, cancel)
	start := time.Now()
	if _, err := src.Next(ctx); err != context.Canceled || time.Since(start) > 3*time.Second {
		t.Fatalf("%v after %v", err, time.Since(start))
	}
}
