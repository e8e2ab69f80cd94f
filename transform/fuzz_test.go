package transform

import (
	"encoding/json"
	"testing"
	"unicode/utf8"

	"github.com/groupimport/groupimport/internal/jsonx"
	"github.com/groupimport/groupimport/internal/speccheck"
	"github.com/groupimport/groupimport/record"
)

// FuzzBuild: whatever the cells hold, a row becomes either one payload that
// is valid JSON and passes the independent SPEC check, or a RowError; never
// a panic, never a partial payload.
func FuzzBuild(f *testing.F) {
	f.Add("g1", "Acme", "2019-03-01", "329", `{"city":"Phoenix"}`, "x", "1714564800", "u1", "anon", "true")
	f.Add("", "", "", "", "", "", "", "", "", "")
	f.Add("g\"2\n", "\x01\x7f", "99999999999999999999", "1e400", `{"zip":1,"street":{"a":1}}`, "\\", "0", "", "a", "maybe")
	f.Add("g3", "名前", "2024-02-30", "-0", `[1,2]`, "\u2028", "2024-05-01T12:00:00+14:00", "u", "", "FALSE")
	cols := []string{"group_id", "name", "created_at", "employees", "address", "note", "updated_at", "user_id", "anonymous_id", "deleted"}
	kms := map[Kind]*KindMapping{}
	for _, k := range []Kind{Companies, Memberships} {
		km, err := Infer(k, nil, cols, nil)
		if err != nil {
			f.Fatal(err)
		}
		kms[k] = km
	}
	f.Fuzz(func(t *testing.T, gid, name, created, employees, address, note, updated, uid, aid, deleted string) {
		row, ok := fuzzRow(cols, gid, name, created, employees, address, note, updated, uid, aid, deleted)
		if !ok {
			return
		}
		for kind, km := range kms {
			tr, err := New(Config{Kind: kind, Mapping: km, Timestamp: fixedTS, Version: "fuzz"})
			if err != nil {
				t.Fatal(err)
			}
			b := tr.NewBuilder()
			out, _, rerr := b.Append([]byte("prefix"), row)
			if rerr != nil {
				if string(out) != "prefix" {
					t.Fatalf("a rejected row left bytes: %q", out)
				}
				return
			}
			p := out[len("prefix"):]
			if len(p) == 0 || p[len(p)-1] != '\n' {
				t.Fatalf("payload without newline: %q", p)
			}
			if !json.Valid(p) {
				t.Fatalf("invalid JSON: %s", p)
			}
			if errs := speccheck.Check(p, speccheck.Options{RejectUnsafeIntegers: false}); len(errs) > 0 {
				t.Fatalf("%s fails the SPEC check: %v\n%s", kind, errs, p)
			}
		}
	})
}

// fuzzRow is a row of fuzzed text cells under cols, the fifth (address) a
// JSON cell when it is valid JSON; false when a cell is not UTF-8 (readers
// never pass invalid UTF-8 on).
func fuzzRow(cols []string, vals ...string) (*record.Row, bool) {
	row := &record.Row{Num: 1, Schema: record.NewSchema(cols), Values: make([]record.Value, len(cols))}
	for i, v := range vals {
		if !utf8.ValidString(v) {
			return nil, false
		}
		row.Values[i] = record.Value{Kind: record.String, Bytes: []byte(v)}
	}
	if jsonx.Valid([]byte(vals[4]), 8) == nil {
		row.Values[4] = record.Value{Kind: record.JSON, Bytes: []byte(vals[4])}
	}
	return row, true
}
