package main

import (
	"encoding/csv"
	"fmt"
	"io"
	"math"

	"github.com/parquet-go/parquet-go"
)

// writeWide writes the companies with extra columns after their own: a
// wide export of which a mapping uses a few. The extra values are derived
// from the row number (text from a small dictionary, numbers, booleans).
func writeWide(f io.Writer, cr *csv.Reader, col map[string]int, extra int, opts []parquet.WriterOption) error {
	base := parquet.SchemaOf(Company{})
	group := parquet.Group{}
	for _, fl := range base.Fields() {
		group[fl.Name()] = fl
	}
	for k := 1; k <= extra; k++ {
		group[extraName(k)] = extraNode(k)
	}
	schema := parquet.NewSchema("companies", group)
	w := parquet.NewGenericWriter[any](f, append(opts, schema)...)
	// The position in a row of each base column and each extra column.
	baseAt := map[string]int{}
	extraAt := make([]int, extra+1)
	for i, fl := range schema.Fields() {
		var k int
		if _, err := fmt.Sscanf(fl.Name(), "extra_%d", &k); err == nil {
			extraAt[k] = i
		} else {
			baseAt[fl.Name()] = i
		}
	}
	var baseRow parquet.Row
	rows := make([]parquet.Row, 0, 256)
	n := 0
	flush := func() error {
		_, err := w.WriteRows(rows)
		rows = rows[:0]
		return err
	}
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
		baseRow = base.Deconstruct(baseRow[:0], &c)
		row := make(parquet.Row, len(schema.Fields()))
		for i, fl := range base.Fields() {
			v := baseRow[i]
			row[baseAt[fl.Name()]] = v
		}
		for k := 1; k <= extra; k++ {
			row[extraAt[k]] = extraValue(k, n)
		}
		for i := range row {
			row[i] = row[i].Level(0, row[i].DefinitionLevel(), i)
		}
		rows = append(rows, row)
		n++
		if len(rows) == cap(rows) {
			if err := flush(); err != nil {
				return err
			}
		}
	}
	if err := flush(); err != nil {
		return err
	}
	return w.Close()
}

func extraName(k int) string { return fmt.Sprintf("extra_%03d", k) }

func extraNode(k int) parquet.Node {
	switch k % 4 {
	case 0:
		return parquet.Encoded(parquet.String(), &parquet.RLEDictionary)
	case 1:
		return parquet.Int(64)
	case 2:
		return parquet.Leaf(parquet.DoubleType)
	}
	return parquet.Leaf(parquet.BooleanType)
}

func extraValue(k, row int) parquet.Value {
	x := row*31 + k*7
	switch k % 4 {
	case 0:
		return parquet.ByteArrayValue([]byte(fmt.Sprintf("value %d of %d", x%97, k)))
	case 1:
		return parquet.Int64Value(int64(x))
	case 2:
		return parquet.DoubleValue(math.Sqrt(float64(x)))
	}
	return parquet.BooleanValue(x%3 == 0)
}
