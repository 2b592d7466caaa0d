package analyzer

import (
	"strconv"
	"time"
)

// hopFindings reports per-hop problems: unparsed hops, missing or future
// timestamps, and negative delays (clock skew or forgery; never wrapped).
// The messages are built with strconv, not fmt: %q and %d print as
// strconv.Quote and strconv.Itoa do, without boxing their arguments.
func hopFindings(t *Trace, opts Options) {
	now := opts.Now
	if now.IsZero() {
		now = time.Now()
	}
	for i := range t.Hops {
		h := &t.Hops[i]
		if !h.Parsed {
			t.addFinding(CodeUnparsedHop, Warning, h.Index, "this Received field could not be parsed; its raw text is kept")
		}
		switch {
		case !h.Parsed && h.Date.IsZero():
			// the unparsed-hop finding says it all
		case h.Date.IsZero() && h.DateRaw != "":
			t.addFinding(CodeMissingTimestamp, Warning, h.Index, "the date cannot be read: "+strconv.Quote(h.DateRaw))
		case h.Date.IsZero():
			t.addFinding(CodeMissingTimestamp, Warning, h.Index, "no date")
		case sub(h.Date, now) > futureTolerance:
			t.addFinding(CodeFutureTimestamp, Warning, h.Index, "dated "+h.Date.Format(time.RFC3339)+", in the future")
		}
		if h.HasDelay && h.Delay < 0 {
			sev, what := Info, "clock skew"
			if -h.Delay > int64(skewTolerance/time.Second) {
				sev, what = Warning, "clock skew or forgery"
			}
			against := "the Date: header"
			if i > 0 {
				against = "hop " + strconv.Itoa(h.Index-1)
			}
			t.addFinding(CodeNegativeDelay, sev, h.Index, strconv.FormatInt(-h.Delay, 10)+"s earlier than "+against+" ("+what+")")
		}
	}
}
