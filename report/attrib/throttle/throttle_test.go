package throttle

import (
	"context"
	"errors"
	"testing"
	"time"
)

func TestThrottle(t *testing.T) {
	now := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	th := New(map[string]Limit{"a.example": {Every: time.Hour, Burst: 2}, "": {Every: 0}})
	th.now = func() time.Time { return now }
	ctx, cancel := context.WithTimeout(context.Background(), 100*time.Millisecond)
	defer cancel()
	// The burst goes at once; the third would wait an hour: refused now.
	for i := range 2 {
		if err := th.Wait(ctx, "a.example"); err != nil {
			t.Fatalf("%d: %v", i, err)
		}
	}
	if err := th.Wait(ctx, "A.example"); !errors.Is(err, ErrBudget) {
		t.Fatalf("third: %v", err)
	}
	// Unnamed servers take the "" budget (unlimited here).
	for range 100 {
		if err := th.Wait(ctx, "b.example"); err != nil {
			t.Fatal(err)
		}
	}
	// A rate-limit answer: back off, doubling from a minute.
	u := th.RateLimited("b.example", 0)
	if u.Sub(now) != time.Minute {
		t.Fatalf("first back-off %s", u.Sub(now))
	}
	if err := th.Wait(ctx, "b.example"); !errors.Is(err, ErrBackoff) {
		t.Fatalf("during back-off: %v", err)
	}
	now = now.Add(2 * time.Minute)
	if err := th.Wait(ctx, "b.example"); err != nil {
		t.Fatalf("after back-off: %v", err)
	}
	if u := th.RateLimited("b.example", 0); u.Sub(now) != 2*time.Minute {
		t.Fatalf("second back-off %s", u.Sub(now))
	}
	if u := th.RateLimited("b.example", 5*time.Second); u.Sub(now) != 5*time.Second {
		t.Fatalf("Retry-After back-off %s", u.Sub(now))
	}
	th.OK("b.example")
	th.Down("b.example")
	if err := th.Wait(ctx, "b.example"); !errors.Is(err, ErrDown) {
		t.Fatalf("down: %v", err)
	}
	now = now.Add(DownPause)
	if err := th.Wait(ctx, "b.example"); err != nil {
		t.Fatalf("after pause: %v", err)
	}
}
