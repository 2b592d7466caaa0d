package analyzer

import (
	"strconv"
	"time"
)

// hopFindings reports per-hop problems: unparsed hops, missing or future
// timestamps, and negative delays (clock skew or forgery; never wrapped).
// The messages are built with strconv, not fmt: %q and %d print as
// strconv.Quote and strconv.Itoa do, without boxing their arguments; in a
// buffer on the stack made a string once, not a string for each part.
func hopFindings(t *Trace, opts Options) {
	now := opts.Now
	if now.IsZero() {
		now = time.Now()
	}
	var buf [128]byte // most messages' room
	for i := range t.Hops {
		h := &t.Hops[i]
		if !h.Parsed {
			t.addFinding(CodeUnparsedHop, Warning, h.Index, "this Received field could not be parsed; its raw text is kept")
		}
		switch {
		case !h.Parsed && h.Date.IsZero():
			// the unparsed-hop finding says it all
		case h.Date.IsZero() && h.DateRaw != "":
			b := append(buf[:0], "the date cannot be read: "...)
			t.addFinding(CodeMissingTimestamp, Warning, h.Index, string(strconv.AppendQuote(b, h.DateRaw)))
		case h.Date.IsZero():
			t.addFinding(CodeMissingTimestamp, Warning, h.Index, "no date")
		case sub(h.Date, now) > futureTolerance:
			b := h.Date.AppendFormat(append(buf[:0], "dated "...), time.RFC3339)
			t.addFinding(CodeFutureTimestamp, Warning, h.Index, string(append(b, ", in the future"...)))
		}
		if h.HasDelay && h.Delay < 0 {
			sev, what := Info, "clock skew"
			if -h.Delay > int64(skewTolerance/time.Second) {
				sev, what = Warning, "clock skew or forgery"
			}
			b := append(strconv.AppendInt(buf[:0], -h.Delay, 10), "s earlier than "...)
			if i > 0 {
				b = strconv.AppendInt(append(b, "hop "...), int64(h.Index-1), 10)
			} else {
				b = append(b, "the Date: header"...)
			}
			b = append(append(append(b, " ("...), what...), ')')
			t.addFinding(CodeNegativeDelay, sev, h.Index, string(b))
		}
	}
}
