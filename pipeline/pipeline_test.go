package pipeline

import (
	"bytes"
	"compress/gzip"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/groupimport/groupimport/record"
	"github.com/groupimport/groupimport/sink"
	"github.com/groupimport/groupimport/transform"
)

// memSink keeps what it is given, and can fail or stall on demand.
type memSink struct {
	mu       sync.Mutex
	data     bytes.Buffer
	writes   int
	failAt   int // fail the n-th write (1-based), 0 = never
	prepared int
	block    chan struct{}
}

func (m *memSink) Prepare(*sink.Chunk) error {
	m.mu.Lock()
	m.prepared++
	m.mu.Unlock()
	return nil
}
func (m *memSink) Write(ctx context.Context, c *sink.Chunk) error {
	if m.block != nil {
		select {
		case <-m.block:
		case <-ctx.Done():
			return ctx.Err()
		}
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	m.writes++
	if m.failAt > 0 && m.writes == m.failAt {
		return errors.New("disk full")
	}
	m.data.Write(c.Data)
	return nil
}
func (m *memSink) Close(context.Context) error { return nil }
func (m *memSink) Abort()                      {}
func (m *memSink) Stats() sink.Stats           { return sink.Stats{} }

func writeCSV(t *testing.T, dir, name string, from, n int, bad map[int]string) string {
	t.Helper()
	var b strings.Builder
	b.WriteString("company_id,name,employees\n")
	for i := from; i < from+n; i++ {
		if line, ok := bad[i]; ok {
			b.WriteString(line + "\n")
			continue
		}
		fmt.Fprintf(&b, "c%06d,Company %d,%d\n", i, i, i%1000)
	}
	p := filepath.Join(dir, name)
	if err := os.WriteFile(p, []byte(b.String()), 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}

func companies(t *testing.T, files ...string) Input {
	t.Helper()
	km, err := transform.Infer(transform.Companies, nil, []string{"company_id", "name", "employees"}, nil)
	if err != nil {
		t.Fatal(err)
	}
	tr, err := transform.New(transform.Config{Kind: transform.Companies, Mapping: km, Timestamp: time.Date(2024, 1, 1, 0, 0, 0, 0, time.UTC)})
	if err != nil {
		t.Fatal(err)
	}
	return Input{Kind: transform.Companies, Files: files, Transformer: tr}
}

func groupIDs(t *testing.T, data []byte) []string {
	t.Helper()
	var ids []string
	for _, line := range bytes.Split(bytes.TrimSuffix(data, []byte("\n")), []byte("\n")) {
		if len(line) == 0 {
			continue
		}
		var m struct{ GroupID string }
		if err := json.Unmarshal(line, &m); err != nil {
			t.Fatalf("bad payload %q: %v", line, err)
		}
		ids = append(ids, m.GroupID)
	}
	return ids
}

func TestOrderIsInputOrder(t *testing.T) {
	dir := t.TempDir()
	bad := map[int]string{17: "c000017,ragged", 500: ",no id,1", 4999: `c004999,"open quote,1`}
	f1 := writeCSV(t, dir, "a.csv", 0, 5000, bad)
	f2 := writeCSV(t, dir, "b.csv", 5000, 3000, nil)
	for _, workers := range []int{1, 3, 8} {
		for _, batch := range []int{1, 7, 4096} {
			t.Run(fmt.Sprintf("workers=%d,batch=%d", workers, batch), func(t *testing.T) {
				ms := &memSink{}
				rej, err := sink.NewRejectsWriter(filepath.Join(t.TempDir(), "rejects.ndjson"))
				if err != nil {
					t.Fatal(err)
				}
				res, err := Run(context.Background(), Config{Inputs: []Input{companies(t, f1, f2)}, Sink: ms, Rejects: rej,
					Workers: workers, BatchRows: batch, MaxRejects: -1})
				if err != nil {
					t.Fatal(err)
				}
				rej.Close()
				ids := groupIDs(t, ms.data.Bytes())
				// the unterminated quote at 4999 swallows the rest of a.csv: a file error
				want := 0
				for i := 0; i < 8000; i++ {
					if i == 17 || i == 500 || i == 4999 {
						continue
					}
					if want >= len(ids) || ids[want] != fmt.Sprintf("c%06d", i) {
						t.Fatalf("payload %d is %v, want c%06d", want, ids[min(want, len(ids)-1)], i)
					}
					want++
				}
				if res.Read != res.Emitted+res.Rejected+res.Skipped {
					t.Errorf("read %d != emitted %d + rejected %d + skipped %d", res.Read, res.Emitted, res.Rejected, res.Skipped)
				}
				if res.Rejected != 2 || res.FileErrors != 1 || res.Files[0].Error == "" || !strings.Contains(res.Files[0].Error, "line 5001") {
					t.Errorf("rejected %d, file errors %d (%q)", res.Rejected, res.FileErrors, res.Files[0].Error)
				}
				if res.Files[1].Emitted != 3000 || res.Files[1].Error != "" {
					t.Errorf("second file: %+v", res.Files[1])
				}
			})
		}
	}
}

func TestBrokenFileDoesNotStopTheOthers(t *testing.T) {
	dir := t.TempDir()
	good := writeCSV(t, dir, "good.csv", 0, 100, nil)
	// a gzip stream cut in the middle
	var buf bytes.Buffer
	zw := gzip.NewWriter(&buf)
	content, _ := os.ReadFile(writeCSV(t, dir, "src.csv", 100, 5000, nil))
	zw.Write(content)
	zw.Close()
	trunc := filepath.Join(dir, "cut.csv.gz")
	os.WriteFile(trunc, buf.Bytes()[:buf.Len()/2], 0o644)
	missing := filepath.Join(dir, "gone.csv")
	good2 := writeCSV(t, dir, "good2.csv", 9000, 50, nil)

	ms := &memSink{}
	res, err := Run(context.Background(), Config{Inputs: []Input{companies(t, good, trunc, missing, good2)}, Sink: ms, MaxRejects: -1, BatchRows: 64})
	if err != nil {
		t.Fatal(err)
	}
	if res.FileErrors != 2 {
		for _, f := range res.Files {
			t.Logf("%+v", *f)
		}
		t.Fatalf("file errors = %d, want 2", res.FileErrors)
	}
	if !strings.Contains(res.Files[1].Error, "cut.csv.gz") || !strings.Contains(res.Files[1].Error, "truncated") {
		t.Errorf("truncated gzip error: %q", res.Files[1].Error)
	}
	if res.Files[3].Emitted != 50 || res.Files[0].Emitted != 100 {
		t.Errorf("good files: %+v %+v", res.Files[0], res.Files[3])
	}
	// rows of the cut file before the cut are emitted and counted: never a partial row
	if res.Files[1].Read != res.Files[1].Emitted || res.Read != res.Emitted {
		t.Errorf("counts: %+v", res.Files[1])
	}
	ids := groupIDs(t, ms.data.Bytes())
	for i, id := range ids[100 : 100+res.Files[1].Emitted] {
		if id != fmt.Sprintf("c%06d", 100+i) {
			t.Fatalf("row %d of the cut file is %s", i, id)
		}
	}
}

func TestSinkFailureStopsTheRun(t *testing.T) {
	dir := t.TempDir()
	f := writeCSV(t, dir, "a.csv", 0, 10000, nil)
	ms := &memSink{failAt: 3}
	res, err := Run(context.Background(), Config{Inputs: []Input{companies(t, f)}, Sink: ms, BatchRows: 100, MaxRejects: -1})
	if err == nil || !strings.Contains(err.Error(), "disk full") {
		t.Fatalf("err = %v", err)
	}
	// emitted is built (SPEC): the chunk the sink failed on was read and
	// built too, and counted, so that the failed run's report adds up
	// (a sink may have taken part of it: the API's refusals in it are
	// moved from emitted to rejected)
	if res.Read != 300 || res.Emitted != 300 {
		t.Errorf("read %d, emitted %d, want the 3 chunks handed to the sink", res.Read, res.Emitted)
	}
}

func TestMaxRejects(t *testing.T) {
	dir := t.TempDir()
	bad := map[int]string{}
	for i := 10; i < 30; i++ {
		bad[i] = ",no id,1"
	}
	f := writeCSV(t, dir, "a.csv", 0, 1000, bad)
	res, err := Run(context.Background(), Config{Inputs: []Input{companies(t, f)}, Sink: &memSink{}, BatchRows: 5, MaxRejects: 5})
	if !errors.Is(err, ErrTooManyRejects) {
		t.Fatalf("err = %v", err)
	}
	if res.Rejected <= 5 || res.Rejected > 10 {
		t.Errorf("rejected = %d", res.Rejected)
	}
}

func TestCancelStopsPromptly(t *testing.T) {
	dir := t.TempDir()
	f := writeCSV(t, dir, "a.csv", 0, 20000, nil)
	ms := &memSink{block: make(chan struct{})}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() {
		_, err := Run(ctx, Config{Inputs: []Input{companies(t, f)}, Sink: ms, BatchRows: 10, MaxRejects: -1})
		done <- err
	}()
	time.Sleep(50 * time.Millisecond)
	cancel()
	select {
	case err := <-done:
		if !errors.Is(err, context.Canceled) {
			t.Errorf("err = %v", err)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("Run did not stop after cancel")
	}
}

// Rejects count by code and column, the first reason kept whole as the
// example (once, values and digits were elided to group them).
func TestCountRejectByCode(t *testing.T) {
	var r Result
	for _, x := range []record.Reject{
		{Code: "invalid_integer", Column: "employees", Reason: `"abc" is not an integer`},
		{Code: "invalid_integer", Column: "employees", Reason: `"N/A" is not an integer`},
		{Code: "invalid_integer", Column: "seats", Reason: `"x" is not an integer`},
		{Code: "field_count", Reason: "the row has 12 fields, the header has 15"},
	} {
		r.CountReject(x)
	}
	got := r.RejectReasons[ReasonKey{"invalid_integer", "employees"}]
	if len(r.RejectReasons) != 3 || got == nil || got.Count != 2 || got.Example != `"abc" is not an integer` {
		t.Errorf("%d reasons, employees: %+v", len(r.RejectReasons), got)
	}
	if fc := r.RejectReasons[ReasonKey{Code: "field_count"}]; fc == nil || fc.Example != "the row has 12 fields, the header has 15" {
		t.Errorf("field_count: %+v", fc)
	}
}

// A panic while building a row (a bug) rejects that row and fails its file;
// the run goes on with the other rows and files.
func TestPanicInABuilderFailsTheFileNotTheRun(t *testing.T) {
	dir := t.TempDir()
	p := filepath.Join(dir, "m.csv")
	os.WriteFile(p, []byte("user_id,company_id\nu1,c1\nu2,boom\nu3,c3\n"), 0o644)
	km, err := transform.Infer(transform.Memberships, nil, []string{"user_id", "company_id"}, nil)
	if err != nil {
		t.Fatal(err)
	}
	km.IncludeObjectTraits = true
	tr, err := transform.New(transform.Config{Kind: transform.Memberships, Mapping: km,
		ObjectTraits: func([]byte, [16]byte) ([]byte, bool) { panic("a bug") }})
	if err != nil {
		t.Fatal(err)
	}
	good := writeCSV(t, dir, "c.csv", 0, 10, nil)
	ms := &memSink{}
	res, err := Run(context.Background(), Config{Inputs: []Input{
		{Kind: transform.Memberships, Files: []string{p}, Transformer: tr}, companies(t, good)}, Sink: ms, MaxRejects: -1})
	if err != nil {
		t.Fatalf("the run failed: %v", err)
	}
	if res.FileErrors != 1 || !strings.Contains(res.Files[0].Error, "internal error") || res.Files[0].Rejected != 3 {
		t.Fatalf("file results: %+v", *res.Files[0])
	}
	if res.Files[1].Emitted != 10 {
		t.Fatalf("the other file: %+v", *res.Files[1])
	}
}

// keyList collects logged keys.
type keyList struct{ keys []KeyEntry }

func (k *keyList) Add(e KeyEntry) error { k.keys = append(k.keys, e); return nil }

// A rejected row whose ids could be read has its key logged (the export
// holds that object); one whose key could not be read is counted.
func TestRejectedKeys(t *testing.T) {
	long := strings.Repeat("x", 200) // over Journeys' 150-byte id limit: rejected, key readable
	f := writeCSV(t, t.TempDir(), "a.csv", 0, 10, map[int]string{2: "c000002,ragged", 4: ",no id,1", 6: long + ",long id,1"})
	seen, sent := &keyList{}, &keyList{}
	res, err := Run(context.Background(), Config{Inputs: []Input{companies(t, f)}, Sink: &memSink{}, MaxRejects: -1,
		Keys: sent, RejectedKeys: seen, Scope: true})
	if err != nil {
		t.Fatal(err)
	}
	if res.Rejected != 3 || res.Unkeyed != 2 || res.Files[0].Unkeyed != 2 {
		t.Errorf("rejected %d, unkeyed %d (file %d), want 3, 2", res.Rejected, res.Unkeyed, res.Files[0].Unkeyed)
	}
	if len(seen.keys) != 1 || seen.keys[0].Row != 6 || seen.keys[0].Msg != -1 || len(sent.keys) != 7 {
		t.Fatalf("seen %+v, %d sent", seen.keys, len(sent.keys))
	}
	for _, e := range sent.keys {
		if e.Key == seen.keys[0].Key {
			t.Error("the rejected row's key is among the sent ones")
		}
	}
}
