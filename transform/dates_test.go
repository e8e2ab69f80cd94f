package transform

import (
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
				l, err := strftimeLayout(tc.fmt)
				if err != nil {
					t.Fatal(err)
				}
				ds.layout = l
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
	for _, s := range []string{"2024-05-01T12:00:00Z", "2024-05-01", "1714564800", "1714564800.5", "2024-05-01 12:00:00.25+02:00", "1 May 2024", "-1", "9999-12-31T23:59:59.999Z"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		tm, err := parseTime([]byte(s), &dateSpec{loc: time.UTC})
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
