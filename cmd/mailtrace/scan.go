package main

import (
	"errors"

	"github.com/spf13/cobra"
)

// newScanCmd: owned by the mailbox scan work (issue 4).
func newScanCmd(s *streams) *cobra.Command {
	return &cobra.Command{Use: "scan SOURCE...", Short: "Scan a mailbox (not yet built)", Hidden: true,
		RunE: func(*cobra.Command, []string) error { return errors.New("scan: not yet built") }}
}
