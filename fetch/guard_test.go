package fetch

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"net"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// scriptIMAP serves, on loopback, a folder of n messages with UIDs 1..n
// to any login (with an unsolicited FETCH after the first response of each
// UID FETCH); each FETCH response is sent after pause, and when trickle
// is set the literal of the message with that UID comes one byte every
// 20 ms: a server that keeps each read alive but never finishes. A UID
// FETCH of BODY.PEEK[] gets whole messages, the one with UID huge (when
// set) over MaxMessageBytes.
func scriptIMAP(t *testing.T, n int, pause time.Duration, trickle int, huge ...int) string {
	s := imapScript{n: n, pause: pause, trickle: trickle}
	if len(huge) > 0 {
		s.huge = huge[0]
	}
	return s.serve(t)
}

// imapScript is scriptIMAP's server. caps, when set, replaces the
// capabilities after IMAP4rev1, and search the untagged answer to UID
// SEARCH, with @tag for the tag (else a SEARCH of 1..n), or one that never
// ends when endlessSearch is set; the first dropSearches UID SEARCH
// commands are answered by hanging up. LIST names folders (else INBOX),
// each of n messages; folderSearch replaces search in a folder, and
// folderExamine and folderStatus the untagged answer to EXAMINE and
// STATUS. hangUp, when set, is asked before the answer to the n-th cmd
// (counted over every connection; for UID FETCH before each message, cmd
// "FETCH <folder> <uid>"): true hangs up instead. poison, when set, is
// asked before each message of a UID FETCH: "hang up" hangs up, "stall"
// answers nothing more, "NO ..." or "BAD ..." leaves the message out and
// ends the UID FETCH with that answer, any other answer replaces the
// FETCH response.
type imapScript struct {
	endlessSearch bool
	n             int
	pause         time.Duration
	trickle       int
	huge          int
	caps          string
	search        string
	dropSearches  int
	folders       []string
	folderSearch  map[string]string
	folderExamine map[string]string
	folderStatus  map[string]string
	hangUp        func(cmd string, n int) bool
	poison        func(folder string, uid int) string
}

func (s imapScript) serve(t *testing.T) string {
	n, pause, trickle := s.n, s.pause, s.trickle
	var searches atomic.Int32
	var mu sync.Mutex
	counts := map[string]int{}
	hangUp := func(cmd string) bool {
		if s.hangUp == nil {
			return false
		}
		mu.Lock()
		counts[cmd]++
		k := counts[cmd]
		mu.Unlock()
		return s.hangUp(cmd, k)
	}
	folders := s.folders
	if len(folders) == 0 {
		folders = []string{"INBOX"}
	}
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	var wg sync.WaitGroup
	quit := make(chan struct{})
	t.Cleanup(func() { close(quit); ln.Close(); wg.Wait() })
	serve := func(c net.Conn) {
		defer c.Close()
		br := bufio.NewReader(c)
		fmt.Fprintf(c, "* OK [CAPABILITY IMAP4rev1%s] ready\r\n", s.caps)
		selected := ""
		for {
			line, err := br.ReadString('\n')
			if err != nil {
				return
			}
			f := strings.Fields(line)
			if len(f) < 2 {
				return
			}
			tag, cmd := f[0], strings.ToUpper(f[1])
			if cmd == "UID" && len(f) > 2 {
				cmd += " " + strings.ToUpper(f[2])
			}
			if hangUp(cmd) {
				return
			}
			switch cmd {
			case "LOGIN":
				fmt.Fprintf(c, "%s OK [CAPABILITY IMAP4rev1%s] in\r\n", tag, s.caps)
			case "CAPABILITY":
				fmt.Fprintf(c, "* CAPABILITY IMAP4rev1%s\r\n%s OK\r\n", s.caps, tag)
			case "LIST":
				for _, name := range folders {
					fmt.Fprintf(c, "* LIST () \"/\" %s\r\n", name)
				}
				fmt.Fprintf(c, "%s OK\r\n", tag)
			case "STATUS":
				if a, ok := s.folderStatus[strings.Trim(f[2], `"`)]; ok {
					fmt.Fprintf(c, "%s\r\n%s OK\r\n", a, tag)
					continue
				}
				fmt.Fprintf(c, "* STATUS %s (MESSAGES %d)\r\n%s OK\r\n", f[2], n, tag)
			case "EXAMINE":
				selected = strings.Trim(f[2], `"`)
				if a, ok := s.folderExamine[selected]; ok {
					fmt.Fprintf(c, "%s\r\n%s OK [READ-ONLY] examined\r\n", a, tag)
					continue
				}
				fmt.Fprintf(c, "* %d EXISTS\r\n* OK [UIDVALIDITY 7] v\r\n%s OK [READ-ONLY] examined\r\n", n, tag)
			case "UID SEARCH":
				if int(searches.Add(1)) <= s.dropSearches {
					return
				}
				if s.endlessSearch {
					bw := bufio.NewWriter(c)
					bw.WriteString("* SEARCH")
					for u := 1; ; u += 2 {
						if _, err := fmt.Fprintf(bw, " %d", u); err != nil {
							return
						}
					}
				}
				search, ok := s.folderSearch[selected]
				if !ok {
					search = s.search
				}
				if search != "" {
					fmt.Fprintf(c, "%s\r\n%s OK\r\n", strings.ReplaceAll(search, "@tag", tag), tag)
					continue
				}
				var b strings.Builder
				for i := 1; i <= n; i++ {
					fmt.Fprintf(&b, " %d", i)
				}
				fmt.Fprintf(c, "* SEARCH%s\r\n%s OK\r\n", b.String(), tag)
			case "UID FETCH":
				set := f[3] // lo:hi
				var lo, hi int
				if _, err := fmt.Sscanf(strings.Replace(set, ":", " ", 1), "%d %d", &lo, &hi); err != nil {
					lo, hi = 1, 1
					fmt.Sscanf(set, "%d", &lo)
					hi = lo
				}
				done := "OK fetched"
				for u := lo; u <= hi; u++ {
					if hangUp("FETCH " + selected + " " + strconv.Itoa(u)) {
						return
					}
					if s.poison != nil {
						switch a := s.poison(selected, u); a {
						case "":
						case "hang up":
							return
						case "stall":
							<-quit
							return
						default:
							if strings.HasPrefix(a, "NO ") || strings.HasPrefix(a, "BAD ") {
								done = a
								continue
							}
							fmt.Fprintf(c, "%s\r\n", a)
							continue
						}
					}
					select {
					case <-quit:
						return
					case <-time.After(pause):
					}
					h := fmt.Sprintf("Subject: %d\r\n\r\n", u)
					if strings.Contains(line, "BODY.PEEK[]") {
						if u == s.huge {
							sendHuge(c, u, h)
						} else {
							h += fmt.Sprintf("body %d\r\n", u)
							fmt.Fprintf(c, "* %d FETCH (UID %d RFC822.SIZE %d BODY[] {%d}\r\n%s)\r\n", u, u, len(h), len(h), h)
						}
						continue
					}
					size := len(h)
					if u == trickle {
						size = 1 << 20 // never reached
					}
					fmt.Fprintf(c, "* %d FETCH (UID %d RFC822.SIZE 99 BODY[HEADER] {%d}\r\n", u, u, size)
					if u == trickle {
						for i := 0; ; i++ {
							select {
							case <-quit:
								return
							case <-time.After(20 * time.Millisecond):
							}
							if _, err := c.Write([]byte{h[i%len(h)]}); err != nil {
								return
							}
						}
					}
					fmt.Fprintf(c, "%s)\r\n", h)
					if u == lo {
						// Flags changed by another client, sent along
						// (RFC 9051 §7.5.2): no message of the scan.
						fmt.Fprintf(c, "* %d FETCH (UID %d FLAGS (\\Seen))\r\n* %d FETCH (FLAGS ())\r\n", n+7, n+7, u)
					}
				}
				fmt.Fprintf(c, "%s %s\r\n", tag, done)
			case "LOGOUT":
				fmt.Fprintf(c, "* BYE\r\n%s OK\r\n", tag)
				return
			default:
				fmt.Fprintf(c, "%s BAD %s\r\n", tag, cmd)
			}
		}
	}
	wg.Add(1)
	go func() {
		defer wg.Done()
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			wg.Add(1)
			go func() { defer wg.Done(); serve(c) }()
		}
	}()
	return ln.Addr().String()
}

// sendHuge sends the FETCH response of a whole message of UID u, header
// h, one byte over MaxMessageBytes.
func sendHuge(c net.Conn, u int, h string) {
	size := MaxMessageBytes + 1
	fmt.Fprintf(c, "* %d FETCH (UID %d RFC822.SIZE %d BODY[] {%d}\r\n%s", u, u, size, size, h)
	chunk := bytes.Repeat([]byte(strings.Repeat("x", 62)+"\r\n"), 1<<14) // 1 MiB
	left := size - len(h)
	for left > 0 {
		k := min(left, len(chunk))
		if _, err := c.Write(chunk[:k]); err != nil {
			return
		}
		left -= k
	}
	fmt.Fprintf(c, ")\r\n")
}

// Steps that each take a fraction of the timeout are never ended, however
// long the whole run: the watchdog times a step, not the source. A step
// is a tenth of the timeout, the run longer than it: room for a loaded
// machine (60 ms steps against 250 ms failed at a load of 15).
func TestIMAPWatchdogTimesEachStep(t *testing.T) {
	addr := scriptIMAP(t, 12, 100*time.Millisecond, 0)
	var warnings []string
	src, err := Open(context.Background(), "imap://u@"+addr+"/INBOX", Options{Password: staticPassword("p"), Timeout: time.Second, Retries: -1,
		Warn: func(s string) { warnings = append(warnings, s) }})
	if err != nil {
		t.Fatal(err)
	}
	defer src.Close()
	for i := 1; i <= 12; i++ {
		m, err := src.Next(context.Background())
		if err != nil || int(m.Origin.UID) != i {
			t.Fatalf("message %d: %v %v (warnings %v)", i, m, err, warnings)
		}
	}
	if len(warnings) != 0 {
		t.Fatalf("warnings %v", warnings)
	}
}

// A read deadline set on a deadlineConn is dropped: every Read sets its
// own, and a silent peer still ends a Read after the timeout.
func TestDeadlineConnOwnsReadDeadline(t *testing.T) {
	a, b := net.Pipe()
	defer a.Close()
	defer b.Close()
	c := &deadlineConn{Conn: a, timeout: 200 * time.Millisecond}
	c.SetReadDeadline(time.Now().Add(-time.Second)) // would fail the read at once
	go func() { time.Sleep(50 * time.Millisecond); b.Write([]byte("x")) }()
	buf := make([]byte, 1)
	if n, err := c.Read(buf); n != 1 || err != nil {
		t.Fatalf("read: %d %v", n, err)
	}
	start := time.Now()
	if _, err := c.Read(buf); err == nil || time.Since(start) < 150*time.Millisecond || time.Since(start) > 3*time.Second {
		t.Fatalf("silent peer: %v after %v", err, time.Since(start))
	}
}

// The protocol trace, asked for, shows the exchange after the login and
// never the password.
func TestIMAPDebugTrace(t *testing.T) {
	addr, _ := memIMAP(t, map[string]int{"INBOX": 3})
	var trace strings.Builder
	src, err := Open(context.Background(), "imap://alice%40example.test@"+addr+"/INBOX", Options{Password: staticPassword("secret"), Debug: &trace})
	if err != nil {
		t.Fatal(err)
	}
	if n := len(drain(t, src)); n != 3 {
		t.Fatalf("%d messages", n)
	}
	if s := trace.String(); !strings.Contains(s, "UID FETCH") || strings.Contains(s, "secret") {
		t.Fatalf("trace %q", s)
	}
}

// A step stuck on a literal that never ends, though every read gets a
// byte well within the timeout, is ended by the watchdog within the
// timeout. The message sticks on every reconnect: it is reported failed,
// with the watchdog's close for cause, and the next one read, even
// without retries (before, the source gave up on it and the rest).
func TestIMAPWatchdogEndsStuckStep(t *testing.T) {
	addr := scriptIMAP(t, 3, 0, 2)
	src, err := Open(context.Background(), "imap://u@"+addr+"/INBOX", Options{Password: staticPassword("p"), Timeout: 300 * time.Millisecond, Retries: -1})
	if err != nil {
		t.Fatal(err)
	}
	defer src.Close()
	start := time.Now()
	m, err := src.Next(context.Background())
	if err != nil || m.Origin.UID != 1 {
		t.Fatalf("first: %v %v", m, err)
	}
	m, err = src.Next(context.Background())
	if d := time.Since(start); err != nil || m.Origin.UID != 2 || m.Err == nil || d > 5*time.Second {
		t.Fatalf("stuck step: %v %v after %v", m, err, d)
	}
	if !errors.Is(m.Err, ErrProtocol) || !errors.Is(m.Err, net.ErrClosed) || !strings.Contains(m.Err.Error(), `"INBOX" UID 2`) {
		t.Errorf("stuck message: %v", m.Err)
	}
	if m, err = src.Next(context.Background()); err != nil || m.Origin.UID != 3 || m.Err != nil {
		t.Fatalf("after it: %v %v", m, err)
	}
}

// A connection that breaks at one message, then fails to reconnect (a
// network down, not a poisoned message), makes the source give up after
// its retries, naming why the connection was dropped: the watchdog's close
// (it said "%!w(<nil>)" when the drop came from a step, not from
// reconnecting).
func TestIMAPGiveUpNamesCause(t *testing.T) {
	addr := imapScript{n: 3, trickle: 2, hangUp: func(cmd string, n int) bool { return cmd == "LOGIN" && n == 2 }}.serve(t)
	src, err := Open(context.Background(), "imap://u@"+addr+"/INBOX", Options{Password: staticPassword("p"), Timeout: 300 * time.Millisecond, Retries: 1})
	if err != nil {
		t.Fatal(err)
	}
	defer src.Close()
	start := time.Now()
	if m, err := src.Next(context.Background()); err != nil || m.Origin.UID != 1 {
		t.Fatalf("first: %v %v", m, err)
	}
	_, err = src.Next(context.Background())
	if d := time.Since(start); err == nil || d > 5*time.Second {
		t.Fatalf("stuck step: %v after %v", err, d)
	}
	if !errors.Is(err, ErrConnection) || strings.Contains(err.Error(), "%!") || !errors.Is(err, net.ErrClosed) {
		t.Errorf("error without its cause: %v", err)
	}
}

// A context that ends during a step closes the connection: Next returns
// at once with the context's error.
func TestIMAPCancelEndsStep(t *testing.T) {
	addr := scriptIMAP(t, 3, 0, 2)
	src, err := Open(context.Background(), "imap://u@"+addr+"/INBOX", Options{Password: staticPassword("p"), Retries: -1})
	if err != nil {
		t.Fatal(err)
	}
	defer src.Close()
	ctx, cancel := context.WithCancel(context.Background())
	if _, err := src.Next(ctx); err != nil {
		t.Fatal(err)
	}
	time.AfterFunc(200*time.Millisecond, cancel)
	start := time.Now()
	if _, err := src.Next(ctx); err != context.Canceled || time.Since(start) > 3*time.Second {
		t.Fatalf("%v after %v", err, time.Since(start))
	}
}

// A UID SEARCH answer is untrusted: a range far past the folder's size
// (which go-imap's AllUIDs would expand into gigabytes: 16 GiB for this
// one) skips the folder with an error, in bounded time and memory, and the
// scan goes on. A range to "*", which AllUIDs answers with a panic, go-imap
// refuses as it reads it, closing the connection: the folder is skipped
// when it breaks the reconnect too (TestIMAPPoisonFolder), even without
// retries.
func TestIMAPHostileSearch(t *testing.T) {
	many := "* SEARCH"
	for u := 1; u <= 1100; u++ {
		many += " " + strconv.Itoa(u)
	}
	for _, tc := range []struct {
		name, caps, search string
		want               int // messages, when the answer is sound
	}{
		{"huge range", " ESEARCH", `* ESEARCH (TAG "@tag") UID ALL 1:4294967295`, -1},
		{"more than exists", "", many, -1},
		{"ranges", " ESEARCH", `* ESEARCH (TAG "@tag") UID ALL 1:2,3`, 3},
		{"star", " ESEARCH", `* ESEARCH (TAG "@tag") UID ALL 1:*`, -2},
	} {
		t.Run(tc.name, func(t *testing.T) {
			addr := imapScript{n: 3, caps: tc.caps, search: tc.search}.serve(t)
			var warned []string
			src, err := Open(context.Background(), "imap://alice@"+addr+"/INBOX", Options{
				Password: staticPassword("pw"), Retries: -1,
				Warn: func(s string) { warned = append(warned, s) }})
			if err != nil {
				t.Fatal(err)
			}
			defer src.Close()
			got := drain(t, src)
			p := src.(Problems).Problems()
			if tc.want >= 0 {
				if len(got) != tc.want || len(p) != 0 {
					t.Fatalf("%d messages, problems %v", len(got), p)
				}
				return
			}
			wantWarned := 1 // the folder skipped
			if tc.want == -2 {
				wantWarned = 2 // and the reconnect before
			}
			if len(got) != 0 || len(p) != 1 || !errors.Is(p[0], ErrFolder) || !errors.Is(p[0], ErrProtocol) ||
				len(warned) != wantWarned || !strings.Contains(warned[len(warned)-1], "UID SEARCH") {
				t.Errorf("%d messages, problems %v, warnings %q", len(got), p, warned)
			}
		})
	}
}

// An answer that never ends, which go-imap's client would keep in memory
// until the step's timeout, ends at the client's budget; as it does again
// after the reconnect, the folder is skipped.
func TestIMAPEndlessAnswer(t *testing.T) {
	defer func(b int) { clientBudget = b }(clientBudget)
	clientBudget = 1 << 20
	addr := imapScript{n: 3, endlessSearch: true}.serve(t)
	src, err := Open(context.Background(), "imap://alice@"+addr+"/INBOX", Options{Password: staticPassword("pw"), Retries: -1})
	if err != nil {
		t.Fatal(err)
	}
	defer src.Close()
	if n := len(drain(t, src)); n != 0 {
		t.Errorf("%d messages", n)
	}
	if p := src.(Problems).Problems(); len(p) != 1 || !errors.Is(p[0], ErrFolder) || !strings.Contains(p[0].Error(), "an answer of over 1048576 bytes") {
		t.Errorf("problems %v", p)
	}
}

// A connection that breaks while a folder is being listed (here during
// UID SEARCH) is reconnected and the folder listed afresh: before, the
// reconnect took the folder for listed, with nothing in it, and skipped it
// without a word.
func TestIMAPReconnectWhileListing(t *testing.T) {
	addr := imapScript{n: 3, dropSearches: 1}.serve(t)
	var warned []string
	src, err := Open(context.Background(), "imap://alice@"+addr+"/INBOX", Options{
		Password: staticPassword("pw"), Warn: func(s string) { warned = append(warned, s) }})
	if err != nil {
		t.Fatal(err)
	}
	got := drain(t, src)
	if len(got) != 3 || len(warned) != 1 || !strings.Contains(warned[0], "reconnecting") {
		t.Errorf("%d messages, warnings %q", len(got), warned)
	}
	if total, _ := src.(Totaler).Total(); total != 3 {
		t.Errorf("total %d", total)
	}
}

// A folder whose listing breaks the connection on every login, as an
// answer go-imap cannot decode does (it takes one for a broken
// connection), is skipped with an error that names it and the cause, after
// one reconnect; the folders before and after it are read, in bounded
// time. Before, the source reconnected until it gave up on every folder
// left.
func TestIMAPPoisonFolder(t *testing.T) {
	star := `* ESEARCH (TAG "@tag") UID ALL 1:*`
	badExamine := "* 3 EXISTS\r\n* OK [UIDVALIDITY x] v"
	test := func(name string, s imapScript, retries, wantMsgs int, wantSkipped []string, cause string) {
		t.Helper()
		s.n, s.caps, s.folders = 3, " ESEARCH", []string{"INBOX", "Spam", "Work"}
		addr := s.serve(t)
		var warned []string
		src, err := Open(context.Background(), "imap://alice@"+addr, Options{AllFolders: true, Retries: retries,
			Password: staticPassword("pw"), Warn: func(w string) { warned = append(warned, w) }})
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		defer src.Close()
		start := time.Now()
		got := drain(t, src)
		if d := time.Since(start); d > 10*time.Second {
			t.Errorf("%s: %v", name, d)
		}
		if len(got) != wantMsgs {
			t.Errorf("%s: %d messages, want %d", name, len(got), wantMsgs)
		}
		for _, m := range got {
			if slices.Contains(wantSkipped, m.Origin.Mailbox) {
				t.Errorf("%s: message of the skipped %q", name, m.Origin.Mailbox)
			}
		}
		p := src.(Problems).Problems()
		if len(p) != len(wantSkipped) {
			t.Fatalf("%s: problems %v (warnings %q)", name, p, warned)
		}
		for i, e := range p {
			if !errors.Is(e, ErrFolder) || !errors.Is(e, ErrProtocol) || !strings.Contains(e.Error(), strconv.Quote(wantSkipped[i])) ||
				!strings.Contains(e.Error(), cause) || strings.Count(e.Error(), ErrFolder.Error()) != 1 {
				t.Errorf("%s: problem %v", name, e)
			}
		}
		if total, _ := src.(Totaler).Total(); total != wantMsgs {
			t.Errorf("%s: total %d", name, total)
		}
	}
	for _, retries := range []int{0, -1} {
		test("SEARCH to *", imapScript{folderSearch: map[string]string{"Spam": star}}, retries, 6, []string{"Spam"}, "UID SEARCH")
		test("EXAMINE", imapScript{folderExamine: map[string]string{"Spam": badExamine}}, retries, 6, []string{"Spam"}, "EXAMINE")
		test("every folder", imapScript{search: star}, retries, 0, []string{"INBOX", "Spam", "Work"}, "dynamic")
		// STATUS only counts: the folder is read, and counted then.
		test("STATUS", imapScript{folderStatus: map[string]string{"Spam": "* STATUS Spam (MESSAGES x)"}}, retries, 9, nil, "")
	}
	// A network that fails in between (here a login) makes the break
	// before it count for nothing: the folder is retried, not skipped.
	flaky := func(cmd string, n int) bool {
		return cmd == "UID SEARCH" && n <= 2 || cmd == "LOGIN" && n == 2
	}
	test("network", imapScript{hangUp: flaky}, 0, 9, nil, "")
}

// A connection that breaks again during the EXAMINE of a reconnect, in a
// folder half read, resumes the folder after its last message: the
// listing was not lost with the EXAMINE (every message was yielded again).
func TestIMAPReconnectWhileReopening(t *testing.T) {
	hangUp := func(cmd string, n int) bool {
		return cmd == "FETCH INBOX 2" && n == 1 || cmd == "EXAMINE" && n == 2
	}
	addr := imapScript{n: 3, hangUp: hangUp}.serve(t)
	var warned []string
	src, err := Open(context.Background(), "imap://alice@"+addr+"/INBOX", Options{
		Password: staticPassword("pw"), Warn: func(s string) { warned = append(warned, s) }})
	if err != nil {
		t.Fatal(err)
	}
	defer src.Close()
	var uids []uint32
	for _, m := range drain(t, src) {
		uids = append(uids, m.Origin.UID)
	}
	if !slices.Equal(uids, []uint32{1, 2, 3}) || len(warned) != 1 {
		t.Errorf("UIDs %v, warnings %q", uids, warned)
	}
	if total, _ := src.(Totaler).Total(); total != 3 {
		t.Errorf("total %d", total)
	}
}

// A message whose answer breaks the connection on every reconnect (one
// our reader cannot decode, a server that hangs up or stalls on it) is
// reported failed, naming folder, UID and cause, once it broke the
// connection again fetched alone; every other message and folder is read,
// in bounded time, with or without retries. Before, the source
// reconnected until it gave up on the whole source. poisoned names
// "folder/UID" and how the server answers it (imapScript.poison); read,
// failed and skipped are "folder/UID ..." and folders.
func TestIMAPPoisonMessage(t *testing.T) {
	garbage := "* 1 FETCH (UID 1 RFC822.SIZE x)" // undecodable, whatever the UID
	test := func(name string, n int, poisoned map[string]string, read, failed, skipped, cause string) {
		t.Helper()
		checkFailedMessages(t, name, n, 0, poisoned, read, failed, skipped, cause)
	}
	all := uidList
	in, work := all("INBOX", 1, 2, 3, 4), all("Work", 1, 2, 3, 4)
	hangUp := "hang up"
	test("middle", 4, map[string]string{"Spam/2": hangUp},
		in+" "+all("Spam", 1, 3, 4)+" "+work, "Spam/2", "", "unexpected EOF")
	test("first", 4, map[string]string{"Spam/1": hangUp},
		in+" "+all("Spam", 2, 3, 4)+" "+work, "Spam/1", "", "unexpected EOF")
	test("last", 4, map[string]string{"Spam/4": hangUp},
		in+" "+all("Spam", 1, 2, 3)+" "+work, "Spam/4", "", "unexpected EOF")
	test("first of all", 4, map[string]string{"INBOX/1": hangUp},
		all("INBOX", 2, 3, 4)+" "+all("Spam", 1, 2, 3, 4)+" "+work, "INBOX/1", "", "unexpected EOF")
	test("undecodable", 4, map[string]string{"Spam/2": garbage},
		in+" "+all("Spam", 1, 3, 4)+" "+work, "Spam/2", "", "number expected")
	test("BYE", 4, map[string]string{"Spam/2": "* BYE Internal error occurred"},
		in+" "+all("Spam", 1, 3, 4)+" "+work, "Spam/2", "", "server said BYE")
	test("stall", 4, map[string]string{"Spam/2": "stall"},
		in+" "+all("Spam", 1, 3, 4)+" "+work, "Spam/2", "", "")
	test("two apart", 4, map[string]string{"Spam/1": hangUp, "Spam/3": garbage},
		in+" "+all("Spam", 2, 4)+" "+work, "Spam/1 Spam/3", "", "")
	// Three in a row skip the rest of the folder, its later messages
	// unread; maxPoisoned apart too.
	test("in a row", 4, map[string]string{"Spam/1": hangUp, "Spam/2": hangUp, "Spam/3": "stall"},
		in+" "+work, "Spam/1 Spam/2 Spam/3", "Spam", "")
	test("the last three", 4, map[string]string{"Spam/2": hangUp, "Spam/3": hangUp, "Spam/4": hangUp},
		in+" Spam/1 "+work, "Spam/2 Spam/3 Spam/4", "", "")
	many := map[string]string{}
	var odd, even []int
	for u := 1; u <= 2*maxPoisoned+2; u++ {
		if u%2 == 1 && len(odd) < maxPoisoned {
			many["Spam/"+strconv.Itoa(u)] = hangUp
			odd = append(odd, u)
		} else if u < 2*maxPoisoned {
			even = append(even, u)
		}
	}
	wantMany := func(folder string) string {
		var uids []int
		for u := 1; u <= 2*maxPoisoned+2; u++ {
			uids = append(uids, u)
		}
		return all(folder, uids...)
	}
	test("apart", 2*maxPoisoned+2, many,
		wantMany("INBOX")+" "+all("Spam", even...)+" "+wantMany("Work"), all("Spam", odd...), "Spam", "")
}

// A tagged NO or BAD to a UID FETCH of several UIDs (a server that cannot
// read one message: Dovecot with a corrupt mail file) loses none of the
// others: the UIDs the batch left out are fetched again one at a time, one
// refused alone is reported failed, naming folder, UID and the server's
// text (quoted), and the folder goes on after it. Before, the rest of the
// folder was skipped. Three in a row, or maxPoisoned in a folder, poisoned
// or refused alike, skip the rest of it; the other folders are read.
func TestIMAPRefusedMessage(t *testing.T) {
	all := uidList
	no := "NO [SERVERBUG] Internal error occurred. Refer to server log for more information."
	noCause := `UID FETCH answered NO "[SERVERBUG] Internal error occurred. Refer to server log for more information."`
	bad := "BAD Error in IMAP command UID FETCH: \x1b[2J"
	badCause := `UID FETCH answered BAD "Error in IMAP command UID FETCH: \x1b[2J"` // quoted
	for _, batch := range []int{0, 3} {
		test := func(name string, poisoned map[string]string, read, failed, skipped, cause string) {
			t.Helper()
			checkFailedMessages(t, fmt.Sprintf("%s (batch %d)", name, batch), 8, batch, poisoned, read, failed, skipped, cause)
		}
		every := func(folder string) string { return all(folder, 1, 2, 3, 4, 5, 6, 7, 8) }
		in, work := every("INBOX"), every("Work")
		for _, answer := range []struct{ status, cause string }{{no, noCause}, {bad, badCause}} {
			a := answer.status
			test("middle "+a, map[string]string{"Spam/5": a},
				in+" "+all("Spam", 1, 2, 3, 4, 6, 7, 8)+" "+work, "Spam/5", "", answer.cause)
			test("first "+a, map[string]string{"Spam/1": a},
				in+" "+all("Spam", 2, 3, 4, 5, 6, 7, 8)+" "+work, "Spam/1", "", answer.cause)
			test("last "+a, map[string]string{"Spam/8": a},
				in+" "+all("Spam", 1, 2, 3, 4, 5, 6, 7)+" "+work, "Spam/8", "", answer.cause)
			test("two in a batch "+a, map[string]string{"Spam/4": a, "Spam/6": a},
				in+" "+all("Spam", 1, 2, 3, 5, 7, 8)+" "+work, "Spam/4 Spam/6", "", answer.cause)
			every := map[string]string{}
			for u := 1; u <= 8; u++ {
				every["Spam/"+strconv.Itoa(u)] = a
			}
			test("every one "+a, every, in+" "+work, "Spam/1 Spam/2 Spam/3", "Spam", answer.cause)
			test("the last three "+a, map[string]string{"Spam/6": a, "Spam/7": a, "Spam/8": a},
				in+" "+all("Spam", 1, 2, 3, 4, 5)+" "+work, "Spam/6 Spam/7 Spam/8", "", answer.cause)
		}
		// A run is in UID order: the batch of 8 read 5 to 8 before it
		// refused 3 and 4; one of 3 reads only 5 before.
		wantRead, wantSkipped := all("Spam", 1, 5, 6, 7, 8), ""
		if batch == 3 {
			wantRead, wantSkipped = all("Spam", 1, 5), "Spam"
		}
		test("poisoned and refused in a row", map[string]string{"Spam/2": "hang up", "Spam/3": no, "Spam/4": bad},
			in+" "+wantRead+" "+work, "Spam/2 Spam/3 Spam/4", wantSkipped, "")
	}
	// maxPoisoned apart skip the rest of the folder, if it was not read
	// with them.
	apart := map[string]string{}
	var odd, even, whole []int
	for u := 1; u <= 2*maxPoisoned+2; u++ {
		whole = append(whole, u)
		if u%2 == 1 && len(odd) < maxPoisoned {
			apart["Spam/"+strconv.Itoa(u)] = no
			odd = append(odd, u)
		} else if u <= 2*maxPoisoned {
			even = append(even, u)
		}
	}
	in, work := all("INBOX", whole...), all("Work", whole...)
	checkFailedMessages(t, "apart", 2*maxPoisoned+2, 0, apart,
		in+" "+all("Spam", even...)+" "+all("Spam", 2*maxPoisoned+1, 2*maxPoisoned+2)+" "+work, all("Spam", odd...), "", noCause)
	checkFailedMessages(t, "apart (batch 2)", 2*maxPoisoned+2, 2, apart,
		in+" "+all("Spam", even...)+" "+work, all("Spam", odd...), "Spam", noCause)
}

// A connection that breaks while a UID left out of a refused batch is
// fetched alone resumes at that UID, still alone: refused again, it is
// the only message failed, and it counts as done, so a resumed run reads
// nothing again.
func TestIMAPRefusedReconnectAndResume(t *testing.T) {
	addr := imapScript{n: 5, folders: []string{"INBOX", "Spam"},
		hangUp: func(cmd string, n int) bool { return cmd == "FETCH Spam 3" && n == 2 },
		poison: func(folder string, uid int) string {
			if folder == "Spam" && uid == 3 {
				return "NO [SERVERBUG] Internal error"
			}
			return ""
		}}.serve(t)
	r := &memResume{uv: map[string]uint32{}, done: map[string]bool{}}
	open := func() []*Message {
		t.Helper()
		src, err := Open(context.Background(), "imap://alice@"+addr, Options{AllFolders: true, Resume: r,
			Password: staticPassword("pw"), Warn: func(w string) { t.Log(w) }})
		if err != nil {
			t.Fatal(err)
		}
		return drain(t, src)
	}
	var got []string
	for _, m := range open() {
		r.done[m.Origin.Key+" "+m.Origin.ID] = true
		at := m.Origin.Mailbox + "/" + m.Origin.ID
		if m.Err != nil {
			at += " failed"
		}
		got = append(got, at)
	}
	want := "INBOX/1 INBOX/2 INBOX/3 INBOX/4 INBOX/5 Spam/1 Spam/2 Spam/4 Spam/5 Spam/3 failed"
	if g := strings.Join(got, " "); g != want {
		t.Errorf("got %s\nwant %s", g, want)
	}
	if again := open(); len(again) != 0 {
		t.Errorf("resumed: %d messages", len(again))
	}
}

// checkFailedMessages scans n messages in each of the folders INBOX, Spam
// and Work from an imapScript whose poison answers poisoned ("folder/UID"
// to its answer), in batches of batch UIDs (0: the default), with
// default retries and without. read, failed and skipped are
// "folder/UID ..." and folders; cause is in each failed message's error.
func checkFailedMessages(t *testing.T, name string, n, batch int, poisoned map[string]string, read, failed, skipped, cause string) {
	t.Helper()
	for _, retries := range []int{0, -1} {
		s := imapScript{n: n, folders: []string{"INBOX", "Spam", "Work"}, poison: func(folder string, uid int) string {
			return poisoned[folder+"/"+strconv.Itoa(uid)]
		}}
		addr := s.serve(t)
		src, err := Open(context.Background(), "imap://alice@"+addr, Options{AllFolders: true, Retries: retries, BatchSize: batch,
			Timeout: 300 * time.Millisecond, Password: staticPassword("pw"), Warn: func(w string) { t.Log(name, retries, w) }})
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		start := time.Now()
		var gotRead, gotFailed []string
		for i, m := range drain(t, src) {
			at := m.Origin.Mailbox + "/" + strconv.Itoa(int(m.Origin.UID))
			if m.Err == nil {
				gotRead = append(gotRead, at)
				continue
			}
			gotFailed = append(gotFailed, at)
			e := m.Err.Error()
			if !errors.Is(m.Err, ErrProtocol) || !strings.Contains(e, fmt.Sprintf("%q UID %d", m.Origin.Mailbox, m.Origin.UID)) ||
				!strings.Contains(e, cause) || m.Origin.Index != i+1 || m.Origin.ID != strconv.Itoa(int(m.Origin.UID)) ||
				m.Origin.Key != "imap://alice@"+addr+"/"+m.Origin.Mailbox || m.Origin.UIDValidity != 7 {
				t.Errorf("%s: failed %+v: %v", name, m.Origin, m.Err)
			}
		}
		if d := time.Since(start); d > 15*time.Second {
			t.Errorf("%s: %v", name, d)
		}
		if got := strings.Join(gotRead, " "); got != read {
			t.Errorf("%s, retries %d: read %s\nwant %s", name, retries, got, read)
		}
		if got := strings.Join(gotFailed, " "); got != failed {
			t.Errorf("%s, retries %d: failed %q, want %q", name, retries, got, failed)
		}
		var gotSkipped []string
		for _, e := range src.(Problems).Problems() {
			if !errors.Is(e, ErrFolder) || !errors.Is(e, ErrProtocol) || strings.Count(e.Error(), ErrFolder.Error()) != 1 {
				t.Errorf("%s: problem %v", name, e)
			}
			gotSkipped = append(gotSkipped, strings.SplitN(e.Error(), `"`, 3)[1])
		}
		if got := strings.Join(gotSkipped, " "); got != skipped {
			t.Errorf("%s, retries %d: skipped %q, want %q", name, retries, got, skipped)
		}
		if total, _ := src.(Totaler).Total(); total != len(gotRead)+len(gotFailed) {
			t.Errorf("%s: total %d", name, total)
		}
	}
}

// uidList is "folder/UID ..." of uids.
func uidList(folder string, uids ...int) string {
	var b []string
	for _, u := range uids {
		b = append(b, folder+"/"+strconv.Itoa(u))
	}
	return strings.Join(b, " ")
}

// A UID FETCH that breaks the connection at the same message, when a login
// between the breaks failed (a network down, not the message), is retried:
// the place is forgotten, the message read in the end. A poisoned message
// reported failed counts as done: a resumed run reads nothing again.
func TestIMAPPoisonNetworkAndResume(t *testing.T) {
	flaky := func(cmd string, n int) bool {
		return cmd == "FETCH Spam 2" && n <= 3 || cmd == "LOGIN" && n == 2
	}
	addr := imapScript{n: 3, folders: []string{"INBOX", "Spam"}, hangUp: flaky}.serve(t)
	src, err := Open(context.Background(), "imap://alice@"+addr, Options{AllFolders: true, Password: staticPassword("pw")})
	if err != nil {
		t.Fatal(err)
	}
	for _, m := range drain(t, src) {
		if m.Err != nil {
			t.Errorf("failed: %v", m.Err)
		}
	}

	addr = imapScript{n: 3, folders: []string{"INBOX", "Spam"}, poison: func(folder string, uid int) string {
		if folder == "Spam" && uid == 2 {
			return "hang up"
		}
		return ""
	}}.serve(t)
	r := &memResume{uv: map[string]uint32{}, done: map[string]bool{}}
	open := func() ([]*Message, []string) {
		t.Helper()
		var warned []string
		src, err := Open(context.Background(), "imap://alice@"+addr, Options{AllFolders: true, Resume: r,
			Password: staticPassword("pw"), Warn: func(w string) { warned = append(warned, w) }})
		if err != nil {
			t.Fatal(err)
		}
		return drain(t, src), warned
	}
	first, _ := open()
	failed := 0
	for _, m := range first {
		r.done[m.Origin.Key+" "+m.Origin.ID] = true
		if m.Err != nil {
			failed++
		}
	}
	again, warned := open()
	if len(first) != 6 || failed != 1 || len(again) != 0 || len(warned) != 0 {
		t.Errorf("%d messages (%d failed), then %d (warnings %q)", len(first), failed, len(again), warned)
	}
}
