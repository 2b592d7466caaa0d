//go:build !linux

package main

import (
	"errors"
	"io"
	"os"
)

// promptPassword: no echo-free prompt on this platform without
// golang.org/x/term; the other credential sources remain.
func promptPassword(*os.File, io.Writer, string) (string, error) {
	return "", errors.New("no password prompt on this platform: set MAILTRACE_PASSWORD, or use --password-file or ~/.netrc")
}
