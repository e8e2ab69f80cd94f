// Command parquetgen writes the synthetic company export of package synth
// as a typed Parquet file, for benchmarks of Parquet input:
//
//	go run ./bench/parquetgen -rows 1000000 -codec zstd -out companies.parquet
//
// Columns are typed as a warehouse would export them: ids and text as
// STRING (optional text is null when empty), employees and mrr INT64, seats
// INT32, created_at DATE, updated_at TIMESTAMP(MICROS, UTC), total_billed
// DECIMAL(18,2) on INT64, is_partner BOOLEAN. Row groups hold -group rows.
//
// -extra N adds N columns (extra_001 …: dictionary text, INT64, DOUBLE and
// BOOLEAN in turn) to the companies, for wide exports of which a mapping
// uses a few (-extra 179 gives 200 columns). -kind memberships writes the
// synthetic memberships instead (see membership.go).
package main

import (
	"encoding/csv"
	"errors"
	"flag"
	"fmt"
	"io"
	"math/big"
	"os"
	"strconv"
	"time"

	"github.com/groupimport/groupimport/bench/synth"
	"github.com/parquet-go/parquet-go"
	"github.com/parquet-go/parquet-go/compress"
	"github.com/parquet-go/parquet-go/compress/snappy"
	"github.com/parquet-go/parquet-go/compress/zstd"
)

// Company is one row of the file.
type Company struct {
	CompanyID    string `parquet:"company_id"`
	CompanyName  string `parquet:"company_name"`
	Industry     string `parquet:"industry,dict"`
	Employees    int64  `parquet:"employees"`
	CreatedAt    int32  `parquet:"created_at,date"`                   // days since 1970-01-01
	UpdatedAt    int64  `parquet:"updated_at,timestamp(microsecond)"` // µs since 1970-01-01 UTC
	Street       string `parquet:"street"`
	City         string `parquet:"city,dict"`
	State        string `parquet:"state,optional,dict"`
	Country      string `parquet:"country,dict"`
	PostalCode   string `parquet:"postal_code,dict"`
	Website      string `parquet:"website"`
	Plan         string `parquet:"plan,dict"`
	TotalBilled  int64  `parquet:"total_billed,decimal(2:18)"`
	IsPartner    bool   `parquet:"is_partner"`
	Phone        string `parquet:"phone"`
	Email        string `parquet:"email"`
	Description  string `parquet:"description"`
	MRR          int64  `parquet:"mrr"`
	Seats        int32  `parquet:"seats"`
	AccountOwner string `parquet:"account_owner,dict"`
}

func main() {
	rows := flag.Int("rows", 1000000, "rows to write")
	codec := flag.String("codec", "zstd", "zstd, snappy or none")
	group := flag.Int64("group", 122880, "rows per row group")
	out := flag.String("out", "", "output file")
	kind := flag.String("kind", "companies", "companies or memberships")
	extra := flag.Int("extra", 0, "extra columns to add to the companies")
	flag.Parse()
	if err := run(*rows, *codec, *group, *out, *kind, *extra); err != nil {
		fmt.Fprintln(os.Stderr, "parquetgen:", err)
		os.Exit(1)
	}
}

func run(rows int, codecName string, group int64, out, kind string, extra int) error {
	if out == "" {
		return errors.New("-out is required")
	}
	var codec compress.Codec
	switch codecName {
	case "zstd":
		codec = &zstd.Codec{}
	case "snappy":
		codec = &snappy.Codec{}
	case "none":
		codec = &parquet.Uncompressed
	default:
		return fmt.Errorf("unknown codec %q", codecName)
	}
	f, err := os.Create(out)
	if err != nil {
		return err
	}
	defer f.Close()
	if kind != "companies" && kind != "memberships" {
		return fmt.Errorf("unknown kind %q", kind)
	}
	pr, pw := io.Pipe()
	go func() { pw.CloseWithError(synth.Write(pw, kind, "csv", rows)) }()
	cr := csv.NewReader(pr)
	cr.ReuseRecord = true
	header, err := cr.Read()
	if err != nil {
		return err
	}
	col := map[string]int{}
	for i, h := range header {
		col[h] = i
	}
	opts := []parquet.WriterOption{parquet.Compression(codec), parquet.MaxRowsPerRowGroup(group),
		parquet.CreatedBy("groupimport-parquetgen", "1", "")}
	switch {
	case kind == "memberships":
		err = writeMemberships(f, cr, col, opts)
	case extra > 0:
		err = writeWide(f, cr, col, extra, opts)
	default:
		err = writeCompanies(f, cr, col, opts)
	}
	if err != nil {
		return err
	}
	return f.Close()
}

// writeCompanies writes the companies with their own 21 columns.
func writeCompanies(f io.Writer, cr *csv.Reader, col map[string]int, opts []parquet.WriterOption) error {
	w := parquet.NewGenericWriter[Company](f, opts...)
	buf := make([]Company, 0, 1024)
	for {
		rec, err := cr.Read()
		if err == io.EOF {
			break
		}
		if err != nil {
			return err
		}
		c, err := company(rec, col)
		if err != nil {
			return err
		}
		buf = append(buf, c)
		if len(buf) == cap(buf) {
			if _, err := w.Write(buf); err != nil {
				return err
			}
			buf = buf[:0]
		}
	}
	if _, err := w.Write(buf); err != nil {
		return err
	}
	return w.Close()
}

func company(rec []string, col map[string]int) (Company, error) {
	get := func(name string) string { return rec[col[name]] }
	num := func(name string) (int64, error) { return strconv.ParseInt(get(name), 10, 64) }
	var c Company
	var err error
	c.CompanyID, c.CompanyName, c.Industry = get("company_id"), get("company_name"), get("industry")
	if c.Employees, err = num("employees"); err != nil {
		return c, err
	}
	// Days and microseconds as numbers: parquet-go v0.32.0 writes a
	// time.Time field tagged "date" wrongly (the values are not days).
	created, err := time.Parse("2006-01-02", get("created_at"))
	if err != nil {
		return c, err
	}
	c.CreatedAt = int32(created.Unix() / 86400)
	updated, err := time.Parse(time.RFC3339, get("updated_at"))
	if err != nil {
		return c, err
	}
	c.UpdatedAt = updated.UnixMicro()
	c.Street, c.City, c.State, c.Country, c.PostalCode = get("street"), get("city"), get("state"), get("country"), get("postal_code")
	c.Website, c.Plan = get("website"), get("plan")
	r, ok := new(big.Rat).SetString(get("total_billed"))
	if !ok {
		return c, fmt.Errorf("total_billed %q", get("total_billed"))
	}
	c.TotalBilled = new(big.Int).Quo(new(big.Int).Mul(r.Num(), big.NewInt(100)), r.Denom()).Int64()
	c.IsPartner = get("is_partner") == "true"
	c.Phone, c.Email, c.Description = get("phone"), get("email"), get("description")
	if c.MRR, err = num("mrr"); err != nil {
		return c, err
	}
	seats, err := num("seats")
	if err != nil {
		return c, err
	}
	c.Seats = int32(seats)
	c.AccountOwner = get("account_owner")
	return c, nil
}
