// Package fetch reads raw messages, one at a time and read-only, from the
// places mail lives: a file or pasted header block, stdin, an mbox, a
// Maildir, a directory of .eml files, an IMAP folder or a POP3 drop.
//
// fetch knows nothing of analysis: it yields header bytes and where they
// came from.
package fetch

import (
	"context"
	"errors"
	"io"
	"net"
	"time"
)

// Kinds of source, as reported in the JSON `source.kind`.
const (
	KindFile    = "file"
	KindStdin   = "stdin"
	KindMbox    = "mbox"
	KindMaildir = "maildir"
	KindIMAP    = "imap"
	KindPOP3    = "pop3"
	KindWeb     = "web" // pasted into the local web page
)

// DefaultMaxHeaderBytes bounds one message's header section.
const DefaultMaxHeaderBytes = 1 << 20

// MaxMessageBytes bounds a whole message kept with Options.KeepBody.
const MaxMessageBytes = 64 << 20

// ErrHeaderTooLarge is set on a Message whose header section exceeds the limit.
var ErrHeaderTooLarge = errors.New("fetch: header section too large")

// ErrMessageTooLarge is set on a Message kept with Options.KeepBody that
// is over MaxMessageBytes: its Header is there, its Raw is not.
var ErrMessageTooLarge = errors.New("fetch: message too large")

// Errors of Open and of the sources; test with errors.Is.
var (
	ErrUnsupported = errors.New("fetch: unsupported source")
	ErrNotFound    = errors.New("fetch: no such source")
)

// Options say how to open a source. The zero value reads local sources with
// the default limits.
type Options struct {
	Stdin          io.Reader // for the spec "-"; nil means os.Stdin
	MaxHeaderBytes int       // per message; <= 0 means DefaultMaxHeaderBytes
	// KeepBody keeps the whole message in Message.Raw (--verify needs the
	// body for DKIM), up to MaxMessageBytes. IMAP and POP3 sources then
	// fetch whole messages (BODY.PEEK[], TOP n with every line) instead of
	// headers: slower, and much more traffic. Message.Header is the same
	// header section either way.
	KeepBody bool

	// Network sources (imap, imaps, pop3, pop3s).
	User       string                                                            // overrides the URL's user
	Password   func(ctx context.Context, user, host string) (string, error)      // asked once per source; never logged
	Folders    []string                                                          // IMAP folders (and Maildir++ folders); empty: the URL's, else INBOX
	AllFolders bool                                                              // every selectable folder
	StartTLS   bool                                                              // STARTTLS / STLS on a plain port
	Insecure   bool                                                              // skip TLS verification (test servers)
	CAFile     string                                                            // PEM roots to verify the server with
	Since      time.Time                                                         // IMAP SEARCH SINCE (date only)
	Limit      int                                                               // at most this many messages in all; 0: no limit
	BatchSize  int                                                               // IMAP UIDs per FETCH; <= 0: DefaultBatchSize
	Timeout    time.Duration                                                     // per network round trip; <= 0: DefaultTimeout
	Retries    int                                                               // reconnects after a dropped connection; < 0: none, 0: DefaultRetries
	Dial       func(ctx context.Context, network, addr string) (net.Conn, error) // nil: net.Dialer
	Resume     Resume                                                            // skip what a checkpoint says is done; nil: nothing
	Warn       func(msg string)                                                  // warnings (changed UIDVALIDITY, reconnects); nil: dropped
	Debug      io.Writer                                                         // protocol trace without credentials; nil: none
}

// Resume tells a source what an earlier run already did. Checkpoint
// implements it.
type Resume interface {
	// Begin starts a mailbox: key names the source and mailbox, uidvalidity
	// is 0 where the protocol has none. When it returns a warning, the
	// mailbox was restarted (its UIDVALIDITY changed).
	Begin(key string, uidvalidity uint32) (warning string)
	// Done reports whether the message with this id (an IMAP UID, a POP3
	// UIDL, a position) was already reported.
	Done(key string, id string) bool
}

// Origin says where a message came from. It never holds a password.
type Origin struct {
	Kind        string // one of the Kind constants
	Name        string // file path, or URL without credentials
	Mailbox     string // IMAP folder
	UID         uint32 // IMAP UID
	UIDValidity uint32 // IMAP UIDVALIDITY
	Index       int    // 1-based position within the source
	POP3UID     string // POP3 UIDL
	Key         string // checkpoint key of the mailbox (source and folder); not reported
	ID          string // checkpoint id within Key (UID, UIDL or position); not reported
}

// Message is one message's header section, and with Options.KeepBody the
// whole message.
//
// Its Header and Raw bytes are never modified once Next has returned it,
// until Release: no source reuses a buffer they lie in or writes to it
// again before (each source's retention test checks it), and whoever makes
// a Message elsewhere must keep the same promise. Analysis relies on it:
// the strings of a report point into Header instead of into a copy of it
// (header.ParseOwned).
type Message struct {
	Origin Origin
	Header []byte // header section; a best-effort prefix when Err is set
	Size   int64  // whole message size when known, else 0
	Raw    []byte // the whole message with Options.KeepBody (nil when Err is set); else nil
	Err    error  // per-message problem: the message is reported with this error, the source goes on

	// FieldStarts, when not nil, is where in Header every line that does
	// not start with a space or a tab starts (a field's first line, or a
	// malformed one), where no line of Header ends in a CR: what the
	// mbox splitter saw of the lines as it collected them, so that
	// header.ParseOwnedLines need not look for them again. nil: unknown.
	// Like Header, it is never modified until Release.
	FieldStarts []int32

	// slab is the memory m (and mostly its Header) lies in when the
	// source uses it again once every message in it is released; nil:
	// the garbage collector's.
	slab *slab
}

// Release tells the source that nothing reads m, its Header and Raw any
// more, nor any string or slice made of them: the source may use their
// memory again for later messages (an mbox's messages and header
// sections are collected in blocks of 64 KB, which a bulk scan would else
// allocate afresh for every 64 KB of headers, each page a fault).
// Releasing is optional: a message never released is left to the garbage
// collector. Once released, m must not be used at all: it may already be
// another message.
func (m *Message) Release() {
	b := m.slab
	m.slab, m.Header, m.Raw, m.FieldStarts = nil, nil, nil, nil // before: once released, m may be another's
	if b != nil {
		b.release()
	}
}

// Source yields messages one at a time. Next returns io.EOF at the end; any
// other error from Next ends the source (per-message problems come in
// Message.Err instead).
type Source interface {
	Next(ctx context.Context) (*Message, error)
	Close() error
}
