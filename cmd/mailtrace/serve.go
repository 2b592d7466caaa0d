package main

import (
	"errors"

	"github.com/spf13/cobra"
)

// newServeCmd: owned by the web page work (issue 5).
func newServeCmd(s *streams) *cobra.Command {
	return &cobra.Command{Use: "serve", Short: "Serve the local web page (not yet built)", Hidden: true,
		RunE: func(*cobra.Command, []string) error { return errors.New("serve: not yet built") }}
}
