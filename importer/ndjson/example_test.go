package ndjson_test

import (
	"fmt"
	"io"
	"strings"

	"github.com/groupimport/groupimport/importer/ndjson"
	"github.com/groupimport/groupimport/record"
)

func ExampleNewReader() {
	in := `{"id":1,"tags":["a", "b"],"mrr":12.50}` + "\n" + `{"id":2,"id":3}` + "\n"
	r, err := ndjson.NewReader(strings.NewReader(in), ndjson.Options{})
	if err != nil {
		fmt.Println(err)
		return
	}
	b := record.NewBatch(10, 1<<10)
	err = r.Next(b, 10)
	for _, row := range b.Rows {
		if row.Err != nil {
			fmt.Printf("line %d rejected (%s): %v\n", row.Line, row.Err.Code, row.Err)
			continue
		}
		for k, name := range row.Schema.Names {
			fmt.Printf("line %d: %s = %s %s\n", row.Line, name, row.Values[k].Kind, row.Values[k].Bytes)
		}
	}
	fmt.Println(err == io.EOF)
	// Output:
	// line 1: id = number 1
	// line 1: tags = json ["a","b"]
	// line 1: mrr = number 12.50
	// line 2 rejected (duplicate_key): column "id": the key appears twice in the object
	// true
}
