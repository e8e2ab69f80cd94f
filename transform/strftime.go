package transform

import (
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/itchyny/timefmt-go"
)

// Dates in a layout of the mapping's own (format: "%d/%m/%Y") are read by
// timefmt, a strptime for Go: its directives are those of C's strptime
// (%Y %m %d %H %M %S %f %z %Z %b %B %a %p %j %s, %F %T …), and any other
// text in the format must appear as it is.

// formatProbe is an instant every format must write and read back.
var formatProbe = time.Date(2024, 5, 17, 13, 4, 5, 123456000, time.UTC)

// checkFormat refuses a format that cannot read dates: one with no
// directive (a Go layout such as 02/01/2006 would match only itself), or
// with a directive the parser does not know, found by writing formatProbe
// in the format and reading it back.
func checkFormat(format string) error {
	if !strings.Contains(format, "%") {
		return fmt.Errorf("format %q has no %% directive: write it as strftime, e.g. %%d/%%m/%%Y", format)
	}
	if _, err := timefmt.Parse(timefmt.Format(formatProbe, format), format); err != nil {
		return fmt.Errorf("format %q cannot be read: %v", format, parserError(err))
	}
	return nil
}

// parseFormatted reads s in the mapping's format. The parser, like
// time.Date, rolls a day past the month's end over (30/02 reads as 1 or 2
// March); the only days such a date can land on are 1 to 3, so a date
// that does is read again with its day of the month as an hour (%k, 0-23),
// which fails for the 29 to 31 a roll-over starts from.
func parseFormatted(s string, spec *dateSpec) (time.Time, error) {
	t, err := timefmt.ParseInLocation(s, spec.format, spec.loc)
	if err != nil {
		return time.Time{}, fmt.Errorf("does not match the format %s: %v", spec.format, parserError(err))
	}
	if spec.dayCheck != "" && t.Day() <= 3 {
		if _, err := timefmt.ParseInLocation(s, spec.dayCheck, spec.loc); err != nil {
			return time.Time{}, errors.New("the day is past the end of the month")
		}
	}
	return t, nil
}

// parserError is the parser's reason without the input and format, which
// its errors repeat.
func parserError(err error) error {
	if inner := errors.Unwrap(err); inner != nil {
		return inner
	}
	return err
}

// dayAsHour returns format with each day of the month (%d, %e, and those
// within %F %D %x %v %c %+) read by %k; "" when format has none.
func dayAsHour(format string) string {
	var b strings.Builder
	found := false
	for i := 0; i < len(format); i++ {
		if format[i] != '%' || i+1 == len(format) {
			b.WriteByte(format[i])
			continue
		}
		i++
		d := format[i]
		if spelled, ok := compoundWithDay[d]; ok {
			b.WriteString(spelled)
			found = true
			continue
		}
		if d == 'd' || d == 'e' {
			d, found = 'k', true
		}
		b.WriteByte('%')
		b.WriteByte(d)
	}
	if !found {
		return ""
	}
	return b.String()
}

// compoundWithDay spells out the directives that stand for several, a day
// of the month among them (as the parser defines them), with that day
// read by %k.
var compoundWithDay = map[byte]string{
	'F': "%Y-%m-%k", 'D': "%m/%k/%y", 'x': "%m/%k/%y", 'v': "%k-%b-%Y",
	'c': "%a %b %k %H:%M:%S %Y", '+': "%a %b %k %H:%M:%S %Z %Y",
}
