package analyzer

import (
	"fmt"
	"time"
)

// hopFindings reports per-hop problems: unparsed hops, missing or future
// timestamps, and negative delays (clock skew or forgery; never wrapped).
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
			t.addFinding(CodeMissingTimestamp, Warning, h.Index, fmt.Sprintf("the date cannot be read: %q", h.DateRaw))
		case h.Date.IsZero():
			t.addFinding(CodeMissingTimestamp, Warning, h.Index, "no date")
		case h.Date.Sub(now) > futureTolerance:
			t.addFinding(CodeFutureTimestamp, Warning, h.Index, fmt.Sprintf("dated %s, in the future", h.Date.Format(time.RFC3339)))
		}
		if h.HasDelay && h.Delay < 0 {
			sev, what := Info, "clock skew"
			if -h.Delay > int64(skewTolerance/time.Second) {
				sev, what = Warning, "clock skew or forgery"
			}
			against := fmt.Sprintf("hop %d", h.Index-1)
			if i == 0 {
				against = "the Date: header"
			}
			t.addFinding(CodeNegativeDelay, sev, h.Index, fmt.Sprintf("%ds earlier than %s (%s)", -h.Delay, against, what))
		}
	}
}
