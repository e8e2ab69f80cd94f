package transform

import (
	"fmt"

	"github.com/groupimport/groupimport/internal/jsonx"
	"github.com/groupimport/groupimport/record"
)

// appendAddress writes the address object from flat parts and/or a nested
// object, keys in the order street, city, state, postalCode, country. A
// part of its own column wins over the same part in the object.
func (b *Builder) appendAddress(dst []byte, row *record.Row, p *rowPlan, a *addressSlot, comma bool, count *int) ([]byte, *RowError) {
	for k := range b.addressBuf {
		b.addressBuf[k] = b.addressBuf[k][:0]
	}
	have, rerr := b.flatAddress(row, p, a)
	if rerr != nil {
		return dst, rerr
	}
	if a.whole.present() {
		got, rerr := b.wholeAddress(row, p, a.whole)
		if rerr != nil {
			return dst, rerr
		}
		have = have || got
	}
	if !have {
		return dst, nil
	}
	return b.writeAddress(dst, p, comma, count)
}

// flatAddress reads the parts mapped to columns of their own into
// b.addressBuf, reporting whether there was one.
func (b *Builder) flatAddress(row *record.Row, p *rowPlan, a *addressSlot) (bool, *RowError) {
	have := false
	for k, c := range a.parts {
		if !c.present() {
			continue
		}
		v := b.value(row, p, c)
		if v.IsEmpty() {
			continue
		}
		if v.Kind == record.JSON {
			return false, &RowError{Code: CodeInvalidAddress, Column: c.column, Reason: "an address part must be text, not JSON"}
		}
		b.addressBuf[k] = append(b.addressBuf[k], v.Bytes...)
		have = true
	}
	return have, nil
}

// wholeAddress reads the address column: an object (JSON, or text holding
// one) fills the parts still empty, other text is the street.
func (b *Builder) wholeAddress(row *record.Row, p *rowPlan, whole colRef) (bool, *RowError) {
	v := b.value(row, p, whole)
	raw := trimSpace(v.Bytes)
	switch {
	case v.IsEmpty():
		return false, nil
	case v.Kind == record.JSON || (v.Kind == record.String && len(raw) > 0 && raw[0] == '{'):
		return b.addressObject(raw, whole.column)
	case v.Kind == record.String || v.Kind == record.Number:
		if len(b.addressBuf[0]) > 0 {
			return false, nil
		}
		b.addressBuf[0] = append(b.addressBuf[0], v.Bytes...)
		return true, nil
	}
	return false, &RowError{Code: CodeInvalidAddress, Column: whole.column, Reason: "the address must be an object or text"}
}

// addressObject fills the empty parts from a JSON object; keys that are no
// address part are dropped with a warning.
func (b *Builder) addressObject(raw []byte, column string) (bool, *RowError) {
	if raw[0] != '{' || jsonx.Valid(raw, jsonx.MaxDepth) != nil {
		return false, notAnObject(column)
	}
	have := false
	err := jsonx.ObjectEach(raw, func(k, val []byte) error {
		key := string(jsonx.Unquote(nil, k))
		part, ok := addressPart(key)
		if !ok {
			b.warn("column %q: address key %q dropped (an address has only street, city, state, postalCode, country)", column, key)
			return nil
		}
		pv := b.jsonValue(val)
		if pv.IsEmpty() {
			return nil
		}
		if pv.Kind == record.JSON {
			return &RowError{Code: CodeInvalidAddress, Column: column, Reason: fmt.Sprintf("address.%s must be text, not JSON", part)}
		}
		for i, name := range addressParts {
			if name == part && len(b.addressBuf[i]) == 0 {
				b.addressBuf[i] = append(b.addressBuf[i], pv.Bytes...)
				have = true
			}
		}
		return nil
	})
	if err != nil {
		if re, ok := err.(*RowError); ok {
			return false, re
		}
		return false, notAnObject(column)
	}
	return have, nil
}

func notAnObject(column string) *RowError {
	return &RowError{Code: CodeInvalidAddress, Column: column, Reason: "the address is not a JSON object"}
}

// addressKeys are addressParts as written, quoted with their colon
// (TestAddressKeys).
var addressKeys = [...]string{`"street":`, `"city":`, `"state":`, `"postalCode":`, `"country":`}

// writeAddress appends "address":{…} from b.addressBuf.
func (b *Builder) writeAddress(dst []byte, p *rowPlan, comma bool, count *int) ([]byte, *RowError) {
	if comma {
		dst = append(dst, ',')
	}
	dst = append(dst, `"address":{`...)
	first := true
	for k, v := range b.addressBuf {
		if len(v) == 0 {
			continue
		}
		if len(v) > maxValueBytes && !p.warnLimits {
			return dst, &RowError{Code: CodeValueTooLong, Column: "address." + addressParts[k], Reason: fmt.Sprintf("the value is %d bytes, over Journeys' %d-byte limit", len(v), maxValueBytes)}
		}
		if !first {
			dst = append(dst, ',')
		}
		first = false
		dst = append(dst, addressKeys[k]...)
		mark := len(dst)
		dst = jsonx.AppendString(dst, v)
		b.observe(statAddress+k, mark, len(dst))
	}
	*count++
	return append(dst, '}'), nil
}
