package parquet

import (
	"encoding/base64"
	"encoding/binary"
	"errors"
	"fmt"
	"math"
	"math/big"
	"strconv"
	"unicode/utf8"

	"github.com/groupimport/groupimport/importer/internal/lineio"
	"github.com/groupimport/groupimport/internal/jsonx"
	"github.com/groupimport/groupimport/record"
	parquetgo "github.com/parquet-go/parquet-go"
	"github.com/parquet-go/parquet-go/format"
)

// Value conversions of Parquet leaves. The rules, per pqConv:
//
//   - Integers are JSON numbers when a JavaScript consumer reads them
//     exactly (|v| ≤ 2^53−1); larger ones are strings holding the exact
//     digits, so that no downstream double rounds an id or an amount.
//   - DECIMAL values are their exact decimal text with the column's scale
//     (DECIMAL(10,2) 1234.5 is "1234.50"). A value whose unscaled digits,
//     trailing zeros aside, number at most 15 (every such decimal survives a
//     trip through a double) is a Number; a longer one is a String holding the
//     same exact text.
//   - FLOAT, DOUBLE and FLOAT16 are the shortest decimal text that reads back
//     as the same value at the column's precision, in plain notation between
//     1e-6 and 1e21 and exponent notation outside (as JavaScript prints them).
//     NaN and ±Infinity have no JSON form: they are read as null, which is
//     how an empty cell is treated (the trait is left out).
//   - DATE, TIMESTAMP and INT96 become ISO-8601 UTC instants with
//     milliseconds; finer units are floored to the millisecond. A TIMESTAMP
//     with isAdjustedToUTC=false (a local wall time, zone unknown) is read as
//     if it were UTC. A value outside the years 0001–9999 cannot be written
//     in that form: the row is rejected with a reason naming the column.
//   - TIME becomes "HH:MM:SS.mmm" text; a value outside 00:00–24:00 rejects
//     the row.
//   - Text (STRING, ENUM, UTF8) must be valid UTF-8, else the row is
//     rejected; bytes without a text annotation become base64 (standard
//     alphabet, padded), but see binary.go for BYTE_ARRAY columns
//     (binary_as_string, and text when every value is).

const maxSafeInt = 1<<53 - 1

// Milliseconds since the epoch of 0001-01-01T00:00:00.000Z and of
// 9999-12-31T23:59:59.999Z.
const (
	minMillis = -62135596800000
	maxMillis = 253402300799999
)

// julianEpoch is the Julian day number of 1970-01-01 (INT96 timestamps
// count days from the Julian epoch).
const julianEpoch = 2440588

// convErr is why a value was rejected: its row error's code and reason.
type convErr struct{ code, reason string }

// reject returns the convErr for a value rejected with code.
func reject(code, format string, args ...any) *convErr {
	return &convErr{code: code, reason: fmt.Sprintf(format, args...)}
}

// appendLeaf appends v, a non-null value of leaf l, as the raw bytes of a
// record.Value and returns its kind; a non-empty reason rejects the row.
func (d *pqDecoder) appendLeaf(dst []byte, l *pqLeaf, v *parquetgo.Value) ([]byte, record.Kind, *convErr) {
	switch l.conv {
	case convBool:
		if v.Boolean() {
			return append(dst, "true"...), record.Bool, nil
		}
		return append(dst, "false"...), record.Bool, nil
	case convInt32:
		return strconv.AppendInt(dst, int64(v.Int32()), 10), record.Number, nil
	case convUint32:
		return strconv.AppendUint(dst, uint64(v.Uint32()), 10), record.Number, nil
	case convInt64:
		x := v.Int64()
		dst = strconv.AppendInt(dst, x, 10)
		if x > maxSafeInt || x < -maxSafeInt {
			return dst, record.String, nil
		}
		return dst, record.Number, nil
	case convUint64:
		x := v.Uint64()
		dst = strconv.AppendUint(dst, x, 10)
		if x > maxSafeInt {
			return dst, record.String, nil
		}
		return dst, record.Number, nil
	case convFloat:
		f := float64(v.Float())
		if math.IsNaN(f) || math.IsInf(f, 0) {
			return dst, record.Null, nil
		}
		return appendJSONFloat(dst, f, 32), record.Number, nil
	case convDouble:
		f := v.Double()
		if math.IsNaN(f) || math.IsInf(f, 0) {
			return dst, record.Null, nil
		}
		return appendJSONFloat(dst, f, 64), record.Number, nil
	case convFloat16:
		b := v.ByteArray()
		if len(b) != 2 {
			return dst, record.Null, reject(record.CodeInvalidValue, "a FLOAT16 value of %d bytes", len(b))
		}
		h := binary.LittleEndian.Uint16(b)
		f := float64(float16to32(h))
		if math.IsNaN(f) || math.IsInf(f, 0) {
			return dst, record.Null, nil
		}
		return appendFloat16(dst, h, f), record.Number, nil
	case convString:
		b := v.ByteArray()
		if !utf8.Valid(b) {
			return dst, record.Null, invalidText(l, b)
		}
		return append(dst, b...), record.String, nil
	case convBinary:
		b := v.ByteArray()
		return base64.StdEncoding.AppendEncode(dst, b), record.String, nil
	case convJSON:
		return appendJSONLeaf(dst, v.ByteArray(), d.maxDepth)
	case convUUID:
		b := v.ByteArray()
		if len(b) != 16 {
			return dst, record.Null, reject(record.CodeInvalidValue, "a UUID of %d bytes", len(b))
		}
		return appendUUID(dst, b), record.String, nil
	case convDecimal:
		return d.appendDecimal(dst, l, v)
	case convDate:
		days := int64(v.Int32())
		ms := days * 86400000
		if ms < minMillis || ms > maxMillis {
			return dst, record.Null, reject(record.CodeValueOutOfRange, "the DATE %d days from 1970-01-01 is outside the years 0001-9999", days)
		}
		return appendISOMillis(dst, ms), record.Time, nil
	case convTime:
		var x int64
		if l.physical == format.Int32 {
			x = int64(v.Int32())
		} else {
			x = v.Int64()
		}
		if x < 0 || x > 86400*l.unit {
			return dst, record.Null, reject(record.CodeValueOutOfRange, "the TIME value %d is outside 00:00-24:00", x)
		}
		ms := floorDiv(x, l.unit/1000)
		return appendTimeOfDay(dst, ms), record.String, nil
	case convTimestamp:
		x := v.Int64()
		ms := x
		if l.unit != unitMillis {
			ms = floorDiv(x, l.unit/1000)
		}
		if ms < minMillis || ms > maxMillis {
			return dst, record.Null, reject(record.CodeValueOutOfRange, "the timestamp %d (%s since 1970-01-01) is outside the years 0001-9999", x, unitName(l.unit))
		}
		return appendISOMillis(dst, ms), record.Time, nil
	case convInt96:
		b := v.ByteArray()
		if len(b) != 12 {
			return dst, record.Null, reject(record.CodeInvalidValue, "an INT96 value of %d bytes", len(b))
		}
		nanos := int64(binary.LittleEndian.Uint64(b[:8]))
		day := int64(int32(binary.LittleEndian.Uint32(b[8:])))
		ms := (day-julianEpoch)*86400000 + floorDiv(nanos, 1e6)
		if ms < minMillis || ms > maxMillis {
			return dst, record.Null, reject(record.CodeValueOutOfRange, "the INT96 timestamp (Julian day %d, %d ns into the day) is outside the years 0001-9999", day, nanos)
		}
		return appendISOMillis(dst, ms), record.Time, nil
	case convInterval:
		b := v.ByteArray()
		if len(b) != 12 {
			return dst, record.Null, reject(record.CodeInvalidValue, "an INTERVAL of %d bytes", len(b))
		}
		return appendInterval(dst, b), record.String, nil
	case convNull:
		return dst, record.Null, nil
	}
	return dst, record.Null, reject(record.CodeInvalidValue, "no conversion for %s", l.physical)
}

func unitName(u int64) string {
	switch u {
	case unitMillis:
		return "milliseconds"
	case unitMicros:
		return "microseconds"
	}
	return "nanoseconds"
}

// floorDiv divides rounding toward negative infinity.
func floorDiv(a, b int64) int64 {
	q := a / b
	if (a%b != 0) && ((a < 0) != (b < 0)) {
		q--
	}
	return q
}

// appendISOMillis appends ms since the epoch (within the years 1–9999) as
// 2006-01-02T15:04:05.000Z.
func appendISOMillis(dst []byte, ms int64) []byte {
	days := floorDiv(ms, 86400000)
	rem := ms - days*86400000
	y, m, d := civil(days)
	dst = append4(dst, y)
	dst = append(dst, '-')
	dst = append2(dst, m)
	dst = append(dst, '-')
	dst = append2(dst, d)
	dst = append(dst, 'T')
	dst = appendTimeOfDay(dst, rem)
	return append(dst, 'Z')
}

// appendTimeOfDay appends ms since midnight as 15:04:05.000 (24:00:00.000
// for the end of the day).
func appendTimeOfDay(dst []byte, ms int64) []byte {
	s := ms / 1000
	dst = append2(dst, int(s/3600))
	dst = append(dst, ':')
	dst = append2(dst, int(s/60%60))
	dst = append(dst, ':')
	dst = append2(dst, int(s%60))
	dst = append(dst, '.')
	f := int(ms % 1000)
	return append(dst, byte('0'+f/100), byte('0'+f/10%10), byte('0'+f%10))
}

func append2(dst []byte, v int) []byte { return append(dst, byte('0'+v/10), byte('0'+v%10)) }

func append4(dst []byte, v int) []byte {
	return append(dst, byte('0'+v/1000), byte('0'+v/100%10), byte('0'+v/10%10), byte('0'+v%10))
}

// civil converts days since 1970-01-01 to a proleptic Gregorian date
// (Howard Hinnant's algorithm).
func civil(days int64) (y, m, d int) {
	z := days + 719468
	era := floorDiv(z, 146097)
	doe := z - era*146097
	yoe := (doe - doe/1460 + doe/36524 - doe/146096) / 365
	yy := yoe + era*400
	doy := doe - (365*yoe + yoe/4 - yoe/100)
	mp := (5*doy + 2) / 153
	dd := doy - (153*mp+2)/5 + 1
	mm := mp + 3
	if mm > 12 {
		mm -= 12
	}
	if mm <= 2 {
		yy++
	}
	return int(yy), int(mm), int(dd)
}

// appendJSONFloat appends f (finite) as the shortest text that reads back
// as the same value at bits precision, as JavaScript prints numbers.
func appendJSONFloat(dst []byte, f float64, bits int) []byte {
	abs := math.Abs(f)
	format := byte('f')
	if abs != 0 {
		if bits == 64 && (abs < 1e-6 || abs >= 1e21) || bits == 32 && (float32(abs) < 1e-6 || float32(abs) >= 1e21) {
			format = 'e'
		}
	}
	start := len(dst)
	dst = strconv.AppendFloat(dst, f, format, -1, bits)
	if format == 'e' {
		// 1e-07 → 1e-7, as encoding/json does
		n := len(dst) - start
		if n >= 4 && dst[len(dst)-4] == 'e' && dst[len(dst)-3] == '-' && dst[len(dst)-2] == '0' {
			dst[len(dst)-2] = dst[len(dst)-1]
			dst = dst[:len(dst)-1]
		}
	}
	return dst
}

// float16to32 converts an IEEE 754 half-precision value.
func float16to32(h uint16) float32 {
	sign := uint32(h>>15) << 31
	exp := uint32(h>>10) & 0x1f
	frac := uint32(h) & 0x3ff
	switch {
	case exp == 0x1f: // Inf, NaN
		return math.Float32frombits(sign | 0xff<<23 | frac<<13)
	case exp == 0:
		if frac == 0 {
			return math.Float32frombits(sign)
		}
		// subnormal: frac × 2^-24
		f := float32(frac) * (1.0 / (1 << 24))
		if sign != 0 {
			f = -f
		}
		return f
	}
	return math.Float32frombits(sign | (exp+127-15)<<23 | frac<<13)
}

// float64to16 rounds f to the nearest half-precision value (ties to even).
func float64to16(f float64) uint16 {
	var sign uint16
	if math.Signbit(f) {
		sign = 0x8000
	}
	a := math.Abs(f)
	if a >= 65520 { // rounds to Inf
		return sign | 0x7c00
	}
	// Find the largest half ≤ a by binary search over the 0x7c00 finite
	// magnitudes (monotonic in their bit patterns).
	lo, hi := uint16(0), uint16(0x7bff)
	for lo < hi {
		mid := (lo + hi + 1) / 2
		if float64(float16to32(mid)) <= a {
			lo = mid
		} else {
			hi = mid - 1
		}
	}
	below := lo
	if float64(float16to32(below)) == a || below == 0x7bff {
		return sign | below
	}
	above := below + 1
	db := a - float64(float16to32(below))
	da := float64(float16to32(above)) - a
	switch {
	case db < da:
		return sign | below
	case da < db:
		return sign | above
	}
	if below&1 == 0 {
		return sign | below
	}
	return sign | above
}

// appendFloat16 appends the shortest decimal that reads back as the half h
// (value f).
func appendFloat16(dst []byte, h uint16, f float64) []byte {
	for prec := 1; prec <= 5; prec++ {
		s := strconv.FormatFloat(f, 'e', prec-1, 64)
		g, err := strconv.ParseFloat(s, 64)
		if err == nil && float64to16(g)&0x7fff == h&0x7fff {
			return appendJSONFloat(dst, g, 64)
		}
	}
	return appendJSONFloat(dst, f, 32)
}

const hexDigits = "0123456789abcdef"

func appendUUID(dst []byte, b []byte) []byte {
	for i, c := range b {
		if i == 4 || i == 6 || i == 8 || i == 10 {
			dst = append(dst, '-')
		}
		dst = append(dst, hexDigits[c>>4], hexDigits[c&0xf])
	}
	return dst
}

// appendInterval appends a Parquet INTERVAL (months, days, milliseconds,
// little-endian unsigned) as an ISO-8601 duration: P14M3DT0.250S.
func appendInterval(dst []byte, b []byte) []byte {
	months := binary.LittleEndian.Uint32(b[0:])
	days := binary.LittleEndian.Uint32(b[4:])
	ms := binary.LittleEndian.Uint32(b[8:])
	dst = append(dst, 'P')
	dst = strconv.AppendUint(dst, uint64(months), 10)
	dst = append(dst, 'M')
	dst = strconv.AppendUint(dst, uint64(days), 10)
	dst = append(dst, 'D', 'T')
	dst = strconv.AppendUint(dst, uint64(ms/1000), 10)
	dst = append(dst, '.')
	f := ms % 1000
	dst = append(dst, byte('0'+f/100), byte('0'+f/10%10), byte('0'+f%10))
	return append(dst, 'S')
}

// appendDecimal appends a DECIMAL value as exact text with the leaf's scale.
func (d *pqDecoder) appendDecimal(dst []byte, l *pqLeaf, v *parquetgo.Value) ([]byte, record.Kind, *convErr) {
	start := len(dst)
	switch l.physical {
	case format.Int32:
		dst = appendScaled(dst, strconv.AppendInt(d.digits[:0], int64(v.Int32()), 10), l.scale)
	case format.Int64:
		dst = appendScaled(dst, strconv.AppendInt(d.digits[:0], v.Int64(), 10), l.scale)
	default:
		b := v.ByteArray()
		switch {
		case len(b) == 0:
			dst = appendScaled(dst, append(d.digits[:0], '0'), l.scale)
		case len(b) <= 8:
			x := int64(int8(b[0])) // sign extension
			for _, c := range b[1:] {
				x = x<<8 | int64(c)
			}
			dst = appendScaled(dst, strconv.AppendInt(d.digits[:0], x, 10), l.scale)
		default:
			if len(b) > 4096 {
				return dst, record.Null, reject(record.CodeInvalidValue, "a DECIMAL of %d bytes", len(b))
			}
			neg := b[0]&0x80 != 0
			mag := b
			if neg {
				// two's complement: magnitude = ^b + 1
				d.neg = append(d.neg[:0], b...)
				for i := range d.neg {
					d.neg[i] = ^d.neg[i]
				}
				for i := len(d.neg) - 1; i >= 0; i-- {
					d.neg[i]++
					if d.neg[i] != 0 {
						break
					}
				}
				mag = d.neg
			}
			d.big.SetBytes(mag)
			if neg {
				d.big.Neg(&d.big)
			}
			d.digits = d.big.Append(d.digits[:0], 10)
			dst = appendScaled(dst, d.digits, l.scale)
		}
	}
	if significantDigits(dst[start:]) > 15 {
		return dst, record.String, nil
	}
	return dst, record.Number, nil
}

// invalidText is the error for b, a value of the text leaf l that is not
// valid UTF-8.
func invalidText(l *pqLeaf, b []byte) *convErr {
	off := lineio.InvalidUTF8At(b)
	if l.plainBinary {
		return reject(record.CodeNotUTF8Binary, "invalid UTF-8 (byte 0x%02x at offset %d) in a byte column read as text (binary_as_string)", b[off], off)
	}
	return reject(record.CodeInvalidUTF8, "invalid UTF-8 (byte 0x%02x at offset %d) in a text value", b[off], off)
}

// appendScaled appends the integer text digits (optional '-') divided by
// 10^scale, with exactly scale fraction digits.
func appendScaled(dst, digits []byte, scale int) []byte {
	if len(digits) > 0 && digits[0] == '-' {
		dst = append(dst, '-')
		digits = digits[1:]
	}
	if scale <= 0 {
		return append(dst, digits...)
	}
	if len(digits) <= scale {
		dst = append(dst, '0', '.')
		for i := len(digits); i < scale; i++ {
			dst = append(dst, '0')
		}
		return append(dst, digits...)
	}
	dst = append(dst, digits[:len(digits)-scale]...)
	dst = append(dst, '.')
	return append(dst, digits[len(digits)-scale:]...)
}

// significantDigits counts the digits of decimal text between the first
// and the last non-zero digit.
func significantDigits(s []byte) int {
	first, last, n := -1, -1, 0
	for _, c := range s {
		if c < '0' || c > '9' {
			continue
		}
		if c != '0' {
			if first < 0 {
				first = n
			}
			last = n
		}
		n++
	}
	if first < 0 {
		return 0
	}
	return last - first + 1
}

// appendJSONLeaf validates a JSON-annotated value. Objects and arrays are
// kept (compacted) as JSON; a scalar becomes its own kind.
func appendJSONLeaf(dst, b []byte, maxDepth int) ([]byte, record.Kind, *convErr) {
	i := jsonx.SkipSpace(b, 0)
	if i >= len(b) {
		return dst, record.Null, reject(record.CodeMalformedJSON, "an empty JSON value")
	}
	start := len(dst)
	out, end, err := jsonx.AppendCompact(dst, b, i, maxDepth)
	if err == nil && jsonx.SkipSpace(b, end) != len(b) {
		err = fmt.Errorf("unexpected data after the value at offset %d", end)
	}
	if err != nil {
		code := record.CodeMalformedJSON
		if errors.Is(err, jsonx.ErrTooDeep) {
			code = record.CodeTooDeep
		}
		return dst[:start], record.Null, &convErr{code: code, reason: "invalid JSON: " + err.Error()}
	}
	switch jsonx.KindOf(out[start]) {
	case jsonx.Object, jsonx.Array:
		return out, record.JSON, nil
	case jsonx.String:
		s := jsonx.Unquote(nil, out[start:])
		return append(out[:start], s...), record.String, nil
	case jsonx.Number:
		return out, record.Number, nil
	case jsonx.True, jsonx.False:
		return out, record.Bool, nil
	}
	return out[:start], record.Null, nil
}

// pqDecoder holds one decoding goroutine's scratch space.
type pqDecoder struct {
	maxDepth int
	big      big.Int
	digits   []byte
	neg      []byte
	scratch  []byte
	variant  variantState
	warns    map[string]int64 // warnings since the reader last took them
}

func (d *pqDecoder) warn(msg string, n int64) {
	if d.warns == nil {
		d.warns = map[string]int64{}
	}
	d.warns[msg] += n
}
