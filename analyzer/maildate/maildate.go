// Package maildate parses the dates found in mail headers: RFC 5322 §3.3
// date-time with the obsolete syntax of §4.3 (named and military zones,
// two-digit years, missing seconds, comments), plus the shapes real servers
// write in Received fields (fractional seconds, asctime, ISO 8601 / RFC 3339,
// Go's time.String).
//
// The parser is a hand-written single pass over the text (no regular
// expressions, no allocation on the common path).
//
// Zone interpretation:
//   - numeric offsets "+hhmm", "-hhmm", "+hh", "+hh:mm", and an unsigned
//     "hhmm" after the time when the year is already known;
//   - RFC 5322 §4.3 names UT, GMT, EST/EDT, CST/CDT, MST/MDT, PST/PDT;
//   - military single letters are taken as "-0000" (UTC), as §4.3 advises,
//     because RFC 822 defined their signs backwards;
//   - a small table of common non-RFC names (CET, CEST, BST = British Summer
//     Time, JST, IST = India Standard Time, ...); see zoneNames;
//   - any other alphabetic zone is "-0000" (UTC), as §4.3 says;
//   - no zone at all (asctime) is UTC.
//
// Once a numeric offset is known, a zone name after it ("+0000 (UTC)",
// Go's "+0000 UTC") is a comment and is ignored.
package maildate

import (
	"errors"
	"fmt"
	"time"

	"github.com/mailtrace/mailtrace/analyzer/header"
	"github.com/mailtrace/mailtrace/internal/swar"
)

// ErrInvalid is returned for text that holds no recognisable date.
var ErrInvalid = errors.New("maildate: no recognisable date")

// Parse parses a date as found in a Date: header or after the last ';' of a
// Received field, comments and surrounding white space included. Text after a
// complete date is ignored. The error wraps ErrInvalid.
func Parse(s string) (time.Time, error) {
	t, _, err := parse(s, false)
	return t, err
}

// ParsePrefix parses a date at the start of s (after white space) and
// returns the instant and the number of bytes of s that belong to the date,
// trailing zone comments like "(UTC)" included. It stops at the first word
// that cannot belong to a date once the date is complete, so a Received
// field's trailing "id X" or "(envelope-from ...)" is left to the caller.
func ParsePrefix(s string) (t time.Time, n int, err error) {
	return parse(s, true)
}

type state struct {
	year, month, day int
	hour, min, sec   int
	nsec             int
	hasTime          bool
	nums             [2]int // bare numbers in order: day then year
	numDigits        [2]int
	nnum             int
	offset           int // seconds east of UTC
	hasOffset        bool
	hasZoneName      bool
	zoneNameOffset   int
	yearFromISO      bool
	meridiem         bool
	monthSeen        bool
}

func (st *state) complete() bool {
	return st.hasTime && st.haveDate()
}

func (st *state) haveDate() bool {
	if st.yearFromISO {
		return true
	}
	return st.monthSeen && st.nnum >= 2
}

// invalidError is built lazily: callers that try many start positions
// (a Received field without a ';') pay for the message only when they
// print it.
type invalidError struct {
	s, why string
}

func (e *invalidError) Error() string {
	s := e.s
	if len(s) > 80 {
		s = s[:80] + "..."
	}
	return fmt.Sprintf("%v: %s in %q", ErrInvalid, e.why, s)
}

func (e *invalidError) Unwrap() error { return ErrInvalid }

func invalid(s, why string) error {
	return &invalidError{s, why}
}

// isSpace reports the bytes a date's tokens are separated by, besides
// commas: blanks, line ends and NUL. One table load (byteClass), not five
// comparisons: the date scan asks it of most bytes it reads.
func isSpace(c byte) bool { return byteClass[c]&classSpace != 0 }

// The bits of byteClass.
const (
	classSpace = 1 << iota // isSpace
	classSep               // isSep: a space or a comma
)

var byteClass = func() (t [256]uint8) {
	for _, c := range []byte{' ', '\t', '\r', '\n', 0} {
		t[c] = classSpace | classSep
	}
	t[','] = classSep
	return t
}()

func isDigit(c byte) bool { return c >= '0' && c <= '9' }

func isAlpha(c byte) bool { return c|0x20 >= 'a' && c|0x20 <= 'z' }

// parse scans s token by token. Tokens are separated by white space and
// commas; a comment (RFC 5322 §3.2.2 CFWS) is one token.
func parse(s string, prefix bool) (time.Time, int, error) {
	var st state
	// The common RFC 5322 shape is read directly; whatever it leaves (a
	// zone comment, trailing text, or everything when the shape is not the
	// common one) goes through the general loop.
	n := st.fast(s)
	return st.run(s, n, prefix)
}

// parseGeneral is parse without the fast path: the reference that
// FuzzFastPath holds the fast path to.
func parseGeneral(s string, prefix bool) (time.Time, int, error) {
	var st state
	return st.run(s, 0, prefix)
}

// fast reads the overwhelmingly common date shape
//
//	[Ddd,] d[d] Mon yyyy hh:mm[:ss] [+hhmm|-hhmm]
//
// (day name and month as three letters, any case; tokens separated as the
// general loop separates them) with fixed-position digit reads. On success
// it leaves st exactly as the general loop would after the same tokens and
// returns the index just past the last of them; otherwise it leaves st
// untouched and returns 0. The caller continues from there, so zone
// comments, trailing words and text after the date get the general
// treatment.
func (st *state) fast(s string) int {
	i := skipSeps(s, 0)
	// Optional day name: "Tue" followed by a separator.
	if i+3 < len(s) && isAlpha(s[i]) && isAlpha(s[i+1]) && isAlpha(s[i+2]) {
		if !isSep(s[i+3]) || !isDayName3(s[i], s[i+1], s[i+2]) {
			return 0
		}
		i = skipSeps(s, i+3)
	}
	end, ok := st.fixed(s, i)
	if !ok {
		if end = st.spaced(s, i); end == 0 {
			return 0
		}
	}
	return st.zone(s, end)
}

// fixed reads the date and time at s[i:] when they are written exactly
// "d Mon yyyy hh:mm:ss" or "dd Mon yyyy hh:mm:ss" (single spaces, seconds
// present), as nearly every server writes them: the separators and digits
// after the day are checked in two eight-byte words rather than byte by
// byte. It sets st as spaced would and returns the index after the
// seconds; ok false, st untouched, leaves any other layout to spaced.
func (st *state) fixed(s string, i int) (end int, ok bool) {
	if i+1 >= len(s) || s[i]-'0' > 9 {
		return 0, false
	}
	day, dayDigits := int(s[i]-'0'), 1
	j := i + 1
	if s[j]-'0' <= 9 {
		day, dayDigits = day*10+int(s[j]-'0'), 2
		j++
	}
	// t is " Mon yyyy hh:mm:ss".
	if j+18 > len(s) || j+18 < len(s) && !isSep(s[j+18]) {
		return 0, false
	}
	t := s[j : j+18]
	// A byte b is a digit when its high nibble is 3 and stays 3 with 6
	// added (0x3A-0x3F become 0x40-0x45); the adds carry into no other
	// byte of a word whose masked high nibbles are all 3.
	x, y := swar.Load(t), swar.Load(t[8:])
	if x&0xF0F0F0FF000000FF != 0x3030302000000020 || (x+0x0606060000000000)&0xF0F0F00000000000 != 0x3030300000000000 ||
		y&0xFFF0F0FFF0F0FFF0 != 0x3A30303A30302030 || (y+0x0006060006060006)&0x00F0F000F0F000F0 != 0x0030300030300030 ||
		t[16]-'0' > 9 || t[17]-'0' > 9 {
		return 0, false
	}
	month := monthNumber3(t[1], t[2], t[3])
	if month == 0 {
		return 0, false
	}
	st.month, st.monthSeen = month, true
	st.nums = [2]int{day, int(t[5]-'0')*1000 + int(t[6]-'0')*100 + int(t[7]-'0')*10 + int(t[8]-'0')}
	st.numDigits = [2]int{dayDigits, 4}
	st.nnum = 2
	st.hour = int(t[10]-'0')*10 + int(t[11]-'0')
	st.min = int(t[13]-'0')*10 + int(t[14]-'0')
	st.sec = int(t[16]-'0')*10 + int(t[17]-'0')
	st.hasTime = true
	return j + 18, true
}

// spaced reads "d[d] Mon yyyy hh:mm[:ss]" at s[i:] with any separators
// between the tokens, as the general loop would, and returns the index
// after the time; 0 (st untouched) when s[i:] is not that shape.
func (st *state) spaced(s string, i int) int {
	// Day of month: one or two digits.
	if i >= len(s) || !isDigit(s[i]) {
		return 0
	}
	day, dayDigits := int(s[i]-'0'), 1
	i++
	if i < len(s) && isDigit(s[i]) {
		day, dayDigits = day*10+int(s[i]-'0'), 2
		i++
	}
	if i >= len(s) || !isSep(s[i]) {
		return 0
	}
	i = skipSeps(s, i)
	// Month: three letters.
	if i+3 >= len(s) || !isSep(s[i+3]) {
		return 0
	}
	month := monthNumber3(s[i], s[i+1], s[i+2])
	if month == 0 {
		return 0
	}
	i = skipSeps(s, i+3)
	// Year: four digits.
	if i+4 >= len(s) || !isSep(s[i+4]) || !isDigit(s[i]) || !isDigit(s[i+1]) || !isDigit(s[i+2]) || !isDigit(s[i+3]) {
		return 0
	}
	year := int(s[i]-'0')*1000 + int(s[i+1]-'0')*100 + int(s[i+2]-'0')*10 + int(s[i+3]-'0')
	i = skipSeps(s, i+4)
	// Time: hh:mm or hh:mm:ss, then the end or a separator.
	if i+5 > len(s) || !isDigit(s[i]) || !isDigit(s[i+1]) || s[i+2] != ':' || !isDigit(s[i+3]) || !isDigit(s[i+4]) {
		return 0
	}
	hour := int(s[i]-'0')*10 + int(s[i+1]-'0')
	min := int(s[i+3]-'0')*10 + int(s[i+4]-'0')
	sec := 0
	i += 5
	if i+3 <= len(s) && s[i] == ':' && isDigit(s[i+1]) && isDigit(s[i+2]) {
		sec = int(s[i+1]-'0')*10 + int(s[i+2]-'0')
		i += 3
	}
	if i < len(s) && !isSep(s[i]) {
		return 0 // fractional seconds, a glued zone, a third digit...
	}
	st.month, st.monthSeen = month, true
	st.nums = [2]int{day, year}
	st.numDigits = [2]int{dayDigits, 4}
	st.nnum = 2
	st.hour, st.min, st.sec, st.hasTime = hour, min, sec, true
	return i
}

// zone reads a numeric offset "+hhmm" / "-hhmm" ending its token after
// the time, which ended at s[i], and a zone comment of letters after it;
// it returns the index after what it took, i when it took nothing (the
// general loop then reads what follows).
func (st *state) zone(s string, i int) int {
	end := i
	j := skipSeps(s, i)
	if j+5 <= len(s) && (s[j] == '+' || s[j] == '-') && (j+5 == len(s) || isSep(s[j+5]) || s[j+5] == '(') &&
		isDigit(s[j+1]) && isDigit(s[j+2]) && isDigit(s[j+3]) && isDigit(s[j+4]) {
		h := int(s[j+1]-'0')*10 + int(s[j+2]-'0')
		m := int(s[j+3]-'0')*10 + int(s[j+4]-'0')
		if h <= 23 && m <= 59 {
			off := h*3600 + m*60
			if s[j] == '-' {
				off = -off
			}
			st.offset, st.hasOffset = off, true
			end = j + 5
			// A zone comment of letters only, "(UTC)": with the offset
			// known the general loop would take it into the date and
			// nothing more (header.CommentEnd stops at its ')', and
			// zoneComment accepts it).
			k := skipSeps(s, end)
			if k < len(s) && s[k] == '(' {
				l := k + 1
				for l < len(s) && isAlpha(s[l]) {
					l++
				}
				if l > k+1 && l < len(s) && s[l] == ')' {
					end = l + 1
				}
			}
		}
	}
	return end
}

// pack3 folds three ASCII letters to lower case (as prefixFold folds) and
// packs them into one number for a switch.
func pack3(a, b, c byte) uint32 {
	return uint32(a|0x20)<<16 | uint32(b|0x20)<<8 | uint32(c|0x20)
}

// monthNumber3 is monthNumber of a three-byte word.
func monthNumber3(a, b, c byte) int {
	switch pack3(a, b, c) {
	case 'j'<<16 | 'a'<<8 | 'n':
		return 1
	case 'f'<<16 | 'e'<<8 | 'b':
		return 2
	case 'm'<<16 | 'a'<<8 | 'r':
		return 3
	case 'a'<<16 | 'p'<<8 | 'r':
		return 4
	case 'm'<<16 | 'a'<<8 | 'y':
		return 5
	case 'j'<<16 | 'u'<<8 | 'n':
		return 6
	case 'j'<<16 | 'u'<<8 | 'l':
		return 7
	case 'a'<<16 | 'u'<<8 | 'g':
		return 8
	case 's'<<16 | 'e'<<8 | 'p':
		return 9
	case 'o'<<16 | 'c'<<8 | 't':
		return 10
	case 'n'<<16 | 'o'<<8 | 'v':
		return 11
	case 'd'<<16 | 'e'<<8 | 'c':
		return 12
	}
	return 0
}

// isDayName3 is isDayName of a three-byte word.
func isDayName3(a, b, c byte) bool {
	switch pack3(a, b, c) {
	case 'm'<<16 | 'o'<<8 | 'n', 't'<<16 | 'u'<<8 | 'e', 'w'<<16 | 'e'<<8 | 'd', 't'<<16 | 'h'<<8 | 'u',
		'f'<<16 | 'r'<<8 | 'i', 's'<<16 | 'a'<<8 | 't', 's'<<16 | 'u'<<8 | 'n':
		return true
	}
	return false
}

// isSep reports whether c separates tokens (white space or a comma), as
// the general loop skips them.
func isSep(c byte) bool { return byteClass[c]&classSep != 0 }

// skipSeps returns the index of the first byte at or after i that is not
// a separator.
func skipSeps(s string, i int) int {
	for i < len(s) && isSep(s[i]) {
		i++
	}
	return i
}

// run is the general loop: it scans s token by token from i, with st
// holding what the tokens before i gave.
func (st *state) run(s string, i int, prefix bool) (time.Time, int, error) {
	end := i // end of the last token that belonged to the date
	ntok := 0
	for {
		// A date has at most a dozen tokens before it is complete; giving
		// up early keeps a caller that tries many start positions linear.
		if ntok++; ntok > 16 && !st.complete() {
			return time.Time{}, 0, invalid(s, "no date in the first words")
		}
		for i < len(s) && isSep(s[i]) {
			i++
		}
		if i >= len(s) {
			break
		}
		start := i
		if s[i] == '(' {
			i = header.CommentEnd(s, i) // nested comment, RFC 5322 §3.2.2
			if st.complete() {
				if !zoneComment(s[start:i]) {
					if prefix {
						return st.result(s, end)
					}
					continue
				}
				if !st.hasOffset && !st.hasZoneName {
					c := trimParens(s[start:i])
					if off, ok := lookupZone(c); ok {
						st.hasZoneName, st.zoneNameOffset = true, off
					}
				}
				end = i
			}
			continue
		}
		for i < len(s) && !isSpace(s[i]) && s[i] != ',' && s[i] != '(' {
			i++
		}
		tok := s[start:i]
		ok := st.token(tok)
		if !ok {
			if st.complete() {
				if prefix {
					return st.result(s, end)
				}
				// Lenient: text after a complete date is ignored.
				return st.result(s, end)
			}
			return time.Time{}, 0, invalid(s, "unexpected word")
		}
		end = i
	}
	if !st.complete() {
		if st.haveDate() && !st.hasTime {
			// A date without a time (RFC 5322 requires one): midnight UTC.
			st.hasTime = true
			return st.result(s, end)
		}
		return time.Time{}, 0, invalid(s, "incomplete date")
	}
	return st.result(s, end)
}

func trimParens(c string) string {
	if len(c) > 0 && c[0] == '(' {
		c = c[1:]
	}
	if len(c) > 0 && c[len(c)-1] == ')' {
		c = c[:len(c)-1]
	}
	for len(c) > 0 && isSpace(c[0]) {
		c = c[1:]
	}
	for len(c) > 0 && isSpace(c[len(c)-1]) {
		c = c[:len(c)-1]
	}
	return c
}

// zoneComment reports whether a comment after a date names its zone, like
// "(UTC)", "(CEST)", "(GMT+01:00)" or "(Pacific Standard Time)", as opposed
// to a clause-like comment such as "(envelope-from <x>)".
func zoneComment(c string) bool {
	c = trimParens(c)
	words := 0
	inWord := false
	for i := 0; i < len(c); i++ {
		b := c[i]
		switch {
		case isAlpha(b) || isDigit(b) || b == '+' || b == '-' || b == ':' || b == '.' || b == '/' || b == '_':
			if !inWord {
				words++
				inWord = true
			}
		case b == ' ' || b == '\t':
			inWord = false
		default:
			return false
		}
	}
	return words >= 1 && words <= 4
}

func (st *state) result(s string, end int) (time.Time, int, error) {
	y, d := st.year, st.day
	if !st.yearFromISO {
		d = st.nums[0]
		y = st.nums[1]
		yd := st.numDigits[1]
		if st.numDigits[0] == 4 && st.numDigits[1] <= 2 {
			// "2005 Nov 13": year first.
			y, d, yd = st.nums[0], st.nums[1], 4
		}
		// RFC 5322 §4.3: a two-digit year is 2000+ below 50, else 1900+;
		// a three-digit year is 1900+.
		switch {
		case yd <= 2 && y < 50:
			y += 2000
		case yd <= 2 || yd == 3:
			y += 1900
		}
	}
	if st.month < 1 || st.month > 12 {
		return time.Time{}, 0, invalid(s, "month out of range")
	}
	if d < 1 || d > daysIn(st.month, y) {
		return time.Time{}, 0, invalid(s, "day out of range")
	}
	sec := st.sec
	if sec == 60 { // leap second (RFC 5322 §3.3 allows 60)
		sec = 59
	}
	if st.hour > 23 || st.min > 59 || sec > 59 {
		return time.Time{}, 0, invalid(s, "time out of range")
	}
	off := 0
	switch {
	case st.hasOffset:
		off = st.offset
	case st.hasZoneName:
		off = st.zoneNameOffset
	}
	loc := time.UTC
	if off != 0 {
		loc = time.FixedZone("", off)
	}
	return date(y, st.month, d, st.hour, st.min, sec, st.nsec, loc, off), end, nil
}

// date is time.Date(y, m, d, hour, min, sec, nsec, loc) for a fixed zone
// loc of off seconds east of UTC and fields in range (m 1-12, d valid for
// the month, hour 0-23, min and sec 0-59, nsec below 1e9). For years
// 0-9999 it counts the days itself (time.Date's general normalisation is
// most of a date's cost); TestDate holds it to time.Date.
func date(y, m, d, hour, min, sec, nsec int, loc *time.Location, off int) time.Time {
	if y < 0 || y > 9999 {
		return time.Date(y, time.Month(m), d, hour, min, sec, nsec, loc)
	}
	u := daysFromCivil(y, m, d)*86400 + int64(hour*3600+min*60+sec-off)
	return time.Unix(u, int64(nsec)).In(loc)
}

// daysFromCivil returns the days from 1970-01-01 to y-m-d in the
// proleptic Gregorian calendar, for y >= 0 and m 1-12: for the years of
// mail, two table loads (yearStart, monthStart) instead of civilDays'
// divisions; civilDays for the others (TestDaysFromCivil compares them on
// every day of years 0-9999).
func daysFromCivil(y, m, d int) int64 {
	if k := uint(y - firstTableYear); k < uint(len(yearStart)) {
		v := yearStart[k]
		return int64(v>>1 + monthStart[v&1][m] + int32(d) - 1)
	}
	return civilDays(y, m, d)
}

// firstTableYear is the year of yearStart[0].
const firstTableYear = 1900

// yearStart[y-firstTableYear] is the day of y-01-01 (civilDays) shifted
// left by one, with the low bit set in a leap year; years 1900-2299.
var yearStart = func() (t [400]int32) {
	for k := range t {
		y := firstTableYear + k
		t[k] = int32(civilDays(y, 1, 1)) << 1
		if daysIn(2, y) == 29 {
			t[k] |= 1
		}
	}
	return t
}()

// monthStart[leap][m] is the day of the year (0-based) month m starts on.
var monthStart = [2][13]int32{
	{0, 0, 31, 59, 90, 120, 151, 181, 212, 243, 273, 304, 334},
	{0, 0, 31, 60, 91, 121, 152, 182, 213, 244, 274, 305, 335},
}

// civilDays is daysFromCivil for any year >= 0 (H. Hinnant's algorithm:
// years counted from March, so the leap day ends the year).
func civilDays(y, m, d int) int64 {
	if m <= 2 {
		y--
	}
	era := (y + 400) / 400 // y >= -1: shift so that the division floors
	era--
	yoe := y - era*400 // 0-399
	mp := m - 3
	if m <= 2 {
		mp = m + 9
	}
	doy := (153*mp+2)/5 + d - 1
	doe := yoe*365 + yoe/4 - yoe/100 + doy
	return int64(era)*146097 + int64(doe) - 719468
}

func daysIn(m, y int) int {
	switch m {
	case 2:
		if y%4 == 0 && (y%100 != 0 || y%400 == 0) {
			return 29
		}
		return 28
	case 4, 6, 9, 11:
		return 30
	}
	return 31
}

// token consumes one word; false when it cannot be part of a date.
func (st *state) token(tok string) bool {
	if tok == "" {
		return true
	}
	c := tok[0]
	switch {
	case isAlpha(c):
		return st.word(tok)
	case c == '+' || c == '-':
		if !st.hasTime || st.hasOffset {
			return false
		}
		off, ok := parseOffset(tok)
		if !ok {
			return false
		}
		st.offset, st.hasOffset = off, true
		return true
	case isDigit(c):
		return st.numeric(tok)
	}
	return false
}

func (st *state) word(tok string) bool {
	for len(tok) > 0 && tok[len(tok)-1] == '.' {
		tok = tok[:len(tok)-1]
	}
	if !st.hasTime && !st.monthSeen && !st.yearFromISO {
		if isDayName(tok) {
			return true
		}
	}
	if !st.monthSeen && !st.yearFromISO {
		if m := monthNumber(tok); m > 0 {
			st.month, st.monthSeen = m, true
			return true
		}
	}
	if st.hasTime && !st.meridiem && len(tok) == 2 && (tok[1]|0x20 == 'm') && (tok[0]|0x20 == 'a' || tok[0]|0x20 == 'p') {
		// "11:01:07 PM"
		if st.hour < 1 || st.hour > 12 {
			return false
		}
		st.meridiem = true
		if tok[0]|0x20 == 'p' && st.hour < 12 {
			st.hour += 12
		} else if tok[0]|0x20 == 'a' && st.hour == 12 {
			st.hour = 0
		}
		return true
	}
	if st.hasTime {
		if st.hasOffset || st.hasZoneName {
			// "+0000 UTC", "-0500 EST": a redundant name.
			if _, ok := lookupZone(tok); ok || allUpper(tok) && len(tok) >= 3 && len(tok) <= 5 {
				return true
			}
			return false
		}
		// "UTC+1", "GMT-05:00"
		for j := 0; j < len(tok); j++ {
			if tok[j] == '+' || tok[j] == '-' {
				if _, ok := lookupZone(tok[:j]); ok {
					if off, ok := parseOffset(tok[j:]); ok {
						st.offset, st.hasOffset = off, true
						return true
					}
				}
				return false
			}
		}
		if off, ok := lookupZone(tok); ok {
			st.hasZoneName, st.zoneNameOffset = true, off
			return true
		}
		if allUpper(tok) && len(tok) >= 1 && len(tok) <= 5 {
			// RFC 5322 §4.3: an unknown alphabetic zone means -0000.
			st.hasZoneName, st.zoneNameOffset = true, 0
			return true
		}
	}
	return false
}

func allUpper(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] < 'A' || s[i] > 'Z' {
			return false
		}
	}
	return true
}

func (st *state) numeric(tok string) bool {
	// Classify by the first separator.
	sep := byte(0)
	for j := 0; j < len(tok); j++ {
		if !isDigit(tok[j]) {
			sep = tok[j]
			break
		}
	}
	switch sep {
	case 0:
		if len(tok) > 4 {
			// "20040308" style compact dates are not mail dates.
			return false
		}
		n := atoi(tok)
		if st.hasTime && st.haveDate() && !st.hasOffset && len(tok) == 4 {
			// Unsigned offset "0100" after the time (seen in the wild).
			if off, ok := parseOffset("+" + tok); ok {
				st.offset, st.hasOffset = off, true
				return true
			}
			return false
		}
		if st.yearFromISO || st.nnum >= 2 {
			return false
		}
		st.nums[st.nnum], st.numDigits[st.nnum] = n, len(tok)
		st.nnum++
		return true
	case ':':
		if st.hasTime {
			return false
		}
		return st.clock(tok)
	case '-', '/', '.':
		if st.hasTime || st.monthSeen || st.yearFromISO || st.nnum > 0 {
			return false
		}
		return st.dashed(tok, sep)
	}
	// "13th"? not a mail date.
	return false
}

// dashed handles "2006-01-02", "2006-01-02T15:04:05Z" (RFC 3339 / ISO 8601)
// and "2-Jan-2006".
func (st *state) dashed(tok string, sep byte) bool {
	j := 0
	for j < len(tok) && isDigit(tok[j]) {
		j++
	}
	if j == 4 && sep == '-' {
		// ISO: yyyy-mm-dd
		if len(tok) < 10 || tok[7] != '-' || !isDigit(tok[5]) || !isDigit(tok[6]) || !isDigit(tok[8]) || !isDigit(tok[9]) {
			return false
		}
		st.year, st.month, st.day = atoi(tok[:4]), atoi(tok[5:7]), atoi(tok[8:10])
		st.yearFromISO, st.monthSeen = true, true
		rest := tok[10:]
		if rest == "" {
			return true
		}
		if rest[0] != 'T' && rest[0] != 't' && rest[0] != '_' {
			return false
		}
		return st.clock(rest[1:])
	}
	if j >= 1 && j <= 2 && (sep == '/' || sep == '-') && j+1 < len(tok) && isDigit(tok[j+1]) {
		// "4/20/2018", "4-20-2018": numeric dates as US software writes
		// them, month first unless the first number cannot be a month.
		k := j + 1
		m := k
		for m < len(tok) && isDigit(tok[m]) {
			m++
		}
		if m-k > 2 || m >= len(tok) || tok[m] != sep {
			return false
		}
		ys := tok[m+1:]
		if len(ys) != 4 || !allDigits(ys) {
			return false
		}
		a, b := atoi(tok[:j]), atoi(tok[k:m])
		if a > 12 {
			a, b = b, a
		}
		st.year, st.month, st.day = atoi(ys), a, b
		st.yearFromISO, st.monthSeen = true, true
		return true
	}
	if j >= 1 && j <= 2 && sep == '-' {
		// d-Mon-yyyy
		k := j + 1
		m := k
		for m < len(tok) && isAlpha(tok[m]) {
			m++
		}
		mon := monthNumber(tok[k:m])
		if mon == 0 || m >= len(tok) || tok[m] != '-' {
			return false
		}
		ys := tok[m+1:]
		if len(ys) == 0 || len(ys) > 4 || !allDigits(ys) {
			return false
		}
		st.month, st.monthSeen = mon, true
		st.nums[0], st.numDigits[0] = atoi(tok[:j]), j
		st.nums[1], st.numDigits[1] = atoi(ys), len(ys)
		st.nnum = 2
		return true
	}
	return false
}

func allDigits(s string) bool {
	for i := 0; i < len(s); i++ {
		if !isDigit(s[i]) {
			return false
		}
	}
	return len(s) > 0
}

// clock parses "hh:mm[:ss[.frac]]" with an optional glued zone
// ("Z", "+02:00", "-0500").
func (st *state) clock(tok string) bool {
	j := 0
	num := func(max int) (int, bool) {
		k := j
		for j < len(tok) && isDigit(tok[j]) && j-k < max {
			j++
		}
		if j == k {
			return 0, false
		}
		return atoi(tok[k:j]), true
	}
	h, ok := num(2)
	if !ok || j >= len(tok) || tok[j] != ':' {
		return false
	}
	j++
	m, ok := num(2)
	if !ok {
		return false
	}
	sec := 0
	nsec := 0
	if j < len(tok) && tok[j] == ':' {
		j++
		if sec, ok = num(2); !ok {
			return false
		}
		if j < len(tok) && (tok[j] == '.' || tok[j] == ',') {
			j++
			k := j
			scale := 100000000
			for j < len(tok) && isDigit(tok[j]) {
				if scale > 0 {
					nsec += int(tok[j]-'0') * scale
					scale /= 10
				}
				j++
			}
			if j == k {
				return false
			}
		}
	}
	st.hour, st.min, st.sec, st.nsec, st.hasTime = h, m, sec, nsec, true
	rest := tok[j:]
	if rest == "" {
		return true
	}
	if rest == "Z" || rest == "z" {
		st.offset, st.hasOffset = 0, true
		return true
	}
	if rest[0] == '+' || rest[0] == '-' {
		off, ok := parseOffset(rest)
		if !ok {
			return false
		}
		st.offset, st.hasOffset = off, true
		return true
	}
	if off, ok := lookupZone(rest); ok {
		st.hasZoneName, st.zoneNameOffset = true, off
		return true
	}
	return false
}

// parseOffset parses "+hhmm", "-hhmm", "+hh", "+hh:mm", "+h".
func parseOffset(s string) (int, bool) {
	if len(s) < 2 {
		return 0, false
	}
	sign := 1
	if s[0] == '-' {
		sign = -1
	} else if s[0] != '+' {
		return 0, false
	}
	d := s[1:]
	var h, m int
	switch {
	case len(d) == 4 && allDigits(d):
		h, m = atoi(d[:2]), atoi(d[2:])
	case len(d) == 5 && d[2] == ':' && allDigits(d[:2]) && allDigits(d[3:]):
		h, m = atoi(d[:2]), atoi(d[3:])
	case (len(d) == 1 || len(d) == 2) && allDigits(d):
		h = atoi(d)
	case len(d) == 3 && allDigits(d):
		h, m = atoi(d[:1]), atoi(d[1:])
	default:
		return 0, false
	}
	if h > 23 || m > 59 {
		return 0, false
	}
	return sign * (h*3600 + m*60), true
}

func atoi(s string) int {
	n := 0
	for i := 0; i < len(s); i++ {
		n = n*10 + int(s[i]-'0')
		if n > 1e8 {
			return n
		}
	}
	return n
}

var dayNames = [...]string{"monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday"}

func isDayName(s string) bool {
	if len(s) < 3 {
		return false
	}
	for _, d := range dayNames {
		if prefixFold(d, s) {
			return true
		}
	}
	return false
}

var monthNames = [...]string{"january", "february", "march", "april", "may", "june", "july", "august", "september", "october", "november", "december"}

// monthNumber accepts "Jan", "January", "Sept" (a prefix of the full name,
// at least three letters).
func monthNumber(s string) int {
	if len(s) < 3 {
		return 0
	}
	for i, m := range monthNames {
		if prefixFold(m, s) {
			return i + 1
		}
	}
	return 0
}

// prefixFold reports whether s is a case-insensitive prefix of full.
func prefixFold(full, s string) bool {
	if len(s) > len(full) {
		return false
	}
	for i := 0; i < len(s); i++ {
		if s[i]|0x20 != full[i] {
			return false
		}
	}
	return true
}

// zoneNames: RFC 5322 §4.3 obsolete zones plus common names seen in mail.
// Ambiguous abbreviations get the interpretation most frequent in mail:
// BST = British Summer Time (+0100), IST = India Standard Time (+0530),
// CST = US Central (-0600), AST = Atlantic (-0400).
var zoneNames = map[string]int{
	"UT": 0, "UTC": 0, "GMT": 0, "Z": 0, "WET": 0, "WEZ": 0,
	"EST": -5, "EDT": -4, "CST": -6, "CDT": -5, "MST": -7, "MDT": -6, "PST": -8, "PDT": -7,
	"AKST": -9, "AKDT": -8, "HST": -10, "AST": -4, "ADT": -3,
	"CET": 1, "MET": 1, "MEZ": 1, "BST": 1, "WEST": 1,
	"CEST": 2, "MEST": 2, "MESZ": 2, "EET": 2, "SAST": 2, "CAT": 2,
	"EEST": 3, "MSK": 3, "EAT": 3,
	"PKT": 5, "WIB": 7, "ICT": 7,
	"HKT": 8, "SGT": 8, "AWST": 8, "PHT": 8, "MYT": 8, "WITA": 8,
	"JST": 9, "KST": 9, "WIT": 9,
	"AEST": 10, "AEDT": 11, "NZST": 12, "NZDT": 13,
}

// lookupZone returns the offset in seconds east of UTC for a zone name.
func lookupZone(name string) (int, bool) {
	if len(name) == 0 || len(name) > 5 {
		return 0, false
	}
	var buf [5]byte
	for i := 0; i < len(name); i++ {
		c := name[i]
		if !isAlpha(c) {
			return 0, false
		}
		buf[i] = c &^ 0x20
	}
	up := string(buf[:len(name)]) // no allocation: used only as a map key
	switch up {
	case "IST":
		return 5*3600 + 1800, true
	case "ACST":
		return 9*3600 + 1800, true
	case "ACDT":
		return 10*3600 + 1800, true
	case "NST":
		return -(3*3600 + 1800), true
	case "NDT":
		return -(2*3600 + 1800), true
	}
	if h, ok := zoneNames[up]; ok {
		return h * 3600, true
	}
	if len(up) == 1 && up != "J" {
		// Military zones: RFC 5322 §4.3 says to treat them as -0000.
		return 0, true
	}
	return 0, false
}
