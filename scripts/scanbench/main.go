// Command scanbench measures `mailtrace scan --offline` over IMAPS against
// the raw transfer of the same headers, on a real Dovecot started for the
// run (internal/dovecot), and reports the throughput ratio and the scan's
// peak RSS. It is a benchmark, not a test:
//
//	go run ./scripts/scanbench -n 10000
//	go run ./scripts/scanbench -n 100000 -runs 1   # the memory figure
//
// The baseline is one `UID FETCH 1:* BODY.PEEK[HEADER]` on a TLS socket,
// reading every response (literals included) to the tagged OK, after LOGIN
// and EXAMINE: the speed at which the server hands out headers. The scan is
// the built binary, run as a child process so that its peak RSS can be
// read from /proc (Linux), its JSON Lines counted and dropped.
package main

import (
	"bufio"
	"bytes"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"sync"
	"time"

	"github.com/mailtrace/mailtrace/internal/dovecot"
)

// extra holds -arg values.
var extra argList

var showStderr = flag.Bool("stderr", false, "pass the scan's stderr through (e.g. with GODEBUG=gctrace=1)")

type argList []string

func (a *argList) String() string     { return fmt.Sprint(*a) }
func (a *argList) Set(v string) error { *a = append(*a, v); return nil }

const (
	user = "bench@example.test"
	pass = "bench-pass"
)

func main() {
	n := flag.Int("n", 10000, "messages in the folder")
	runs := flag.Int("runs", 5, "runs of each side (the best is kept)")
	bin := flag.String("bin", "", "mailtrace binary (default: go build ./cmd/mailtrace into a temporary directory)")
	workers := flag.Int("workers", 0, "scan --workers (0: the number of CPUs)")
	flag.Var(&extra, "arg", "extra argument for mailtrace scan (repeatable), e.g. -arg=--lookup=none")
	flag.Parse()
	t := &runT{}
	defer t.cleanup()
	if err := run(t, *n, *runs, *bin, *workers); err != nil {
		fmt.Fprintln(os.Stderr, "scanbench:", err)
		t.cleanup()
		os.Exit(1)
	}
}

func run(t *runT, n, runs int, bin string, workers int) error {
	if dovecot.Binary() == "" {
		return errors.New("dovecot is not installed (apt-get install dovecot-imapd dovecot-pop3d)")
	}
	tmp, err := os.MkdirTemp("", "scanbench-")
	if err != nil {
		return err
	}
	t.Cleanup(func() { os.RemoveAll(tmp) })
	if bin == "" {
		bin = filepath.Join(tmp, "mailtrace")
		build := exec.Command("go", "build", "-o", bin, "./cmd/mailtrace")
		build.Stdout, build.Stderr = os.Stderr, os.Stderr
		if err := build.Run(); err != nil {
			return fmt.Errorf("go build: %w", err)
		}
	}
	start := time.Now()
	msgs := dovecot.SeedMessages("INBOX", n, 42, time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC))
	var hdrBytes int
	for _, m := range msgs {
		if i := bytes.Index(m.Raw, []byte("\n\n")); i >= 0 {
			hdrBytes += i + 2
		}
	}
	srv := dovecot.Start(t, dovecot.User{Name: user, Password: pass, Folders: []dovecot.Folder{{Name: "INBOX", Messages: msgs}}})
	if t.failed {
		return errors.New("dovecot did not start")
	}
	fmt.Printf("dovecot up with %d messages (%.1f MB of headers) in %.1fs\n", n, float64(hdrBytes)/1e6, time.Since(start).Seconds())

	// The two sides alternate, run by run, so that a change in the shared
	// machine's speed touches both alike; the best run of each is kept.
	var raw, scan, scanCPU time.Duration
	var raws, scans []time.Duration // every run, for the medians
	var rss int64
	var lines int
	for i := 0; i < runs; i++ {
		d, rawCount, err := rawFetch(srv)
		if err != nil {
			return fmt.Errorf("raw fetch: %w", err)
		}
		if rawCount != n {
			return fmt.Errorf("raw fetch: %d messages, want %d", rawCount, n)
		}
		raws = append(raws, d)
		if raw == 0 || d < raw {
			raw = d
		}
		d, cpu, r, l, err := runScan(bin, srv, workers)
		if err != nil {
			return fmt.Errorf("scan: %w", err)
		}
		rss, lines = max(rss, r), l
		scans = append(scans, d)
		if scan == 0 || d < scan {
			scan, scanCPU = d, cpu
		}
	}
	if lines != n {
		return fmt.Errorf("scan wrote %d reports, want %d", lines, n)
	}
	rawRate, scanRate := float64(n)/raw.Seconds(), float64(n)/scan.Seconds()
	fmt.Printf("raw UID FETCH 1:* BODY.PEEK[HEADER] over TLS: %7.3fs  %8.0f msg/s\n", raw.Seconds(), rawRate)
	fmt.Printf("mailtrace scan --offline (imaps):              %7.3fs  %8.0f msg/s  (CPU %.3fs)\n", scan.Seconds(), scanRate, scanCPU.Seconds())
	fmt.Printf("ratio scan/raw: %.2f   peak RSS of the scan: %.1f MB   (best of %d runs each)\n", scanRate/rawRate, float64(rss)/1024, runs)
	// On a shared machine the best runs may come from quiet moments of
	// unequal length: the medians say how a typical run went.
	mraw, mscan := median(raws), median(scans)
	fmt.Printf("medians: raw %.3fs  scan %.3fs  ratio %.2f\n", mraw.Seconds(), mscan.Seconds(), mraw.Seconds()/mscan.Seconds())
	return nil
}

// median of ds (the upper one of an even count).
func median(ds []time.Duration) time.Duration {
	s := slices.Clone(ds)
	slices.Sort(s)
	return s[len(s)/2]
}

// rawFetch logs in, EXAMINEs INBOX and reads one UID FETCH 1:* to the end.
func rawFetch(srv *dovecot.Server) (time.Duration, int, error) {
	pem, err := os.ReadFile(srv.CAFile)
	if err != nil {
		return 0, 0, err
	}
	pool := x509.NewCertPool()
	pool.AppendCertsFromPEM(pem)
	start := time.Now()
	conn, err := tls.Dial("tcp", srv.IMAPS, &tls.Config{RootCAs: pool, ServerName: "127.0.0.1"})
	if err != nil {
		return 0, 0, err
	}
	defer conn.Close()
	r := bufio.NewReaderSize(conn, 64<<10)
	fetched := 0
	cmd := func(tag, line string) error {
		if _, err := fmt.Fprintf(conn, "%s %s\r\n", tag, line); err != nil {
			return err
		}
		for {
			l, err := r.ReadSlice('\n')
			if err != nil {
				return err
			}
			// A literal {n} at the end of the line: read its n bytes.
			if k := bytes.LastIndexByte(l, '{'); k >= 0 && bytes.HasSuffix(l, []byte("}\r\n")) {
				size, err := strconv.Atoi(string(l[k+1 : len(l)-3]))
				if err != nil {
					return fmt.Errorf("literal in %q", l)
				}
				if _, err := io.CopyN(io.Discard, r, int64(size)); err != nil {
					return err
				}
				fetched++
				continue
			}
			if bytes.HasPrefix(l, []byte(tag+" ")) {
				if !bytes.HasPrefix(l, []byte(tag+" OK")) {
					return fmt.Errorf("%s", bytes.TrimSpace(l))
				}
				return nil
			}
		}
	}
	if _, err := r.ReadSlice('\n'); err != nil { // greeting
		return 0, 0, err
	}
	if err := cmd("a1", fmt.Sprintf("LOGIN %q %q", user, pass)); err != nil {
		return 0, 0, err
	}
	if err := cmd("a2", "EXAMINE INBOX"); err != nil {
		return 0, 0, err
	}
	if err := cmd("a3", "UID FETCH 1:* (BODY.PEEK[HEADER])"); err != nil {
		return 0, 0, err
	}
	cmd("a4", "LOGOUT")
	return time.Since(start), fetched, nil
}

// runScan runs the binary and returns its wall time, CPU time (user and
// system), peak RSS (KiB, VmHWM) and the number of lines it wrote.
func runScan(bin string, srv *dovecot.Server, workers int) (time.Duration, time.Duration, int64, int, error) {
	args := []string{"scan", "--offline", "--quiet", "--no-cache", "--ca-file", srv.CAFile}
	if workers > 0 {
		args = append(args, "--workers", strconv.Itoa(workers))
	}
	args = append(args, extra...)
	args = append(args, "imaps://bench%40example.test@"+srv.IMAPS+"/INBOX")
	cmd := exec.Command(bin, args...)
	cmd.Env = append(os.Environ(), "MAILTRACE_PASSWORD="+pass)
	out, err := cmd.StdoutPipe()
	if err != nil {
		return 0, 0, 0, 0, err
	}
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	if *showStderr {
		cmd.Stderr = os.Stderr
	}
	start := time.Now()
	if err := cmd.Start(); err != nil {
		return 0, 0, 0, 0, err
	}
	var hwm int64 // VmHWM (KiB) sampled from /proc
	done := make(chan struct{})
	go func() {
		for {
			select {
			case <-done:
				return
			case <-time.After(20 * time.Millisecond):
			}
			b, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", cmd.Process.Pid))
			if err != nil {
				continue
			}
			for _, l := range bytes.Split(b, []byte("\n")) {
				if f := bytes.Fields(l); len(f) >= 2 && string(f[0]) == "VmHWM:" {
					v, _ := strconv.ParseInt(string(f[1]), 10, 64)
					hwm = max(hwm, v)
				}
			}
		}
	}()
	lines := 0
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		br := bufio.NewReaderSize(out, 1<<20)
		for {
			l, err := br.ReadSlice('\n')
			if len(l) > 0 && l[len(l)-1] == '\n' {
				lines++
			}
			if err != nil && !errors.Is(err, bufio.ErrBufferFull) {
				return
			}
		}
	}()
	wg.Wait()
	close(done)
	err = cmd.Wait()
	d := time.Since(start)
	if err != nil {
		return 0, 0, 0, 0, fmt.Errorf("%w\n%s", err, stderr.String())
	}
	// The peak RSS is the child's VmHWM, read from /proc while it runs (it
	// only grows, so the last reading is the peak, give or take the last
	// 50 ms). rusage's ru_maxrss is no good here: Go starts the child with
	// vfork, and Linux carries the parent's high-water mark across exec,
	// so it reports this process's size (the seeded messages) instead.
	return d, cmd.ProcessState.UserTime() + cmd.ProcessState.SystemTime(), hwm, lines, nil
}

// runT runs the test harness outside `go test`.
type runT struct {
	cleanups []func()
	failed   bool
}

func (t *runT) Helper()                      {}
func (t *runT) Logf(format string, a ...any) { fmt.Fprintf(os.Stderr, format+"\n", a...) }
func (t *runT) Cleanup(f func())             { t.cleanups = append(t.cleanups, f) }
func (t *runT) Failed() bool                 { return t.failed }
func (t *runT) Skip(a ...any)                { t.Fatal(a...) }
func (t *runT) Fatal(a ...any) {
	t.failed = true
	fmt.Fprintln(os.Stderr, a...)
	t.cleanup()
	os.Exit(1)
}
func (t *runT) Fatalf(format string, a ...any) { t.Fatal(fmt.Sprintf(format, a...)) }

func (t *runT) cleanup() {
	for i := len(t.cleanups) - 1; i >= 0; i-- {
		t.cleanups[i]()
	}
	t.cleanups = nil
}
