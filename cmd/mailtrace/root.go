package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/signal"
	"syscall"

	"github.com/spf13/cobra"
)

// Exit codes, decided in one place (exitCode).
const (
	exitOK        = 0   // every input traced
	exitPartial   = 1   // some inputs failed; the others were reported
	exitUsage     = 2   // bad flags or arguments
	exitCancelled = 130 // interrupted (Ctrl-C)
)

// errPartial marks a run in which some inputs failed but others were reported.
var errPartial = errors.New("some inputs failed")

// usageError marks a bad invocation.
type usageError struct{ err error }

func (e usageError) Error() string { return e.err.Error() }
func (e usageError) Unwrap() error { return e.err }

// streams are the command's I/O, swapped in tests.
type streams struct {
	In     io.Reader
	Out    io.Writer
	Err    io.Writer
	InTTY  bool // stdin is a terminal
	OutTTY bool // stdout is a terminal (colour, tables)
	ErrTTY bool // stderr is a terminal (progress)
}

func defaultStreams() *streams {
	return &streams{In: os.Stdin, Out: os.Stdout, Err: os.Stderr,
		InTTY: isTerminal(os.Stdin), OutTTY: isTerminal(os.Stdout), ErrTTY: isTerminal(os.Stderr)}
}

func isTerminal(f *os.File) bool {
	fi, err := f.Stat()
	return err == nil && fi.Mode()&os.ModeCharDevice != 0
}

// Main runs the command line and returns the process exit code.
func Main(args []string, s *streams) int {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	return mainContext(ctx, args, s)
}

// mainContext is Main under ctx: its end is Ctrl-C (tests end it instead).
func mainContext(ctx context.Context, args []string, s *streams) int {
	root := newRootCmd(s)
	root.SetArgs(args)
	err := root.ExecuteContext(ctx)
	return exitCode(ctx, err, s)
}

func exitCode(ctx context.Context, err error, s *streams) int {
	switch {
	case err == nil:
		return exitOK
	case ctx.Err() != nil || errors.Is(err, context.Canceled):
		fmt.Fprintln(s.Err, "mailtrace: interrupted")
		return exitCancelled
	case errors.Is(err, errPartial):
		fmt.Fprintln(s.Err, "mailtrace:", err)
		return exitPartial
	}
	var ue usageError
	if errors.As(err, &ue) {
		fmt.Fprintln(s.Err, "mailtrace:", err)
		fmt.Fprintln(s.Err, "Run 'mailtrace --help' for usage.")
		return exitUsage
	}
	fmt.Fprintln(s.Err, "mailtrace:", err)
	return exitPartial
}

func newRootCmd(s *streams) *cobra.Command {
	root := &cobra.Command{
		Use:   "mailtrace",
		Short: "Trace where an email came from",
		Long: `mailtrace reads raw messages (a pasted header block, .eml files, mbox,
Maildir, IMAP, POP3; always read-only), orders their Received hops oldest
first with UTC times and delays, tells which hops the recipient's own servers
wrote and which can be believed, finds the entry and origin IPs, and says which
registry, network, owner and abuse contact hold the origin.`,
		Version:       versionString(),
		SilenceUsage:  true,
		SilenceErrors: true,
	}
	root.SetIn(s.In)
	root.SetOut(s.Out)
	root.SetErr(s.Err)
	root.SetFlagErrorFunc(func(_ *cobra.Command, err error) error { return usageError{err} })
	root.AddCommand(newTraceCmd(s, nil), newWhoisCmd(s), newScanCmd(s), newServeCmd(s), newDocsCmd(s))
	return root
}
