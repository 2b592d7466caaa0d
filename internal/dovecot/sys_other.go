//go:build !linux

package dovecot

import "syscall"

func sysProcAttr() *syscall.SysProcAttr { return nil }
