package transform

import (
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"
)

func TestParseTime(t *testing.T) {
	berlin, err := time.LoadLocation("Europe/Berlin")
	if err != nil {
		t.Skip("no tzdata:", err)
	}
	tests := []struct {
		in   string
		loc  *time.Location
		unit string
		fmt  string
		want string // "" means an error is expected
	}{
		// RFC 3339 and ISO 8601 variants
		{in: "2024-05-01T12:00:00Z", want: "2024-05-01T12:00:00.000Z"},
		{in: "2024-05-01T12:00:00.123456789Z", want: "2024-05-01T12:00:00.123Z"},
		{in: "2024-05-01T12:00:00.1Z", want: "2024-05-01T12:00:00.100Z"},
		{in: "2024-05-01t12:00:00z", want: "2024-05-01T12:00:00.000Z"},
		{in: "2024-05-01T14:00:00+02:00", want: "2024-05-01T12:00:00.000Z"},
		{in: "2024-05-01T14:00:00+0200", want: "2024-05-01T12:00:00.000Z"},
		{in: "2024-05-01 07:00:00-05", want: "2024-05-01T12:00:00.000Z"},
		{in: "2024-05-01 12:00:00 UTC", want: "2024-05-01T12:00:00.000Z"},
		{in: "2024-05-01T12:00", want: "2024-05-01T12:00:00.000Z"},
		{in: "2024-05-01T12:00:00,5Z", want: "2024-05-01T12:00:00.500Z"},
		{in: "  2024-05-01  ", want: "2024-05-01T00:00:00.000Z"},
		// dates and zone-less datetimes take the zone option (default UTC)
		{in: "2024-05-01", want: "2024-05-01T00:00:00.000Z"},
		{in: "2024/05/01", want: "2024-05-01T00:00:00.000Z"},
		{in: "2024-05-01 12:00:00", want: "2024-05-01T12:00:00.000Z"},
		{in: "2024-05-01 12:00:00.250", want: "2024-05-01T12:00:00.250Z"},
		{in: "2024-05-01 12:00:00", loc: berlin, want: "2024-05-01T10:00:00.000Z"},
		{in: "2024-01-01", loc: berlin, want: "2023-12-31T23:00:00.000Z"},
		{in: "2024-05-01T12:00:00Z", loc: berlin, want: "2024-05-01T12:00:00.000Z"},
		// Unix time by magnitude
		{in: "1714564800", want: "2024-05-01T12:00:00.000Z"},
		{in: "1714564800.5", want: "2024-05-01T12:00:00.500Z"},
		{in: "1714564800123", want: "2024-05-01T12:00:00.123Z"},
		{in: "1714564800123456", want: "2024-05-01T12:00:00.123Z"},
		{in: "1714564800123456789", want: "2024-05-01T12:00:00.123Z"},
		{in: "0", want: "1970-01-01T00:00:00.000Z"},
		{in: "-86400", want: "1969-12-31T00:00:00.000Z"},
		// compact dates: eight digits forming a valid YYYYMMDD (1900-2100)
		// are a date, not Unix seconds of August 1970
		{in: "20190301", want: "2019-03-01T00:00:00.000Z"},
		{in: " 20190301 ", want: "2019-03-01T00:00:00.000Z"},
		{in: "20190301", loc: berlin, want: "2019-02-28T23:00:00.000Z"},
		{in: "19000101", want: "1900-01-01T00:00:00.000Z"},
		{in: "21001231", want: "2100-12-31T00:00:00.000Z"},
		{in: "20240229", want: "2024-02-29T00:00:00.000Z"},
		// where that reading is impossible, the magnitude decides
		{in: "18991231", want: "1970-08-08T19:20:31.000Z"},
		{in: "21010101", want: "1970-09-01T04:08:21.000Z"},
		{in: "20190230", want: "1970-08-22T16:23:50.000Z"},
		{in: "20191301", want: "1970-08-22T16:41:41.000Z"},
		{in: "-20190301", want: "1969-05-12T07:34:59.000Z"},
		// with a unit every number is Unix time
		{in: "20190301", unit: "s", want: "1970-08-22T16:25:01.000Z"},
		// an explicit unit wins over magnitude
		{in: "1714564800", unit: "ms", want: "1970-01-20T20:16:04.800Z"},
		{in: "86400000", unit: "ms", want: "1970-01-02T00:00:00.000Z"},
		// textual months
		{in: "Wed, 01 May 2024 12:00:00 GMT", want: "2024-05-01T12:00:00.000Z"},
		{in: "1 May 2024", want: "2024-05-01T00:00:00.000Z"},
		{in: "May 1, 2024", want: "2024-05-01T00:00:00.000Z"},
		// a layout from the mapping
		{in: "01/05/2024", fmt: "%d/%m/%Y", want: "2024-05-01T00:00:00.000Z"},
		{in: "05/01/2024 13:04", fmt: "%m/%d/%Y %H:%M", want: "2024-05-01T13:04:00.000Z"},
		{in: "2024-05-01 12:00:00.123456", fmt: "%Y-%m-%d %H:%M:%S.%f", want: "2024-05-01T12:00:00.123Z"},
		// literal text in a format is literal: "15" is not the hour, "01" not the month
		{in: "2024-05-01 15h", fmt: "%Y-%m-%d 15h", want: "2024-05-01T00:00:00.000Z"},
		{in: "2024-05-01 09h30", fmt: "%Y-%m-%d %Hh%M", want: "2024-05-01T09:30:00.000Z"},
		{in: "Mon 01: 17 May 2024", fmt: "Mon 01: %d %b %Y", want: "2024-05-17T00:00:00.000Z"},
		{in: "2024-05-17 at 3 PM", fmt: "%F at %I %p", want: "2024-05-17T15:00:00.000Z"},
		{in: "100% 17.05.2024", fmt: "100%% %d.%m.%Y", want: "2024-05-17T00:00:00.000Z"},
		// zones in the format, and the field's zone for dates without one
		{in: "2024-05-01 14:00 +0200", fmt: "%Y-%m-%d %H:%M %z", want: "2024-05-01T12:00:00.000Z"},
		{in: "2024-05-01 14:00 +02:00", fmt: "%Y-%m-%d %H:%M %z", want: "2024-05-01T12:00:00.000Z"},
		{in: "01.05.2024 14:00", loc: berlin, fmt: "%d.%m.%Y %H:%M", want: "2024-05-01T12:00:00.000Z"},
		{in: "Wednesday, 1 May 2024", fmt: "%A, %e %B %Y", want: "2024-05-01T00:00:00.000Z"},
		{in: "2024-122", fmt: "%Y-%j", want: "2024-05-01T00:00:00.000Z"},
		// a day past the month's end is an error, not the next month
		{in: "29/02/2024", fmt: "%d/%m/%Y", want: "2024-02-29T00:00:00.000Z"},
		{in: "01/03/2023", fmt: "%d/%m/%Y", want: "2023-03-01T00:00:00.000Z"},
		{in: "29/02/2023", fmt: "%d/%m/%Y"},
		{in: "30/02/2024", fmt: "%d/%m/%Y"},
		{in: "31/04/2024 10:00", fmt: "%d/%m/%Y %H:%M"},
		{in: "2023-02-29", fmt: "%F"},
		{in: "Apr 31, 2024", fmt: "%b %e, %Y"},
		{in: "04/31/24", fmt: "%D"},
		{in: "2024-05-01 25:00", fmt: "%Y-%m-%d %H:%M"},
		{in: "2024-05-01 15", fmt: "%Y-%m-%d %Hh"},
		{in: "0000-05-01", fmt: "%Y-%m-%d"},
		// leap day
		{in: "2024-02-29", want: "2024-02-29T00:00:00.000Z"},
		// errors
		{in: "2023-02-29"},
		{in: "2024-13-01"},
		{in: "2024-05-32"},
		{in: "2024-05-01T24:00:00Z"},
		{in: "2024-05-01T12:60:00Z"},
		{in: "2024-05-01T12:00:00+25:00"},
		{in: "2024-05-01T12:00:00Zjunk"},
		{in: "03/04/2024"}, // ambiguous without a format
		{in: "not a date"},
		{in: ""},
		{in: "99999999999999999999"},
		{in: "1e9"},
		{in: "01/05/2024", fmt: "%Y-%m-%d"},
	}
	for _, tc := range tests {
		name := tc.in
		if tc.unit != "" {
			name += " unit=" + tc.unit
		}
		if tc.fmt != "" {
			name += " fmt=" + tc.fmt
		}
		t.Run(name, func(t *testing.T) {
			ds := &dateSpec{loc: time.UTC}
			if tc.loc != nil {
				ds.loc = tc.loc
			}
			if tc.unit != "" {
				ds.unit = unitScale(tc.unit)
			}
			if tc.fmt != "" {
				var err error
				if ds, err = newDateSpec(&Field{Format: tc.fmt}, ds.loc); err != nil {
					t.Fatal(err)
				}
				if tc.unit != "" {
					ds.unit = unitScale(tc.unit)
				}
			}
			got, err := parseTime([]byte(tc.in), ds)
			if tc.want == "" {
				if err == nil {
					t.Fatalf("parseTime(%q) = %s, want an error", tc.in, FormatTime(got))
				}
				return
			}
			if err != nil {
				t.Fatalf("parseTime(%q): %v", tc.in, err)
			}
			if s := FormatTime(got); s != tc.want {
				t.Fatalf("parseTime(%q) = %s, want %s", tc.in, s, tc.want)
			}
		})
	}
}

func TestAppendISOMatchesTimeFormat(t *testing.T) {
	for _, ts := range []time.Time{
		time.Date(1, 1, 1, 0, 0, 0, 0, time.UTC),
		time.Date(1999, 12, 31, 23, 59, 59, 999999999, time.UTC),
		time.Date(2024, 2, 29, 7, 8, 9, 10e6, time.FixedZone("x", 3600)),
		time.Date(9999, 12, 31, 23, 59, 59, 0, time.UTC),
	} {
		want := ts.UTC().Format("2006-01-02T15:04:05.000Z")
		if got := FormatTime(ts); got != want {
			t.Errorf("FormatTime(%v) = %s, want %s", ts, got, want)
		}
	}
}

func TestOutOfRangeYears(t *testing.T) {
	for _, in := range []string{"-62135596801", "253402300800"} { // just outside 0001..9999
		if _, err := parseTime([]byte(in), &dateSpec{loc: time.UTC, unit: int64(time.Second)}); err == nil || !strings.Contains(err.Error(), "out of range") {
			t.Errorf("parseTime(%q) err = %v, want out of range", in, err)
		}
	}
}

func FuzzParseTime(f *testing.F) {
	for _, s := range []string{"2024-05-01T12:00:00Z", "2024-05-01", "1714564800", "1714564800.5", "2024-05-01 12:00:00.25+02:00", "1 May 2024", "-1", "9999-12-31T23:59:59.999Z",
		"20190301", "20240229", "20230229", "18991231", "21001231", "21010101", "00000000", " 20190301"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		tm, err := parseTime([]byte(s), &dateSpec{loc: time.UTC})
		checkCompact(t, s, tm, err)
		if err != nil {
			return
		}
		out := FormatTime(tm)
		if len(out) != len("2006-01-02T15:04:05.000Z") {
			t.Fatalf("%q formatted as %q", s, out)
		}
		// what we write we must read back as the same instant
		back, err := parseTime([]byte(out), &dateSpec{loc: time.UTC})
		if err != nil {
			t.Fatalf("%q → %q does not parse back: %v", s, out, err)
		}
		if !back.Equal(tm.Truncate(time.Millisecond)) && FormatTime(back) != out {
			t.Fatalf("%q → %q → %s", s, out, FormatTime(back))
		}
	})
}

// checkCompact: eight digits that Go's own parser reads as a date of the
// years 1900 to 2100 in the layout 20060102 are that date; any other eight
// digits are Unix seconds.
func checkCompact(t *testing.T, s string, got time.Time, err error) {
	t.Helper()
	trimmed := string(trimSpace([]byte(s)))
	if len(trimmed) != 8 || strings.Trim(trimmed, "0123456789") != "" {
		return
	}
	want, gerr := time.Parse("20060102", trimmed)
	if gerr != nil || want.Year() < 1900 || want.Year() > 2100 {
		n, _ := strconv.ParseInt(trimmed, 10, 64)
		want = time.Unix(n, 0).UTC()
	}
	if err != nil || !got.Equal(want) {
		t.Fatalf("%q: read %s, %v; want %s", s, FormatTime(got), err, FormatTime(want))
	}
}

// A format that cannot read dates is a mapping error on its line, not a
// rejection of every row.
func TestFormatErrors(t *testing.T) {
	for _, c := range []struct{ field, want string }{
		{`timestamp: {column: t, format: "%Q"}`, `line 3: timestamp: format "%Q" cannot be read: unexpected format "%Q"`},
		{`timestamp: {column: t, format: "%d/%m/%Y %"}`, `line 3: timestamp: format "%d/%m/%Y %" cannot be read`},
		{`timestamp: {column: t, format: "%-d/%m/%Y"}`, `line 3: timestamp: format "%-d/%m/%Y" cannot be read`},
		{`timestamp: {column: t, format: "02/01/2006"}`, `line 3: timestamp: format "02/01/2006" has no % directive`},
		{"traits:\n    since: {column: t, type: timestamp, format: \"%L\"}", `line 4: since: format "%L" cannot be read`},
	} {
		m, err := ParseMapping([]byte("companies:\n  groupId: id\n  "+c.field+"\n"), "m.yaml")
		if err != nil {
			t.Fatal(err)
		}
		tr, err := New(Config{Kind: Companies, Mapping: m.Companies})
		if err != nil {
			t.Fatal(err)
		}
		err = tr.Check([]string{"id", "t"})
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%s: err = %v, want %q", c.field, err, c.want)
		}
	}
}

func TestDayAsHour(t *testing.T) {
	for in, want := range map[string]string{
		"%d/%m/%Y":        "%k/%m/%Y",
		"%e %B %Y, %H:%M": "%k %B %Y, %H:%M",
		"%F %T":           "%Y-%m-%k %T",
		"%D":              "%m/%k/%y",
		"100%% %d%%d":     "100%% %k%%d",
		"%Y-%j":           "",
		"%H:%M %z":        "",
	} {
		if got := dayAsHour(in); got != want {
			t.Errorf("dayAsHour(%q) = %q, want %q", in, got, want)
		}
	}
}

// FuzzParseTimeFormat: a date read in a format of the mapping's is the
// date written, never one rolled over into the next month, and whatever
// Go's own parser reads in the same layout is read the same.
func FuzzParseTimeFormat(f *testing.F) {
	for _, s := range []string{"17/05/2024", "30/02/2024", "1/1/2001", "31/12/9999", "29/02/2023", "00/01/2024", " 3/4/2024 ", "31/06/2024"} {
		f.Add(s)
	}
	spec, err := newDateSpec(&Field{Format: "%d/%m/%Y"}, time.UTC)
	if err != nil {
		f.Fatal(err)
	}
	fields := regexp.MustCompile(`^(\d{1,2})/(\d{1,2})/(\d{1,4})$`)
	f.Fuzz(func(t *testing.T, s string) {
		got, err := parseTime([]byte(s), spec)
		trimmed := string(trimSpace([]byte(s)))
		if want, gerr := time.Parse("2/1/2006", trimmed); gerr == nil && want.Year() > 0 {
			if err != nil || !got.Equal(want) {
				t.Fatalf("%q: read %s, %v; Go reads %s", s, FormatTime(got), err, FormatTime(want))
			}
		}
		if err != nil {
			return
		}
		m := fields.FindStringSubmatch(trimmed)
		if m == nil {
			t.Fatalf("%q read as %s, but it is not d/m/Y", s, FormatTime(got))
		}
		d, _ := strconv.Atoi(m[1])
		mo, _ := strconv.Atoi(m[2])
		y, _ := strconv.Atoi(m[3])
		if got.Day() != d || int(got.Month()) != mo || got.Year() != y {
			t.Fatalf("%q read as %s: not the date written", s, FormatTime(got))
		}
	})
}

// A numeric date no built-in form reads gets the format its numbers allow.
func TestNotDateHint(t *testing.T) {
	spec := &dateSpec{loc: time.UTC}
	for in, want := range map[string]string{
		"03/15/2020":        `the second number is the day (give format: "%m/%d/%Y" in the mapping)`,
		"15.03.2020":        `the first number is the day (give format: "%d.%m.%Y" in the mapping)`,
		"03/04/20 10:00":    `cannot be told apart (give format: "%d/%m/%y %H:%M", day first, or "%m/%d/%y %H:%M", month first, in the mapping)`,
		"3-31-2020 1:02:03": `the second number is the day (give format: "%m-%d-%Y %H:%M:%S" in the mapping)`,
		"next tuesday":      `no known date format matches (give the layout with format: in the mapping, e.g. %d/%m/%Y)`,
	} {
		_, err := parseTime([]byte(in), spec)
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("%q: got %v, want …%s", in, err, want)
		}
	}
}
