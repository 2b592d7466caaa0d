package main

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"math"
	"net"
	"os"
	"path/filepath"
	"runtime"
	"runtime/debug"
	"runtime/metrics"
	"runtime/pprof"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/mailtrace/mailtrace/fetch"
	"github.com/mailtrace/mailtrace/report"
	"github.com/mailtrace/mailtrace/report/verify"
)

// A scan allocates some 1.5 KB per message (its messages, reports and
// analyses are made in memory used again: header slabs, reportMem,
// analyzer.Scratch) and keeps some 4-7 MB alive with two workers (the
// messages and reports in flight, the summary): the collector need only
// run when the memory the runtime holds reaches scanHeapLimit, not, as
// GOGC=400 had it, whenever the heap grows to five times what is live.
// With little garbage a low limit costs little: on the 20,000 messages of
// the comparison mbox, 26 MiB means two collections (+0.6% instructions)
// and 5,800 page faults, where 64 MiB meant none and 8,700 faults: each
// fault is a fresh page of heap the kernel clears and charges, some 3 µs
// (perf: 15,000 of them were 7.6% of a scan's CPU), the time of about
// 10,000 instructions.
// Should the live heap grow past scanLiveMax (many workers, each with its
// batches in flight, or a summary of a vast number of distinct origins),
// collecting at a fixed size would run ever more often, so scanGC falls
// back to GOGC=400, with no limit.
const (
	scanHeapLimit = 26 << 20
	scanLiveMax   = 10 << 20
	scanGCPercent = 400 // the fallback
)

// scanGC collects only at scanHeapLimit, until a collection finds more
// than scanLiveMax live. GOGC and GOMEMLIMIT, when set, override it.
func scanGC() {
	debug.SetGCPercent(-1)
	debug.SetMemoryLimit(scanHeapLimit)
	watchLiveHeap()
}

// watchLiveHeap looks at the live heap after the next collection (when
// the object it allocates is found unreachable) and again after each one,
// until it falls back.
func watchLiveHeap() {
	runtime.AddCleanup(new([4]uint64), func(struct{}) { // not tiny: tiny objects are freed in groups
		live := []metrics.Sample{{Name: "/gc/heap/live:bytes"}}
		metrics.Read(live)
		if live[0].Value.Kind() == metrics.KindUint64 && live[0].Value.Uint64() > scanLiveMax {
			debug.SetGCPercent(scanGCPercent)
			debug.SetMemoryLimit(math.MaxInt64)
			return
		}
		watchLiveHeap()
	}, struct{}{})
}

// scanOptions are the flags and dependencies of `mailtrace scan`.
type scanOptions struct {
	s       *streams
	sources []string

	user         string
	passwordFile string
	folders      []string
	allFolders   bool
	startTLS     bool
	insecure     bool
	caFile       string
	since        string
	limit        int
	batch        int
	retries      int
	ioTimeout    time.Duration
	debugProto   bool
	cpuProfile   string
	memProfile   string

	out            string
	format         string
	summaryFile    string
	checkpoint     string
	quiet          bool
	workers        int
	trust          []string
	authservIDs    []string
	lookup         string
	maxHeaderBytes int
	verify         bool
	af             attribFlags

	// getenv, home and resolver (--verify's DNS) are swapped in tests.
	resolver verify.Resolver
	getenv   func(string) string
	home     func() (string, error)
	now      func() time.Time
}

func newScanCmd(s *streams) *cobra.Command {
	return newScanCmdWith(s, nil)
}

func newScanCmdWith(s *streams, runF func(context.Context, *scanOptions) error) *cobra.Command {
	opts := &scanOptions{s: s, getenv: os.Getenv, home: os.UserHomeDir, now: time.Now, resolver: net.DefaultResolver}
	cmd := &cobra.Command{
		Use:   "scan SOURCE...",
		Short: "Scan a whole mailbox (IMAP, POP3, mbox, Maildir) read-only",
		Long: `Scan reads every message of a mailbox and writes one hop report per message
as JSON Lines (schema mailtrace/v1, one object per line, in mailbox order),
then a summary: messages, hops, parse failures, findings by code, the top
origin networks, ASNs, countries and registries, transit-time percentiles
and authentication failures.

A SOURCE is an IMAP or POP3 URL, or anything trace reads (a file, an mbox,
a Maildir, a directory of .eml files, - for standard input):

  imaps://USER@HOST[:PORT][/FOLDER]     IMAP over TLS (993)
  imap://USER@HOST[:PORT][/FOLDER]      IMAP (143); add --starttls off loopback
  pop3s://USER@HOST[:PORT]              POP3 over TLS (995)
  pop3://USER@HOST[:PORT]               POP3 (110); add --starttls off loopback

A user name holding @ is written %40 in the URL, or given with --user.
Nothing is ever changed on the server: IMAP folders are opened with EXAMINE
and headers fetched with BODY.PEEK[HEADER] (no \Seen flag is set); POP3 uses
UIDL and TOP n 0 and never DELE. Only headers travel, except with --verify:
DKIM needs the body, so whole messages are fetched (IMAP BODY.PEEK[], POP3
TOP n with every line, never RETR, which may set \Seen), each up to 64 MiB
(a larger one is reported from its header, unverified). That is slower, and
as much traffic as the mail itself.

The password comes from MAILTRACE_PASSWORD, --password-file, ~/.netrc
(machine HOST login USER password ...), or a prompt without echo when
standard input is a terminal. It never goes in the URL, in arguments, logs or
reports.

With --checkpoint FILE the scan records, per folder, its UIDVALIDITY and the
messages written; run the same command again after Ctrl-C (or a crash) and it
continues where it stopped, with no duplicates: with --out, the output file is
cut back to the last checkpointed line and appended to. A changed UIDVALIDITY
restarts that folder (with a warning). A dropped connection is re-established
(--retries) and the scan continues after the last message written.

Exit status: 0 when every message was reported, 1 when some message or folder
failed (the rest is still reported; the count is printed), 2 for usage
errors, 130 when interrupted.`,
		Example: `  # Every folder of a mailbox, offline (registry names only), reports to a file;
  # the password is typed without echo (or use ~/.netrc, --password-file, the prompt)
  read -rs MAILTRACE_PASSWORD && export MAILTRACE_PASSWORD
  mailtrace scan --offline --all-folders --out reports.jsonl imaps://alice%40example.com@imap.example.com

  # The last 30 days of the INBOX, at most 1000 messages
  mailtrace scan --offline --since 30d --limit 1000 imaps://alice%40example.com@imap.example.com/INBOX

  # Two folders, resumable: run it again after Ctrl-C to continue
  mailtrace scan --folder INBOX --folder Archive --checkpoint scan.ckpt \
      --out reports.jsonl --summary summary.json imaps://imap.example.com --user alice@example.com

  # A POP3 drop, attributing origins through whois
  mailtrace scan --password-file ~/.config/mailtrace/pop3.pass pop3s://alice@pop.example.com

  # Local sources: an mbox and a Maildir, as text for people
  mailtrace scan --offline --format text mail.mbox ~/Maildir

  # Re-check every message's DKIM signatures and SPF live (whole messages are read)
  mailtrace scan --verify --out reports.jsonl mail.mbox
  mailtrace scan --verify --limit 500 --out reports.jsonl imaps://alice%40example.com@imap.example.com/INBOX

  # Where does this mailbox's mail come from? (jq over the JSON Lines)
  mailtrace scan --offline --quiet imaps://alice@imap.example.com | jq -r .attribution.rir | sort | uniq -c`,
		Args: func(cmd *cobra.Command, args []string) error {
			if len(args) == 0 {
				return usageError{errors.New("scan: name at least one SOURCE (an imap://, imaps://, pop3://, pop3s:// URL, a file, an mbox, a Maildir, or -)")}
			}
			return nil
		},
		RunE: func(cmd *cobra.Command, args []string) error {
			opts.sources = args
			if runF != nil {
				return runF(cmd.Context(), opts)
			}
			return scanRun(cmd.Context(), opts)
		},
	}
	f := cmd.Flags()
	f.StringVar(&opts.user, "user", "", "user name for IMAP/POP3 (instead of USER@ in the URL)")
	f.StringVar(&opts.passwordFile, "password-file", "", "read the password from the first line of this file")
	f.StringArrayVar(&opts.folders, "folder", nil, "IMAP folder to scan (repeatable; default: the URL's folder, else INBOX)")
	f.BoolVar(&opts.allFolders, "all-folders", false, "scan every selectable IMAP folder")
	f.BoolVar(&opts.startTLS, "starttls", false, "upgrade a plain imap:// or pop3:// connection with STARTTLS/STLS")
	f.BoolVar(&opts.insecure, "insecure", false, "do not verify the server's TLS certificate (test servers only)")
	f.StringVar(&opts.caFile, "ca-file", "", "PEM certificates to verify the server with (besides the system's)")
	f.StringVar(&opts.since, "since", "", "IMAP: only messages received on or after DATE (YYYY-MM-DD) or in the last N days (30d)")
	f.IntVar(&opts.limit, "limit", 0, "stop after N messages (with --checkpoint, the next run takes the next N)")
	f.IntVar(&opts.batch, "batch", fetch.DefaultBatchSize, "IMAP: UIDs per FETCH")
	f.IntVar(&opts.retries, "retries", fetch.DefaultRetries, "reconnect attempts after a dropped connection")
	f.DurationVar(&opts.ioTimeout, "io-timeout", fetch.DefaultTimeout, "give up on a server silent for this long (then reconnect)")
	f.BoolVar(&opts.debugProto, "debug-protocol", false, "show the IMAP/POP3 exchange on stderr (the login is left out)")
	f.StringVarP(&opts.out, "out", "o", "", "write the reports to FILE instead of standard output")
	f.StringVarP(&opts.format, "format", "f", report.FormatJSONL, "report format: jsonl or text")
	f.StringVar(&opts.summaryFile, "summary", "", "write the summary as JSON to FILE (else as text on stderr)")
	f.StringVar(&opts.checkpoint, "checkpoint", "", "record progress in FILE and resume from it")
	f.BoolVarP(&opts.quiet, "quiet", "q", false, "no progress and no text summary on stderr (warnings remain)")
	f.IntVar(&opts.workers, "workers", 0, "messages analysed at once (default: the number of CPUs)")
	f.StringArrayVar(&opts.trust, "trust", nil, "the recipient's own infrastructure: a CIDR, an IP or a domain (repeatable)")
	f.StringArrayVar(&opts.authservIDs, "authserv-id", nil, "accept Authentication-Results from this authserv-id (repeatable)")
	f.StringVar(&opts.lookup, "lookup", report.LookupOrigin, "which addresses to attribute: origin, all or none")
	f.IntVar(&opts.maxHeaderBytes, "max-header-bytes", fetch.DefaultMaxHeaderBytes, "largest header section read from one message")
	f.BoolVar(&opts.verify, "verify", false, "re-check DKIM signatures and SPF live through DNS (reads whole messages: over IMAP and POP3 slower, more traffic)")
	f.StringVar(&opts.cpuProfile, "cpuprofile", "", "write a Go CPU profile to FILE (development)")
	f.MarkHidden("cpuprofile")
	f.StringVar(&opts.memProfile, "memprofile", "", "write a Go heap profile to FILE at the end (development)")
	f.MarkHidden("memprofile")
	opts.af.register(f)
	return cmd
}

func scanRun(ctx context.Context, o *scanOptions) error {
	switch o.format {
	case report.FormatJSONL, report.FormatText:
	default:
		return usageError{fmt.Errorf("--format %q: want jsonl or text", o.format)}
	}
	if o.limit < 0 || o.batch <= 0 || o.retries < 0 || o.workers < 0 {
		return usageError{errors.New("--limit, --batch, --retries and --workers take positive numbers")}
	}
	since, err := parseSince(o.since, o.now())
	if err != nil {
		return err
	}
	if os.Getenv("GOGC") == "" && os.Getenv("GOMEMLIMIT") == "" {
		scanGC()
	}
	if o.cpuProfile != "" {
		pf, err := os.Create(o.cpuProfile)
		if err != nil {
			return err
		}
		defer pf.Close()
		if err := pprof.StartCPUProfile(pf); err != nil {
			return err
		}
		defer pprof.StopCPUProfile()
	}
	to := &traceOptions{trust: o.trust, authservIDs: o.authservIDs, lookup: o.lookup}
	ropts, err := to.reportOptions()
	if err != nil {
		return err
	}
	if o.verify {
		if o.af.offline {
			return usageError{errors.New("--verify needs the network; it cannot go with --offline")}
		}
		ropts.Verify, ropts.Resolver = true, o.resolver
	}
	if o.lookup != report.LookupNone {
		o.af.errOut = o.s.Err
		if o.quiet {
			o.af.errOut = nil
		}
		at, closeAt, err := o.af.attributor(ctx)
		if err != nil {
			return err
		}
		defer closeAt()
		ropts.Attributor = at
	}

	warn := func(msg string) { fmt.Fprintf(o.s.Err, "mailtrace: warning: %s\n", report.Clean(msg)) }
	fopts := fetch.Options{
		Stdin: o.s.In, MaxHeaderBytes: o.maxHeaderBytes, KeepBody: o.verify,
		User: o.user, Password: o.password, Folders: o.folders, AllFolders: o.allFolders,
		StartTLS: o.startTLS, Insecure: o.insecure, CAFile: o.caFile, Since: since, Limit: o.limit,
		BatchSize: o.batch, Timeout: o.ioTimeout, Retries: o.retries, Warn: warn,
	}
	if o.retries == 0 {
		fopts.Retries = -1
	}
	if o.debugProto {
		fopts.Debug = &cleanWriter{w: o.s.Err}
	}

	var cp *report.Checkpoint
	if o.checkpoint != "" {
		if cp, err = report.LoadCheckpoint(o.checkpoint); err != nil {
			return err
		}
		fopts.Resume = cp
	}
	out, offset, closeOut, err := o.openOutput(cp)
	if err != nil {
		return err
	}
	defer closeOut()

	var src fetch.Source
	if len(o.sources) == 1 {
		if src, err = fetch.Open(ctx, o.sources[0], fopts); err != nil {
			return err
		}
	} else {
		src = fetch.Concat(o.sources, fopts)
	}
	defer src.Close()

	prog := &progressLine{w: o.s.Err}
	sopts := report.ScanOptions{Build: ropts, Workers: o.workers, Out: out, Format: o.format,
		Text:       report.TextStyle{Color: useColor("auto", o.s.OutTTY && o.out == "")},
		Checkpoint: cp, OutOffset: offset, Now: o.now}
	if o.s.ErrTTY && !o.quiet {
		sopts.Progress = prog.update
	}
	sum, scanErr := report.Scan(ctx, src, sopts)
	if err := src.Close(); err != nil && scanErr == nil {
		scanErr = err
	}
	if o.memProfile != "" {
		if pf, err := os.Create(o.memProfile); err == nil {
			pprof.Lookup("heap").WriteTo(pf, 0)
			pf.Close()
		}
	}
	prog.clear()
	if o.summaryFile != "" {
		if err := writeSummaryFile(o.summaryFile, &sum); err != nil && scanErr == nil {
			scanErr = err
		}
	}
	if !o.quiet && o.summaryFile == "" {
		report.WriteSummaryText(o.s.Err, &sum)
	}
	if scanErr != nil {
		return scanErr
	}
	if sum.Failed > 0 || sum.Skipped > 0 {
		return fmt.Errorf("%d message(s) could not be read and %d part(s) of the source were skipped: %w", sum.Failed, sum.Skipped, errPartial)
	}
	return nil
}

// openOutput opens --out: created afresh, or, when a checkpoint resumes,
// cut back to the size the checkpoint recorded and appended to.
func (o *scanOptions) openOutput(cp *report.Checkpoint) (io.Writer, int64, func(), error) {
	if o.out == "" || o.out == "-" {
		return o.s.Out, 0, func() {}, nil
	}
	if cp == nil || cp.Empty() {
		f, err := os.Create(o.out)
		if err != nil {
			return nil, 0, nil, err
		}
		return f, 0, func() { f.Close() }, nil
	}
	f, err := os.OpenFile(o.out, os.O_RDWR|os.O_CREATE, 0o644)
	if err != nil {
		return nil, 0, nil, err
	}
	fi, err := f.Stat()
	if err != nil {
		f.Close()
		return nil, 0, nil, err
	}
	off := cp.OutputOffset()
	if fi.Size() < off {
		f.Close()
		return nil, 0, nil, fmt.Errorf("--out %s holds %d bytes but the checkpoint %s recorded %d: not the output of that scan (remove the checkpoint to start over)", o.out, fi.Size(), cp.Path(), off)
	}
	if fi.Size() > off {
		fmt.Fprintf(o.s.Err, "mailtrace: resuming: cutting %s back from %d to %d bytes (the lines after the last checkpoint)\n", o.out, fi.Size(), off)
		if err := f.Truncate(off); err != nil {
			f.Close()
			return nil, 0, nil, err
		}
	}
	if _, err := f.Seek(off, io.SeekStart); err != nil {
		f.Close()
		return nil, 0, nil, err
	}
	return f, off, func() { f.Close() }, nil
}

// password finds the password for user at host: MAILTRACE_PASSWORD,
// --password-file, ~/.netrc, then a prompt on a terminal.
func (o *scanOptions) password(ctx context.Context, user, host string) (string, error) {
	if p := o.getenv("MAILTRACE_PASSWORD"); p != "" {
		return p, nil
	}
	if o.passwordFile != "" {
		b, err := os.ReadFile(o.passwordFile)
		if err != nil {
			return "", fmt.Errorf("--password-file: %w", err)
		}
		line, _, _ := bytes.Cut(b, []byte("\n"))
		return strings.TrimRight(string(line), "\r"), nil
	}
	netrc := o.getenv("NETRC")
	if netrc == "" {
		if h, err := o.home(); err == nil {
			netrc = filepath.Join(h, ".netrc")
		}
	}
	if netrc != "" {
		if f, err := os.Open(netrc); err == nil {
			_, p, ok := fetch.NetrcPassword(f, host, user)
			f.Close()
			if ok {
				return p, nil
			}
		}
	}
	if o.s.InTTY && !slices.Contains(o.sources, "-") {
		f, ok := o.s.In.(*os.File)
		if ok {
			return promptPassword(f, o.s.Err, fmt.Sprintf("Password for %s@%s: ", report.Clean(user), report.Clean(host)))
		}
	}
	return "", fmt.Errorf("%w for %s at %s: set MAILTRACE_PASSWORD, use --password-file or ~/.netrc, or run on a terminal to be asked", fetch.ErrNoPassword, user, host)
}

// parseSince reads --since: a date (YYYY-MM-DD), an RFC 3339 time, or N
// days back (30d).
func parseSince(s string, now time.Time) (time.Time, error) {
	if s == "" {
		return time.Time{}, nil
	}
	if d, ok := strings.CutSuffix(s, "d"); ok {
		if n, err := strconv.Atoi(d); err == nil && n >= 0 {
			return now.AddDate(0, 0, -n), nil
		}
	}
	for _, layout := range []string{"2006-01-02", time.RFC3339} {
		if t, err := time.Parse(layout, s); err == nil {
			return t, nil
		}
	}
	return time.Time{}, usageError{fmt.Errorf("--since %q: want YYYY-MM-DD, an RFC 3339 time or a number of days (30d)", s)}
}

func writeSummaryFile(path string, s *report.Summary) error {
	f, err := os.Create(path)
	if err != nil {
		return err
	}
	if err := report.WriteJSON(f, s); err != nil {
		f.Close()
		return err
	}
	return f.Close()
}

// progressLine draws "done/total, rate, ETA" on one terminal line.
type progressLine struct {
	w     io.Writer
	drawn bool
}

func (p *progressLine) update(pr report.Progress) {
	if pr.Final {
		return
	}
	line := fmt.Sprintf("scan: %d", pr.Done)
	if pr.TotalKnown && pr.Total > 0 {
		line += fmt.Sprintf("/%d (%d%%)", pr.Total, min(100, pr.Done*100/pr.Total))
	}
	line += fmt.Sprintf(", %.0f msg/s", pr.Rate())
	if eta := pr.ETA(); eta > 0 {
		line += ", ETA " + eta.Round(time.Second).String()
	}
	if pr.Failed > 0 {
		line += fmt.Sprintf(", %d failed", pr.Failed)
	}
	fmt.Fprintf(p.w, "\r\x1b[K%s", line)
	p.drawn = true
}

func (p *progressLine) clear() {
	if p.drawn {
		fmt.Fprint(p.w, "\r\x1b[K")
		p.drawn = false
	}
}

// cleanWriter passes a protocol trace through report.Clean line by line,
// so a server cannot send escape sequences to the terminal.
type cleanWriter struct {
	w io.Writer
}

func (c *cleanWriter) Write(p []byte) (int, error) {
	for _, line := range strings.SplitAfter(string(p), "\n") {
		if line == "" {
			continue
		}
		nl := strings.HasSuffix(line, "\n")
		s := report.Clean(strings.TrimRight(line, "\r\n"))
		if nl {
			s += "\n"
		}
		if _, err := io.WriteString(c.w, s); err != nil {
			return 0, err
		}
	}
	return len(p), nil
}
