package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/netip"
	"os"
	"slices"
	"strings"

	"github.com/spf13/cobra"

	"github.com/mailtrace/mailtrace/analyzer"
	"github.com/mailtrace/mailtrace/fetch"
	"github.com/mailtrace/mailtrace/report"
)

type traceOptions struct {
	s *streams

	inputs         []string
	format         string
	json           bool
	trust          []string
	authservIDs    []string
	lookup         string
	maxHeaderBytes int
	color          string
	verbose        bool
	verify         bool
	attrib         attribFlags
}

func newTraceCmd(s *streams, runF func(context.Context, *traceOptions) error) *cobra.Command {
	opts := &traceOptions{s: s}
	cmd := &cobra.Command{
		Use:   "trace [FILE|-]...",
		Short: "Trace messages or pasted headers",
		Long: `Trace reads messages (an .eml file, a bare or pasted header block, an mbox,
a Maildir, a directory of .eml files, or standard input) and reports each
one's route: the Received hops oldest first with UTC times and signed delays,
which hops the recipient's own servers wrote ("recipient"), which were written
by relays outside ("external") and which do not add up ("suspect"), the entry
IP that handed the message over, the origin IP that sent it, and findings.

With no FILE, or when FILE is -, trace reads standard input.

Exit status: 0 when every input was traced, 1 when some failed (the others
are still reported), 2 for usage errors.`,
		Example: `  # Trace a saved message, offline (no registry lookups)
  mailtrace trace --offline message.eml

  # Paste headers: run, paste, then press Ctrl-D
  mailtrace trace

  # A JSON report for a pipeline
  mailtrace trace --format json message.eml | jq .origin

  # Every message of an mbox as JSON Lines, naming our own relays
  mailtrace trace --format jsonl --trust 203.0.113.0/24 --trust example.com mail.mbox`,
		RunE: func(cmd *cobra.Command, args []string) error {
			opts.inputs = args
			if opts.json {
				opts.format = report.FormatJSON
			}
			if runF != nil {
				return runF(cmd.Context(), opts)
			}
			return traceRun(cmd.Context(), opts)
		},
	}
	f := cmd.Flags()
	f.StringVarP(&opts.format, "format", "f", report.FormatText, "output format: text, json or jsonl")
	f.BoolVar(&opts.json, "json", false, "shortcut for --format json")
	f.StringArrayVar(&opts.trust, "trust", nil, "the recipient's own infrastructure: a CIDR, an IP or a domain (repeatable)")
	f.StringArrayVar(&opts.authservIDs, "authserv-id", nil, "accept Authentication-Results from this authserv-id (repeatable)")
	f.StringVar(&opts.lookup, "lookup", report.LookupOrigin, "which addresses to attribute: origin, all or none")
	f.IntVar(&opts.maxHeaderBytes, "max-header-bytes", fetch.DefaultMaxHeaderBytes, "largest header section read from one message")
	f.StringVar(&opts.color, "color", "auto", "colour the text report: auto, always or never (NO_COLOR is honoured)")
	f.BoolVarP(&opts.verbose, "verbose", "v", false, "text report: show each hop's raw Received field")
	f.BoolVar(&opts.verify, "verify", false, "re-check DKIM signatures and SPF live through DNS (needs the network)")
	opts.attrib.register(f)
	return cmd
}

// parseTrust splits --trust values into networks and domains.
func parseTrust(values []string) (nets []netip.Prefix, domains []string, err error) {
	for _, v := range values {
		v = strings.TrimSpace(v)
		if p, err := netip.ParsePrefix(v); err == nil {
			nets = append(nets, p.Masked())
			continue
		}
		if a, err := netip.ParseAddr(v); err == nil {
			nets = append(nets, netip.PrefixFrom(a, a.BitLen()))
			continue
		}
		d := strings.ToLower(strings.Trim(v, "."))
		if d == "" || strings.ContainsAny(d, " /:@[]") {
			return nil, nil, usageError{fmt.Errorf("--trust %q: want a CIDR, an IP address or a domain", v)}
		}
		domains = append(domains, d)
	}
	return nets, domains, nil
}

// reportOptions turns the shared flags into report options.
func (o *traceOptions) reportOptions() (report.Options, error) {
	nets, domains, err := parseTrust(o.trust)
	if err != nil {
		return report.Options{}, err
	}
	switch o.lookup {
	case report.LookupOrigin, report.LookupAll, report.LookupNone:
	default:
		return report.Options{}, usageError{fmt.Errorf("--lookup %q: want origin, all or none", o.lookup)}
	}
	return report.Options{
		Analyzer: analyzer.Options{TrustNets: nets, TrustDomains: domains, AuthservIDs: o.authservIDs},
		Lookup:   o.lookup,
	}, nil
}

func traceRun(ctx context.Context, o *traceOptions) error {
	switch o.format {
	case report.FormatText, report.FormatJSON, report.FormatJSONL:
	default:
		return usageError{fmt.Errorf("--format %q: want text, json or jsonl", o.format)}
	}
	ropts, err := o.reportOptions()
	if err != nil {
		return err
	}
	if o.verify {
		if o.attrib.offline {
			return usageError{errors.New("--verify needs the network; it cannot go with --offline")}
		}
		ropts.Verify, ropts.Resolver = true, net.DefaultResolver
	}
	if ropts.Lookup != report.LookupNone {
		o.attrib.errOut = o.s.Err
		at, closeAt, err := o.attrib.attributor(ctx)
		if err != nil {
			return err
		}
		defer closeAt()
		ropts.Attributor = at
	}
	if len(o.inputs) == 0 {
		o.inputs = []string{"-"}
	}
	if o.s.InTTY && slices.Contains(o.inputs, "-") && o.format == report.FormatText {
		fmt.Fprintln(o.s.Err, "Paste the message headers, then press Ctrl-D (Ctrl-Z then Enter on Windows).")
	}
	out := newTraceOutput(o)
	failed := 0
	for _, in := range o.inputs {
		n, err := traceInput(ctx, in, o, ropts, out)
		failed += n
		if err != nil {
			if ctx.Err() != nil {
				return ctx.Err()
			}
			failed++
			fmt.Fprintf(o.s.Err, "mailtrace: %s: %v\n", in, err)
		}
	}
	if err := out.close(); err != nil {
		return err
	}
	if failed > 0 {
		return fmt.Errorf("%d input(s) or message(s) could not be traced: %w", failed, errPartial)
	}
	return nil
}

// traceInput traces every message of one input and returns how many failed.
func traceInput(ctx context.Context, spec string, o *traceOptions, ropts report.Options, out *traceOutput) (int, error) {
	src, err := fetch.Open(ctx, spec, fetch.Options{Stdin: o.s.In, MaxHeaderBytes: o.maxHeaderBytes, KeepBody: o.verify})
	if err != nil {
		return 0, err
	}
	defer src.Close()
	failed := 0
	for {
		msg, err := src.Next(ctx)
		if errors.Is(err, io.EOF) {
			return failed, nil
		}
		if err != nil {
			return failed, err
		}
		r := report.Build(ctx, msg, ropts)
		if msg.Err != nil {
			failed++
			fmt.Fprintf(o.s.Err, "mailtrace: %s: %v\n", report.Clean(describe(msg.Origin)), msg.Err)
		}
		if err := out.write(r); err != nil {
			return failed, err
		}
	}
}

func describe(o fetch.Origin) string {
	if o.Index > 1 || o.Kind == fetch.KindMbox || o.Kind == fetch.KindMaildir {
		return fmt.Sprintf("%s #%d", o.Name, o.Index)
	}
	return o.Name
}

// traceOutput writes reports in the chosen format as they come: text
// reports separated by a rule, JSON (one object; an array streamed element by
// element when there are several, so memory stays flat), or JSON Lines.
type traceOutput struct {
	o       *traceOptions
	jsonl   *report.JSONLWriter
	pending *report.Report // JSON: the first report, held until a second shows it is an array
	n       int
	style   report.TextStyle
}

func newTraceOutput(o *traceOptions) *traceOutput {
	t := &traceOutput{o: o, jsonl: report.NewJSONLWriter(o.s.Out)}
	t.style = report.TextStyle{Color: useColor(o.color, o.s.OutTTY), Raw: o.verbose}
	return t
}

func useColor(mode string, tty bool) bool {
	switch mode {
	case "always":
		return true
	case "never":
		return false
	}
	return tty && os.Getenv("NO_COLOR") == "" && os.Getenv("TERM") != "dumb"
}

func (t *traceOutput) write(r *report.Report) error {
	t.n++
	out := t.o.s.Out
	switch t.o.format {
	case report.FormatJSONL:
		return t.jsonl.Write(r)
	case report.FormatJSON:
		switch t.n {
		case 1:
			t.pending = r
			return nil
		case 2:
			if _, err := io.WriteString(out, "[\n"); err != nil {
				return err
			}
			if err := report.WriteJSON(out, t.pending); err != nil {
				return err
			}
			t.pending = nil
		}
		if _, err := io.WriteString(out, ",\n"); err != nil {
			return err
		}
		return report.WriteJSON(out, r)
	}
	if t.n > 1 {
		fmt.Fprintf(out, "\n%s\n\n", strings.Repeat("─", 72))
	}
	return report.WriteText(out, r, t.style)
}

func (t *traceOutput) close() error {
	if t.o.format != report.FormatJSON {
		return nil
	}
	if t.pending != nil {
		return report.WriteJSON(t.o.s.Out, t.pending)
	}
	if t.n > 1 {
		_, err := io.WriteString(t.o.s.Out, "]\n")
		return err
	}
	return nil
}
