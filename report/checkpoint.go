package report

import (
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"sync"

	"github.com/mailtrace/mailtrace/fetch"
)

// CheckpointSchema names the checkpoint file format.
const CheckpointSchema = "mailtrace/checkpoint/v1"

// Errors of the checkpoint.
var (
	ErrCheckpoint = errors.New("report: bad checkpoint file")
)

// Checkpoint records, per mailbox (a fetch Origin.Key: source and folder),
// its UIDVALIDITY and which messages were written, so that a scan can stop
// and resume without duplicates or gaps. It implements fetch.Resume.
// Numeric ids (IMAP UIDs, mbox positions) are kept as ranges, others (POP3
// UIDLs, Maildir keys, paths) as a list. It is safe for concurrent use.
type Checkpoint struct {
	path string
	mu   sync.Mutex
	out  int64 // bytes of output the marks correspond to
	mbox map[string]*mailboxMarks
}

type mailboxMarks struct {
	uidvalidity uint32
	nums        rangeSet
	ids         map[string]struct{}
}

// checkpointFile is the JSON form.
type checkpointFile struct {
	Schema       string                    `json:"schema"`
	OutputOffset int64                     `json:"output_offset"` // bytes of --out that hold the written reports
	Mailboxes    map[string]checkpointMbox `json:"mailboxes"`
}

type checkpointMbox struct {
	UIDValidity uint32   `json:"uidvalidity,omitempty"`
	Done        string   `json:"done,omitempty"` // numeric ids, IMAP sequence-set syntax: "1:500,502"
	IDs         []string `json:"ids,omitempty"`
	Count       int      `json:"count"`
}

// LoadCheckpoint reads path, or starts an empty checkpoint when it does
// not exist yet.
func LoadCheckpoint(path string) (*Checkpoint, error) {
	c := &Checkpoint{path: path, mbox: map[string]*mailboxMarks{}}
	b, err := os.ReadFile(path)
	if errors.Is(err, fs.ErrNotExist) {
		return c, nil
	}
	if err != nil {
		return nil, fmt.Errorf("report: checkpoint: %w", err)
	}
	var f checkpointFile
	if err := json.Unmarshal(b, &f); err != nil {
		return nil, fmt.Errorf("%w: %s: %v", ErrCheckpoint, path, err)
	}
	if f.Schema != CheckpointSchema {
		return nil, fmt.Errorf("%w: %s: schema %q, want %q", ErrCheckpoint, path, f.Schema, CheckpointSchema)
	}
	c.out = f.OutputOffset
	for k, m := range f.Mailboxes {
		mm := &mailboxMarks{uidvalidity: m.UIDValidity, ids: map[string]struct{}{}}
		if mm.nums, err = parseRanges(m.Done); err != nil {
			return nil, fmt.Errorf("%w: %s: mailbox %q: %v", ErrCheckpoint, path, k, err)
		}
		for _, id := range m.IDs {
			mm.ids[id] = struct{}{}
		}
		c.mbox[k] = mm
	}
	return c, nil
}

// Path is the file the checkpoint is saved to.
func (c *Checkpoint) Path() string { return c.path }

// OutputOffset is the size the output had at the last save: on resume,
// the output is cut back to it (a killed run may have written more).
func (c *Checkpoint) OutputOffset() int64 {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.out
}

// Empty reports whether nothing was recorded yet.
func (c *Checkpoint) Empty() bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	return len(c.mbox) == 0
}

// Begin implements fetch.Resume: a changed UIDVALIDITY (RFC 9051 §2.3.1.1)
// forgets the mailbox's marks.
func (c *Checkpoint) Begin(key string, uidvalidity uint32) string {
	c.mu.Lock()
	defer c.mu.Unlock()
	m := c.mbox[key]
	if m == nil {
		c.mbox[key] = &mailboxMarks{uidvalidity: uidvalidity, ids: map[string]struct{}{}}
		return ""
	}
	if m.uidvalidity != uidvalidity && m.uidvalidity != 0 && uidvalidity != 0 {
		old := m.uidvalidity
		c.mbox[key] = &mailboxMarks{uidvalidity: uidvalidity, ids: map[string]struct{}{}}
		return fmt.Sprintf("UIDVALIDITY of %s changed from %d to %d: the checkpoint no longer applies, the mailbox is read again", key, old, uidvalidity)
	}
	m.uidvalidity = uidvalidity
	return ""
}

// Done implements fetch.Resume.
func (c *Checkpoint) Done(key, id string) bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	m := c.mbox[key]
	if m == nil {
		return false
	}
	if n, err := strconv.ParseUint(id, 10, 32); err == nil {
		return m.nums.contains(uint32(n))
	}
	_, ok := m.ids[id]
	return ok
}

// Mark records a message as written.
func (c *Checkpoint) Mark(o fetch.Origin) {
	if o.Key == "" || o.ID == "" {
		return
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	m := c.mbox[o.Key]
	if m == nil {
		m = &mailboxMarks{uidvalidity: o.UIDValidity, ids: map[string]struct{}{}}
		c.mbox[o.Key] = m
	}
	if n, err := strconv.ParseUint(o.ID, 10, 32); err == nil {
		m.nums.add(uint32(n))
		return
	}
	m.ids[o.ID] = struct{}{}
}

// Save writes the checkpoint atomically (a temporary file in the same
// directory, synced, renamed over the old one) with the output size the
// marks correspond to.
func (c *Checkpoint) Save(outputOffset int64) error {
	c.mu.Lock()
	c.out = outputOffset
	f := checkpointFile{Schema: CheckpointSchema, OutputOffset: outputOffset, Mailboxes: map[string]checkpointMbox{}}
	for k, m := range c.mbox {
		cm := checkpointMbox{UIDValidity: m.uidvalidity, Done: m.nums.String(), Count: m.nums.count() + len(m.ids)}
		for id := range m.ids {
			cm.IDs = append(cm.IDs, id)
		}
		sort.Strings(cm.IDs)
		f.Mailboxes[k] = cm
	}
	c.mu.Unlock()
	b, err := json.MarshalIndent(f, "", " ")
	if err != nil {
		return fmt.Errorf("report: checkpoint: %w", err)
	}
	return writeAtomic(c.path, append(b, '\n'))
}

func writeAtomic(path string, b []byte) error {
	dir := filepath.Dir(path)
	tmp, err := os.CreateTemp(dir, "."+filepath.Base(path)+".tmp-*")
	if err != nil {
		return fmt.Errorf("report: checkpoint: %w", err)
	}
	_, werr := tmp.Write(b)
	serr := tmp.Sync()
	cerr := tmp.Close()
	if err := errors.Join(werr, serr, cerr); err != nil {
		os.Remove(tmp.Name())
		return fmt.Errorf("report: checkpoint: %w", err)
	}
	if err := os.Rename(tmp.Name(), path); err != nil {
		os.Remove(tmp.Name())
		return fmt.Errorf("report: checkpoint: %w", err)
	}
	if d, err := os.Open(dir); err == nil { // make the rename durable
		d.Sync()
		d.Close()
	}
	return nil
}

// rangeSet is a sorted set of disjoint, non-adjacent uint32 ranges.
type rangeSet []uidRange

type uidRange struct{ lo, hi uint32 }

func (s rangeSet) contains(n uint32) bool {
	i := sort.Search(len(s), func(i int) bool { return s[i].hi >= n })
	return i < len(s) && s[i].lo <= n
}

func (s *rangeSet) add(n uint32) { s.addRange(uidRange{n, n}) }

// addRange adds lo..hi: appending in order is O(1), anything else merges.
func (s *rangeSet) addRange(n uidRange) {
	r := *s
	if k := len(r); k == 0 || uint64(r[k-1].hi)+1 < uint64(n.lo) {
		*s = append(r, n)
		return
	} else if r[k-1].lo <= n.lo {
		r[k-1].hi = max(r[k-1].hi, n.hi)
		return
	}
	*s = r.union(n)
}

func (s rangeSet) count() int {
	n := 0
	for _, r := range s {
		n += int(r.hi-r.lo) + 1
	}
	return n
}

func (s rangeSet) String() string {
	var b strings.Builder
	for i, r := range s {
		if i > 0 {
			b.WriteByte(',')
		}
		b.WriteString(strconv.FormatUint(uint64(r.lo), 10))
		if r.hi != r.lo {
			b.WriteByte(':')
			b.WriteString(strconv.FormatUint(uint64(r.hi), 10))
		}
	}
	return b.String()
}

// parseRanges reads "1:5,7,9:12" (ascending, as String writes it; any order
// and overlaps are accepted).
func parseRanges(s string) (rangeSet, error) {
	var out rangeSet
	if s == "" {
		return out, nil
	}
	for _, part := range strings.Split(s, ",") {
		lo, hi, isRange := strings.Cut(part, ":")
		a, err := strconv.ParseUint(lo, 10, 32)
		if err != nil {
			return nil, fmt.Errorf("range %q: %w", part, err)
		}
		b := a
		if isRange {
			if b, err = strconv.ParseUint(hi, 10, 32); err != nil {
				return nil, fmt.Errorf("range %q: %w", part, err)
			}
		}
		if b < a {
			a, b = b, a
		}
		out.addRange(uidRange{uint32(a), uint32(b)})
	}
	return out, nil
}

// union adds a whole range, merging.
func (s rangeSet) union(n uidRange) rangeSet {
	out := make(rangeSet, 0, len(s)+1)
	placed := false
	for _, r := range s {
		switch {
		case uint64(r.hi)+1 < uint64(n.lo):
			out = append(out, r)
		case uint64(n.hi)+1 < uint64(r.lo):
			if !placed {
				out = append(out, n)
				placed = true
			}
			out = append(out, r)
		default:
			n.lo, n.hi = min(n.lo, r.lo), max(n.hi, r.hi)
		}
	}
	if !placed {
		out = append(out, n)
	}
	return out
}
