package transform

import (
	"bytes"
	"errors"
	"fmt"
	"regexp"
	"strconv"
	"strings"
	"time"
)

// Dates are read from:
//   - RFC 3339 / ISO 8601: 2024-05-01T12:00:00Z, with a space for the T,
//     any fraction (. or ,), zones Z, ±hh:mm, ±hhmm, ±hh and a trailing
//     " UTC"; without a zone, the field's or run's timezone (default UTC);
//   - dates: 2024-05-01 and 2024/05/01 (midnight in that timezone);
//   - compact dates, YYYYMMDD, as digits or as a number (20190301, the date
//     keys warehouses export): eight digits that form a valid date of the
//     years 1900 to 2100 are that date (midnight in the timezone), not Unix
//     seconds of August 1970;
//   - Unix time as a number or digits: seconds, milliseconds, microseconds or
//     nanoseconds, told apart by magnitude (|n| < 1e11 seconds, < 1e14
//     milliseconds, < 1e17 microseconds, else nanoseconds; this reads
//     millisecond values before March 1973 as seconds — give the unit in the
//     mapping when that matters), fractions allowed; with unit: in the
//     mapping every number is Unix time, compact dates included;
//   - RFC 1123/850, ANSIC and "2 Jan 2006"-style dates with month names;
//   - any layout given as format: in the mapping (strftime, e.g. %d/%m/%Y).
// Ambiguous forms such as 03/04/2024 need a format.
//
// They are written as ISO 8601 UTC with milliseconds (sub-millisecond
// digits are truncated), years 0001 to 9999.

var errNotDate = errors.New("no known date format matches (give the layout with format: in the mapping, e.g. %d/%m/%Y)")

// notDate is the error for a value no built-in form reads. A numeric date
// such as 03/15/2020 gets the layout its numbers allow (a field over 12 is
// the day), so the hint is one the user can paste.
func notDate(b []byte) error {
	m := slashDate.FindSubmatch(b)
	if m == nil {
		return errNotDate
	}
	sep := string(m[2])
	year := "%Y"
	if len(m[4]) == 2 {
		year = "%y"
	}
	clock := ""
	switch {
	case len(m[5]) == 0:
	case bytes.Count(m[5], []byte(":")) == 2:
		clock = " %H:%M:%S"
	default:
		clock = " %H:%M"
	}
	dayFirst := "%d" + sep + "%m" + sep + year + clock
	monthFirst := "%m" + sep + "%d" + sep + year + clock
	a, _ := strconv.Atoi(string(m[1]))
	c, _ := strconv.Atoi(string(m[3]))
	switch {
	case a > 12 && c <= 12:
		return fmt.Errorf("no known date format matches: the first number is the day (give format: %q in the mapping)", dayFirst)
	case c > 12 && a <= 12:
		return fmt.Errorf("no known date format matches: the second number is the day (give format: %q in the mapping)", monthFirst)
	}
	return fmt.Errorf("no known date format matches: day and month cannot be told apart (give format: %q, day first, or %q, month first, in the mapping)", dayFirst, monthFirst)
}

var slashDate = regexp.MustCompile(`^(\d{1,2})([/.-])(\d{1,2})[/.-](\d{4}|\d{2})( \d{1,2}:\d{2}(?::\d{2})?)?$`)

// dateSpec is how one field's dates are read.
type dateSpec struct {
	loc    *time.Location
	unit   int64  // nanoseconds per unit of numeric values; 0 = by magnitude
	format string // strftime format from the mapping, "" for built-ins
	// dayCheck is format with the day of the month read as %k (an hour,
	// 0-23), or "" when format has no day of the month: see parseFormatted.
	dayCheck string
	// watch names the field for the warning about odd dates.
	watch dateWatch
}

func unitScale(u string) int64 {
	switch strings.ToLower(u) {
	case "s", "sec", "seconds":
		return int64(time.Second)
	case "ms", "millis", "milliseconds":
		return int64(time.Millisecond)
	case "us", "µs", "micros", "microseconds":
		return int64(time.Microsecond)
	case "ns", "nanos", "nanoseconds":
		return 1
	}
	return 0
}

// parseTime reads b as an instant.
func parseTime(b []byte, spec *dateSpec) (time.Time, error) {
	b = trimSpace(b)
	if len(b) == 0 {
		return time.Time{}, errNotDate
	}
	if spec.format != "" {
		t, err := parseFormatted(string(b), spec)
		if err != nil {
			return time.Time{}, err
		}
		return checkRange(t)
	}
	if t, ok, err := parseISO(b, spec.loc); ok {
		if err != nil {
			return time.Time{}, err
		}
		return checkRange(t)
	}
	if spec.unit == 0 {
		if t, ok := compactDate(b, spec.loc); ok {
			return t, nil
		}
	}
	if isNumeric(b) {
		t, err := parseEpoch(b, spec.unit)
		if err != nil {
			return time.Time{}, err
		}
		return checkRange(t)
	}
	s := string(b)
	for _, layout := range textLayouts {
		if t, err := time.ParseInLocation(layout, s, spec.loc); err == nil {
			return checkRange(t)
		}
	}
	return time.Time{}, notDate(b)
}

var textLayouts = []string{
	time.RFC1123Z, time.RFC1123, time.RFC850, time.ANSIC, time.UnixDate, time.RubyDate,
	"2 Jan 2006", "2 January 2006", "Jan 2, 2006", "January 2, 2006", "02-Jan-2006",
	"2 Jan 2006 15:04:05", "Jan 2, 2006 15:04:05", "Mon, 2 Jan 2006 15:04:05 -0700",
}

var (
	minTime = time.Date(1, 1, 1, 0, 0, 0, 0, time.UTC)
	maxTime = time.Date(9999, 12, 31, 23, 59, 59, 999999999, time.UTC)
)

func checkRange(t time.Time) (time.Time, error) {
	if t.Before(minTime) || t.After(maxTime) {
		return time.Time{}, fmt.Errorf("year %d is out of range (0001-9999)", t.UTC().Year())
	}
	return t, nil
}

func trimSpace(b []byte) []byte {
	for len(b) > 0 && (b[0] == ' ' || b[0] == '\t') {
		b = b[1:]
	}
	for len(b) > 0 && (b[len(b)-1] == ' ' || b[len(b)-1] == '\t' || b[len(b)-1] == '\r' || b[len(b)-1] == '\n') {
		b = b[:len(b)-1]
	}
	return b
}

func isNumeric(b []byte) bool {
	i := 0
	if i < len(b) && (b[i] == '-' || b[i] == '+') {
		i++
	}
	digits, dot := 0, false
	for ; i < len(b); i++ {
		switch c := b[i]; {
		case c >= '0' && c <= '9':
			digits++
		case c == '.' && !dot:
			dot = true
		default:
			return false
		}
	}
	return digits > 0
}

// compactDate reads YYYYMMDD: exactly eight digits forming a valid date of
// the years 1900 to 2100, at midnight in loc. Any other value is left to
// the other readers (as Unix time when it is a number).
func compactDate(b []byte, loc *time.Location) (time.Time, bool) {
	if len(b) != 8 {
		return time.Time{}, false
	}
	year, okYear := digitsN(b, 0, 4)
	month, okMonth := digitsN(b, 4, 2)
	day, okDay := digitsN(b, 6, 2)
	if !okYear || !okMonth || !okDay || year < 1900 || year > 2100 ||
		month < 1 || month > 12 || day < 1 || day > daysIn(time.Month(month), year) {
		return time.Time{}, false
	}
	return time.Date(year, time.Month(month), day, 0, 0, 0, 0, loc), true
}

// digitsN reads n decimal digits at b[i:].
func digitsN(b []byte, i, n int) (int, bool) {
	if i+n > len(b) {
		return 0, false
	}
	v := 0
	for k := 0; k < n; k++ {
		c := b[i+k]
		if c < '0' || c > '9' {
			return 0, false
		}
		v = v*10 + int(c-'0')
	}
	return v, true
}

// parseISO reads the ISO 8601 forms. ok is false when b does not start like
// a date (so other readers may try); err is set when it does but is wrong.
func parseISO(b []byte, loc *time.Location) (t time.Time, ok bool, err error) {
	year, month, day, ok := isoDate(b)
	if !ok {
		return t, false, nil
	}
	if month < 1 || month > 12 {
		return t, true, outOfRange("month")
	}
	if day < 1 || day > daysIn(time.Month(month), year) {
		return t, true, outOfRange("day")
	}
	c, i, err := isoClock(b, 10)
	if err != nil {
		return t, true, err
	}
	t, err = isoZone(b[i:], year, month, day, c, loc)
	return t, true, err
}

func outOfRange(what string) error { return fmt.Errorf("%s is out of range", what) }

// isoDate reads YYYY-MM-DD or YYYY/MM/DD at the start of b; ok is false
// when b does not start so.
func isoDate(b []byte) (year, month, day int, ok bool) {
	year, okYear := digitsN(b, 0, 4)
	if !okYear || len(b) < 10 || (b[4] != '-' && b[4] != '/') || b[7] != b[4] {
		return 0, 0, 0, false
	}
	month, okMonth := digitsN(b, 5, 2)
	day, okDay := digitsN(b, 8, 2)
	return year, month, day, okMonth && okDay
}

// clock is a time of day.
type clock struct{ hour, min, sec, nsec int }

// isoClock reads the time of day that may follow the date at b[i:]
// ("T12:00", " 12:00:00.250"), and returns where it ends.
func isoClock(b []byte, i int) (clock, int, error) {
	var c clock
	if i+1 >= len(b) || (b[i] != 'T' && b[i] != 't' && b[i] != ' ') || b[i+1] < '0' || b[i+1] > '9' {
		return c, i, nil
	}
	var okHour, okMin bool
	c.hour, okHour = digitsN(b, i+1, 2)
	if !okHour || i+3 >= len(b) || b[i+3] != ':' {
		return c, i, errors.New("malformed time of day")
	}
	if c.min, okMin = digitsN(b, i+4, 2); !okMin {
		return c, i, errors.New("malformed time of day")
	}
	i += 6
	if i < len(b) && b[i] == ':' {
		var okSec bool
		if c.sec, okSec = digitsN(b, i+1, 2); !okSec {
			return c, i, errors.New("malformed seconds")
		}
		var err error
		if c.nsec, i, err = isoFraction(b, i+3); err != nil {
			return c, i, err
		}
	}
	switch {
	case c.hour > 23:
		return c, i, outOfRange("hour")
	case c.min > 59:
		return c, i, outOfRange("minute")
	case c.sec > 59:
		return c, i, outOfRange("second")
	}
	return c, i, nil
}

// isoFraction reads the fraction of a second that may follow at b[i:]
// (".5", ",250"), as nanoseconds, and returns where it ends.
func isoFraction(b []byte, i int) (int, int, error) {
	if i >= len(b) || (b[i] != '.' && b[i] != ',') {
		return 0, i, nil
	}
	i++
	start, nsec := i, 0
	for i < len(b) && b[i] >= '0' && b[i] <= '9' {
		if i-start < 9 {
			nsec = nsec*10 + int(b[i]-'0')
		}
		i++
	}
	if i == start {
		return 0, i, errors.New("malformed fraction of a second")
	}
	for k := i - start; k < 9; k++ {
		nsec *= 10
	}
	return nsec, i, nil
}

// isoZone reads what follows the date and time: nothing (the zone loc),
// Z, UTC, GMT or an offset (±hh, ±hhmm, ±hh:mm), after an optional space.
func isoZone(rest []byte, year, month, day int, c clock, loc *time.Location) (time.Time, error) {
	if len(rest) > 0 && rest[0] == ' ' {
		rest = rest[1:]
	}
	switch {
	case len(rest) == 0:
		return time.Date(year, time.Month(month), day, c.hour, c.min, c.sec, c.nsec, loc), nil
	case len(rest) == 1 && (rest[0] == 'Z' || rest[0] == 'z'), string(rest) == "UTC", string(rest) == "GMT":
		return time.Date(year, time.Month(month), day, c.hour, c.min, c.sec, c.nsec, time.UTC), nil
	case rest[0] == '+' || rest[0] == '-':
		off, err := zoneOffset(rest)
		if err != nil {
			return time.Time{}, err
		}
		return time.Date(year, time.Month(month), day, c.hour, c.min, c.sec, c.nsec, time.UTC).Add(-off), nil
	}
	return time.Time{}, fmt.Errorf("unexpected %q after the date", rest)
}

// zoneOffset reads ±hh, ±hhmm or ±hh:mm.
func zoneOffset(rest []byte) (time.Duration, error) {
	hours, okHours := digitsN(rest, 1, 2)
	mins, okMins := 0, true
	switch len(rest) {
	case 3:
	case 5:
		mins, okMins = digitsN(rest, 3, 2)
	case 6:
		mins, okMins = digitsN(rest, 4, 2)
		okMins = okMins && rest[3] == ':'
	default:
		okMins = false
	}
	if !okHours || !okMins || hours > 23 || mins > 59 {
		return 0, fmt.Errorf("malformed zone offset %q", rest)
	}
	off := time.Duration(hours*3600+mins*60) * time.Second
	if rest[0] == '-' {
		off = -off
	}
	return off, nil
}

func daysIn(m time.Month, year int) int {
	switch m {
	case time.February:
		if year%4 == 0 && (year%100 != 0 || year%400 == 0) {
			return 29
		}
		return 28
	case time.April, time.June, time.September, time.November:
		return 30
	}
	return 31
}

// parseEpoch reads Unix time. unit is nanoseconds per unit, or 0 to decide
// by magnitude.
func parseEpoch(b []byte, unit int64) (time.Time, error) {
	neg := false
	if b[0] == '-' || b[0] == '+' {
		neg = b[0] == '-'
		b = b[1:]
	}
	intPart, frac := b, []byte(nil)
	for k, c := range b {
		if c == '.' {
			intPart, frac = b[:k], b[k+1:]
			break
		}
	}
	for len(intPart) > 1 && intPart[0] == '0' {
		intPart = intPart[1:]
	}
	if len(intPart) > 19 {
		return time.Time{}, errors.New("the number is too large for a Unix time")
	}
	var n uint64
	for _, c := range intPart {
		n = n*10 + uint64(c-'0')
	}
	if unit == 0 {
		switch {
		case n < 1e11:
			unit = int64(time.Second)
		case n < 1e14:
			unit = int64(time.Millisecond)
		case n < 1e17:
			unit = int64(time.Microsecond)
		default:
			unit = 1
		}
	}
	// seconds and nanoseconds, without floating point
	perSec := uint64(time.Second) / uint64(unit)
	sec := n / perSec
	nsec := (n % perSec) * uint64(unit)
	// the fraction of one unit
	scale := uint64(unit)
	for _, c := range frac {
		scale /= 10
		if scale == 0 {
			break
		}
		nsec += uint64(c-'0') * scale
	}
	if sec > 1<<40 {
		return time.Time{}, errors.New("the number is too large for a Unix time")
	}
	s, ns := int64(sec), int64(nsec)
	if neg {
		s, ns = -s, -ns
	}
	return time.Unix(s, ns).UTC(), nil
}

// appendISO writes t as 2006-01-02T15:04:05.000Z.
func appendISO(dst []byte, t time.Time) []byte {
	t = t.UTC()
	year, month, day := t.Date()
	hour, min, sec := t.Clock()
	ms := t.Nanosecond() / 1e6
	dst = append(dst,
		byte('0'+year/1000), byte('0'+year/100%10), byte('0'+year/10%10), byte('0'+year%10), '-',
		byte('0'+int(month)/10), byte('0'+int(month)%10), '-',
		byte('0'+day/10), byte('0'+day%10), 'T',
		byte('0'+hour/10), byte('0'+hour%10), ':',
		byte('0'+min/10), byte('0'+min%10), ':',
		byte('0'+sec/10), byte('0'+sec%10), '.',
		byte('0'+ms/100), byte('0'+ms/10%10), byte('0'+ms%10), 'Z')
	return dst
}

// appendPlainISO writes, quoted, the dates most exports hold, already in
// UTC: YYYY-MM-DD (in a UTC field) and YYYY-MM-DDTHH:MM:SS[.mmm]Z, copying
// their digits once checked, as parseTime and appendISO would write them;
// ok is false for any other form (and for year 0), which they handle.
// Through time.Date and back, these two forms were 8% of the CPU of a run
// on the bench's companies CSV.
func appendPlainISO(dst, b []byte, ds *dateSpec) ([]byte, bool) {
	b = trimSpace(b)
	if ds.format != "" || len(b) < 10 {
		return dst, false
	}
	year, month, day, ok := isoDate(b)
	if !ok || b[4] != '-' || year == 0 || month < 1 || month > 12 || day < 1 || day > daysIn(time.Month(month), year) {
		return dst, false
	}
	switch {
	case len(b) == 10:
		if ds.loc != time.UTC {
			return dst, false
		}
	case (len(b) == 20 || len(b) == 24 && b[19] == '.' && allDigits(b[20:23])) && b[10] == 'T' && b[len(b)-1] == 'Z':
		hour, okH := digitsN(b, 11, 2)
		min, okM := digitsN(b, 14, 2)
		sec, okS := digitsN(b, 17, 2)
		if !okH || !okM || !okS || b[13] != ':' || b[16] != ':' || hour > 23 || min > 59 || sec > 59 {
			return dst, false
		}
	default:
		return dst, false
	}
	dst = append(dst, '"')
	switch len(b) {
	case 10:
		dst = append(dst, b...)
		return append(dst, "T00:00:00.000Z\""...), true
	case 20:
		dst = append(dst, b[:19]...)
		return append(dst, ".000Z\""...), true
	}
	dst = append(dst, b...)
	return append(dst, '"'), true
}

// FormatTime writes t the way payloads carry instants.
func FormatTime(t time.Time) string { return string(appendISO(nil, t)) }

// ParseTime reads s in any of the date forms fields accept, with zone
// (an IANA name, "" for UTC) for forms without one.
func ParseTime(s, zone string) (time.Time, error) {
	loc, err := loadZone(zone)
	if err != nil {
		return time.Time{}, err
	}
	return parseTime([]byte(s), &dateSpec{loc: loc})
}
