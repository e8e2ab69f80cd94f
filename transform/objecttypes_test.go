package transform

import (
	"reflect"
	"strconv"
	"sync"
	"testing"

	"github.com/groupimport/groupimport/record"
)

func TestObjectTypesTable(t *testing.T) {
	o := NewObjectTypes()
	o.Add([]byte("c-1"), []byte("1"))
	o.Add([]byte("c-2"), []byte("1"))
	o.Add([]byte("c-2"), []byte("3"))
	o.Add([]byte("c-big"), []byte("70000"))
	for _, c := range []struct {
		gid, typ string
		other    uint64
		differs  bool
	}{
		{"c-1", "1", 0, false},
		{"c-1", "2", 1, true},
		{"c-2", "3", 0, false},
		{"c-2", "2", 3, true},  // either of its types may be named
		{"c-9", "2", 0, false}, // not in the companies input: not judged
		{"c-big", "2", 0, false},
		{"c-1", "70000", 0, false},
	} {
		other, differs := o.Other([]byte(c.gid), []byte(c.typ))
		if differs != c.differs || (differs && other != 1 && other != 3) || (c.other == 1 && other != 1) {
			t.Errorf("%s %s: %d %v, want %d %v", c.gid, c.typ, other, differs, c.other, c.differs)
		}
	}
	// many companies, added concurrently: every one found with its type
	o = NewObjectTypes()
	var wg sync.WaitGroup
	for w := range 4 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := w; i < 200000; i += 4 {
				o.Add([]byte("g"+strconv.Itoa(i)), []byte(strconv.Itoa(1+i%3)))
			}
		}()
	}
	wg.Wait()
	for i := 0; i < 200000; i++ {
		g := []byte("g" + strconv.Itoa(i))
		if _, differs := o.Other(g, []byte(strconv.Itoa(1+i%3))); differs {
			t.Fatalf("g%d: its own type differs", i)
		}
		if other, differs := o.Other(g, []byte("9")); !differs || other != uint64(1+i%3) {
			t.Fatalf("g%d: type 9 → %d %v", i, other, differs)
		}
	}
	if n := o.n.Load(); n != 200000 {
		t.Errorf("%d entries, want 200000", n)
	}
	// bounded: past the limit nothing is added, and nothing is judged wrongly
	o = &ObjectTypes{max: 1000}
	for i := 0; i < 5000; i++ {
		o.Add([]byte("g"+strconv.Itoa(i)), []byte("1"))
	}
	if n := o.n.Load(); n > 1000 {
		t.Errorf("%d entries over a limit of 1000", n)
	}
}

// A membership whose objectTypeId differs from the companies input's for
// its groupId is warned, with an example.
func TestObjectTypeMismatchWarned(t *testing.T) {
	ot := NewObjectTypes()
	ccols := []string{"company_id", "object_type_id", "name"}
	co := fixture{kind: Companies, cols: ccols}.transformer(t)
	co.cfg.ObjectTypes = ot
	buildAll(t, co, ccols, []record.Value{str("c-1"), str("1"), str("A")}, []record.Value{str("c-2"), str("2"), str("B")})

	mcols := []string{"company_id", "user_id", "object_type_id"}
	mem := fixture{kind: Memberships, cols: mcols}.transformer(t)
	mem.cfg.ObjectTypes = ot
	got, errs, warns := buildAll(t, mem, mcols,
		[]record.Value{str("c-1"), str("u1"), str("1")},
		[]record.Value{str("c-1"), str("u2"), str("2")},
		[]record.Value{str("c-2"), str("u1"), str("1")},
		[]record.Value{str("c-3"), str("u1"), str("5")})
	if len(got) != 4 || len(errs) != 0 {
		t.Fatalf("%d built, %v", len(got), errs)
	}
	want := map[string]int64{`memberships: objectTypeId differs from the companies input's for the same groupId (e.g. groupId "c-1": objectTypeId 2 here, 1 in companies): such a membership relates the person to another object of that id, one the companies input does not fill`: 2}
	if !reflect.DeepEqual(warns, want) {
		t.Errorf("warnings\n got %v\nwant %v", warns, want)
	}
}
