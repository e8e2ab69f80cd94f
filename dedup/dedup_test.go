package dedup

import (
	"math/rand/v2"
	"slices"
	"testing"
)

func key(n int) [16]byte {
	var k [16]byte
	k[0], k[1], k[15] = byte(n), byte(n>>8), byte(n>>16)
	return k
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
		if !slices.Equal(res.Rows, wantRows) || !slices.Equal(res.Msgs, wantMsgs) {
			t.Fatalf("spill at %d: %d rows / %d msgs superseded, want %d / %d", spillAt, len(res.Rows), len(res.Msgs), len(wantRows), len(wantMsgs))
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
	if len(res.Rows) != 0 || res.Keys != 0 {
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
			if !slices.Equal(res.Rows, wantRows) || !slices.Equal(res.Msgs, wantMsgs) {
				t.Fatalf("%d rows superseded, want %d", len(res.Rows), len(wantRows))
			}
			if tc.dups == (len(res.Rows) == 0) {
				t.Fatalf("dups %v but %d superseded", tc.dups, len(res.Rows))
			}
		})
	}
}
