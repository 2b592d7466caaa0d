package fetch

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"net/url"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"

	"github.com/emersion/go-maildir"
	"github.com/emersion/go-mbox"
)

// Open opens the source named by spec:
//
//   - "-": standard input (Options.Stdin), one message or an mbox;
//   - a file: one message, a bare or pasted header block, or an mbox (its
//     first line is a "From " separator);
//   - a directory holding cur/ and new/: a Maildir (with its Maildir++
//     subfolders), read-only: no file is moved or renamed;
//   - another directory: every *.eml file below it, in lexical order;
//   - imap://, imaps://, pop3://, pop3s:// URLs.
//
// Open reads nothing but what it needs to tell these apart.
func Open(ctx context.Context, spec string, opts Options) (Source, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	if spec == "-" {
		in := opts.Stdin
		if in == nil {
			in = os.Stdin
		}
		return openStream(in, nil, KindStdin, "-", opts), nil
	}
	if u, err := url.Parse(spec); err == nil && strings.Contains(spec, "://") {
		switch strings.ToLower(u.Scheme) {
		case "imap", "imaps":
			return openIMAP(ctx, u, opts)
		case "pop3", "pop3s":
			return openPOP3(ctx, u, opts)
		default:
			return nil, fmt.Errorf("%w: scheme %q (want a path, -, imap://, imaps://, pop3://, pop3s://)", ErrUnsupported, u.Scheme)
		}
	}
	fi, err := os.Stat(spec)
	if err != nil {
		if errors.Is(err, fs.ErrNotExist) {
			return nil, fmt.Errorf("%w: %s", ErrNotFound, spec)
		}
		return nil, fmt.Errorf("fetch: %w", err)
	}
	if fi.IsDir() {
		if isMaildir(spec) {
			return openMaildir(spec, opts)
		}
		return &dirSource{root: spec, opts: opts, stack: [][]string{{spec}}}, nil
	}
	f, err := os.Open(spec)
	if err != nil {
		return nil, fmt.Errorf("fetch: %w", err)
	}
	return openStream(f, f, KindFile, spec, opts), nil
}

// openStream reads a single message, or an mbox when the first non-empty
// line is a "From " separator.
func openStream(r io.Reader, c io.Closer, kind, name string, opts Options) Source {
	br := bufio.NewReaderSize(r, 64<<10)
	if looksLikeMbox(br) {
		if kind == KindFile {
			kind = KindMbox
		}
		src := &mboxSource{c: c, kind: kind, name: name, opts: opts}
		if opts.KeepBody {
			src.r = mbox.NewReader(br)
		} else {
			src.split = &mboxSplitter{br: br}
		}
		return src
	}
	return &singleSource{r: br, c: c, kind: kind, name: name, opts: opts}
}

// looksLikeMbox peeks past empty lines for a "From " separator.
func looksLikeMbox(br *bufio.Reader) bool {
	b, _ := br.Peek(4096)
	b = bytes.TrimLeft(b, "\r\n")
	return bytes.HasPrefix(b, []byte("From "))
}

// singleSource yields one message read from r.
type singleSource struct {
	r    *bufio.Reader
	c    io.Closer
	kind string
	name string
	opts Options
	done bool
}

func (s *singleSource) Next(ctx context.Context) (*Message, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	if s.done {
		return nil, io.EOF
	}
	s.done = true
	m := &Message{Origin: Origin{Kind: s.kind, Name: s.name, Index: 1, Key: s.kind + ":" + s.name, ID: "1"}}
	m.Header, m.Err = readHeader(s.r, s.opts.MaxHeaderBytes)
	s.opts.keepBody(m, s.r)
	if f, ok := s.c.(*os.File); ok {
		if fi, err := f.Stat(); err == nil {
			m.Size = fi.Size()
		}
	}
	return m, nil
}

func (s *singleSource) Close() error { return closeIf(s.c) }

func closeIf(c io.Closer) error {
	if c == nil {
		return nil
	}
	return c.Close()
}

// mboxSource yields the messages of an mbox (mboxo or mboxrd, ">From "
// lines unescaped by go-mbox; it writes CRLF line endings).
type mboxSource struct {
	split *mboxSplitter // header sections only: the fast path
	r     *mbox.Reader  // whole messages (KeepBody)
	c     io.Closer
	kind  string
	name  string
	opts  Options
	n     int
	key   string // checkpoint key
}

func (s *mboxSource) Next(ctx context.Context) (*Message, error) {
	for {
		if err := ctx.Err(); err != nil {
			return nil, err
		}
		var (
			mr     io.Reader
			header []byte
			hErr   error
			err    error
		)
		if s.split != nil {
			header, hErr, err = s.split.next(s.opts.MaxHeaderBytes)
		} else {
			mr, err = s.r.NextMessage()
		}
		if err != nil {
			if errors.Is(err, io.EOF) {
				return nil, io.EOF
			}
			return nil, fmt.Errorf("fetch: mbox %s: %w", s.name, err)
		}
		s.n++
		if s.key == "" { // the same for every message: made once
			s.key = s.kind + ":" + s.name
		}
		key, id := s.key, strconv.Itoa(s.n)
		if s.opts.Resume != nil {
			if s.n == 1 {
				s.opts.Resume.Begin(key, 0)
			}
			if s.opts.Resume.Done(key, id) {
				continue
			}
		}
		o := Origin{Kind: s.kind, Name: s.name, Index: s.n, Key: key, ID: id}
		if mr == nil {
			return s.split.message(o, header, hErr), nil
		}
		m := &Message{Origin: o}
		s.opts.keepWhole(m, mr)
		return m, nil
	}
}

func (s *mboxSource) Close() error { return closeIf(s.c) }

// dirSource walks a directory tree lazily (one directory listing in memory
// per level) and yields every *.eml file in lexical order.
type dirSource struct {
	root  string
	opts  Options
	stack [][]string // pending paths per level, each level sorted
	n     int
}

func (s *dirSource) Next(ctx context.Context) (*Message, error) {
	for {
		if err := ctx.Err(); err != nil {
			return nil, err
		}
		if len(s.stack) == 0 {
			return nil, io.EOF
		}
		top := &s.stack[len(s.stack)-1]
		if len(*top) == 0 {
			s.stack = s.stack[:len(s.stack)-1]
			continue
		}
		p := (*top)[0]
		*top = (*top)[1:]
		fi, err := os.Stat(p)
		if err != nil {
			if p == s.root {
				return nil, fmt.Errorf("fetch: %w", err)
			}
			s.n++
			return &Message{Origin: s.origin(p), Err: fmt.Errorf("fetch: %w", err)}, nil
		}
		if fi.IsDir() {
			ents, err := os.ReadDir(p)
			if err != nil {
				if p == s.root {
					return nil, fmt.Errorf("fetch: %w", err)
				}
				continue
			}
			var next []string
			for _, e := range ents {
				name := e.Name()
				if strings.HasPrefix(name, ".") {
					continue
				}
				if e.IsDir() || strings.EqualFold(filepath.Ext(name), ".eml") {
					next = append(next, filepath.Join(p, name))
				}
			}
			s.stack = append(s.stack, next)
			continue
		}
		s.n++
		m := &Message{Origin: s.origin(p), Size: fi.Size()}
		if s.opts.Resume != nil {
			if s.n == 1 {
				s.opts.Resume.Begin(m.Origin.Key, 0)
			}
			if s.opts.Resume.Done(m.Origin.Key, m.Origin.ID) {
				continue
			}
		}
		s.opts.readFile(p, m)
		return m, nil
	}
}

func (s *dirSource) origin(p string) Origin {
	return Origin{Kind: KindFile, Name: p, Index: s.n, Key: "dir:" + s.root, ID: p}
}

func (s *dirSource) Close() error { return nil }

func readFileHeader(path string, max int) ([]byte, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("fetch: %w", err)
	}
	defer f.Close()
	return ReadHeader(f, max)
}

// isMaildir: a directory with cur/ and new/ (tmp/ is optional for readers).
func isMaildir(dir string) bool {
	for _, sub := range []string{"cur", "new"} {
		fi, err := os.Stat(filepath.Join(dir, sub))
		if err != nil || !fi.IsDir() {
			return false
		}
	}
	return true
}

// maildirFolder is one Maildir (the root or a Maildir++ ".Sub" folder).
type maildirFolder struct {
	dir     string
	mailbox string
}

// maildirSource yields the messages of a Maildir and its Maildir++
// subfolders, in file name order (delivery time first for the usual
// names). It only reads: it never moves a file from new/ to cur/ and never
// changes a flag.
type maildirSource struct {
	root    string
	opts    Options
	folders []maildirFolder
	names   []string // files of the current folder: "cur/NAME" or "new/NAME"
	cur     maildirFolder
	n       int
}

func openMaildir(root string, opts Options) (*maildirSource, error) {
	s := &maildirSource{root: root, opts: opts}
	ents, err := os.ReadDir(root)
	if err != nil {
		return nil, fmt.Errorf("fetch: %w", err)
	}
	var subs []maildirFolder
	for _, e := range ents {
		name := e.Name()
		if !e.IsDir() || len(name) < 2 || name[0] != '.' || name == ".." {
			continue
		}
		if isMaildir(filepath.Join(root, name)) {
			// Maildir++ names nest with '.'; show them with '/' like IMAP.
			subs = append(subs, maildirFolder{dir: filepath.Join(root, name), mailbox: strings.ReplaceAll(name[1:], ".", "/")})
		}
	}
	inbox := maildirFolder{dir: root}
	if len(subs) > 0 {
		inbox.mailbox = "INBOX"
	}
	all := append([]maildirFolder{inbox}, subs...)
	if len(opts.Folders) == 0 {
		s.folders = all
	} else {
		for _, want := range opts.Folders {
			found := false
			for _, f := range all {
				if f.mailbox == want || (want == "INBOX" && f.dir == root) {
					s.folders = append(s.folders, f)
					found = true
				}
			}
			if !found {
				return nil, fmt.Errorf("%w: maildir folder %q in %s", ErrNotFound, want, root)
			}
		}
	}
	return s, nil
}

// list reads one folder's file names (cur/ through go-maildir, new/
// directly: go-maildir's Unseen would move them to cur/).
func (s *maildirSource) list(f maildirFolder) ([]string, error) {
	var names []string
	err := maildir.Dir(f.dir).Walk(func(m *maildir.Message) error {
		names = append(names, "cur/"+filepath.Base(m.Filename()))
		return nil
	})
	if err != nil && len(names) == 0 {
		if _, serr := os.Stat(filepath.Join(f.dir, "cur")); serr != nil {
			return nil, fmt.Errorf("fetch: maildir %s: %w", f.dir, err)
		}
	}
	ents, err := os.ReadDir(filepath.Join(f.dir, "new"))
	if err != nil {
		return nil, fmt.Errorf("fetch: maildir %s: %w", f.dir, err)
	}
	for _, e := range ents {
		if !e.IsDir() && !strings.HasPrefix(e.Name(), ".") {
			names = append(names, "new/"+e.Name())
		}
	}
	// Order by the file name proper (its leading timestamp), whichever of
	// cur/ and new/ it sits in.
	sort.Slice(names, func(i, j int) bool { return names[i][4:] < names[j][4:] })
	return names, nil
}

func (s *maildirSource) Next(ctx context.Context) (*Message, error) {
	for {
		if err := ctx.Err(); err != nil {
			return nil, err
		}
		if len(s.names) > 0 {
			name := s.names[0]
			s.names = s.names[1:]
			p := filepath.Join(s.cur.dir, name)
			s.n++
			key := "maildir:" + s.cur.dir
			id := name[4:]
			if i := strings.Index(id, ":2,"); i >= 0 {
				id = id[:i] // the flags change; the key before them does not
			}
			m := &Message{Origin: Origin{Kind: KindMaildir, Name: p, Mailbox: s.cur.mailbox, Index: s.n, Key: key, ID: id}}
			if s.opts.Resume != nil && s.opts.Resume.Done(key, id) {
				continue
			}
			if fi, err := os.Stat(p); err == nil {
				m.Size = fi.Size()
			}
			s.opts.readFile(p, m)
			if m.Err != nil && errors.Is(m.Err, fs.ErrNotExist) {
				// Moved by the mail server meanwhile (new/ -> cur/, new flags).
				if alt := s.findMoved(name); alt != "" {
					m.Origin.Name = alt
					s.opts.readFile(alt, m)
				}
			}
			return m, nil
		}
		if len(s.folders) == 0 {
			return nil, io.EOF
		}
		s.cur = s.folders[0]
		s.folders = s.folders[1:]
		names, err := s.list(s.cur)
		if err != nil {
			return nil, err
		}
		if s.opts.Resume != nil {
			if w := s.opts.Resume.Begin("maildir:"+s.cur.dir, 0); w != "" && s.opts.Warn != nil {
				s.opts.Warn(w)
			}
		}
		s.names = names
	}
}

// findMoved looks for a message file under its stable key in cur/.
func (s *maildirSource) findMoved(name string) string {
	key := name[4:]
	if i := strings.Index(key, ":"); i >= 0 {
		key = key[:i]
	}
	matches, _ := filepath.Glob(filepath.Join(s.cur.dir, "cur", globEscape(key)+"*"))
	if len(matches) > 0 {
		return matches[0]
	}
	return ""
}

func globEscape(s string) string {
	r := strings.NewReplacer(`\`, `\\`, `*`, `\*`, `?`, `\?`, `[`, `\[`)
	return r.Replace(s)
}

func (s *maildirSource) Close() error { return nil }

// keepBody reads the rest of a message after its header into m.Raw when
// KeepBody is set, bounded by MaxMessageBytes.
func (o Options) keepBody(m *Message, rest io.Reader) {
	if !o.KeepBody || m.Err != nil {
		return
	}
	room := max(MaxMessageBytes-len(m.Header), 0)
	body, err := io.ReadAll(io.LimitReader(rest, int64(room)+1))
	if err != nil {
		return
	}
	if len(body) > room {
		m.Err = errMessageTooLarge(MaxMessageBytes)
		return
	}
	raw := make([]byte, 0, len(m.Header)+2+len(body))
	raw = append(raw, m.Header...)
	if !bytes.HasSuffix(raw, []byte("\n\n")) && !bytes.HasSuffix(raw, []byte("\r\n\r\n")) {
		raw = append(raw, '\n')
	}
	m.Raw = append(raw, body...)
}

// readFile reads one message file: its header, and with KeepBody the whole file.
func (o Options) readFile(path string, m *Message) {
	if !o.KeepBody {
		m.Header, m.Err = readFileHeader(path, o.MaxHeaderBytes)
		return
	}
	f, err := os.Open(path)
	if err != nil {
		m.Header, m.Err = nil, fmt.Errorf("fetch: %w", err)
		return
	}
	defer f.Close()
	o.keepWhole(m, f)
}

// keepWhole reads a whole message (bounded) into m.Raw and its header.
func (o Options) keepWhole(m *Message, r io.Reader) {
	raw, err := io.ReadAll(io.LimitReader(r, MaxMessageBytes+1))
	if err != nil {
		m.Header, m.Err = nil, fmt.Errorf("fetch: %w", err)
		return
	}
	m.Header, m.Err = ExtractHeader(raw, o.MaxHeaderBytes)
	switch {
	case m.Err != nil:
	case len(raw) > MaxMessageBytes:
		// Its header (a copy), but no body cut short: DKIM would fail on it.
		m.Err = errMessageTooLarge(MaxMessageBytes)
	default:
		m.Raw = raw
	}
}

// errMessageTooLarge is the problem of a message over limit bytes, whose
// header is kept and body not (local sources and POP3; IMAP knows the size
// and names it).
func errMessageTooLarge(limit int) error {
	return fmt.Errorf("%w: over %d bytes: the body was not kept", ErrMessageTooLarge, limit)
}
