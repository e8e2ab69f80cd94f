package transform

import (
	"bytes"
	"errors"
	"regexp"
	"strconv"
)

// Numbers written in text are read exactly: never through a float, so
// that nothing is rounded on the way. A mapping section says how its text
// writes them (decimal: and thousands:); JSON and Parquet numbers are
// always JSON numbers.

// numberFormat is how a section's text writes numbers.
type numberFormat struct {
	decimal   byte   // '.' (default) or ','
	thousands string // "" (none), ".", ",", "'" or " " (any space: also no-break ones)
}

// plainNumbers is JSON's own writing: a decimal point, no grouping.
var plainNumbers = numberFormat{decimal: '.'}

func newNumberFormat(km *KindMapping) numberFormat {
	nf := plainNumbers
	if km.Decimal == "," {
		nf.decimal = ','
	}
	nf.thousands = km.Thousands
	return nf
}

// Values of decimal: and thousands: in a mapping.
var (
	decimalSeparators   = []string{".", ","}
	thousandsSeparators = []string{".", ",", "'", " "}
)

// decimal is a number read from text: its digits (integer part, then
// fraction), where the fraction starts, and the exponent.
type decimal struct {
	neg    bool
	plus   bool // written with a + sign
	point  bool // written with a decimal separator
	digits []byte
	nInt   int // digits[:nInt] is the integer part
	exp    int // the written exponent (clamped far beyond any double)
	expRaw []byte
}

// errNumberRange is a number no double holds: over ±1.8e308, or not zero
// yet under 4.9e-324.
var errNumberRange = errors.New("out of the range of a double")

// errNotIntegral is a number with a fraction, where an integer is wanted.
var errNotIntegral = errors.New("not a whole number")

// sepAt returns the length of the thousands separator at b[i:], or 0.
func (nf numberFormat) sepAt(b []byte, i int) int {
	switch {
	case nf.thousands == "":
		return 0
	case nf.thousands == " ":
		for _, sp := range []string{" ", "\u00a0", "\u202f"} {
			if bytes.HasPrefix(b[i:], []byte(sp)) {
				return len(sp)
			}
		}
		return 0
	case bytes.HasPrefix(b[i:], []byte(nf.thousands)):
		return len(nf.thousands)
	}
	return 0
}

// parseDecimal reads a number written in text: an optional sign, digits
// (grouped by thousands in threes, when the format has a separator), an
// optional fraction after the decimal separator, an optional exponent.
// The digits are appended to buf.
func parseDecimal(b []byte, nf numberFormat, buf []byte) (decimal, bool) {
	d := decimal{digits: buf[:0]}
	i := 0
	if i < len(b) && (b[i] == '-' || b[i] == '+') {
		d.neg, d.plus = b[i] == '-', b[i] == '+'
		i++
	}
	var ok bool
	if i, ok = d.integerPart(b, i, nf); !ok {
		return d, false
	}
	if i < len(b) && b[i] == nf.decimal {
		d.point = true
		i++
		for i < len(b) && b[i] >= '0' && b[i] <= '9' {
			d.digits = append(d.digits, b[i])
			i++
		}
	}
	if len(d.digits) == 0 {
		return d, false
	}
	if i < len(b) && (b[i] == 'e' || b[i] == 'E') {
		if i, ok = d.exponent(b, i+1); !ok {
			return d, false
		}
	}
	return d, i == len(b)
}

// integerPart reads the digits before the decimal separator, checking the
// grouping: 1 to 3 digits, then separator and three digits at a time.
func (d *decimal) integerPart(b []byte, i int, nf numberFormat) (int, bool) {
	group, grouped := 0, false
	for i < len(b) {
		if c := b[i]; c >= '0' && c <= '9' {
			d.digits = append(d.digits, c)
			group++
			i++
			continue
		}
		n := nf.sepAt(b, i)
		if n == 0 || group == 0 || (grouped && group != 3) || (!grouped && group > 3) {
			break
		}
		grouped, group = true, 0
		i += n
		if i >= len(b) || b[i] < '0' || b[i] > '9' {
			return i, false // a separator must be followed by digits
		}
	}
	d.nInt = len(d.digits)
	return i, !grouped || group == 3
}

// exponent reads the exponent's sign and digits from b[i:].
func (d *decimal) exponent(b []byte, i int) (int, bool) {
	start := i
	if i < len(b) && (b[i] == '-' || b[i] == '+') {
		i++
	}
	digits := i
	e := 0
	for i < len(b) && b[i] >= '0' && b[i] <= '9' {
		if e < 1e8 {
			e = e*10 + int(b[i]-'0')
		}
		i++
	}
	if i == digits {
		return i, false
	}
	if b[start] == '-' {
		e = -e
	}
	d.exp, d.expRaw = e, b[start:i]
	return i, true
}

// significant returns the digits without leading zeros, and the power of
// ten of the last one.
func (d *decimal) significant() ([]byte, int) {
	digits := d.digits
	for len(digits) > 0 && digits[0] == '0' {
		digits = digits[1:]
	}
	return digits, d.exp - (len(d.digits) - d.nInt)
}

// inRange reports whether a double holds the number (without turning it
// into infinity, or into zero when it is not zero).
func (d *decimal) inRange() bool {
	digits, last := d.significant()
	if len(digits) == 0 {
		return true
	}
	top := last + len(digits) - 1 // the power of ten of the first digit
	if top > -300 && top < 300 {
		return true
	}
	// near the edges: as the double parser decides
	s := string(digits[:1]) + "." + string(digits[1:]) + "e" + strconv.Itoa(top)
	f, err := strconv.ParseFloat(s, 64)
	return err == nil && f != 0
}

// appendJSON writes the number as JSON, digit for digit: "+1.50" becomes
// 1.50, "007" 7, ".5" 0.5.
func (d *decimal) appendJSON(dst []byte) []byte {
	intPart := d.digits[:d.nInt]
	for len(intPart) > 1 && intPart[0] == '0' {
		intPart = intPart[1:]
	}
	if d.neg {
		dst = append(dst, '-')
	}
	if len(intPart) == 0 {
		dst = append(dst, '0')
	}
	dst = append(dst, intPart...)
	if len(d.digits) > d.nInt {
		dst = append(dst, '.')
		dst = append(dst, d.digits[d.nInt:]...)
	}
	if d.expRaw != nil {
		dst = append(dst, 'e')
		dst = append(dst, d.expRaw...)
	}
	return dst
}

// appendInteger writes the number as JSON integer digits when it is a
// whole number (1.0, 12e3, 1.5e1), exactly: 1.000000000000000005 is not
// one, nor is 1e-999.
func (d *decimal) appendInteger(dst []byte) ([]byte, error) {
	digits, last := d.significant()
	if len(digits) == 0 {
		return append(dst, '0'), nil
	}
	if last < 0 {
		if -last >= len(digits) || !allZeros(digits[len(digits)+last:]) {
			return dst, errNotIntegral
		}
		digits, last = digits[:len(digits)+last], 0
	}
	if len(digits)+last > 309 {
		return dst, errNumberRange
	}
	if d.neg {
		dst = append(dst, '-')
	}
	dst = append(dst, digits...)
	for range last {
		dst = append(dst, '0')
	}
	return dst, nil
}

func allZeros(b []byte) bool {
	for _, c := range b {
		if c != '0' {
			return false
		}
	}
	return true
}

// appendNumber appends the JSON number that text b writes in format nf;
// ok is false when b is not a number, err set when it is one that cannot
// be sent (out of the range of a double).
func appendNumber(dst, b []byte, nf numberFormat, buf *[]byte) (out []byte, ok bool, err error) {
	d, ok := parseDecimal(b, nf, *buf)
	*buf = d.digits
	if !ok {
		return dst, false, nil
	}
	if !d.inRange() {
		return dst, true, errNumberRange
	}
	return d.appendJSON(dst), true, nil
}

// appendIntegerText appends the integer that text b writes in format nf;
// ok is false when b is not a number, err set when it is one but not a
// whole one, or out of range.
func appendIntegerText(dst, b []byte, nf numberFormat, buf *[]byte) (out []byte, ok bool, err error) {
	d, ok := parseDecimal(b, nf, *buf)
	*buf = d.digits
	if !ok {
		return dst, false, nil
	}
	out, err = d.appendInteger(dst)
	return out, true, err
}

// jsonNumberInRange reports whether a double holds the JSON number b; it
// parses only numbers with an exponent or of 300 digits or more.
func jsonNumberInRange(b []byte) bool {
	if len(b) < 300 && !hasExponent(b) {
		return true
	}
	d, ok := parseDecimal(b, plainNumbers, nil)
	return !ok || d.inRange()
}

// integerText returns the canonical digits of an integer written as
// digits, with an optional sign, or as a whole decimal (12.0, 1e3).
func integerText(b []byte) ([]byte, bool) {
	if len(b) > 0 && len(b) < 300 && b[0] != '0' && allDigits(b) {
		return b, true
	}
	var buf []byte
	out, ok, err := appendIntegerText(nil, b, plainNumbers, &buf)
	return out, ok && err == nil
}

// hasExponent reports whether a number's text has an e or E: a loop, as
// bytes.IndexAny(b, "eE") built its set of bytes on every call (2.4% of a
// run's CPU on the bench's companies Parquet, whose numbers all pass here).
func hasExponent(b []byte) bool {
	for _, c := range b {
		if c|0x20 == 'e' {
			return true
		}
	}
	return false
}

func allDigits(b []byte) bool {
	for _, c := range b {
		if c < '0' || c > '9' {
			return false
		}
	}
	return true
}

// plainText returns a number written in format nf as JSON would write it
// but digit for digit (leading zeros kept), for telling integers and
// decimals apart in a sample; ok is false for other text, and for forms a
// sample does not vouch for (a + sign, an exponent, "5.").
func plainText(b []byte, nf numberFormat) ([]byte, bool) {
	d, ok := parseDecimal(b, nf, nil)
	if !ok || d.plus || d.expRaw != nil || (d.point && len(d.digits) == d.nInt) {
		return nil, false
	}
	out := make([]byte, 0, len(d.digits)+2)
	if d.neg {
		out = append(out, '-')
	}
	out = append(out, d.digits[:d.nInt]...)
	if d.point {
		out = append(out, '.')
		out = append(out, d.digits[d.nInt:]...)
	}
	return out, true
}

// Numbers written with a decimal comma (1.234,50 or 3,5), which read as
// text without decimal: "," in the mapping.
var (
	commaGrouped = regexp.MustCompile(`^-?\d{1,3}(\.\d{3})*,\d+$`)
	commaPlain   = regexp.MustCompile(`^-?\d+,\d+$`)
	// commaOrThousands could be either: 1,234 is a thousand in English.
	commaOrThousands = regexp.MustCompile(`^-?\d{1,3},\d{3}$`)
)

// looksDecimalComma reports whether text b is a number written with a
// decimal comma.
func looksDecimalComma(b []byte) bool {
	return commaGrouped.Match(b) || commaPlain.Match(b)
}
