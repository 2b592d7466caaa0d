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

// ErrHeaderTooLarge is set on a Message whose header section exceeds the limit.
var ErrHeaderTooLarge = errors.New("fetch: header section too large")

// Origin says where a message came from. It never holds a password.
type Origin struct {
	Kind        string // one of the Kind constants
	Name        string // file path, or URL without credentials
	Mailbox     string // IMAP folder
	UID         uint32 // IMAP UID
	UIDValidity uint32 // IMAP UIDVALIDITY
	Index       int    // 1-based position within the source
	POP3UID     string // POP3 UIDL
}

// Message is one message's header section.
type Message struct {
	Origin Origin
	Header []byte // header section; a best-effort prefix when Err is set
	Size   int64  // whole message size when known, else 0
	Err    error  // per-message problem: the message is reported with this error, the source goes on
}

// Source yields messages one at a time. Next returns io.EOF at the end; any
// other error from Next ends the source (per-message problems come in
// Message.Err instead).
type Source interface {
	Next(ctx context.Context) (*Message, error)
	Close() error
}
