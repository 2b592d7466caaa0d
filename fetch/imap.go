package fetch

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/url"
	"slices"
	"sort"
	"strconv"
	"sync"
	"time"

	"github.com/emersion/go-imap/v2"
	"github.com/emersion/go-imap/v2/imapclient"
)

// pipelineDepth is how many UID FETCH batches are in flight at once. It is
// one: Dovecot runs pipelined FETCH commands in parallel and interleaves
// their responses, and then UIDs would no longer come in ascending order,
// which the output order and resuming after a reconnect (from the last UID
// yielded) rely on. Batches are large enough that the round trip between
// them does not matter.
const pipelineDepth = 1

// imapSource reads folders read-only: EXAMINE (RFC 9051 §6.3.3), UID
// SEARCH, then UID FETCH (UID RFC822.SIZE BODY.PEEK[HEADER]) in batches of
// UIDs, or BODY.PEEK[] for whole messages (KeepBody). PEEK never sets
// \Seen (§6.4.5). go-imap's client runs the session;
// the FETCH commands the source sends and reads itself (handoffConn,
// respReader), the per-message part of a scan. A dropped connection is
// reconnected and the folder resumed after its last message; a message
// or folder whose answer breaks the connection on every reconnect is
// reported failed and passed over (fetchBroke, listFolder), as is a
// message the server refuses to fetch alone (refused).
type imapSource struct {
	e      *endpoint
	opts   Options
	pass   string
	debug  *switchWriter
	c      *imapclient.Client
	conn   *handoffConn // under c: closed first to unblock it
	rr     *respReader  // reads conn while taken
	taken  bool         // the source has conn's read side
	tagN   int          // numbers the source's tags
	hasES  bool         // ESEARCH: compact UID SEARCH results
	queue  []string
	status map[string]int // STATUS MESSAGES per folder, for the total

	// The current folder.
	mbox    string
	uv      uint32
	key     string
	uids    []imap.UID // to fetch, ascending
	pos     int        // uids[:pos] requested
	sent    int        // uids[sent:pos] are the batch in flight
	pending []string   // tags of the UID FETCH commands in flight, oldest first
	got     []imap.UID // UIDs of the batch in flight read so far
	aloneTo imap.UID   // UIDs up to this one were left out of a refused batch: fetched one at a time
	last    imap.UID   // last UID yielded in mbox
	listed  bool       // uids is mbox's listing (else a reconnect lists it afresh)
	counted bool       // total counts mbox's STATUS MESSAGES, not its listing
	listing string     // the command openFolder is in, for listBreak

	n          int   // messages yielded in all (Index)
	wholeN     int   // KeepBody: messages read whole so far, for batchLen
	wholeBytes int64 // and their bytes
	total      int
	problems   []error
	failures   int        // consecutive reconnects without progress
	lost       error      // why the connection was last dropped, for the error when reconnecting gives up
	broke      listBreak  // where the connection last broke while a folder was listed
	fbroke     fetchPlace // where it last broke while a folder was read
	fbreaks    int        // how many times in a row, no message read between
	narrowed   fetchPlace // the last place fetched alone, which restored the retries
	poisonRun  int        // messages failed for good (poisoned, refused) in a row in the current folder
	poisonN    int        // and in all of it
	runAtSend  int        // poisonRun when the batch in flight was sent
	// Of the UIDs to fetch alone (aloneTo), those after a UID their
	// batch read, which parts them from a failure before them; and
	// whether it read one after aloneTo, which ends a run (refused).
	afterRead      []imap.UID
	readAfterAlone bool

	guard stepGuard // the watchdog and the cancel hook of step
}

func openIMAP(ctx context.Context, u *url.URL, opts Options) (Source, error) {
	e, err := parseEndpoint(u, opts)
	if err != nil {
		return nil, err
	}
	pass, err := credentials(ctx, e, opts, "IMAP")
	if err != nil {
		return nil, err
	}
	s := &imapSource{e: e, opts: opts, pass: pass, debug: &switchWriter{w: opts.Debug}, status: map[string]int{}}
	if err := s.connect(ctx); err != nil {
		return nil, err
	}
	if err := s.planFolders(ctx); err != nil {
		s.Close()
		return nil, err
	}
	return s, nil
}

// connect dials, upgrades and logs in.
func (s *imapSource) connect(ctx context.Context) error {
	raw, err := dialRaw(ctx, s.e, s.opts)
	if err != nil {
		return err
	}
	stop := closeOnCancel(ctx, raw)
	defer stop()
	o := &imapclient.Options{}
	if s.opts.Debug != nil {
		// Only when a trace is asked for: go-imap then tees every read
		// into it, a call and a lock per read for nothing otherwise.
		o.DebugWriter = s.debug
	}
	var greeting []byte
	if s.opts.StartTLS && !s.e.tls {
		// Done here rather than by go-imap (NewStartTLS), which would
		// put its own TLS layer over the connection the source reads.
		cfg, err := tlsConfig(s.e.host, s.opts)
		if err != nil {
			raw.Close()
			return err
		}
		tc, err := startTLS(raw, cfg, timeout(s.opts))
		if err != nil {
			raw.Close()
			return fmt.Errorf("fetch: STARTTLS with %s: %w", s.e.addr, ctxErr(ctx, err))
		}
		raw, greeting = tc, startTLSGreeting
	}
	conn := newHandoffConn(raw, timeout(s.opts), greeting)
	var own io.Reader = sourceReader{conn}
	if s.opts.Debug != nil {
		own = io.TeeReader(own, s.debug)
	}
	c := imapclient.New(conn, o)
	if err := c.WaitGreeting(); err != nil {
		c.Close()
		return fmt.Errorf("%w: %s: greeting: %w", ErrConnection, s.e.addr, ctxErr(ctx, err))
	}
	if err := c.Login(s.e.user, s.pass).Wait(); err != nil {
		c.Close()
		var ie *imap.Error
		if errors.As(err, &ie) {
			return fmt.Errorf("%w: %s at %s: %s", ErrAuth, s.e.user, s.e.addr, ie.Text)
		}
		return fmt.Errorf("%w: %s: login: %w", ErrConnection, s.e.addr, ctxErr(ctx, err))
	}
	s.debug.set(true)
	s.c, s.conn, s.rr, s.taken = c, conn, newRespReader(own), false
	if s.opts.KeepBody {
		s.rr.wholeMax = MaxMessageBytes
	}
	s.hasES = c.Caps().Has(imap.CapESearch) || c.Caps().Has(imap.CapIMAP4rev2)
	return nil
}

// ctxErr prefers the context's error when a close on cancel caused err.
func ctxErr(ctx context.Context, err error) error {
	if ctx.Err() != nil {
		return ctx.Err()
	}
	return err
}

// planFolders decides the folders and counts their messages.
func (s *imapSource) planFolders(ctx context.Context) error {
	stop := closeOnCancel(ctx, s.c)
	defer stop()
	switch {
	case s.opts.AllFolders:
		list, err := s.c.List("", "*", nil).Collect()
		if err != nil {
			return fmt.Errorf("fetch: LIST: %w", ctxErr(ctx, err))
		}
		for _, l := range list {
			if hasAttr(l.Attrs, imap.MailboxAttrNoSelect) || hasAttr(l.Attrs, imap.MailboxAttrNonExistent) {
				continue
			}
			s.queue = append(s.queue, l.Mailbox)
		}
		sort.SliceStable(s.queue, func(i, j int) bool { // INBOX first, then LIST order
			return s.queue[i] == "INBOX" && s.queue[j] != "INBOX"
		})
	case len(s.opts.Folders) > 0:
		s.queue = append(s.queue, s.opts.Folders...)
	case s.e.folder != "":
		s.queue = []string{s.e.folder}
	default:
		s.queue = []string{"INBOX"}
	}
	return s.countFolders(ctx)
}

// countFolders asks the STATUS MESSAGES of every folder queued, for the
// total. The count is only for progress: a folder whose STATUS the server
// refuses is counted when it is listed, and so is one whose answer breaks
// the connection (go-imap takes an answer it cannot decode for a broken
// connection), after a reconnect. Only a reconnect that fails ends the
// scan.
func (s *imapSource) countFolders(ctx context.Context) error {
	for _, f := range s.queue {
		stop := closeOnCancel(ctx, s.c)
		st, err := s.c.Status(f, &imap.StatusOptions{NumMessages: true}).Wait()
		stop()
		var ie *imap.Error
		switch {
		case err == nil:
			if st.NumMessages != nil {
				s.status[f] = int(*st.NumMessages)
				s.total += int(*st.NumMessages)
			}
		case errors.As(err, &ie): // reported when the folder is opened
		case ctx.Err() != nil:
			return fmt.Errorf("fetch: STATUS %q: %w", f, ctx.Err())
		default:
			warn(s.opts, "%s: STATUS %q: connection lost (%v); reconnecting", s.e.redacted, f, err)
			s.drop()
			s.lost = err
			if err := s.reconnect(ctx); err != nil {
				return fmt.Errorf("fetch: STATUS %q: %w", f, err)
			}
			s.failures = 0 // a folder further: every retry for the next
		}
	}
	return nil
}

func hasAttr(attrs []imap.MailboxAttr, a imap.MailboxAttr) bool {
	for _, x := range attrs {
		if x == a {
			return true
		}
	}
	return false
}

func (s *imapSource) Total() (int, bool) {
	t := s.total
	if s.opts.Limit > 0 && t > s.opts.Limit {
		t = s.opts.Limit
	}
	return t, true
}

func (s *imapSource) Problems() []error { return s.problems }

// Next yields the next message, reconnecting after a dropped connection.
func (s *imapSource) Next(ctx context.Context) (*Message, error) {
	for {
		if err := ctx.Err(); err != nil {
			return nil, err
		}
		if s.opts.Limit > 0 && s.n >= s.opts.Limit {
			return nil, io.EOF
		}
		if s.c == nil {
			if s.mbox == "" && len(s.queue) == 0 {
				return nil, io.EOF // dropped after the last folder (poisoned)
			}
			if err := s.reconnect(ctx); err != nil {
				return nil, err
			}
		}
		m, err := s.step(ctx)
		if m != nil || err == nil {
			if m != nil {
				s.failures = 0
				return m, nil
			}
			continue
		}
		if errors.Is(err, io.EOF) || ctx.Err() != nil {
			if ctx.Err() != nil {
				return nil, ctx.Err()
			}
			return nil, err
		}
		if folderFailed(err) {
			s.skipFolder(err)
			continue
		}
		// The connection broke: drop it; the loop reconnects.
		warn(s.opts, "%s: connection lost (%v); reconnecting", s.e.redacted, err)
		s.drop()
		s.lost = err
		if m := s.fetchBroke(err); m != nil {
			// A message further, if a failed one; the reconnect it
			// leaves to the next call is its due, not a retry (-1).
			s.failures = -1
			return m, nil
		}
	}
}

// step makes one unit of progress: open a folder, start a batch, or read a
// message. It returns (nil, nil) when it did something but has no message.
func (s *imapSource) step(ctx context.Context) (*Message, error) {
	// The client is closed if ctx ends or the step outlasts the timeout
	// (whatever blocks: the client's reader waiting on us, a server that
	// answers nothing); the source then reconnects.
	s.guard.begin(ctx, s.c, timeout(s.opts))
	defer s.guard.end()
	if s.mbox == "" {
		if len(s.queue) == 0 {
			return nil, io.EOF
		}
		// A folder begun is progress, as a message is: a folder
		// skipped after breaking the connection (listFolder) leaves
		// every retry to the next.
		s.mbox, s.counted, s.failures = s.queue[0], true, 0
		s.queue = s.queue[1:]
		return nil, s.listFolder(ctx, true)
	}
	for len(s.pending) < pipelineDepth && s.pos < len(s.uids) {
		if err := s.sendFetch(); err != nil {
			return nil, ctxErr(ctx, err)
		}
	}
	if len(s.pending) == 0 {
		s.endFolder()
		return nil, nil
	}
	var f fetchResp
	kind, err := s.rr.next(s.opts.MaxHeaderBytes, &f)
	if err != nil {
		return nil, ctxErr(ctx, err)
	}
	switch kind {
	case respDone:
		if string(f.tag) != s.pending[0] {
			return nil, fmt.Errorf("%w: completion of %q while %q runs", ErrProtocol, f.tag, s.pending[0])
		}
		s.pending = s.pending[1:]
		if f.status != nil {
			return s.refused(f.status), nil
		}
		return nil, nil
	case respOther:
		return nil, nil
	}
	if f.uid == 0 || !s.inFlight(imap.UID(f.uid)) {
		return nil, nil // an unsolicited FETCH (flags changed elsewhere, §7.5.2): not ours
	}
	m := &Message{Header: f.header, Size: f.size, Err: f.headerErr, Raw: f.raw}
	if !f.gotHeader && m.Err == nil {
		m.Err = fmt.Errorf("%w: no header section returned for UID %d", ErrProtocol, f.uid)
	}
	if s.opts.KeepBody {
		s.wholeN++
		s.wholeBytes += max(int64(len(f.raw)), f.size)
	}
	m.Origin = s.yielded(imap.UID(f.uid))
	s.got = append(s.got, imap.UID(f.uid))
	s.fbroke, s.fbreaks, s.poisonRun = fetchPlace{}, 0, 0
	return m, nil
}

// yielded notes the message of uid, in the current folder, as yielded
// (read, or failed for good) and returns its Origin: the scan marks it
// done in a checkpoint by Key and ID.
func (s *imapSource) yielded(uid imap.UID) Origin {
	s.last = uid
	s.n++
	return Origin{Kind: KindIMAP, Name: s.e.redacted, Mailbox: s.mbox, UIDValidity: s.uv, Key: s.key,
		UID: uint32(uid), Index: s.n, ID: strconv.FormatUint(uint64(uid), 10)}
}

// fetchItems are the items of every UID FETCH; fetchWholeItems with
// Options.KeepBody: the whole message, BODY.PEEK[] (which, as
// BODY.PEEK[HEADER], never sets \Seen).
const (
	fetchItems      = " (UID RFC822.SIZE BODY.PEEK[HEADER])\r\n"
	fetchWholeItems = " (UID RFC822.SIZE BODY.PEEK[])\r\n"
)

// A batch of whole messages (KeepBody) is bounded by bytes too: by
// wholeBatchBytes over the mean size of the messages read so far (sizes are
// known only in the answers), wholeBatchFirst UIDs before any. Whole
// messages are read one at a time however large the batch, so this bounds
// what a reconnect fetches again and what Close leaves unread, not memory.
const (
	wholeBatchBytes = 16 << 20
	wholeBatchFirst = 16
)

// batchLen is how many UIDs the next UID FETCH asks for.
func (s *imapSource) batchLen() int {
	n := batchSize(s.opts)
	if !s.opts.KeepBody {
		return n
	}
	if s.wholeN == 0 || s.wholeBytes == 0 {
		return min(n, wholeBatchFirst)
	}
	mean := max(s.wholeBytes/int64(s.wholeN), 1)
	return int(max(1, min(int64(n), wholeBatchBytes/mean)))
}

// maxUIDSetLen bounds the UID set of a UID FETCH: scattered UIDs (a
// resumed folder) make a long one, and RFC 2683 §3.2.1.5 has clients keep
// command lines within 8,000 octets. The batch is halved until it fits.
const maxUIDSetLen = 7000

// nextBatch returns the end of the batch of uids that starts at pos and
// its UID set: size UIDs, or fewer when their set would be too long.
func nextBatch(uids []imap.UID, pos, size int) (int, string) {
	end := min(pos+size, len(uids))
	set := uidSet(uids[pos:end])
	for len(set) > maxUIDSetLen && end-pos > 1 {
		end = pos + (end-pos)/2
		set = uidSet(uids[pos:end])
	}
	return end, set
}

// uidSet is uids (ascending) as an IMAP sequence set, ranges joined.
func uidSet(uids []imap.UID) string {
	var set imap.UIDSet
	set.AddNum(uids...)
	return set.String()
}

// sendFetch sends the UID FETCH of the next batch, taking the connection's
// read side over first.
func (s *imapSource) sendFetch() error {
	if !s.taken {
		s.conn.take()
		s.taken = true
	}
	size := s.batchLen()
	if s.fbreaks >= 2 && s.fbroke == (fetchPlace{s.mbox, s.uids[s.pos]}) {
		size = 1 // the UID that broke the connection twice, alone (fetchBroke)
	}
	if s.uids[s.pos] <= s.aloneTo {
		size = 1 // left out of a refused batch, alone (refused)
	} else if s.readAfterAlone {
		s.poisonRun, s.readAfterAlone = 0, false
	}
	end, set := nextBatch(s.uids, s.pos, size)
	s.tagN++
	tag := "F" + strconv.Itoa(s.tagN)
	items := fetchItems
	if s.opts.KeepBody {
		items = fetchWholeItems
	}
	cmd := tag + " UID FETCH " + set + items
	if _, err := io.WriteString(s.conn, cmd); err != nil {
		return err
	}
	if s.opts.Debug != nil {
		io.WriteString(s.debug, cmd)
	}
	s.pending = append(s.pending, tag)
	s.sent, s.pos = s.pos, end
	s.got, s.runAtSend = s.got[:0], s.poisonRun
	return nil
}

// inFlight reports whether uid is one the UID FETCH in flight asked for,
// as go-imap's client routed a FETCH response to the command whose UID set
// held it.
func (s *imapSource) inFlight(uid imap.UID) bool {
	_, ok := slices.BinarySearch(s.uids[s.sent:s.pos], uid)
	return ok
}

// giveBack returns the connection's read side to the client, before its
// next command.
func (s *imapSource) giveBack() {
	if !s.taken {
		return
	}
	rest, _ := s.rr.br.Peek(s.rr.br.Buffered())
	s.conn.giveBack(rest)
	s.rr.br.Discard(len(rest))
	s.taken = false
}

// readWhole reads a BODY[] literal, the whole message, to its end and
// returns it (raw) and its header section (as ExtractHeader does), the
// problem with them, and err, a broken connection. A message within limit
// is read whole into one buffer and its header section taken from it in
// place (sectionOf), so that Header is the same as a BODY[HEADER] fetch
// gives; raw is nil when the header has a problem (as a local source
// keeps it). A larger literal keeps only its header, read through
// ReadHeader, the rest discarded, so a hostile size costs no memory: its
// problem wraps ErrMessageTooLarge.
func readWhole(lit imap.LiteralReader, max, limit int) (raw, header []byte, msgErr, err error) {
	n := lit.Size()
	if n < 0 || n > int64(limit) {
		header, msgErr = ReadHeader(lit, max)
		if err := drainLiteral(lit); err != nil {
			return nil, nil, nil, err
		}
		if msgErr == nil {
			msgErr = fmt.Errorf("%w: %d bytes, limit %d: the body was not kept", ErrMessageTooLarge, n, limit)
		}
		return nil, header, msgErr, nil
	}
	buf := make([]byte, n)
	k, rerr := io.ReadFull(lit, buf)
	if rerr != nil && !errors.Is(rerr, io.ErrUnexpectedEOF) && !errors.Is(rerr, io.EOF) {
		return nil, nil, nil, rerr // broken mid-literal: fetched again after the reconnect
	}
	if err := drainLiteral(lit); err != nil {
		return nil, nil, nil, err
	}
	raw, header, msgErr = wholeOf(buf[:k:k], max)
	return raw, header, msgErr, nil
}

// wholeOf is a whole message read within the bound, with its header
// section taken from it in place (sectionOf): the same Header as a
// header-only fetch gives. raw is nil when the header has a problem, as a
// local source keeps it.
func wholeOf(raw []byte, max int) ([]byte, []byte, error) {
	header, msgErr := sectionOf(raw, max)
	if msgErr != nil {
		raw = nil
	}
	return raw, header, msgErr
}

// readLiteral reads a BODY[HEADER] literal to its end and returns the
// header section in it (as ReadHeader does) and the problem with it; err
// is a broken connection. The literal is the header section, so when its
// announced size is within the limit it is read whole into one buffer: the
// client's reader, which waits until the literal is read to the end, goes
// on with the next response while the section is taken from the buffer,
// mostly in place (sectionOf). A larger literal is read through ReadHeader
// up to the limit, the rest discarded, so a hostile size costs no memory.
func readLiteral(lit imap.LiteralReader, max int) (header []byte, headerErr, err error) {
	if max <= 0 {
		max = DefaultMaxHeaderBytes
	}
	if n := lit.Size(); n >= 0 && n <= int64(max) {
		buf := make([]byte, n)
		k, rerr := io.ReadFull(lit, buf)
		if rerr != nil && !errors.Is(rerr, io.ErrUnexpectedEOF) && !errors.Is(rerr, io.EOF) {
			// Broken mid-literal: the step fails and the message is
			// fetched again after the reconnect. (A literal cut short by
			// the end of the stream is taken as far as it goes, as
			// ReadHeader would.)
			return nil, nil, rerr
		}
		if err := drainLiteral(lit); err != nil {
			return nil, nil, err
		}
		header, headerErr = sectionOf(buf[:k], max)
		return header, headerErr, nil
	}
	header, headerErr = ReadHeader(lit, max)
	if err := drainLiteral(lit); err != nil {
		return nil, nil, err
	}
	return header, headerErr, nil
}

// drainLiteral reads the rest of a literal, which the reader of the
// responses goes on after. respReader's literal is known to be read to its
// end when nothing of it remains: io.Copy would still take a buffer from
// io.Discard's pool and read once to find that out.
func drainLiteral(lit imap.LiteralReader) error {
	if l, ok := lit.(*literalBody); ok && l.N <= 0 {
		return nil
	}
	_, err := io.Copy(io.Discard, lit)
	return err
}

func batchSize(opts Options) int {
	if opts.BatchSize > 0 {
		return opts.BatchSize
	}
	return DefaultBatchSize
}

// openFolder EXAMINEs s.mbox and lists the UIDs to fetch. fresh is false
// after a reconnect: then only UIDs after the last one yielded remain, if
// the folder was listed before the connection broke (else it is listed
// as if fresh: a break during EXAMINE or UID SEARCH left nothing to go on).
// A listing stays valid until it is replaced: a connection that breaks
// during the EXAMINE of a reconnect leaves the folder to resume, not to
// list afresh (which yielded its messages again).
func (s *imapSource) openFolder(fresh bool) error {
	relist := !fresh && s.listed
	s.listing = "EXAMINE"
	sel, err := s.c.Select(s.mbox, &imap.SelectOptions{ReadOnly: true}).Wait()
	if err != nil {
		return err
	}
	key := s.e.scheme + "://" + s.e.user + "@" + s.e.addr + "/" + s.mbox
	if relist && sel.UIDValidity == s.uv {
		i := s.resumeAt()
		s.pos, s.sent = i, i
		return nil
	}
	s.listed = false
	s.forgetBreaks()
	if relist {
		warn(s.opts, "%s: UIDVALIDITY of %q changed from %d to %d: restarting the folder", s.e.redacted, s.mbox, s.uv, sel.UIDValidity)
		s.total -= len(s.uids) - s.resumeAt()
	}
	s.uv, s.key, s.last, s.pos, s.sent, s.uids = sel.UIDValidity, key, 0, 0, 0, nil
	if s.opts.Resume != nil {
		if w := s.opts.Resume.Begin(key, s.uv); w != "" {
			warn(s.opts, "%s: %s", s.e.redacted, w)
		}
	}
	if sel.NumMessages == 0 {
		s.uncount()
		s.listed = true
		return nil
	}
	crit := &imap.SearchCriteria{}
	if !s.opts.Since.IsZero() {
		crit.Since = s.opts.Since
	}
	var so *imap.SearchOptions
	if s.hasES {
		so = &imap.SearchOptions{ReturnAll: true}
	}
	s.listing = "UID SEARCH"
	data, err := s.c.UIDSearch(crit, so).Wait()
	if err != nil {
		return err
	}
	all, err := searchUIDs(data, sel.NumMessages)
	if err != nil {
		return fmt.Errorf("%w: %q: %w", ErrFolder, s.mbox, err)
	}
	uids := all[:0]
	for _, u := range all {
		if s.opts.Resume != nil && s.opts.Resume.Done(key, strconv.FormatUint(uint64(u), 10)) {
			continue
		}
		uids = append(uids, u)
	}
	sort.Slice(uids, func(i, j int) bool { return uids[i] < uids[j] })
	if s.opts.Limit > 0 && len(uids) > s.opts.Limit-s.n {
		uids = uids[:max(s.opts.Limit-s.n, 0)]
	}
	s.uids, s.listed = uids, true
	s.uncount()
	s.total += len(uids)
	return nil
}

// uncount takes the current folder's STATUS MESSAGES out of the total, if
// it is still there, for its listing to replace.
func (s *imapSource) uncount() {
	if s.counted {
		s.total -= s.status[s.mbox]
		s.counted = false
	}
}

// resumeAt is the index in uids of the first UID after the last yielded.
func (s *imapSource) resumeAt() int {
	return sort.Search(len(s.uids), func(i int) bool { return s.uids[i] > s.last })
}

// A listBreak is where a connection broke while a folder was listed: the
// folder and the command (EXAMINE, UID SEARCH).
type listBreak struct{ mbox, cmd string }

// errBrokeAgain marks a folder whose listing broke the connection twice.
var errBrokeAgain = errors.New("broke the connection again after a reconnect")

// listFolder is openFolder, telling a folder whose answer breaks the
// connection from a network that does. go-imap takes an answer it cannot
// decode (an ESEARCH range to "*", a UIDVALIDITY that is no number) for a
// broken connection and closes it; the folder would break every reconnect
// the same way, and the source give up on the folders after it too. So a
// second break at the same command of the same folder, right after a login
// that worked, fails the folder (errBrokeAgain, ErrProtocol) instead. A
// break during a cancel counts for nothing.
func (s *imapSource) listFolder(ctx context.Context, fresh bool) error {
	err := s.openFolder(fresh)
	if err == nil || folderFailed(err) || ctx.Err() != nil {
		s.broke = listBreak{}
		return err
	}
	at := listBreak{s.mbox, s.listing}
	if s.broke == at {
		s.broke = listBreak{}
		return fmt.Errorf("%w: %s %w: %w", ErrProtocol, at.cmd, errBrokeAgain, err)
	}
	s.broke = at
	return err
}

// folderFailed reports whether err is about the current folder (the
// server refused something, or its answer made no sense), not the
// connection: the folder is skipped and the connection goes on.
func folderFailed(err error) bool {
	var ie *imap.Error
	return errors.As(err, &ie) || errors.Is(err, ErrFolder)
}

// skipFolder reports the current folder as failed with err, and leaves it.
func (s *imapSource) skipFolder(err error) {
	if !errors.Is(err, ErrFolder) {
		err = fmt.Errorf("%w: %q: %w", ErrFolder, s.mbox, err)
	}
	s.problems = append(s.problems, err)
	warn(s.opts, "%s: %v", s.e.redacted, err)
	if s.counted {
		s.total -= s.status[s.mbox]
	} else {
		s.total -= len(s.uids) - s.resumeAt()
	}
	s.endFolder()
}

// A fetchPlace is where a connection broke while a folder was read: the
// folder and the UID to read next.
type fetchPlace struct {
	mbox string
	uid  imap.UID
}

// How fetchBroke tells a message whose answer breaks the connection
// (poisoned) from a network that does: the third break at its place, the
// last with the message fetched alone, makes it poisoned. Each costs
// poisonBreaks reconnects (and, from a server that stalls on it, as many
// timeouts), so a folder is skipped after maxPoisonRun poisoned messages
// in a row, or maxPoisoned in all: a server that poisons message after
// message ends in bounded time.
const (
	poisonBreaks = 3
	maxPoisonRun = 3
	maxPoisoned  = 10
)

// fetchBroke notes a connection that broke (err) while the current folder
// was read, and returns the message it finds poisoned, if any. go-imap's
// reader and ours take an answer they cannot decode for a broken
// connection, and a server may hang up or stall on one message; the
// reconnect resumes at that message and breaks again, until the source
// gives up on everything after it. So a second break at the same place
// (same folder, same next UID, no message read since the reconnect, whose
// login worked: a login that fails forgets the place) fetches that UID
// alone (sendFetch), and a third, alone, yields it as a failed message
// (ErrProtocol and err, naming folder and UID): counted failed in the
// summary, marked done in a checkpoint, and the folder goes on after it
// in normal batches.
func (s *imapSource) fetchBroke(err error) *Message {
	at, ok := s.breakPlace()
	if !ok {
		s.fbroke, s.fbreaks = fetchPlace{}, 0
		return nil
	}
	if at != s.fbroke {
		s.fbroke, s.fbreaks = at, 0
	}
	s.fbreaks++
	switch {
	case s.fbreaks >= poisonBreaks && s.pos-s.sent == 1:
		return s.poisoned(err)
	case s.fbreaks == 2 && s.narrowed != at:
		// Narrowing down to one UID is progress: every retry for the
		// fetch alone, with or without retries. Once per place, so
		// that a place that breaks again for another reason (a server
		// that leaves the UID out of its answer alone) cannot make a
		// loop of it.
		s.narrowed, s.failures = at, 0
	}
	return nil
}

// breakPlace is where a break during a read of the current folder
// leaves it: the next UID, when the batch in flight asked for it (a break
// between batches, or after UIDs the server left out, has no place).
func (s *imapSource) breakPlace() (fetchPlace, bool) {
	if s.mbox == "" || !s.listed {
		return fetchPlace{}, false // a break while listing: listFolder's
	}
	i := s.resumeAt()
	if i < s.sent || i >= s.pos {
		return fetchPlace{}, false
	}
	return fetchPlace{s.mbox, s.uids[i]}, true
}

// poisoned yields the message at s.fbroke, which broke the connection
// again when fetched alone, as failed with cause, and goes on after it;
// the rest of the folder is skipped after too many (maxPoisonRun,
// maxPoisoned).
func (s *imapSource) poisoned(cause error) *Message {
	u := s.fbroke.uid
	m := &Message{Origin: s.yielded(u),
		Err: fmt.Errorf("%w: %q UID %d: its answer broke the connection %d times, the last fetched alone: %w", ErrProtocol, s.mbox, u, poisonBreaks, cause)}
	s.failedAlone(u, "broke the connection")
	return m
}

// failedAlone counts the message of u, just yielded as failed for good
// (poisoned, refused: how says which), and skips the rest of the folder
// after maxPoisonRun such in a row or maxPoisoned in all. Both kinds
// count alike: each costs reconnects or a command of its own, and a
// server may mix them.
func (s *imapSource) failedAlone(u imap.UID, how string) {
	s.fbroke, s.fbreaks = fetchPlace{}, 0
	s.poisonRun++
	s.poisonN++
	if (s.poisonRun >= maxPoisonRun || s.poisonN >= maxPoisoned) && s.resumeAt() < len(s.uids) {
		s.skipFolder(fmt.Errorf("%w: %d messages failed (%d in a row), the last UID %d %s: the rest is skipped", ErrProtocol, s.poisonN, s.poisonRun, u, how))
	}
}

// refused handles a tagged NO or BAD (status) that ended the UID FETCH of
// uids[sent:pos], and returns the message it fails, if any. A server
// refuses a whole batch for one message it cannot read (Dovecot with a
// corrupt mail file) after sending the others, and skipping the folder
// lost them all. So the UIDs the batch left out are fetched again one at
// a time (aloneTo, sendFetch); one refused alone is yielded as failed
// (ErrProtocol, naming folder, UID and the server's text, quoted and
// cut short as its other texts are): counted failed in the summary,
// marked done in a checkpoint, and the folder goes on after it, skipped
// after too many (failedAlone). "In a row" is in UID order, as for
// poisoned messages: the batch's reads between two UIDs it left out part
// them (afterRead), those after the last end a run (readAfterAlone), and
// those after the first one left out do not continue one (runAtSend).
// Without a UID left out (a server that read all, then refused) there is
// nothing to fetch again.
func (s *imapSource) refused(status *imap.Error) *Message {
	batch := s.uids[s.sent:s.pos]
	slices.Sort(s.got)
	if len(batch) > 1 {
		s.afterRead = s.afterRead[:0]
	}
	left := batch[:0:len(batch)] // in place: left[i] is written after batch[i] is read
	read := false
	for _, u := range batch {
		if _, ok := slices.BinarySearch(s.got, u); ok {
			read = true
			continue
		}
		if read && len(batch) > 1 {
			s.afterRead = append(s.afterRead, u)
		}
		left, read = append(left, u), false
	}
	answer := statusText(status)
	switch {
	case len(left) == 0:
		warn(s.opts, "%s: %q: UID FETCH answered %s after every message asked for", s.e.redacted, s.mbox, answer)
		return nil
	case len(batch) == 1:
		u := batch[0]
		if _, ok := slices.BinarySearch(s.afterRead, u); ok {
			s.poisonRun = 0
		}
		m := &Message{Origin: s.yielded(u), Err: fmt.Errorf("%w: %q UID %d: UID FETCH answered %s", ErrProtocol, s.mbox, u, answer)}
		s.failedAlone(u, "refused")
		return m
	}
	if left[0] == batch[0] {
		s.poisonRun = s.runAtSend
	}
	s.readAfterAlone = read
	// The UIDs read leave the listing, so that it stays ascending, the
	// first left out is next (resumeAt, after a reconnect too) and the
	// rest of the folder follows.
	n := copy(s.uids[s.sent+len(left):], s.uids[s.pos:])
	s.uids = s.uids[:s.sent+len(left)+n]
	s.pos, s.last, s.aloneTo = s.sent, 0, left[len(left)-1]
	if s.sent > 0 {
		s.last = s.uids[s.sent-1]
	}
	return nil
}

// statusText is a tagged NO or BAD for an error text: its type, code and
// text, the text quoted (no control character reaches a log raw) and cut
// short as respReader's other server texts are.
func statusText(e *imap.Error) string {
	text := e.Text
	if e.Code != "" {
		text = "[" + string(e.Code) + "] " + text
	}
	return fmt.Sprintf("%s %.80q", e.Type, text)
}

// forgetBreaks forgets where the connection broke in the current folder,
// which is left or listed afresh, and the UIDs to fetch alone in it.
func (s *imapSource) forgetBreaks() {
	s.fbroke, s.fbreaks, s.narrowed, s.poisonRun, s.poisonN = fetchPlace{}, 0, fetchPlace{}, 0, 0
	s.aloneTo, s.afterRead, s.readAfterAlone = 0, s.afterRead[:0], false
}

// searchUIDs expands the UIDs of a UID SEARCH answer, which the server
// may write as ranges (ESEARCH ALL 1:30000). The answer is untrusted: a
// range to "*" makes go-imap's AllUIDs panic, and 1:4294967295 would
// expand to 16 GiB. A folder of exists messages holds as many UIDs, give
// or take those that arrive during the scan (listLimit).
func searchUIDs(data *imap.SearchData, exists uint32) ([]imap.UID, error) {
	set, _ := data.All.(imap.UIDSet)
	limit := listLimit(int(min(exists, MaxFolderMessages)))
	var n uint64
	for _, r := range set {
		if r.Start == 0 || r.Stop == 0 {
			return nil, fmt.Errorf("%w: UID SEARCH answered a range to *", ErrProtocol)
		}
		n += uint64(max(r.Start, r.Stop)-min(r.Start, r.Stop)) + 1
		if n > uint64(limit) {
			return nil, fmt.Errorf("%w: UID SEARCH answered over %d UIDs for a folder of %d messages", ErrProtocol, limit, exists)
		}
	}
	uids := make([]imap.UID, 0, n)
	for _, r := range set {
		for u := min(r.Start, r.Stop); ; u++ {
			uids = append(uids, u)
			if u == max(r.Start, r.Stop) {
				break
			}
		}
	}
	return uids, nil
}

func (s *imapSource) endFolder() {
	if len(s.pending) > 0 {
		// Left midway (the server refused the folder): the responses
		// still to come are nobody's, so start afresh.
		s.drop()
	} else {
		s.giveBack()
	}
	s.mbox, s.uids, s.pos, s.sent, s.pending, s.last, s.listed, s.counted = "", nil, 0, 0, nil, 0, false, false
	s.broke = listBreak{}
	s.forgetBreaks()
}

// drop forgets a broken connection; the current folder resumes after
// s.last once reconnected.
func (s *imapSource) drop() {
	s.hangUp()
	s.c, s.pending, s.taken = nil, nil, false
}

// hangUp closes the connection under the client first (its reader may be
// waiting for it in handoffConn.Read), then the client.
func (s *imapSource) hangUp() {
	if s.c == nil {
		return
	}
	s.conn.Close()
	s.pending = nil
	s.c.Close()
}

// reconnect retries with backoff, then reopens the current folder.
func (s *imapSource) reconnect(ctx context.Context) error {
	err := s.lost // why the last connection was dropped, if it was
	for {
		s.failures++
		if s.failures > retries(s.opts)+1 {
			return fmt.Errorf("%w: %s: gave up after %d attempts: %w", ErrConnection, s.e.addr, s.failures-1, err)
		}
		if s.failures > 1 {
			if berr := backoff(ctx, s.failures-1); berr != nil {
				return berr
			}
		}
		s.debug.set(false)
		if err = s.connect(ctx); err != nil {
			if errors.Is(err, ErrAuth) || ctx.Err() != nil {
				return err
			}
			// The network fails, maybe not only the folder or the message.
			s.broke, s.fbroke, s.fbreaks = listBreak{}, fetchPlace{}, 0
			continue
		}
		if s.mbox == "" {
			return nil
		}
		stop := closeOnCancel(ctx, s.c)
		err = s.listFolder(ctx, false)
		stop()
		switch {
		case err == nil:
			return nil
		case ctx.Err() != nil:
			s.drop()
			return ctx.Err()
		case folderFailed(err):
			s.skipFolder(err)
			return nil
		case errors.Is(err, errBrokeAgain):
			// Skipping the folder is progress: the next one gets a
			// fresh connection and every retry.
			s.drop()
			s.skipFolder(err)
			s.failures = 0
			continue
		}
		s.drop()
	}
}

func (s *imapSource) Close() error {
	s.guard.stop()
	if s.c == nil {
		return nil
	}
	c := s.c
	s.c = nil
	if len(s.pending) > 0 {
		// Stopped midway (Ctrl-C, a limit): reading the rest of the batch
		// only to discard it would delay the exit; EXAMINE changed nothing,
		// so just hang up.
		s.c = c
		s.hangUp()
		s.c = nil
		return nil
	}
	// LOGOUT ends the session politely, within a few seconds; the server
	// may close first, and nothing was changed either way, so its answer
	// does not matter.
	s.giveBack()
	watchdog := time.AfterFunc(5*time.Second, func() { c.Close() })
	_ = c.Logout().Wait()
	watchdog.Stop()
	c.Close()
	return nil
}

// stepGuard closes the client a step uses when the step's context ends or
// the step outlasts the timeout, as a context.AfterFunc and a time.AfterFunc
// per step did; those two cost an allocation and a timer set and stopped
// for every message. Here one hook per context and one timer serve all the
// steps: a step only notes its client and start time, and the timer, when
// it fires, either closes a step that has run for the timeout or waits
// again for the rest of it (so a stuck step still ends within the timeout
// of its start), and goes idle between steps.
type stepGuard struct {
	mu        sync.Mutex
	c         *imapclient.Client // the running step's client; nil between steps
	start     time.Time          // of the running step
	timeout   time.Duration
	timer     *time.Timer
	armed     bool            // the timer will fire
	cancelled bool            // the hooked context has ended
	gen       int             // counts the hooks: an old hook's late call is ignored
	done      <-chan struct{} // Done of the hooked context
	unhook    func() bool
}

// begin starts a step on c under ctx.
func (g *stepGuard) begin(ctx context.Context, c *imapclient.Client, timeout time.Duration) {
	if d := ctx.Done(); d != g.done || g.gen == 0 {
		g.hook(ctx, d)
	}
	g.mu.Lock()
	g.c, g.start, g.timeout = c, time.Now(), timeout
	if !g.armed {
		g.armed = true
		if g.timer == nil {
			g.timer = time.AfterFunc(timeout, g.fire)
		} else {
			g.timer.Reset(timeout)
		}
	}
	cancelled := g.cancelled
	g.mu.Unlock()
	if cancelled {
		// Ended before the step began. Close waits for the client's
		// reader, which may wait for this step to read a literal: not here.
		go c.Close()
	}
}

// end ends the step.
func (g *stepGuard) end() {
	g.mu.Lock()
	g.c = nil
	g.mu.Unlock()
}

// hook replaces the hook on the previous context (a caller may pass
// another one) with one on ctx, whose Done is done.
func (g *stepGuard) hook(ctx context.Context, done <-chan struct{}) {
	if g.unhook != nil {
		g.unhook()
		g.unhook = nil
	}
	g.mu.Lock()
	g.gen++
	gen := g.gen
	g.done, g.cancelled = done, false
	g.mu.Unlock()
	if done == nil {
		return // a context that never ends
	}
	g.unhook = context.AfterFunc(ctx, func() {
		g.mu.Lock()
		if g.gen != gen {
			g.mu.Unlock()
			return
		}
		g.cancelled = true
		c := g.c
		g.mu.Unlock()
		if c != nil {
			c.Close()
		}
	})
}

// fire is the timer's: it closes a step that has run for the timeout.
func (g *stepGuard) fire() {
	g.mu.Lock()
	c := g.c
	if c == nil { // between steps: idle until the next one
		g.armed = false
		g.mu.Unlock()
		return
	}
	if left := g.timeout - time.Since(g.start); left > 0 {
		g.timer.Reset(left) // a step begun since the timer was set
		g.mu.Unlock()
		return
	}
	g.armed = false
	g.mu.Unlock()
	c.Close()
}

// stop removes the hook and the timer.
func (g *stepGuard) stop() {
	if g.unhook != nil {
		g.unhook()
		g.unhook = nil
	}
	g.mu.Lock()
	g.gen++
	if g.timer != nil {
		g.timer.Stop()
		g.armed = false
	}
	g.mu.Unlock()
}
