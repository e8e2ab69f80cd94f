package importer_test

import (
	"fmt"
	"strings"

	"github.com/groupimport/groupimport/importer"
	"github.com/groupimport/groupimport/record"
)

// Reading rows from any io.Reader (standard input, an object store's
// response body): its compression and format are recognised by content.
func ExampleNewSource() {
	in := strings.NewReader("company_id,name\nc1,One\nc2\n")
	src, err := importer.NewSource("-", in, importer.Options{})
	if err != nil {
		fmt.Println(err)
		return
	}
	r, err := importer.NewReader(src, importer.Options{})
	if err != nil {
		fmt.Println(err)
		return
	}
	defer r.Close()
	b := record.NewBatch(10, 1<<10)
	err = r.Next(b, 10)
	fmt.Println(src.Format, src.Compression == importer.None, r.Columns(), len(b.Rows), err)
	fmt.Println(b.Rows[1].Err.Code)
	// Output:
	// csv true [company_id name] 2 EOF
	// field_count
}
