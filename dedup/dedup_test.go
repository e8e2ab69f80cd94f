package dedup

import (
	"math/rand/v2"
	"os"
	"runtime"
	"slices"
	"strings"
	"testing"

	"github.com/groupimport/groupimport/internal/spill"
)

func key(n int) [16]byte {
	var k [16]byte
	k[0], k[1], k[15] = byte(n), byte(n>>8), byte(n>>16)
	return k
}

// members lists a set's members in order.
func members(s *Set) []int64 {
	var out []int64
	for i := int64(0); i < int64(len(s.bits))*64; i++ {
		if s.Has(i) {
			out = append(out, i)
		}
	}
	return out
}

// naive is the obvious in-memory answer to compare with.
func naive(entries []Entry) (rows, msgs []int64) {
	last := map[[16]byte]Entry{}
	for _, e := range entries {
		if p, ok := last[e.Key]; !ok || e.Row > p.Row {
			last[e.Key] = e
		}
	}
	for _, e := range entries {
		if last[e.Key].Row != e.Row {
			rows = append(rows, e.Row)
			if e.Msg >= 0 {
				msgs = append(msgs, e.Msg)
			}
		}
	}
	slices.Sort(rows)
	slices.Sort(msgs)
	return rows, msgs
}

func TestResolve(t *testing.T) {
	for _, spillAt := range []int{3, 100, 1 << 20} {
		r := rand.New(rand.NewPCG(7, uint64(spillAt)))
		var entries []Entry
		// rows arrive in order; messages may be reordered (deletes at the end)
		for row := int64(0); row < 5000; row++ {
			msg := row
			if r.IntN(10) == 0 {
				msg = -1
			}
			entries = append(entries, Entry{Key: key(r.IntN(3000)), Row: row, Msg: msg})
		}
		l := NewLog(t.TempDir(), spillAt)
		for _, e := range entries {
			if err := l.Add(e); err != nil {
				t.Fatal(err)
			}
		}
		res, err := l.Resolve()
		if err != nil {
			t.Fatal(err)
		}
		l.Close()
		wantRows, wantMsgs := naive(entries)
		if !slices.Equal(members(res.Rows), wantRows) || !slices.Equal(members(res.Msgs), wantMsgs) {
			t.Fatalf("spill at %d: %d rows / %d msgs superseded, want %d / %d", spillAt, res.Rows.Len(), res.Msgs.Len(), len(wantRows), len(wantMsgs))
		}
		if res.Keys == 0 {
			t.Fatal("no duplicate keys found in data that has them")
		}
	}
}

func TestNoDuplicates(t *testing.T) {
	l := NewLog(t.TempDir(), 10)
	for i := 0; i < 95; i++ {
		l.Add(Entry{Key: key(i), Row: int64(i), Msg: int64(i)})
	}
	res, err := l.Resolve()
	if err != nil {
		t.Fatal(err)
	}
	if res.Rows.Len() != 0 || res.Keys != 0 {
		t.Fatalf("%+v", res)
	}
	l.Close()
}

func TestDetector(t *testing.T) {
	for _, tc := range []struct {
		name    string
		maxCand int
		dups    bool
	}{{"candidates", maxCandidates, true}, {"overflow", 10, true}, {"none", maxCandidates, false}} {
		t.Run(tc.name, func(t *testing.T) {
			r := rand.New(rand.NewPCG(9, 9))
			var entries []Entry
			for row := int64(0); row < 20000; row++ {
				k := int(row)
				if tc.dups && r.IntN(4) == 0 {
					k = r.IntN(int(row) + 1)
				}
				entries = append(entries, Entry{Key: key(k), Row: row, Msg: row})
			}
			d := NewDetector(t.TempDir(), 100)
			d.maxCand = tc.maxCand
			for _, e := range entries {
				if err := d.Add(e); err != nil {
					t.Fatal(err)
				}
			}
			res, err := d.Resolve()
			if err != nil {
				t.Fatal(err)
			}
			d.Close()
			wantRows, wantMsgs := naive(entries)
			if !slices.Equal(members(res.Rows), wantRows) || !slices.Equal(members(res.Msgs), wantMsgs) {
				t.Fatalf("%d rows superseded, want %d", res.Rows.Len(), len(wantRows))
			}
			if tc.dups == (res.Rows.Len() == 0) || res.Superseded != int64(len(wantRows)) {
				t.Fatalf("dups %v but %d superseded", tc.dups, res.Rows.Len())
			}
		})
	}
}

// The key log keeps what Resolve needs of every entry, whatever their
// order: rows and messages that go back (the deletes phase sends rows read
// earlier), messages of -1, delete flags; duplicates within a batch and
// across batches.
func TestDetectorEntriesRoundTrip(t *testing.T) {
	r := rand.New(rand.NewPCG(3, 4))
	var entries []Entry
	for i := int64(0); i < 3*batchEntries+17; i++ {
		row, msg := i, i
		if i > 2*batchEntries {
			row = r.Int64N(i) // the deletes phase: rows read earlier
		}
		if r.IntN(7) == 0 {
			msg = -1
		}
		entries = append(entries, Entry{Key: key(r.IntN(5000)), Row: row, Msg: msg, Delete: r.IntN(3) == 0})
	}
	d := NewDetector(t.TempDir(), int64(len(entries)))
	defer d.Close()
	for _, e := range entries {
		if err := d.Add(e); err != nil {
			t.Fatal(err)
		}
	}
	if err := d.flush(); err != nil {
		t.Fatal(err)
	}
	var got []Entry
	if err := d.scan(func(e Entry) error { got = append(got, e); return nil }); err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(got, entries) {
		t.Fatalf("the key log gave back %d entries, not the %d added", len(got), len(entries))
	}
	res, err := d.Resolve()
	if err != nil {
		t.Fatal(err)
	}
	wantRows, wantMsgs := naive(entries)
	if rows := slices.Compact(wantRows); !slices.Equal(members(res.Rows), rows) || !slices.Equal(members(res.Msgs), wantMsgs) {
		t.Fatalf("%d rows / %d msgs superseded, want %d / %d", res.Rows.Len(), res.Msgs.Len(), len(rows), len(wantMsgs))
	}
}

// One key on every row: resolving costs memory for the set of rows (a bit
// each), not for the rows of the key (which the old code held in a slice,
// several times over).
func TestHotKeyBoundedMemory(t *testing.T) {
	const n = 2_000_000
	hot := key(7)
	measure := func(name string, add func(Entry) error, resolve func() (*Result, error)) {
		for row := int64(0); row < n; row++ {
			if err := add(Entry{Key: hot, Row: row, Msg: row, Delete: row%2 == 0}); err != nil {
				t.Fatal(err)
			}
		}
		runtime.GC()
		var before, after runtime.MemStats
		runtime.ReadMemStats(&before)
		res, err := resolve()
		if err != nil {
			t.Fatal(err)
		}
		runtime.ReadMemStats(&after)
		if res.Superseded != n-1 || res.Rows.Len() != n-1 || res.Msgs.Len() != n-1 || res.Deletes.Len() != n/2 || res.Keys != 1 || res.Rows.Has(n-1) {
			t.Fatalf("%s: superseded %d rows %d msgs %d deletes %d keys %d", name, res.Superseded, res.Rows.Len(), res.Msgs.Len(), res.Deletes.Len(), res.Keys)
		}
		if alloc := after.TotalAlloc - before.TotalAlloc; alloc > 48<<20 {
			t.Errorf("%s: resolving one key of %d rows allocated %d MiB", name, n, alloc>>20)
		}
	}
	d := NewDetector(t.TempDir(), n)
	defer d.Close()
	measure("detector", d.Add, d.Resolve)
	l := NewLog(t.TempDir(), 0)
	defer l.Close()
	measure("log", l.Add, l.Resolve)
}

// A key log that cannot be read to its end is an error, never a shorter
// list of duplicates (the overflow path used to stop at any read error as
// if at the end).
func TestDetectorTruncatedLog(t *testing.T) {
	for _, overflow := range []bool{false, true} {
		d := NewDetector(t.TempDir(), 100)
		if overflow {
			d.maxCand = 1
		}
		var file *os.File
		d.newLog = func() (*spill.File, error) {
			f, err := os.CreateTemp(t.TempDir(), "keys")
			file = f
			return spill.New(f, "keys"), err
		}
		for row := int64(0); row < 1000; row++ {
			d.Add(Entry{Key: key(int(row % 10)), Row: row, Msg: row})
		}
		if err := d.flush(); err != nil {
			t.Fatal(err)
		}
		if err := d.log.Flush(); err != nil {
			t.Fatal(err)
		}
		st, _ := file.Stat()
		for _, cut := range []int64{3, st.Size()} { // inside a record, the whole log
			if err := file.Truncate(st.Size() - cut); err != nil {
				t.Fatal(err)
			}
			if _, err := d.Resolve(); err == nil || !strings.Contains(err.Error(), "key log") {
				t.Errorf("overflow %v, log cut by %d bytes: err = %v, want a read error", overflow, cut, err)
			}
		}
		d.Close()
	}
}
