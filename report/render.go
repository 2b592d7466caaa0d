package report

import (
	"encoding/json"
	"fmt"
	"io"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/mailtrace/mailtrace/report/attrib"
)

// Formats accepted by --format.
const (
	FormatText  = "text"
	FormatJSON  = "json"
	FormatJSONL = "jsonl"
)

// WriteJSON writes one report as indented JSON.
func WriteJSON(w io.Writer, v any) error {
	enc := json.NewEncoder(w)
	enc.SetEscapeHTML(false)
	enc.SetIndent("", "  ")
	if err := enc.Encode(v); err != nil {
		return fmt.Errorf("report: writing JSON: %w", err)
	}
	return nil
}

// JSONLWriter writes one compact JSON object per line, byte for byte what a
// json.Encoder with SetEscapeHTML(false) writes, through appendReport (no
// reflection). It is not safe for concurrent use: the bulk pipeline has one
// writer goroutine.
type JSONLWriter struct {
	w   io.Writer
	err error // the first write error, returned ever after as json.Encoder does
}

// NewJSONLWriter returns a writer of JSON Lines to w.
func NewJSONLWriter(w io.Writer) *JSONLWriter {
	return &JSONLWriter{w: w}
}

// jsonlBufs holds JSONLWriter's line buffers. (Scan renders a batch's
// lines into the batch's own buffer.)
var jsonlBufs = sync.Pool{New: func() any { b := make([]byte, 0, 16<<10); return &b }}

// maxPooledLine is the largest buffer put back in jsonlBufs: the odd
// megabyte line of a hostile message is left to the garbage collector.
const maxPooledLine = 256 << 10

// Write writes one report as a line, in a single Write call to the
// underlying writer: a line is written whole or not at all.
func (j *JSONLWriter) Write(r *Report) error {
	if j.err != nil {
		return fmt.Errorf("report: writing JSON line: %w", j.err)
	}
	p := jsonlBufs.Get().(*[]byte)
	b, err := appendReport((*p)[:0], r)
	if err == nil {
		if _, err = j.w.Write(b); err != nil {
			j.err = err
		}
	}
	if cap(b) <= maxPooledLine {
		*p = b
		jsonlBufs.Put(p)
	}
	if err != nil {
		return fmt.Errorf("report: writing JSON line: %w", err)
	}
	return nil
}

// TextStyle tunes the text renderer.
type TextStyle struct {
	Color bool // ANSI colours (only on a terminal, never with NO_COLOR)
	Width int  // terminal width for the hop table; 0 means 120
	Raw   bool // show each hop's raw Received text under the table
}

const (
	ansiReset  = "\x1b[0m"
	ansiBold   = "\x1b[1m"
	ansiDim    = "\x1b[2m"
	ansiRed    = "\x1b[31m"
	ansiGreen  = "\x1b[32m"
	ansiYellow = "\x1b[33m"
	ansiCyan   = "\x1b[36m"
)

type textWriter struct {
	w     io.Writer
	style TextStyle
	err   error
}

func (t *textWriter) printf(format string, args ...any) {
	if t.err == nil {
		_, t.err = fmt.Fprintf(t.w, format, args...)
	}
}

func (t *textWriter) color(code, s string) string {
	if !t.style.Color || code == "" {
		return s
	}
	return code + s + ansiReset
}

// WriteText renders a report for people: the message, a hop table oldest
// first, entry, origin with its attribution, client IP and findings.
// Every string from input goes through Clean.
func WriteText(w io.Writer, r *Report, style TextStyle) error {
	t := &textWriter{w: w, style: style}
	label := func(name, value string) {
		if value != "" {
			t.printf("%s %s\n", t.color(ansiBold, fmt.Sprintf("%-9s", name)), Clean(value))
		}
	}
	label("Source", sourceText(r.Source))
	if r.Error != "" {
		t.printf("%s %s\n", t.color(ansiRed, fmt.Sprintf("%-9s", "Error")), Clean(r.Error))
	}
	m := r.Message
	label("From", m.From)
	label("To", strings.Join(m.To, ", "))
	label("Subject", m.Subject)
	if m.Date != nil {
		label("Date", *m.Date)
	} else {
		label("Date", m.DateRaw)
	}
	label("Message", m.MessageID)
	t.printf("\n")
	t.hopTable(r.Hops)
	t.printf("\n")
	if r.TotalDelaySeconds != nil {
		label("Transit", formatDelay(*r.TotalDelaySeconds, false))
	}
	if r.Entry != nil {
		label("Entry", fmt.Sprintf("%s (hop %d): handed the message to the recipient's servers", r.Entry.IP, r.Entry.Hop))
	}
	if r.Origin != nil {
		label("Origin", fmt.Sprintf("%s (hop %d): %s", r.Origin.IP, r.Origin.Hop, r.Origin.Reason))
	} else {
		label("Origin", "none found")
	}
	if a := r.Attribution; a != nil {
		t.attribution(a)
	}
	if r.ClientIP != nil {
		label("Client", fmt.Sprintf("%s (from %s)", r.ClientIP.IP, r.ClientIP.Header))
	}
	if a := r.Auth; a != nil {
		t.auth(a)
	}
	if len(r.Findings) > 0 {
		t.printf("\n%s\n", t.color(ansiBold, "Findings"))
		for _, f := range r.Findings {
			where := ""
			if f.Hop > 0 {
				where = fmt.Sprintf("hop %d: ", f.Hop)
			}
			t.printf("  %s %-18s %s%s\n", t.color(severityColor(f.Severity), fmt.Sprintf("%-7s", f.Severity)),
				Clean(f.Code), where, Clean(f.Message))
		}
	}
	if style.Raw && len(r.Hops) > 0 {
		t.printf("\n%s\n", t.color(ansiBold, "Raw Received fields (oldest first)"))
		for _, h := range r.Hops {
			t.printf("  %2d  %s\n", h.Index, Clean(h.Raw))
		}
	}
	return t.err
}

func sourceText(s Source) string {
	parts := []string{s.Kind}
	if s.Name != "" {
		parts = append(parts, s.Name)
	}
	if s.Mailbox != "" {
		parts = append(parts, "folder "+s.Mailbox)
	}
	if s.UID != 0 {
		parts = append(parts, "uid "+strconv.FormatUint(uint64(s.UID), 10))
	}
	if s.Index > 0 && (s.Kind == "mbox" || s.Kind == "maildir" || s.Kind == "pop3") {
		parts = append(parts, "#"+strconv.Itoa(s.Index))
	}
	return strings.Join(parts, " ")
}

func severityColor(s string) string {
	switch s {
	case "alert":
		return ansiRed
	case "warning":
		return ansiYellow
	}
	return ansiCyan
}

func trustColor(s string) string {
	switch s {
	case "recipient":
		return ansiGreen
	case "suspect":
		return ansiRed
	}
	return ""
}

// peer renders the sending side: "helo (rdns) [ip]", each part once.
func peer(f HopFrom) string {
	var b strings.Builder
	b.WriteString(f.HELO)
	if f.RDNS != "" && !strings.EqualFold(f.RDNS, f.HELO) {
		if b.Len() > 0 {
			b.WriteByte(' ')
		}
		b.WriteString("(" + f.RDNS + ")")
	}
	if f.IP != "" && strings.Trim(f.HELO, "[]") != f.IP {
		if b.Len() > 0 {
			b.WriteByte(' ')
		}
		b.WriteString("[" + f.IP + "]")
	}
	if b.Len() == 0 {
		return "-"
	}
	return b.String()
}

func (t *textWriter) hopTable(hops []Hop) {
	if len(hops) == 0 {
		t.printf("No Received fields.\n")
		return
	}
	head := []string{"#", "FROM", "BY", "WITH", "TIME (UTC)", "DELAY", "TRUST"}
	rows := make([][]string, len(hops))
	for i, h := range hops {
		ts := "-"
		if h.Timestamp != nil {
			ts = strings.Replace(strings.TrimSuffix(*h.Timestamp, "Z"), "T", " ", 1)
		} else if h.TimestampRaw != "" {
			ts = "? " + h.TimestampRaw
		}
		delay := "-"
		if h.DelaySeconds != nil {
			delay = formatDelay(*h.DelaySeconds, true)
		}
		from := peer(h.From)
		if !h.Parsed {
			from = "(unparsed) " + h.Raw
		}
		with := h.With
		if h.Auth != "" && !strings.EqualFold(h.Auth, h.With) {
			with = strings.TrimSpace(with + " auth")
		}
		rows[i] = []string{strconv.Itoa(h.Index), Clean(from), Clean(orDash(h.By.Host)), Clean(orDash(with)), Clean(ts), delay, h.Trust}
	}
	total := t.style.Width
	if total <= 0 {
		total = 120
	}
	// Fixed columns first; FROM and BY share what is left.
	widths := make([]int, len(head))
	for c := range head {
		widths[c] = width(head[c])
		for _, r := range rows {
			widths[c] = max(widths[c], width(r[c]))
		}
	}
	widths[3] = min(widths[3], 12)
	widths[4] = min(widths[4], 19)
	fixed := widths[0] + widths[3] + widths[4] + widths[5] + widths[6] + 2*(len(head)-1)
	room := max(total-fixed, 30)
	if widths[1]+widths[2] > room {
		widths[2] = min(widths[2], max(room/3, 12))
		widths[1] = max(room-widths[2], 12)
	}
	line := func(cells []string, trust string) {
		var b strings.Builder
		for c, cell := range cells {
			cell = truncate(cell, widths[c])
			pad := strings.Repeat(" ", widths[c]-width(cell))
			switch {
			case c == 0 || c == 5:
				b.WriteString(pad + cell)
			case c == 6:
				b.WriteString(t.color(trustColor(trust), cell))
			default:
				b.WriteString(cell + pad)
			}
			if c < len(cells)-1 {
				b.WriteString("  ")
			}
		}
		t.printf("%s\n", strings.TrimRight(b.String(), " "))
	}
	if t.style.Color {
		t.printf("%s", ansiDim)
	}
	line(head, "")
	if t.style.Color {
		t.printf("%s", ansiReset)
	}
	for i, r := range rows {
		line(r, hops[i].Trust)
	}
}

func orDash(s string) string {
	if s == "" {
		return "-"
	}
	return s
}

// formatDelay renders seconds as a short duration; signed shows "+" too.
func formatDelay(sec int64, signed bool) string {
	sign := ""
	if sec < 0 {
		sign, sec = "-", -sec
	} else if signed {
		sign = "+"
	}
	d := time.Duration(sec) * time.Second
	switch {
	case d < time.Minute:
		return fmt.Sprintf("%s%ds", sign, sec)
	case d < time.Hour:
		return fmt.Sprintf("%s%dm%02ds", sign, sec/60, sec%60)
	case d < 48*time.Hour:
		return fmt.Sprintf("%s%dh%02dm", sign, sec/3600, sec%3600/60)
	}
	return fmt.Sprintf("%s%dd%02dh", sign, sec/86400, sec%86400/3600)
}

// WriteAttribution renders one attribution as aligned text: the address,
// then the registry data (mailtrace whois). Every value goes through Clean.
func WriteAttribution(w io.Writer, a *attrib.Attribution, style TextStyle) error {
	t := &textWriter{w: w, style: style}
	t.printf("%s\n", Clean(a.IP))
	t.attribution(a)
	return t.err
}

// attribution renders registry, network, owner, country, ASN, abuse
// contacts, location, reverse DNS, the lookup error and, when kept, the raw
// answers: under the Origin line of a trace, and for mailtrace whois.
func (t *textWriter) attribution(a *attrib.Attribution) {
	line := func(name, value string) {
		if value != "" {
			t.printf("  %-9s %s\n", name, Clean(value))
		}
	}
	reg := a.RIR
	if reg == "" {
		reg = "(none)"
	}
	var via []string
	if a.Server != "" {
		via = append(via, a.Server)
	}
	if a.Source != "" {
		via = append(via, "source "+a.Source)
	}
	if len(via) > 0 {
		reg += " (" + strings.Join(via, ", ") + ")"
	}
	line("registry", reg)
	if n := a.Network; n != nil {
		v := strings.Join(n.CIDR, ", ")
		if n.Range != "" && len(n.CIDR) != 1 {
			v = strings.TrimSpace(v + " (" + n.Range + ")")
		}
		line("network", v)
		name := n.Name
		if n.Handle != "" && n.Handle != n.Name && n.Handle != n.Range && (len(n.CIDR) == 0 || n.Handle != n.CIDR[0]) {
			name = strings.TrimSpace(name + " [" + n.Handle + "]")
		}
		line("name", name)
		line("owner", n.Org)
		line("country", n.Country)
	}
	if a.ASN != nil && a.ASN.Number != 0 {
		line("asn", strings.TrimSpace(fmt.Sprintf("AS%d %s", a.ASN.Number, a.ASN.Org)))
	}
	line("abuse", strings.Join(a.Abuse, ", "))
	if g := a.Geo; g != nil {
		v := strings.Join(nonEmpty(g.Country, g.City), ", ")
		if g.Latitude != 0 || g.Longitude != 0 {
			v += fmt.Sprintf(" (%.4f, %.4f)", g.Latitude, g.Longitude)
		}
		line("geo", v)
	}
	line("rdns", a.RDNS)
	if a.Error != "" {
		t.printf("  %-9s %s\n", "error", t.color(ansiYellow, Clean(a.Error)))
	}
	if a.Raw != "" {
		t.printf("  raw:\n")
		for _, l := range strings.Split(strings.TrimRight(a.Raw, "\n"), "\n") {
			t.printf("    %s\n", Clean(l))
		}
	}
}

func (t *textWriter) auth(a *Auth) {
	var parts []string
	add := func(k, v string) {
		if v != "" {
			parts = append(parts, k+"="+v)
		}
	}
	add("spf", a.SPF)
	for _, d := range a.DKIM {
		v := d.Result
		if d.Domain != "" {
			v += " (" + d.Domain + ")"
		}
		add("dkim", v)
	}
	add("dmarc", a.DMARC)
	add("arc", a.ARC)
	if len(parts) == 0 {
		return
	}
	line := strings.Join(parts, "  ")
	if a.AuthservID != "" {
		line += "  [by " + a.AuthservID + "]"
	}
	t.printf("%s %s\n", t.color(ansiBold, fmt.Sprintf("%-9s", "Auth")), Clean(line))
}

func nonEmpty(ss ...string) []string {
	out := ss[:0:0]
	for _, s := range ss {
		if s != "" {
			out = append(out, s)
		}
	}
	return out
}
