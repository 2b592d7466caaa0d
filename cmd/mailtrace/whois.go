package main

import (
	"errors"

	"github.com/spf13/cobra"
)

// newWhoisCmd: owned by the attribution work (issue 3).
func newWhoisCmd(s *streams) *cobra.Command {
	return &cobra.Command{Use: "whois IP...", Short: "Attribute IP addresses (not yet built)", Hidden: true,
		RunE: func(*cobra.Command, []string) error { return errors.New("whois: not yet built") }}
}
