// Package dovecot runs a real Dovecot (Debian's dovecot-imapd and
// dovecot-pop3d) for tests: no systemd, a self-contained configuration in a
// temporary directory, IMAP, IMAPS, POP3 and POP3S on 127.0.0.1 at free
// ports, a TLS certificate made at start, passwd-file users and Maildirs
// seeded before the first access. Stop is by the master's PID.
//
// The set-up follows ../shared/recipes/real-mail-servers.md, pitfalls
// included: daemons get </dev/null and a log file (never a pipe), the
// Maildirs are indexed with doveadm before any client sees them, mail is
// accessed as an unprivileged user, the directory is 0755.
package dovecot

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"fmt"
	"math/big"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"
)

// User is a mailbox owner and the folders seeded for it.
type User struct {
	Name     string // e.g. alice@example.test
	Password string
	Folders  []Folder
}

// Folder is an IMAP folder name ("INBOX", "Archive/2023", "Entwürfe") and
// its messages, oldest first.
type Folder struct {
	Name     string
	Messages []Seed
}

// Seed is one message to put in a Maildir.
type Seed struct {
	Raw   []byte
	Time  time.Time // delivery time: file name, mtime, INTERNALDATE
	Flags string    // Maildir info flags ("S", "FS", "RS"); "" and New: unseen in new/
	New   bool      // in new/ rather than cur/
}

// Server is a running Dovecot.
type Server struct {
	Dir       string // the temporary directory holding everything
	IMAP      string // host:port, plain (STARTTLS offered)
	IMAPS     string // host:port, implicit TLS
	POP3      string
	POP3S     string
	CAFile    string // the self-signed certificate, PEM: verify with it
	Users     []User
	conf      string
	proc      *os.Process
	exited    chan struct{}
	instance  string
	doveadm   string
	dovecotCm string
	tb        TB
}

// Binary finds the dovecot executable ("" when not installed).
func Binary() string {
	for _, p := range []string{"dovecot", "/usr/sbin/dovecot"} {
		if path, err := exec.LookPath(p); err == nil {
			return path
		}
	}
	return ""
}

// TB is the part of testing.TB the harness uses, so that a benchmark
// program can run it too.
type TB interface {
	Helper()
	Fatal(args ...any)
	Fatalf(format string, args ...any)
	Skip(args ...any)
	Logf(format string, args ...any)
	Cleanup(func())
	Failed() bool
}

var _ TB = testing.TB(nil)

// Start starts Dovecot for the users, or skips the test when Dovecot is not
// installed. It stops in t.Cleanup.
func Start(tb TB, users ...User) *Server {
	tb.Helper()
	bin := Binary()
	if bin == "" {
		tb.Skip("dovecot is not installed (apt-get install dovecot-imapd dovecot-pop3d; .ci/run does it): skipping the real-server test")
	}
	doveadm := filepath.Join(filepath.Dir(bin), "..", "bin", "doveadm")
	if p, err := exec.LookPath("doveadm"); err == nil {
		doveadm = p
	}
	dir, err := os.MkdirTemp("", "mailtrace-dovecot-")
	if err != nil {
		tb.Fatal(err)
	}
	// The mail user and Dovecot's own users must walk into it.
	if err := os.Chmod(dir, 0o755); err != nil {
		tb.Fatal(err)
	}
	s := &Server{Dir: dir, Users: users, dovecotCm: bin, doveadm: doveadm, tb: tb}
	tb.Cleanup(func() {
		s.Stop()
		if !tb.Failed() || os.Getenv("MAILTRACE_KEEP_DOVECOT") == "" {
			os.RemoveAll(dir)
		} else {
			tb.Logf("dovecot directory kept: %s", dir)
		}
	})
	ports, err := freePorts(4)
	if err != nil {
		tb.Fatal(err)
	}
	s.IMAP, s.IMAPS, s.POP3, s.POP3S = ports[0], ports[1], ports[2], ports[3]
	if err := s.setup(); err != nil {
		tb.Fatal(err)
	}
	if err := s.start(); err != nil {
		tb.Fatal(err)
	}
	for _, u := range users {
		// Pitfall 8: index the seeded Maildirs before any client access, so
		// UIDs follow the file names.
		if out, err := exec.Command(doveadm, "-c", s.conf, "mailbox", "status", "-u", u.Name, "messages uidnext", "*").CombinedOutput(); err != nil {
			tb.Fatalf("doveadm mailbox status: %v\n%s\n%s", err, out, s.Log())
		}
	}
	return s
}

// Maildir is the Maildir++ directory of a user's folder.
func (s *Server) Maildir(user, folder string) string {
	root := filepath.Join(s.Dir, "mail", user, "Maildir")
	if folder == "INBOX" || folder == "" {
		return root
	}
	return filepath.Join(root, "."+strings.ReplaceAll(encodeMUTF7(folder), "/", "."))
}

// Log returns Dovecot's log so far.
func (s *Server) Log() string {
	b, _ := os.ReadFile(filepath.Join(s.Dir, "log"))
	return string(b)
}

func freePorts(n int) ([]string, error) {
	var ls []net.Listener
	defer func() {
		for _, l := range ls {
			l.Close()
		}
	}()
	var out []string
	for range n {
		l, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			return nil, err
		}
		ls = append(ls, l)
		out = append(out, l.Addr().String())
	}
	return out, nil
}

func port(addr string) string {
	_, p, _ := net.SplitHostPort(addr)
	return p
}

func (s *Server) setup() error {
	for _, d := range []string{"run", "state", "ssl", "mail"} {
		if err := os.MkdirAll(filepath.Join(s.Dir, d), 0o755); err != nil {
			return err
		}
	}
	cert, key, err := selfSigned()
	if err != nil {
		return err
	}
	s.CAFile = filepath.Join(s.Dir, "ssl", "cert.pem")
	if err := os.WriteFile(s.CAFile, cert, 0o644); err != nil {
		return err
	}
	if err := os.WriteFile(filepath.Join(s.Dir, "ssl", "key.pem"), key, 0o600); err != nil {
		return err
	}
	var users strings.Builder
	for _, u := range s.Users {
		home := filepath.Join(s.Dir, "mail", u.Name)
		fmt.Fprintf(&users, "%s:{PLAIN}%s::::%s::\n", u.Name, u.Password, home)
		for _, f := range u.Folders {
			if err := writeMaildir(s.Maildir(u.Name, f.Name), f.Messages); err != nil {
				return err
			}
		}
		if err := writeSubscriptions(filepath.Join(home, "Maildir"), u.Folders); err != nil {
			return err
		}
	}
	if err := os.WriteFile(filepath.Join(s.Dir, "users"), []byte(users.String()), 0o644); err != nil {
		return err
	}
	root := os.Geteuid() == 0
	var mailUser string
	if root {
		// Pitfall 9: mail cannot be accessed as root; nobody owns it.
		mailUser = "mail_uid = 65534\nmail_gid = 65534\nfirst_valid_uid = 1\n"
		if err := chownTree(filepath.Join(s.Dir, "mail"), 65534, 65534); err != nil {
			return err
		}
	} else {
		mailUser = fmt.Sprintf(`default_internal_user = %[1]s
default_internal_group = %[2]s
default_login_user = %[1]s
service anvil {
  chroot =
}
service imap-login {
  chroot =
}
service pop3-login {
  chroot =
}
`, currentUser(), currentGroup())
	}
	s.conf = filepath.Join(s.Dir, "dovecot.conf")
	s.instance = "mailtrace-test-" + filepath.Base(s.Dir)
	conf := fmt.Sprintf(`# mailtrace test Dovecot: loopback only, everything under one directory
protocols = imap pop3
listen = 127.0.0.1
base_dir = %[1]s/run
state_dir = %[1]s/state
instance_name = %[2]s
log_path = %[1]s/log
hostname = imap.example.test
ssl = yes
ssl_cert = <%[1]s/ssl/cert.pem
ssl_key = <%[1]s/ssl/key.pem
ssl_dh = </usr/share/dovecot/dh.pem
disable_plaintext_auth = no
auth_mechanisms = plain login
auth_failure_delay = 0
shutdown_clients = yes
mail_location = maildir:~/Maildir
%[3]s
passdb {
  driver = passwd-file
  args = scheme=PLAIN username_format=%%u %[1]s/users
}
userdb {
  driver = passwd-file
  args = username_format=%%u %[1]s/users
}
namespace inbox {
  inbox = yes
  separator = /
  mailbox Archive {
    special_use = \Archive
  }
  mailbox Spam {
    special_use = \Junk
  }
}
service imap-login {
  inet_listener imap {
    address = 127.0.0.1
    port = %[4]s
  }
  inet_listener imaps {
    address = 127.0.0.1
    port = %[5]s
    ssl = yes
  }
}
service pop3-login {
  inet_listener pop3 {
    address = 127.0.0.1
    port = %[6]s
  }
  inet_listener pop3s {
    address = 127.0.0.1
    port = %[7]s
    ssl = yes
  }
}
`, s.Dir, s.instance, mailUser, port(s.IMAP), port(s.IMAPS), port(s.POP3), port(s.POP3S))
	return os.WriteFile(s.conf, []byte(conf), 0o644)
}

// start runs the master in the foreground (-F) as our child, with
// </dev/null >>log 2>&1 (pitfall 7: never a pipe, Dovecot keeps it open),
// and waits for the listeners. On Linux the master gets SIGTERM if the
// test binary dies (a timeout, a crash), so no daemon is left behind.
func (s *Server) start() error {
	logf, err := os.OpenFile(filepath.Join(s.Dir, "log"), os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o644)
	if err != nil {
		return err
	}
	defer logf.Close()
	cmd := exec.Command(s.dovecotCm, "-F", "-c", s.conf)
	cmd.Stdin = nil // /dev/null
	cmd.Stdout, cmd.Stderr = logf, logf
	cmd.SysProcAttr = sysProcAttr()
	if err := cmd.Start(); err != nil {
		return fmt.Errorf("dovecot: %w", err)
	}
	exited := make(chan struct{})
	go func() { cmd.Wait(); close(exited) }()
	s.proc, s.exited = cmd.Process, exited
	deadline := time.Now().Add(10 * time.Second)
	for _, addr := range []string{s.IMAP, s.IMAPS, s.POP3, s.POP3S} {
		for {
			c, err := net.DialTimeout("tcp", addr, time.Second)
			if err == nil {
				c.Close()
				break
			}
			select {
			case <-exited:
				s.proc = nil
				return fmt.Errorf("dovecot exited at start\n%s", s.Log())
			default:
			}
			if time.Now().After(deadline) {
				s.Stop()
				return fmt.Errorf("dovecot: %s not listening: %w\n%s", addr, err, s.Log())
			}
			time.Sleep(20 * time.Millisecond)
		}
	}
	return nil
}

// Stop stops the master by its PID (SIGTERM), waits for it, then ends
// the processes it had started that outlive it (Dovecot 2.3 leaves imap
// and pop3 processes with their clients, and its log process, running
// after the master exits): a stopped server drops its connections, as a
// restarted one does.
func (s *Server) Stop() {
	if s.proc == nil {
		return
	}
	children := descendants(s.proc.Pid)
	s.proc.Signal(syscall.SIGTERM)
	select {
	case <-s.exited:
	case <-time.After(8 * time.Second):
		s.proc.Kill()
		<-s.exited
	}
	s.proc = nil
	marker := "dovecot-" + s.instance + "/"
	for _, pid := range children {
		if p, err := os.FindProcess(pid); err == nil && strings.Contains(cmdline(pid), marker) {
			p.Signal(syscall.SIGKILL)
		}
	}
}

// descendants lists the PIDs below pid (Linux /proc; none elsewhere).
func descendants(pid int) []int {
	ents, err := os.ReadDir("/proc")
	if err != nil {
		return nil
	}
	parent := map[int]int{}
	for _, e := range ents {
		n, err := strconv.Atoi(e.Name())
		if err != nil {
			continue
		}
		b, err := os.ReadFile("/proc/" + e.Name() + "/stat")
		if err != nil {
			continue
		}
		// pid (comm) state ppid ...: comm may hold spaces; fields follow the last ')'.
		i := strings.LastIndexByte(string(b), ')')
		if i < 0 {
			continue
		}
		f := strings.Fields(string(b[i+1:]))
		if len(f) < 2 {
			continue
		}
		if pp, err := strconv.Atoi(f[1]); err == nil {
			parent[n] = pp
		}
	}
	var out []int
	want := map[int]bool{pid: true}
	for changed := true; changed; {
		changed = false
		for c, pp := range parent {
			if want[pp] && !want[c] {
				want[c] = true
				out = append(out, c)
				changed = true
			}
		}
	}
	return out
}

func cmdline(pid int) string {
	b, _ := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/cmdline")
	return string(b)
}

// Restart stops and starts the same server (same ports, same mail).
func (s *Server) Restart() error {
	s.Stop()
	var err error
	for range 50 { // the ports may linger briefly
		if err = s.start(); err == nil {
			return nil
		}
		time.Sleep(100 * time.Millisecond)
	}
	return err
}

func selfSigned() (certPEM, keyPEM []byte, err error) {
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return nil, nil, err
	}
	tmpl := &x509.Certificate{
		SerialNumber:          big.NewInt(time.Now().UnixNano()),
		Subject:               pkix.Name{CommonName: "imap.example.test"},
		NotBefore:             time.Now().Add(-time.Hour),
		NotAfter:              time.Now().Add(24 * time.Hour),
		DNSNames:              []string{"imap.example.test", "localhost"},
		IPAddresses:           []net.IP{net.IPv4(127, 0, 0, 1), net.IPv6loopback},
		KeyUsage:              x509.KeyUsageDigitalSignature | x509.KeyUsageCertSign,
		ExtKeyUsage:           []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
		BasicConstraintsValid: true,
		IsCA:                  true,
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		return nil, nil, err
	}
	kder, err := x509.MarshalPKCS8PrivateKey(key)
	if err != nil {
		return nil, nil, err
	}
	return pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}),
		pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: kder}), nil
}

// writeMaildir writes the messages as files named by delivery time, with
// that time as mtime (Dovecot's INTERNALDATE) and the given flags.
func writeMaildir(dir string, msgs []Seed) error {
	for _, sub := range []string{"cur", "new", "tmp"} {
		if err := os.MkdirAll(filepath.Join(dir, sub), 0o755); err != nil {
			return err
		}
	}
	for i, m := range msgs {
		base := fmt.Sprintf("%d.M%06dP%d.mailtrace-seed", m.Time.Unix(), i, 4242)
		p := filepath.Join(dir, "cur", base+":2,"+m.Flags)
		if m.New {
			p = filepath.Join(dir, "new", base)
		}
		if err := os.WriteFile(p, m.Raw, 0o644); err != nil {
			return err
		}
		if err := os.Chtimes(p, m.Time, m.Time); err != nil {
			return err
		}
	}
	return nil
}

// writeSubscriptions lists the folders with the storage separator '.'
// (pitfall 9).
func writeSubscriptions(root string, folders []Folder) error {
	if err := os.MkdirAll(root, 0o755); err != nil {
		return err
	}
	var b strings.Builder
	for _, f := range folders {
		if f.Name != "INBOX" {
			b.WriteString(strings.ReplaceAll(encodeMUTF7(f.Name), "/", ".") + "\n")
		}
	}
	return os.WriteFile(filepath.Join(root, "subscriptions"), []byte(b.String()), 0o644)
}

func chownTree(root string, uid, gid int) error {
	return filepath.Walk(root, func(p string, _ os.FileInfo, err error) error {
		if err != nil {
			return err
		}
		return os.Lchown(p, uid, gid)
	})
}

func currentUser() string {
	if u := os.Getenv("USER"); u != "" {
		return u
	}
	return strconv.Itoa(os.Getuid())
}

func currentGroup() string {
	out, err := exec.Command("id", "-gn").Output()
	if err != nil {
		return strconv.Itoa(os.Getgid())
	}
	return strings.TrimSpace(string(out))
}

// encodeMUTF7 encodes a folder name in IMAP's modified UTF-7 (RFC 3501
// §5.1.3), as Dovecot stores it in Maildir++ names.
func encodeMUTF7(s string) string {
	var b strings.Builder
	var run []rune
	flush := func() {
		if len(run) == 0 {
			return
		}
		var u16 []byte
		for _, r := range run {
			if r >= 0x10000 {
				r -= 0x10000
				hi, lo := 0xD800+(r>>10), 0xDC00+(r&0x3FF)
				u16 = append(u16, byte(hi>>8), byte(hi), byte(lo>>8), byte(lo))
				continue
			}
			u16 = append(u16, byte(r>>8), byte(r))
		}
		const alpha = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+,"
		b.WriteByte('&')
		for i := 0; i < len(u16); i += 3 {
			var chunk [3]byte
			n := copy(chunk[:], u16[i:])
			v := uint(chunk[0])<<16 | uint(chunk[1])<<8 | uint(chunk[2])
			for j := 0; j < (n*8+5)/6; j++ {
				b.WriteByte(alpha[(v>>(18-6*j))&0x3F])
			}
		}
		b.WriteByte('-')
		run = run[:0]
	}
	for _, r := range s {
		switch {
		case r == '&':
			flush()
			b.WriteString("&-")
		case r >= 0x20 && r <= 0x7e:
			flush()
			b.WriteRune(r)
		default:
			run = append(run, r)
		}
	}
	flush()
	return b.String()
}
