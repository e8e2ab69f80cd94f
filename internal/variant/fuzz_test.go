package variant

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/groupimport/groupimport/internal/jsonx"
)

// FuzzDecode: any metadata and value bytes either decode to valid JSON
// within the limits, or fail leaving dst as it was; never a panic or a
// read outside the bytes. Seeds: the spec examples.
func FuzzDecode(f *testing.F) {
	files, _ := filepath.Glob(filepath.Join("testdata", "spec", "*.value"))
	for _, p := range files {
		v, _ := os.ReadFile(p)
		md, _ := os.ReadFile(strings.TrimSuffix(p, ".value") + ".metadata")
		f.Add(md, v)
	}
	f.Add(meta("a", "b"), obj([]int{0, 1}, short("x"), arr(prim(typeTrue), prim(typeNull))))
	f.Fuzz(func(t *testing.T, md, v []byte) {
		m, err := ParseMetadata(md)
		if err != nil {
			return
		}
		for i := 0; i < m.Len(); i++ {
			_ = m.Key(i)
		}
		d := Decoder{MaxDepth: 8, MaxBytes: 1 << 16}
		prefix := []byte("prefix")
		out, err := d.AppendJSON(prefix, &m, v)
		if !bytes.HasPrefix(out, []byte("prefix")) {
			t.Fatalf("the prefix was changed: %q", out)
		}
		if err != nil {
			if len(out) != len(prefix) {
				t.Fatalf("an error (%v) with %d bytes appended", err, len(out)-len(prefix))
			}
			return
		}
		js := out[len(prefix):]
		if err := jsonx.Valid(js, 9); err != nil {
			t.Fatalf("invalid JSON %q: %v", js, err)
		}
		if len(js) > 1<<16+6*len(v)+md0(m) {
			t.Fatalf("%d bytes of JSON, over the limit", len(js))
		}
		if IsObject(v) {
			o, err := ParseObject(&m, v)
			if err != nil {
				t.Fatalf("AppendJSON accepted an object ParseObject refuses: %v", err)
			}
			for i := 0; i < o.Len(); i++ {
				if _, err := d.AppendField(nil, &o, i, 0); err != nil {
					t.Fatalf("field %d: %v", i, err)
				}
			}
		}
	})
}

// md0 is the longest key: the decoder checks its limit after each key
// and value, so it may pass it by that much.
func md0(m Metadata) int {
	n := 0
	for i := 0; i < m.Len(); i++ {
		n = max(n, len(m.Key(i)))
	}
	return 2*n + 64
}
