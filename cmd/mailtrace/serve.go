package main

import (
	"context"
	"errors"
	"fmt"
	"net"

	"github.com/spf13/cobra"

	"github.com/mailtrace/mailtrace/analyzer"
	"github.com/mailtrace/mailtrace/fetch"
	"github.com/mailtrace/mailtrace/report"
	"github.com/mailtrace/mailtrace/report/web"
)

type serveOptions struct {
	s *streams

	listen         string
	attrib         attribFlags
	lookup         string
	trust          []string
	authservIDs    []string
	maxBodyBytes   int64
	maxHeaderBytes int
	verify         bool
}

// newServeCmd: `mailtrace serve`, the local web page (report/web).
func newServeCmd(s *streams) *cobra.Command { return newServeCmdWith(s, nil) }

func newServeCmdWith(s *streams, runF func(context.Context, *serveOptions) error) *cobra.Command {
	opts := &serveOptions{s: s}
	cmd := &cobra.Command{
		Use:   "serve",
		Short: "Serve the local web page: paste headers, see the trace",
		Long: `Serve runs a web page on this machine: paste a message's headers or drop an
.eml file, and see every hop and whether it can be believed, the delays on a
timeline, the origin with its registry, network, owner, country and abuse
contact, the authentication results and the findings, and download the same
mailtrace/v1 JSON as 'mailtrace trace --json'.

The same report is available to programs: POST the raw message (or header
block) to /api/trace and read the JSON; GET /healthz answers "ok".

The page binds 127.0.0.1 by default and answers only to localhost. Binding
another address prints a warning: anyone who can reach it can then use the
page. Request bodies are limited (5 MiB by default; larger ones get 413), and
nothing pasted is stored or logged. With --verify each pasted message's DKIM
signatures and SPF are re-checked live through DNS (paste the whole message:
DKIM signs the body). Every asset is built in: the page works
without internet access. With --offline no registry is asked either: the
registry is named from the embedded IANA tables only.

The attribution flags are those of 'mailtrace trace' and 'mailtrace whois'
(--whois-host, --rdap, --geoip, --cache...).`,
		Example: `  # Serve on http://127.0.0.1:8025/ and open it in a browser
  mailtrace serve

  # No registry lookups at all
  mailtrace serve --offline

  # Re-check DKIM signatures and SPF live through DNS for each pasted message
  mailtrace serve --verify

  # RDAP instead of whois, with a GeoIP/ASN database
  mailtrace serve --rdap --geoip GeoLite2-City.mmdb

  # Another port; name our own relays so their hops count as ours
  mailtrace serve --listen 127.0.0.1:9000 --trust 203.0.113.0/24 --trust example.com

  # The JSON API
  curl --data-binary @message.eml http://127.0.0.1:8025/api/trace`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			opts.attrib.errOut = s.Err
			if runF != nil {
				return runF(cmd.Context(), opts)
			}
			return serveRun(cmd.Context(), opts)
		},
	}
	f := cmd.Flags()
	f.StringVar(&opts.listen, "listen", web.DefaultListen, "address to listen on, host:port (a non-loopback host is reachable by others)")
	f.StringVar(&opts.lookup, "lookup", report.LookupOrigin, "which addresses to attribute: origin, all or none")
	f.StringArrayVar(&opts.trust, "trust", nil, "the recipient's own infrastructure: a CIDR, an IP or a domain (repeatable)")
	f.StringArrayVar(&opts.authservIDs, "authserv-id", nil, "accept Authentication-Results from this authserv-id (repeatable)")
	f.Int64Var(&opts.maxBodyBytes, "max-body-bytes", web.DefaultMaxBodyBytes, "largest request body accepted (larger ones get 413)")
	f.IntVar(&opts.maxHeaderBytes, "max-header-bytes", fetch.DefaultMaxHeaderBytes, "largest header section read from one message")
	f.BoolVar(&opts.verify, "verify", false, "re-check DKIM signatures and SPF live through DNS (needs the network; paste the whole message)")
	opts.attrib.register(f)
	return cmd
}

func serveRun(ctx context.Context, o *serveOptions) error {
	nets, domains, err := parseTrust(o.trust)
	if err != nil {
		return err
	}
	if o.maxBodyBytes <= 0 || o.maxHeaderBytes <= 0 {
		return usageError{fmt.Errorf("--max-body-bytes and --max-header-bytes must be positive")}
	}
	switch o.lookup {
	case report.LookupOrigin, report.LookupAll, report.LookupNone:
	default:
		return usageError{fmt.Errorf("--lookup %q: want origin, all or none", o.lookup)}
	}
	ropts := report.Options{
		Analyzer: analyzer.Options{TrustNets: nets, TrustDomains: domains, AuthservIDs: o.authservIDs},
		Lookup:   o.lookup,
	}
	if o.verify {
		if o.attrib.offline {
			return usageError{errors.New("--verify needs the network; it cannot go with --offline")}
		}
		ropts.Verify, ropts.Resolver = true, net.DefaultResolver
	}
	if o.lookup != report.LookupNone {
		at, closeAt, err := o.attrib.attributor(ctx)
		if err != nil {
			return err
		}
		defer closeAt()
		ropts.Attributor = at
	}
	return web.ListenAndServe(ctx, web.ServeOptions{
		Listen: o.listen,
		Log:    o.s.Err,
		Config: web.Config{
			Report:         ropts,
			MaxBodyBytes:   o.maxBodyBytes,
			MaxHeaderBytes: o.maxHeaderBytes,
			Offline:        o.attrib.offline,
		},
	})
}
