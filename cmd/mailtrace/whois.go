package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/netip"
	"strings"

	"github.com/spf13/cobra"

	"github.com/mailtrace/mailtrace/report"
)

type whoisOptions struct {
	s      *streams
	attrib attribFlags

	ips    []string
	format string
	json   bool
}

func newWhoisCmd(s *streams) *cobra.Command {
	opts := &whoisOptions{s: s}
	cmd := &cobra.Command{
		Use:   "whois IP...",
		Short: "Attribute IP addresses: registry, network, owner, country, ASN, abuse contact",
		Long: `whois says who holds each IP address: the Regional Internet Registry
(named offline from the embedded IANA tables), then the registry's answer
(whois, following referrals from IANA, ARIN, APNIC to JPNIC/KRNIC, LACNIC to
NIC.br, rwhois; or RDAP with --rdap): the network's CIDR, name, handle,
owner, country and abuse address. ASN and location come from MaxMind-format
databases when one is found (--geoip, or the usual places).

Answers are cached on disk by network, so any address inside a network seen
before is answered without a query; every registry server is kept below its
published query limits. Special-purpose addresses (private, loopback,
documentation...) are never looked up.

Exit status: 0 when every address was attributed, 1 when some were not (each
is still printed, with its error), 2 for usage errors.`,
		Example: `  # Who holds an address (whois, with referrals)
  mailtrace whois 198.51.100.7

  # Several, as JSON (one object per line), with the raw registry answers
  mailtrace whois --json --raw 192.0.2.1 2001:db8::1

  # Offline: name the registry only, send nothing
  mailtrace whois --offline 203.0.113.9

  # RDAP instead of whois, with a GeoLite2 database
  mailtrace whois --rdap --geoip GeoLite2-City.mmdb 198.51.100.7

  # Send ARIN's queries to a local whois proxy
  mailtrace whois --whois-host whois.arin.net=127.0.0.1:4343 198.51.100.7`,
		Args: func(_ *cobra.Command, args []string) error {
			if len(args) == 0 {
				return usageError{errors.New("whois: give at least one IP address")}
			}
			return nil
		},
		RunE: func(cmd *cobra.Command, args []string) error {
			opts.ips = args
			if opts.json {
				opts.format = "json"
			}
			opts.attrib.errOut = s.Err
			return whoisRun(cmd.Context(), opts)
		},
	}
	f := cmd.Flags()
	f.StringVarP(&opts.format, "format", "f", "text", "output format: text or json (one object per line)")
	f.BoolVar(&opts.json, "json", false, "shortcut for --format json")
	opts.attrib.register(f)
	return cmd
}

func whoisRun(ctx context.Context, opts *whoisOptions) error {
	switch opts.format {
	case "text", "json":
	default:
		return usageError{fmt.Errorf("--format %q: want text or json", opts.format)}
	}
	addrs := make([]netip.Addr, 0, len(opts.ips))
	for _, v := range opts.ips {
		a, err := netip.ParseAddr(strings.Trim(strings.TrimSpace(v), "[]"))
		if err != nil {
			return usageError{fmt.Errorf("whois: %q is not an IP address", v)}
		}
		addrs = append(addrs, a.Unmap())
	}
	at, closeAt, err := opts.attrib.attributor(ctx)
	if err != nil {
		return err
	}
	defer closeAt()
	enc := json.NewEncoder(opts.s.Out)
	enc.SetEscapeHTML(false)
	failed := 0
	for i, a := range addrs {
		if err := ctx.Err(); err != nil {
			return err
		}
		r := at.Attribute(ctx, a)
		if r.Error != "" {
			failed++
		}
		if opts.format == "json" {
			if err := enc.Encode(r); err != nil {
				return err
			}
			continue
		}
		if i > 0 {
			fmt.Fprintln(opts.s.Out)
		}
		if err := report.WriteAttribution(opts.s.Out, &r, report.TextStyle{}); err != nil {
			return err
		}
	}
	if failed > 0 {
		return fmt.Errorf("%w: %d of %d addresses not fully attributed", errPartial, failed, len(addrs))
	}
	return nil
}
