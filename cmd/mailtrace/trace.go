package main

import (
	"github.com/spf13/cobra"
)

type traceOptions struct {
	s     *streams
	files []string
}

func newTraceCmd(s *streams, runF func(*traceOptions) error) *cobra.Command {
	opts := &traceOptions{s: s}
	cmd := &cobra.Command{
		Use:   "trace [FILE|-]...",
		Short: "Trace messages or pasted headers",
		RunE: func(cmd *cobra.Command, args []string) error {
			opts.files = args
			if runF != nil {
				return runF(opts)
			}
			return traceRun(opts)
		},
	}
	return cmd
}

func traceRun(opts *traceOptions) error { return nil }
