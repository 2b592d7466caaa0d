package fetch

import (
	"bufio"
	"io"
	"strings"
)

// NetrcPassword finds the password for host (and user, when the entry
// names a login) in a .netrc file (the format of ftp(1) and curl): tokens
// "machine NAME", "default", "login NAME", "password SECRET", "account",
// and "macdef NAME" whose body runs to an empty line. The first matching
// machine wins, then "default". It returns the entry's login too.
func NetrcPassword(r io.Reader, host, user string) (login, password string, ok bool) {
	type entry struct {
		machine, login, password string
		isDefault                bool
	}
	var entries []entry
	var cur *entry
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 64<<10), 1<<20)
	var toks []string
	inMacro := false
	for sc.Scan() {
		line := sc.Text()
		if inMacro {
			if strings.TrimSpace(line) == "" {
				inMacro = false
			}
			continue
		}
		if strings.HasPrefix(strings.TrimSpace(line), "#") {
			continue
		}
		f := strings.Fields(line)
		for i := 0; i < len(f); i++ {
			if f[i] == "macdef" {
				toks = append(toks, f[:i]...)
				inMacro = true
				f = nil
				break
			}
		}
		toks = append(toks, f...)
	}
	for i := 0; i < len(toks); i++ {
		next := func() string {
			if i+1 < len(toks) {
				i++
				return toks[i]
			}
			return ""
		}
		switch toks[i] {
		case "machine":
			entries = append(entries, entry{machine: next()})
			cur = &entries[len(entries)-1]
		case "default":
			entries = append(entries, entry{isDefault: true})
			cur = &entries[len(entries)-1]
		case "login":
			if v := next(); cur != nil {
				cur.login = v
			}
		case "password":
			if v := next(); cur != nil {
				cur.password = v
			}
		case "account", "port":
			next()
		}
	}
	match := func(e entry) bool {
		return e.password != "" && (user == "" || e.login == "" || e.login == user)
	}
	for _, e := range entries {
		if !e.isDefault && strings.EqualFold(e.machine, host) && match(e) {
			return e.login, e.password, true
		}
	}
	for _, e := range entries {
		if e.isDefault && match(e) {
			return e.login, e.password, true
		}
	}
	return "", "", false
}
