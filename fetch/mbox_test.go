package fetch

import (
	"bufio"
	"bytes"
	"errors"
	"io"
	"os"
	"slices"
	"strings"
	"testing"

	"github.com/emersion/go-mbox"

	"github.com/mailtrace/mailtrace/analyzer/header"
)

// splitWith reads every message header of an mbox, with the fast splitter
// or through go-mbox (the KeepBody path), as the fields header.Parse sees:
// go-mbox rewrites line ends to CRLF, the splitter keeps them.
func splitWith(t *testing.T, raw []byte, fast bool) (fields []header.Header, errs []error, err error) {
	t.Helper()
	br := bufio.NewReaderSize(bytes.NewReader(raw), 64<<10)
	var split *mboxSplitter
	var r *mbox.Reader
	if fast {
		split = &mboxSplitter{br: br}
	} else {
		r = mbox.NewReader(br)
	}
	for {
		var h []byte
		var herr error
		if fast {
			h, herr, err = split.next(0)
			if len(h) > 0 && h[len(h)-1] != '\n' {
				h = append(h, "\r\n"...) // go-mbox ends every line so, the last one too
			}
		} else {
			var mr io.Reader
			if mr, err = r.NextMessage(); err == nil {
				h, herr = ReadHeader(mr, 0)
			}
		}
		if err != nil {
			if errors.Is(err, io.EOF) {
				err = nil
			}
			return fields, errs, err
		}
		f, _ := header.Parse(h)
		fields, errs = append(fields, f), append(errs, herr)
	}
}

func sameSplit(t *testing.T, raw []byte) {
	t.Helper()
	gotH, gotE, gotErr := splitWith(t, raw, true)
	wantH, wantE, wantErr := splitWith(t, raw, false)
	if (gotErr != nil) != (wantErr != nil) || len(gotH) != len(wantH) {
		t.Fatalf("%.200q: splitter %d messages (err %v), go-mbox %d (err %v)", raw, len(gotH), gotErr, len(wantH), wantErr)
	}
	for i := range gotH {
		if !slices.Equal(gotH[i], wantH[i]) || !errors.Is(gotE[i], ErrNoHeader) != !errors.Is(wantE[i], ErrNoHeader) {
			t.Fatalf("%.200q: message %d: splitter %.200q (%v), go-mbox %.200q (%v)", raw, i+1, gotH[i], gotE[i], wantH[i], wantE[i])
		}
	}
}

// TestMboxSplitter: the fast splitter finds the same messages and header
// fields as go-mbox.
func TestMboxSplitter(t *testing.T) {
	archive, err := os.ReadFile(mailPath("archive.mbox"))
	if err != nil {
		t.Fatal(err)
	}
	for _, raw := range []string{
		string(archive),
		"From a\nA: 1\n\nbody\nFrom b\nB: 2\n",
		"\n\r\nFrom a\r\nA: 1\r\n\r\n>From the body\r\nFrom b\r\n>From x\r\nB: 2",
		"From a\nA: 1\nFrom b\n\nFrom c\nC: 3\n\n",
		"From a\n\nbody only\n",
		"not an mbox\n",
		"From a\nX: " + string(bytes.Repeat([]byte("y"), 70<<10)) + "\nB: 2\n",
	} {
		sameSplit(t, []byte(raw))
	}
}

// TestMboxLongFromLine: a From_ line longer than the buffer is skipped
// whole. (go-mbox starts the next message with the rest of such a line.)
func TestMboxLongFromLine(t *testing.T) {
	raw := "From a\nA: 1\n\nFrom " + strings.Repeat("z", 70<<10) + "\nB: 2\n"
	s := &mboxSplitter{br: bufio.NewReaderSize(strings.NewReader(raw), 64<<10)}
	var got []string
	for {
		h, herr, err := s.next(0)
		if err != nil {
			break
		}
		if herr != nil {
			t.Fatalf("message %d: %v", len(got)+1, herr)
		}
		got = append(got, string(h))
	}
	if !slices.Equal(got, []string{"A: 1\n", "B: 2\n"}) {
		t.Errorf("got %q", got)
	}
}

func FuzzMboxSplitter(f *testing.F) {
	f.Add([]byte("From a\nA: 1\n\nbody\nFrom b\nB: 2\n"))
	f.Add([]byte("\nFrom a\r\n>From b\r\nA: 1\r\n\r\nFrom c\r\n"))
	f.Fuzz(func(t *testing.T, raw []byte) {
		sameSplit(t, raw)
	})
}
