// Package throttle keeps each registry server within its published query
// limits: a token bucket per server (golang.org/x/time/rate) and, after a
// server answers that the limit is exceeded, a back-off during which no
// query is sent to it at all.
package throttle

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"time"

	"golang.org/x/time/rate"
)

// Sentinel errors.
var (
	// ErrBackoff: the server said we exceeded its limit; we wait.
	ErrBackoff = errors.New("throttle: server rate-limited us, backing off")
	// ErrDown: the server failed to answer a moment ago; it is not asked
	// again until the pause ends, so a dead registry costs one timeout.
	ErrDown = errors.New("throttle: server did not answer recently, pausing")
	// ErrBudget: the local budget for the server is used up within the
	// caller's deadline; nothing was sent.
	ErrBudget = errors.New("throttle: query budget for server exhausted")
)

// Limit is a budget for one server: Every is the sustained interval
// between queries, Burst how many may go at once.
type Limit struct {
	Every time.Duration
	Burst int
}

// Defaults are budgets below the registries' published limits. RIPE NCC
// allows 1,000 personal-data objects a day per IP, AFRINIC 5,000, LACNIC
// about 10 queries a minute; ARIN, APNIC and the national registries
// publish no number, so they get a polite one per second. With the cache
// by network, a bulk scan sends one query per network, not per message.
var Defaults = map[string]Limit{
	"whois.ripe.net":    {Every: 24 * time.Hour / 900, Burst: 30},
	"whois.afrinic.net": {Every: 24 * time.Hour / 4500, Burst: 30},
	"whois.lacnic.net":  {Every: 7 * time.Second, Burst: 5},
	"whois.registro.br": {Every: 7 * time.Second, Burst: 5},
	"whois.arin.net":    {Every: time.Second, Burst: 10},
	"whois.apnic.net":   {Every: time.Second, Burst: 10},
	"whois.iana.org":    {Every: time.Second, Burst: 5},
	"rdap.db.ripe.net":  {Every: time.Second / 2, Burst: 20},
	"rdap.lacnic.net":   {Every: 7 * time.Second, Burst: 5},
	"rdap.afrinic.net":  {Every: 24 * time.Hour / 4500, Burst: 30},
	"rdap.arin.net":     {Every: time.Second / 2, Burst: 10},
	"rdap.apnic.net":    {Every: time.Second / 2, Burst: 10},
	"":                  {Every: time.Second, Burst: 3}, // any other server
}

// Throttle is safe for concurrent use. The zero value is not; use New.
type Throttle struct {
	mu       sync.Mutex
	limits   map[string]Limit
	buckets  map[string]*rate.Limiter
	until    map[string]time.Time
	backoff  map[string]time.Duration
	down     map[string]time.Time
	now      func() time.Time
	disabled bool
}

// New returns a Throttle with the given budgets (nil: Defaults). An entry
// "" is the budget of any server not named.
func New(limits map[string]Limit) *Throttle {
	if limits == nil {
		limits = Defaults
	}
	return &Throttle{limits: limits, buckets: map[string]*rate.Limiter{},
		until: map[string]time.Time{}, backoff: map[string]time.Duration{}, down: map[string]time.Time{}, now: time.Now}
}

// Unlimited returns a Throttle that never waits (tests), but still backs
// off after a rate-limit answer.
func Unlimited() *Throttle {
	t := New(map[string]Limit{})
	t.disabled = true
	return t
}

func (t *Throttle) bucket(server string) *rate.Limiter {
	server = strings.ToLower(server)
	if b, ok := t.buckets[server]; ok {
		return b
	}
	l, ok := t.limits[server]
	if !ok {
		l, ok = t.limits[""]
	}
	var b *rate.Limiter
	if !ok || t.disabled || l.Every <= 0 {
		b = rate.NewLimiter(rate.Inf, 1)
	} else {
		b = rate.NewLimiter(rate.Every(l.Every), max(l.Burst, 1))
	}
	t.buckets[server] = b
	return b
}

// Wait blocks until a query to server may be sent. It fails at once with
// ErrBackoff while the server's back-off runs, and with ErrBudget when the
// wait would outlast ctx's deadline.
func (t *Throttle) Wait(ctx context.Context, server string) error {
	t.mu.Lock()
	if u, ok := t.until[strings.ToLower(server)]; ok && t.now().Before(u) {
		t.mu.Unlock()
		return fmt.Errorf("%w: %s until %s", ErrBackoff, server, u.UTC().Format(time.RFC3339))
	}
	if u, ok := t.down[strings.ToLower(server)]; ok && t.now().Before(u) {
		t.mu.Unlock()
		return fmt.Errorf("%w: %s until %s", ErrDown, server, u.UTC().Format(time.RFC3339))
	}
	b := t.bucket(server)
	t.mu.Unlock()
	if err := b.Wait(ctx); err != nil {
		if ctx.Err() != nil {
			return fmt.Errorf("%w: %s: %w", ErrBudget, server, ctx.Err())
		}
		return fmt.Errorf("%w: %s: %v", ErrBudget, server, err)
	}
	return nil
}

// RateLimited records that server refused for exceeding its limit. The
// back-off is retryAfter when the server gave one (HTTP Retry-After), else
// it doubles from one minute up to an hour.
func (t *Throttle) RateLimited(server string, retryAfter time.Duration) time.Time {
	t.mu.Lock()
	defer t.mu.Unlock()
	server = strings.ToLower(server)
	d := retryAfter
	if d <= 0 {
		d = t.backoff[server] * 2
		if d < time.Minute {
			d = time.Minute
		}
		if d > time.Hour {
			d = time.Hour
		}
		t.backoff[server] = d
	}
	u := t.now().Add(d)
	t.until[server] = u
	return u
}

// DownPause is how long a server that did not answer is left alone.
var DownPause = 30 * time.Second

// Down records that server did not answer (timeout, refused): for
// DownPause, Wait fails at once with ErrDown.
func (t *Throttle) Down(server string) {
	t.mu.Lock()
	defer t.mu.Unlock()
	t.down[strings.ToLower(server)] = t.now().Add(DownPause)
}

// OK records a successful answer from server: the back-off resets.
func (t *Throttle) OK(server string) {
	t.mu.Lock()
	defer t.mu.Unlock()
	server = strings.ToLower(server)
	delete(t.backoff, server)
	delete(t.until, server)
	delete(t.down, server)
}
