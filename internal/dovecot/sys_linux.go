package dovecot

import "syscall"

// sysProcAttr: the kernel sends SIGTERM to Dovecot's master when the test
// process dies.
func sysProcAttr() *syscall.SysProcAttr {
	return &syscall.SysProcAttr{Pdeathsig: syscall.SIGTERM}
}
