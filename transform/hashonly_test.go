package transform

import (
	"bytes"
	"encoding/csv"
	"fmt"
	"maps"
	"strings"
	"testing"

	"github.com/groupimport/groupimport/bench/synth"
	"github.com/groupimport/groupimport/record"
)

var hashCols = []string{"group_id", "name", "created_at", "employees", "address", "note", "updated_at", "user_id", "anonymous_id", "deleted", "score", "active", "meta", "ts"}

// hashMappings are the mappings FuzzHashRow compares HashRow and Append
// under: inferred types (soft), declared ones (rejecting), a row
// timestamp, deletes, memberships, and a message size limit rows cross.
func hashMappings(t testing.TB) []Config {
	var cfgs []Config
	for _, k := range []Kind{Companies, Memberships} {
		km, err := Infer(k, nil, hashCols, nil)
		if err != nil {
			t.Fatal(err)
		}
		cfgs = append(cfgs, Config{Kind: k, Mapping: km})
		typed := &KindMapping{
			GroupID:   &Field{Column: "group_id"},
			UserID:    &Field{Column: "user_id"},
			Timestamp: &Field{Column: "ts"},
			Deleted:   &Field{Column: "deleted"},
			Traits: []NamedField{
				{Name: "name", Field: &Field{Column: "name", Type: TypeString}},
				{Name: "created_at", Field: &Field{Column: "created_at", Type: TypeTimestamp}},
				{Name: "employees", Field: &Field{Column: "employees", Type: TypeInteger}},
				{Name: "score", Field: &Field{Column: "score", Type: TypeFloat, Empty: "null"}},
				{Name: "active", Field: &Field{Column: "active", Type: TypeBoolean}},
				{Name: "meta", Field: &Field{Column: "meta", Type: TypeJSON}},
				{Name: "note", Field: &Field{Column: "note"}},
				{Name: "plan", Field: &Field{Const: []byte(`"gold"`)}},
			},
			Custom: Custom{Mode: "none"},
		}
		cfgs = append(cfgs, Config{Kind: k, Mapping: typed}, Config{Kind: k, Mapping: typed, MaxMessageBytes: 900, ClockTimestamp: true})
	}
	return cfgs
}

// FuzzHashRow: HashRow says of every row what Append says — the same key,
// content hash, ids, rejection (code, column, reason) and warnings — and
// its content is Append's payload up to the hash's end.
func FuzzHashRow(f *testing.F) {
	f.Add("g1", "Acme", "2019-03-01", "329", `{"city":"Phoenix"}`, "x", "1714564800", "u1", "anon", "false", "1.50", "yes", `{"a":1}`, "2024-05-01T12:00:00Z")
	f.Add("g1", "Acme", "2019-03-01", "329.0", `{"city":"Phoenix"}`, "x", "1714564800", "u1", "anon", "false", "1.5", "true", `{"a": 1}`, "2024-05-01 12:00:00")
	f.Add("", "", "", "", "", "", "", "", "", "", "", "", "", "")
	f.Add("g\"2\n", "\x01\x7f", "99999999999999999999", "1e400", `{"zip":1,"street":{"a":1}}`, "\\", "0", "", "a", "maybe", "abc", "2", "[1", "not a date")
	f.Add("g3", "名前", "2024-02-30", "-0", `[1,2]`, "\u2028", "2024-05-01T12:00:00+14:00", "u", "", "TRUE", "1e5", "n", "[]", "1714564800")
	f.Add(" g4 ", string(make([]byte, 700)), "1999-12-31", "12.5", "", "", "", "u4", "", "", "1,5", "f", "null", "")
	cfgs := hashMappings(f)
	f.Fuzz(func(t *testing.T, gid, name, created, employees, address, note, updated, uid, aid, deleted, score, active, meta, ts string) {
		row, ok := fuzzRow(hashCols, gid, name, created, employees, address, note, updated, uid, aid, deleted, score, active, meta, ts)
		if !ok {
			return
		}
		for i, cfg := range cfgs {
			cfg.Timestamp, cfg.Version, cfg.ContentHash = fixedTS, "fuzz", true
			compareHashRow(t, fmt.Sprintf("config %d (%s)", i, cfg.Kind), cfg, row)
		}
	})
}

func compareHashRow(t *testing.T, name string, cfg Config, row *record.Row) {
	t.Helper()
	build := func() (*Builder, *Transformer) {
		tr, err := New(cfg)
		if err != nil {
			t.Fatal(err)
		}
		return tr.NewBuilder(), tr
	}
	ba, _ := build()
	payload, outA, errA := ba.Append(nil, row)
	bh, tr := build()
	content, outH, errH := bh.HashRow([]byte("prefix"), row)
	if errH != nil && string(content) != "prefix" {
		t.Fatalf("%s: a rejected row left bytes: %q", name, content)
	}
	content = content[len("prefix"):]
	if fmt.Sprint(errA) != fmt.Sprint(errH) || (errA != nil && (errA.Code != errH.Code || errA.Column != errH.Column)) {
		t.Fatalf("%s: Append's error %+v, HashRow's %+v", name, errA, errH)
	}
	if outA.Key != outH.Key || outA.Hash != outH.Hash || outA.Delete != outH.Delete || outA.Keyed != outH.Keyed ||
		outA.OtherShard != outH.OtherShard || outA.Relationship != outH.Relationship ||
		string(outA.GroupID) != string(outH.GroupID) || string(outA.ObjType) != string(outH.ObjType) ||
		string(outA.UserID) != string(outH.UserID) || string(outA.AnonymousID) != string(outH.AnonymousID) {
		t.Fatalf("%s: Append's out %+v, HashRow's %+v", name, outA, outH)
	}
	if !maps.Equal(ba.Warnings, bh.Warnings) {
		t.Fatalf("%s: Append warned %v, HashRow %v", name, ba.Warnings, bh.Warnings)
	}
	if errA != nil {
		return
	}
	if len(content) == 0 || content[len(content)-1] != '\n' || len(payload) < len(content) || string(payload[:len(content)-1]) != string(content[:len(content)-1]) {
		t.Fatalf("%s: content %q is not the start of the payload %q and a newline", name, content, payload)
	}
	if outA.Traits[1] > 0 && string(payload[outA.Traits[0]:outA.Traits[1]]) != string(content[outH.Traits[0]-len("prefix"):outH.Traits[1]-len("prefix")]) {
		t.Fatalf("%s: traits %v of %q, HashRow's %v", name, outA.Traits, payload, outH.Traits)
	}
	if errA == nil && len(content)+tr.CallOverhead() != len(payload) && cfg.SentAt.IsZero() && row.Values[len(hashCols)-1].IsEmpty() {
		t.Fatalf("%s: content %d bytes + overhead %d, payload %d bytes", name, len(content), tr.CallOverhead(), len(payload))
	}
}

// TestHashRowBuilderReuse: one builder's HashRow over many rows says what
// a fresh Append says of each (its scratch buffers carry nothing over).
func TestHashRowBuilderReuse(t *testing.T) {
	cfg := hashMappings(t)[1]
	cfg.Timestamp, cfg.ContentHash = fixedTS, true
	tr, err := New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	bh := tr.NewBuilder()
	for i := range 200 {
		vals := []string{fmt.Sprint("g", i%50), fmt.Sprint("name ", i), "2020-01-02", fmt.Sprint(i * 7), "", "", "", "u", "", "", fmt.Sprint(i, ".25"), "true", "", fmt.Sprint("2024-05-0", 1+i%9)}
		if i%13 == 0 {
			vals[3] = "x" // rejected
		}
		row := &record.Row{Num: int64(i), Schema: record.NewSchema(hashCols), Values: make([]record.Value, len(hashCols))}
		for j, v := range vals {
			row.Values[j] = record.Value{Kind: record.String, Bytes: []byte(v)}
		}
		payload, outA, errA := tr.NewBuilder().Append(nil, row)
		_, outH, errH := bh.HashRow(nil, row)
		if (errA == nil) != (errH == nil) || outA.Hash != outH.Hash || outA.Key != outH.Key {
			t.Fatalf("row %d: Append %v %x, HashRow %v %x (%s)", i, errA, outA.Hash, errH, outH.Hash, payload)
		}
	}
}

// TestHashRowSizeLimit: HashRow rejects a call as too large exactly where
// Append does (names of every length across the limit, with and without a
// row timestamp).
func TestHashRowSizeLimit(t *testing.T) {
	for _, cfg := range hashMappings(t)[1:3] {
		cfg.Timestamp, cfg.ContentHash, cfg.MaxMessageBytes = fixedTS, true, 900
		for n := 500; n < 1000; n++ {
			for _, ts := range []string{"", "2024-05-01T12:00:00Z"} {
				vals := []string{"g", strings.Repeat("a", n), "", "", "", "", "", "u", "", "", "", "", "", ts}
				row := &record.Row{Num: 1, Schema: record.NewSchema(hashCols), Values: make([]record.Value, len(hashCols))}
				for j, v := range vals {
					row.Values[j] = record.Value{Kind: record.String, Bytes: []byte(v)}
				}
				compareHashRow(t, fmt.Sprintf("name of %d bytes, timestamp %q", n, ts), cfg, row)
			}
		}
	}
}

// BenchmarkPlanCompanies: what the planning pass of an incremental run
// builds of synthetic companies (bench/synth, the rows of bench/gen, the
// mapping inferred): the whole call (Append, as before HashRow) or the
// content only (HashRow), with the content hash.
func BenchmarkPlanCompanies(b *testing.B) {
	var buf bytes.Buffer
	if err := synth.Write(&buf, "companies", "csv", 20000); err != nil {
		b.Fatal(err)
	}
	recs, err := csv.NewReader(&buf).ReadAll()
	if err != nil {
		b.Fatal(err)
	}
	schema := record.NewSchema(recs[0])
	rows := make([]record.Row, len(recs)-1)
	for i, r := range recs[1:] {
		rows[i] = record.Row{Line: int64(i + 2), Num: int64(i + 1), Schema: schema}
		for _, c := range r {
			rows[i].Values = append(rows[i].Values, str(c))
		}
	}
	km, err := Infer(Companies, nil, recs[0], rows[:1000])
	if err != nil {
		b.Fatal(err)
	}
	tr, err := New(Config{Kind: Companies, Mapping: km, Timestamp: fixedTS, Version: "bench", ContentHash: true})
	if err != nil {
		b.Fatal(err)
	}
	for _, mode := range []string{"Append", "HashRow"} {
		b.Run(mode, func(b *testing.B) {
			bl := tr.NewBuilder()
			build := bl.Append
			if mode == "HashRow" {
				build = bl.HashRow
			}
			var dst []byte
			for range b.N {
				for j := range rows {
					var rerr *RowError
					if dst, _, rerr = build(dst[:0], &rows[j]); rerr != nil {
						b.Fatal(rerr)
					}
				}
			}
			b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N*len(rows)), "ns/row")
		})
	}
}
