package runner

import (
	"errors"
	"strings"
	"testing"

	"github.com/groupimport/groupimport/importer"
	"github.com/groupimport/groupimport/transform"
)

// Files of one kind are grouped by their columns (NDJSON by the
// identifiers their keys give); files without a shape of their own join
// the group before them; the pipeline's inputs keep the files' order.
func TestGroupShapes(t *testing.T) {
	shapes := []fileShape{
		{path: "bad.parquet", err: errors.New("not parquet")},
		{path: "a.csv", format: importer.CSV, cols: []string{"company_id", "name"}},
		{path: "empty.ndjson", format: importer.NDJSON, cols: []string{}},
		{path: "b.ndjson", format: importer.NDJSON, cols: []string{"account_id", "x"}},
		{path: "c.csv", format: importer.CSV, cols: []string{"name", "company_id"}},
		{path: "d.ndjson", format: importer.NDJSON, cols: []string{"account_id", "y"}},
		{path: "e.csv", format: importer.CSV, cols: []string{"company_id", "name", "plan"}},
	}
	groups, of := groupShapes(transform.Companies, shapes, true)
	var got []string
	for _, g := range groups {
		got = append(got, strings.Join(groupFiles(shapes, g), " "))
	}
	want := "bad.parquet a.csv empty.ndjson c.csv|b.ndjson d.ndjson|e.csv"
	if strings.Join(got, "|") != want {
		t.Fatalf("groups %q, want %q", strings.Join(got, "|"), want)
	}
	for i, g := range groups {
		g.t, _ = transform.New(transform.Config{Kind: transform.Companies, Mapping: &transform.KindMapping{}})
		g.ro.Comma = byte('0' + i)
	}
	var ins []string
	for _, in := range inputsOf(transform.Companies, shapes, groups, of) {
		ins = append(ins, string(in.Read.Comma)+":"+strings.Join(in.Files, " "))
	}
	if strings.Join(ins, "|") != "0:bad.parquet a.csv empty.ndjson|1:b.ndjson|0:c.csv|1:d.ndjson|2:e.csv" {
		t.Errorf("inputs %q", ins)
	}
	// with a mapping file: one group
	if groups, _ := groupShapes(transform.Companies, shapes, false); len(groups) != 1 || len(groups[0].files) != len(shapes) {
		t.Errorf("%d groups with a mapping file", len(groups))
	}
}
