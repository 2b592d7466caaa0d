// Package cache keeps attribution answers by network: an answer stored for
// 192.0.2.0/24 answers every address inside it without a query. Entries
// expire after a TTL; failures are stored too (negative entries), briefly.
// Two stores: Memory, and Bolt on disk (go.etcd.io/bbolt).
package cache

import (
	"encoding/json"
	"errors"
	"fmt"
	"net/netip"
	"os"
	"path/filepath"
	"sync"
	"time"

	bolt "go.etcd.io/bbolt"
)

// Sentinel errors.
var (
	ErrOpen    = errors.New("cache: cannot open")
	ErrCorrupt = errors.New("cache: corrupt entry")
)

// Entry is one cached answer.
type Entry struct {
	// Networks the answer covers; the entry is stored under each.
	Networks []netip.Prefix `json:"networks"`
	// Value is the caller's payload (JSON).
	Value json.RawMessage `json:"value"`
	// Negative marks a failure remembered to avoid asking again at once.
	Negative bool      `json:"negative,omitempty"`
	Stored   time.Time `json:"stored"`
	Expires  time.Time `json:"expires"`
}

// Store is a cache by network.
type Store interface {
	// Get returns the most specific unexpired entry whose network holds ip.
	Get(ip netip.Addr) (Entry, bool)
	// Put stores e under each of its networks.
	Put(e Entry) error
	Close() error
}

// key is family, masked address, prefix length: looking up an address is
// one exact Get per prefix length, longest first.
func key(p netip.Prefix) []byte {
	p = p.Masked()
	a := p.Addr().AsSlice()
	k := make([]byte, 0, 2+len(a))
	k = append(k, byte(len(a)))
	k = append(k, a...)
	return append(k, byte(p.Bits()))
}

// candidates lists the prefixes of ip, longest first.
func candidates(ip netip.Addr) []netip.Prefix {
	ip = ip.Unmap()
	out := make([]netip.Prefix, 0, ip.BitLen()+1)
	for b := ip.BitLen(); b >= 0; b-- {
		p, _ := ip.Prefix(b)
		out = append(out, p)
	}
	return out
}

// Memory is an in-process Store, safe for concurrent use.
type Memory struct {
	mu  sync.RWMutex
	m   map[netip.Prefix]Entry
	now func() time.Time
}

// NewMemory returns an empty Memory store.
func NewMemory() *Memory { return &Memory{m: map[netip.Prefix]Entry{}, now: time.Now} }

func (c *Memory) Get(ip netip.Addr) (Entry, bool) {
	if !ip.IsValid() {
		return Entry{}, false
	}
	now := c.now()
	c.mu.RLock()
	defer c.mu.RUnlock()
	for _, p := range candidates(ip) {
		if e, ok := c.m[p]; ok && now.Before(e.Expires) {
			return e, true
		}
	}
	return Entry{}, false
}

func (c *Memory) Put(e Entry) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	for _, p := range e.Networks {
		if p.IsValid() {
			c.m[p.Masked()] = e
		}
	}
	return nil
}

func (c *Memory) Close() error { return nil }

// Bolt is a Store in a bbolt file, shared across runs.
type Bolt struct {
	db  *bolt.DB
	now func() time.Time
}

var bucket = []byte("networks.v1")

// DefaultPath is the cache file in the user's cache directory.
func DefaultPath() (string, error) {
	d, err := os.UserCacheDir()
	if err != nil {
		return "", fmt.Errorf("%w: %w", ErrOpen, err)
	}
	return filepath.Join(d, "mailtrace", "attribution.db"), nil
}

// Open opens (creating) the cache file. Another process holding it makes
// Open fail after a second rather than wait.
func Open(path string) (*Bolt, error) {
	if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
		return nil, fmt.Errorf("%w: %w", ErrOpen, err)
	}
	db, err := bolt.Open(path, 0o600, &bolt.Options{Timeout: time.Second})
	if err != nil {
		return nil, fmt.Errorf("%w: %s: %w", ErrOpen, path, err)
	}
	if err := db.Update(func(tx *bolt.Tx) error {
		_, err := tx.CreateBucketIfNotExists(bucket)
		return err
	}); err != nil {
		db.Close()
		return nil, fmt.Errorf("%w: %s: %w", ErrOpen, path, err)
	}
	return &Bolt{db: db, now: time.Now}, nil
}

func (c *Bolt) Get(ip netip.Addr) (Entry, bool) {
	if !ip.IsValid() {
		return Entry{}, false
	}
	var out Entry
	found := false
	now := c.now()
	_ = c.db.View(func(tx *bolt.Tx) error {
		b := tx.Bucket(bucket)
		if b == nil {
			return nil
		}
		for _, p := range candidates(ip) {
			v := b.Get(key(p))
			if v == nil {
				continue
			}
			var e Entry
			if json.Unmarshal(v, &e) != nil || !now.Before(e.Expires) {
				continue
			}
			out, found = e, true
			return nil
		}
		return nil
	})
	return out, found
}

func (c *Bolt) Put(e Entry) error {
	v, err := json.Marshal(e)
	if err != nil {
		return fmt.Errorf("%w: %w", ErrCorrupt, err)
	}
	return c.db.Update(func(tx *bolt.Tx) error {
		b := tx.Bucket(bucket)
		for _, p := range e.Networks {
			if !p.IsValid() {
				continue
			}
			if err := b.Put(key(p), v); err != nil {
				return err
			}
		}
		return nil
	})
}

// Purge deletes expired entries and returns how many keys went.
func (c *Bolt) Purge() (int, error) {
	n := 0
	now := c.now()
	err := c.db.Update(func(tx *bolt.Tx) error {
		b := tx.Bucket(bucket)
		cur := b.Cursor()
		for k, v := cur.First(); k != nil; k, v = cur.Next() {
			var e Entry
			if json.Unmarshal(v, &e) != nil || !now.Before(e.Expires) {
				if err := cur.Delete(); err != nil {
					return err
				}
				n++
			}
		}
		return nil
	})
	return n, err
}

func (c *Bolt) Close() error { return c.db.Close() }
