package maildate

// The models the fuzz targets here hold the code to: isSpace and isSep as
// they were before the byte table (FuzzByteClassOld), and fast as it was
// before fixed read the common layout in words (FuzzFastOld); daysFromCivil
// is held to civilDays, its algorithm before the tables (FuzzDaysFromCivil).

import "testing"

func isSpaceOld(c byte) bool {
	return c == ' ' || c == '\t' || c == '\r' || c == '\n' || c == 0
}

func isSepOld(c byte) bool { return isSpaceOld(c) || c == ',' }

// TestByteClassAll compares every byte value.
func TestByteClassAll(t *testing.T) {
	for c := range 256 {
		checkByteClass(t, byte(c))
	}
}

func checkByteClass(t *testing.T, c byte) {
	t.Helper()
	if got, want := isSpace(c), isSpaceOld(c); got != want {
		t.Fatalf("isSpace(%q) = %v, model %v", c, got, want)
	}
	if got, want := isSep(c), isSepOld(c); got != want {
		t.Fatalf("isSep(%q) = %v, model %v", c, got, want)
	}
}

// FuzzByteClassOld compares the classes of every byte of any text.
func FuzzByteClassOld(f *testing.F) {
	f.Add("Tue, 1 Jul 2003 10:52:37 +0200 (CEST)\x00\r\n\t,")
	f.Fuzz(func(t *testing.T, s string) {
		for i := 0; i < len(s); i++ {
			checkByteClass(t, s[i])
		}
	})
}

// fastOld is fast before fixed: every layout read token by token.
func (st *state) fastOld(s string) int {
	i := skipSeps(s, 0)
	// Optional day name: "Tue" followed by a separator.
	if i+3 < len(s) && isAlpha(s[i]) && isAlpha(s[i+1]) && isAlpha(s[i+2]) {
		if !isSep(s[i+3]) || !isDayName3(s[i], s[i+1], s[i+2]) {
			return 0
		}
		i = skipSeps(s, i+3)
	}
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
	// Numeric offset "+hhmm" / "-hhmm" ending the token; anything else is
	// left to the general loop.
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

// checkFastOld holds fast to fastOld: the same index and the same state.
func checkFastOld(t *testing.T, s string) {
	t.Helper()
	var got, want state
	n, m := got.fast(s), want.fastOld(s)
	if n != m || got != want {
		t.Fatalf("fast(%q) = %d %+v; fastOld gives %d %+v", s, n, got, m, want)
	}
}

func TestFastOld(t *testing.T) {
	seeds := append(fastPathSeeds, "Tue,  7 May 2019 14:01:07 -0700 (PDT)", " 29 Apr 2005 23:34:45 -0000",
		"\n\tTue, 24 Nov 2026 09:14:07 +0000", "Tue, 24 Nov 2026 09:14:05,+0000", "1 Jan 2000 00:00:00",
		"01 Jan 2000 00:00:00\x00", "Tue, 24 Nov 2026 09:14:5:", "Tue, 24 Nov 2026 09:1:055")
	for _, s := range seeds {
		checkFastOld(t, s)
		for i := range len(s) {
			checkFastOld(t, s[:i])
			checkFastOld(t, s[i:])
			// Every byte changed to its neighbours and to the bytes the
			// word checks are close to fooling.
			for _, c := range []byte{s[i] - 1, s[i] + 1, s[i] ^ 0x20, s[i] + 6, s[i] - 6, '/', ':', ';', '@', 0x80, 0xfa} {
				b := []byte(s)
				b[i] = c
				checkFastOld(t, string(b))
			}
		}
	}
}

// FuzzFastOld holds fast to fastOld on any text.
func FuzzFastOld(f *testing.F) {
	for _, s := range fastPathSeeds {
		f.Add(s)
	}
	f.Fuzz(checkFastOld)
}

// TestDaysFromCivil holds daysFromCivil's tables to civilDays, the
// algorithm it used alone before them, on every day of years 0-9999.
func TestDaysFromCivil(t *testing.T) {
	for y := 0; y <= 9999; y++ {
		for m := 1; m <= 12; m++ {
			for d := 1; d <= daysIn(m, y); d++ {
				checkDaysFromCivil(t, y, m, d)
			}
		}
	}
}

func checkDaysFromCivil(t *testing.T, y, m, d int) {
	t.Helper()
	if got, want := daysFromCivil(y, m, d), civilDays(y, m, d); got != want {
		t.Fatalf("daysFromCivil(%d, %d, %d) = %d, civilDays %d", y, m, d, got, want)
	}
}

// FuzzDaysFromCivil compares them on any valid date of years 0-99999.
func FuzzDaysFromCivil(f *testing.F) {
	f.Add(uint32(2026), uint8(11), uint8(24))
	f.Add(uint32(1900), uint8(2), uint8(28))
	f.Add(uint32(2299), uint8(12), uint8(31))
	f.Fuzz(func(t *testing.T, y uint32, m, d uint8) {
		yy, mm := int(y%100000), int(m%12)+1
		checkDaysFromCivil(t, yy, mm, int(d)%daysIn(mm, yy)+1)
	})
}
