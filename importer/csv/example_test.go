package csv_test

import (
	"fmt"
	"io"
	"strings"

	"github.com/groupimport/groupimport/importer/csv"
	"github.com/groupimport/groupimport/record"
)

func ExampleNewReader() {
	in := "id;name\n1;Ann\n2;\"B; b\"\n3\n"
	r, err := csv.NewReader(strings.NewReader(in), csv.Options{})
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Printf("%q, delimiter %s\n", r.Columns(), csv.DialectName(r.Comma()))
	b := record.NewBatch(10, 1<<10)
	err = r.Next(b, 10)
	for _, row := range b.Rows {
		if row.Err != nil {
			fmt.Printf("line %d rejected (%s): %v\n", row.Line, row.Err.Code, row.Err)
			continue
		}
		fmt.Printf("line %d: %s, %s\n", row.Line, row.Values[0].Bytes, row.Values[1].Bytes)
	}
	fmt.Println(err == io.EOF)
	// Output:
	// ["id" "name"], delimiter semicolon
	// line 2: 1, Ann
	// line 3: 2, B; b
	// line 4 rejected (field_count): the row has 1 fields, the header has 2
	// true
}
