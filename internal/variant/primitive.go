package variant

import (
	"encoding/base64"
	"encoding/binary"
	"fmt"
	"math"
	"math/big"
	"strconv"
	"unicode/utf8"

	"github.com/groupimport/groupimport/internal/jsonx"
)

// Primitive type ids (the value header of basic type 0).
const (
	typeNull          = 0
	typeTrue          = 1
	typeFalse         = 2
	typeInt8          = 3
	typeInt16         = 4
	typeInt32         = 5
	typeInt64         = 6
	typeDouble        = 7
	typeDecimal4      = 8
	typeDecimal8      = 9
	typeDecimal16     = 10
	typeDate          = 11
	typeTimestamp     = 12 // micros, UTC
	typeTimestampNTZ  = 13 // micros, no zone
	typeFloat         = 14
	typeBinary        = 15
	typeString        = 16
	typeTime          = 17 // micros since midnight, no zone
	typeTimestampNs   = 18
	typeTimestampNTZs = 19
	typeUUID          = 20
)

// fixed is the size of the data of fixed-size primitive types (-1: sized
// by a 4-byte length).
var fixed = [...]int{
	typeNull: 0, typeTrue: 0, typeFalse: 0, typeInt8: 1, typeInt16: 2, typeInt32: 4, typeInt64: 8,
	typeDouble: 8, typeDecimal4: 5, typeDecimal8: 9, typeDecimal16: 17, typeDate: 4, typeTimestamp: 8,
	typeTimestampNTZ: 8, typeFloat: 4, typeBinary: -1, typeString: -1, typeTime: 8, typeTimestampNs: 8,
	typeTimestampNTZs: 8, typeUUID: 16,
}

const maxSafeInt = 1<<53 - 1

// Milliseconds since the epoch of 0001-01-01T00:00:00.000Z and of
// 9999-12-31T23:59:59.999Z.
const (
	minMillis = -62135596800000
	maxMillis = 253402300799999
)

// primitive appends a primitive value.
func (d *Decoder) primitive(dst []byte, v []byte) ([]byte, int, error) {
	t := int(v[0] >> 2)
	if t >= len(fixed) {
		return dst, 0, invalid("unknown primitive type %d", t)
	}
	size := fixed[t]
	data := v[1:]
	if size < 0 {
		if len(data) < 4 {
			return dst, 0, invalid("a binary or string value ends in its length")
		}
		n := binary.LittleEndian.Uint32(data)
		if uint64(n) > uint64(len(data)-4) {
			return dst, 0, invalid("a binary or string value of %d bytes has %d", n, len(data)-4)
		}
		size = 4 + int(n)
	}
	if len(data) < size {
		return dst, 0, invalid("a value of primitive type %d needs %d bytes, has %d", t, size, len(data))
	}
	data = data[:size]
	out, err := d.appendPrimitive(dst, t, data)
	if err != nil {
		return dst, 0, err
	}
	return out, 1 + size, d.tooLarge(out)
}

func (d *Decoder) appendPrimitive(dst []byte, t int, data []byte) ([]byte, error) {
	le := binary.LittleEndian
	switch t {
	case typeNull:
		return append(dst, "null"...), nil
	case typeTrue:
		return append(dst, "true"...), nil
	case typeFalse:
		return append(dst, "false"...), nil
	case typeInt8:
		return strconv.AppendInt(dst, int64(int8(data[0])), 10), nil
	case typeInt16:
		return strconv.AppendInt(dst, int64(int16(le.Uint16(data))), 10), nil
	case typeInt32:
		return strconv.AppendInt(dst, int64(int32(le.Uint32(data))), 10), nil
	case typeInt64:
		x := int64(le.Uint64(data))
		if x > maxSafeInt || x < -maxSafeInt {
			dst = append(dst, '"')
			return append(strconv.AppendInt(dst, x, 10), '"'), nil
		}
		return strconv.AppendInt(dst, x, 10), nil
	case typeDouble:
		return appendFloat(dst, math.Float64frombits(le.Uint64(data)), 64), nil
	case typeFloat:
		return appendFloat(dst, float64(math.Float32frombits(le.Uint32(data))), 32), nil
	case typeDecimal4, typeDecimal8, typeDecimal16:
		return d.appendDecimal(dst, data)
	case typeDate:
		days := int64(int32(le.Uint32(data)))
		return appendInstant(dst, days*86400000, func() string { return fmt.Sprintf("the date %d days from 1970-01-01", days) })
	case typeTimestamp, typeTimestampNTZ:
		x := int64(le.Uint64(data))
		return appendInstant(dst, floorDiv(x, 1000), func() string { return fmt.Sprintf("the timestamp %d µs from 1970-01-01", x) })
	case typeTimestampNs, typeTimestampNTZs:
		x := int64(le.Uint64(data))
		return appendInstant(dst, floorDiv(x, 1000000), func() string { return fmt.Sprintf("the timestamp %d ns from 1970-01-01", x) })
	case typeTime:
		x := int64(le.Uint64(data))
		if x < 0 || x > 86400*1000000 {
			return dst, &RangeError{What: fmt.Sprintf("the time %d µs", x), Range: "00:00-24:00"}
		}
		dst = append(dst, '"')
		return append(appendTimeOfDay(dst, x/1000), '"'), nil
	case typeBinary:
		dst = append(dst, '"')
		return append(base64.StdEncoding.AppendEncode(dst, data[4:]), '"'), nil
	case typeString:
		if !utf8.Valid(data[4:]) {
			return dst, invalid("a string is not valid UTF-8")
		}
		return jsonx.AppendString(dst, data[4:]), nil
	case typeUUID:
		dst = append(dst, '"')
		return append(appendUUID(dst, data), '"'), nil
	}
	return dst, invalid("unknown primitive type %d", t)
}

// appendDecimal appends a decimal (a scale byte, then the little-endian
// unscaled value of 4, 8 or 16 bytes) as exact text.
func (d *Decoder) appendDecimal(dst []byte, data []byte) ([]byte, error) {
	scale := int(data[0])
	if scale > 38 {
		return dst, invalid("a decimal with scale %d (at most 38)", scale)
	}
	b := data[1:]
	switch len(b) {
	case 4:
		d.digits = strconv.AppendInt(d.digits[:0], int64(int32(binary.LittleEndian.Uint32(b))), 10)
	case 8:
		d.digits = strconv.AppendInt(d.digits[:0], int64(binary.LittleEndian.Uint64(b)), 10)
	default:
		// 16 bytes of two's complement: hi·2^64 + lo.
		lo := new(big.Int).SetUint64(binary.LittleEndian.Uint64(b))
		hi := new(big.Int).SetInt64(int64(binary.LittleEndian.Uint64(b[8:])))
		hi.Lsh(hi, 64).Add(hi, lo)
		d.digits = hi.Append(d.digits[:0], 10)
	}
	start := len(dst) + 1
	dst = append(dst, '"')
	dst = appendScaled(dst, d.digits, scale)
	if significantDigits(dst[start:]) > 15 {
		return append(dst, '"'), nil
	}
	return append(dst[:start-1], dst[start:]...), nil
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

// significantDigits counts the digits between the first and the last
// non-zero digit of decimal text.
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

// appendFloat appends f as the shortest text that reads back as the same
// value at bits precision, in plain notation between 1e-6 and 1e21 and
// exponent notation outside (as JavaScript prints numbers); NaN and
// ±Infinity, which JSON cannot hold, as null.
func appendFloat(dst []byte, f float64, bits int) []byte {
	if math.IsNaN(f) || math.IsInf(f, 0) {
		return append(dst, "null"...)
	}
	abs := math.Abs(f)
	format := byte('f')
	if abs != 0 {
		if bits == 64 && (abs < 1e-6 || abs >= 1e21) || bits == 32 && (float32(abs) < 1e-6 || float32(abs) >= 1e21) {
			format = 'e'
		}
	}
	dst = strconv.AppendFloat(dst, f, format, -1, bits)
	if format == 'e' {
		// 1e-07 → 1e-7, as encoding/json does
		if n := len(dst); n >= 4 && dst[n-4] == 'e' && dst[n-3] == '-' && dst[n-2] == '0' {
			dst[n-2] = dst[n-1]
			dst = dst[:n-1]
		}
	}
	return dst
}

// appendInstant appends ms since the epoch as a quoted ISO-8601 UTC
// instant, or fails outside the years 0001-9999.
func appendInstant(dst []byte, ms int64, what func() string) ([]byte, error) {
	if ms < minMillis || ms > maxMillis {
		return dst, &RangeError{What: what(), Range: "the years 0001-9999"}
	}
	days := floorDiv(ms, 86400000)
	y, m, d := civil(days)
	dst = append(dst, '"')
	dst = append(dst, byte('0'+y/1000), byte('0'+y/100%10), byte('0'+y/10%10), byte('0'+y%10), '-')
	dst = append(dst, byte('0'+m/10), byte('0'+m%10), '-', byte('0'+d/10), byte('0'+d%10), 'T')
	dst = appendTimeOfDay(dst, ms-days*86400000)
	return append(dst, 'Z', '"'), nil
}

// appendTimeOfDay appends ms since midnight as 15:04:05.000.
func appendTimeOfDay(dst []byte, ms int64) []byte {
	s := ms / 1000
	two := func(dst []byte, v int64) []byte { return append(dst, byte('0'+v/10), byte('0'+v%10)) }
	dst = two(dst, s/3600)
	dst = append(dst, ':')
	dst = two(dst, s/60%60)
	dst = append(dst, ':')
	dst = two(dst, s%60)
	f := ms % 1000
	return append(dst, '.', byte('0'+f/100), byte('0'+f/10%10), byte('0'+f%10))
}

// floorDiv divides rounding toward negative infinity.
func floorDiv(a, b int64) int64 {
	q := a / b
	if a%b != 0 && (a < 0) != (b < 0) {
		q--
	}
	return q
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
