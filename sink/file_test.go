package sink

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"slices"
	"testing"
)

func writeFiles(t *testing.T, dir string, names ...string) {
	t.Helper()
	for _, n := range names {
		if err := os.WriteFile(filepath.Join(dir, n), []byte("x\n"), 0o644); err != nil {
			t.Fatal(err)
		}
	}
}

func exists(dir, name string) bool {
	_, err := os.Stat(filepath.Join(dir, name))
	return err == nil
}

func TestOwnPartPattern(t *testing.T) {
	re := ownPartPattern("payloads")
	for name, own := range map[string]bool{
		"payloads-00001.ndjson": true, "payloads-00001.ndjson.gz": true, "payloads-123456.ndjson.zst": true,
		".payloads-00002.ndjson.tmp": true, ".payloads-00002.ndjson.gz.tmp": true, ".payloads-00003.ndjson.zst.987654.tmp": true,
		"payloads-backup.csv": false, "payloads-old.txt": false, "payloads-backup.ndjson": false, "payloads-0001.ndjson": false,
		"payloads-00001.ndjson.orig": false, "payloads-00001.ndjson.bz2": false, ".payloads-00001.ndjson": false,
		"payloads-00001.ndjson.tmp": false, ".payloads-00001.ndjson.x.tmp": false, "xpayloads-00001.ndjson": false,
	} {
		if got := re.MatchString(name); got != own {
			t.Errorf("%s: own %v, want %v", name, got, own)
		}
	}
}

// --overwrite removes the earlier run's parts and the report, rejects and
// review it names, nothing else; without it they are left, and only parts
// stand in the way.
func TestFileSinkOverwrite(t *testing.T) {
	dir := t.TempDir()
	writeFiles(t, dir, "payloads-00001.ndjson", ".payloads-00002.ndjson.zst.1234.tmp", "report.json", ".report.json.tmp",
		"rejects.ndjson", "notes.txt", "payloads-backup.ndjson")
	replaces := []string{filepath.Join(dir, "report.json"), filepath.Join(dir, "rejects.ndjson"), filepath.Join(t.TempDir(), "notes.txt")}
	if _, err := NewFileSink(FileOptions{Dir: dir, Replaces: replaces}); !errors.Is(err, ErrOutputInUse) {
		t.Fatalf("without Overwrite: %v", err)
	}
	if !exists(dir, "report.json") || !exists(dir, "payloads-00001.ndjson") || exists(dir, LockFileName) {
		t.Fatal("a refused sink changed the directory")
	}
	s, err := NewFileSink(FileOptions{Dir: dir, Overwrite: true, Replaces: replaces})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Release()
	for _, n := range []string{"payloads-00001.ndjson", ".payloads-00002.ndjson.zst.1234.tmp", "report.json", ".report.json.tmp", "rejects.ndjson"} {
		if exists(dir, n) {
			t.Errorf("%s left", n)
		}
	}
	for _, n := range []string{"notes.txt", "payloads-backup.ndjson"} {
		if !exists(dir, n) {
			t.Errorf("%s removed", n)
		}
	}
}

// One run at a time per directory: a second sink is refused with
// ErrOutputLocked until the first releases the lock; the lock file goes
// with it.
func TestFileSinkLock(t *testing.T) {
	dir := t.TempDir()
	a, err := NewFileSink(FileOptions{Dir: dir})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := NewFileSink(FileOptions{Dir: dir, Overwrite: true}); !errors.Is(err, ErrOutputLocked) {
		t.Fatalf("second sink: %v", err)
	}
	ps := payloads(3, 10)
	if err := a.Write(context.Background(), chunks(ps, 3)[0]); err != nil {
		t.Fatal(err)
	}
	if err := a.Close(context.Background()); err != nil {
		t.Fatal(err)
	}
	if _, err := NewFileSink(FileOptions{Dir: dir, Overwrite: true}); !errors.Is(err, ErrOutputLocked) {
		t.Fatalf("after Close, before Release: %v", err)
	}
	a.Release()
	if exists(dir, LockFileName) {
		t.Error("the lock file is left")
	}
	b, err := NewFileSink(FileOptions{Dir: dir, Overwrite: true})
	if err != nil {
		t.Fatal(err)
	}
	b.Release()

	// a lock file left by a killed run is no obstacle
	writeFiles(t, dir, LockFileName)
	c, err := NewFileSink(FileOptions{Dir: dir})
	if err != nil {
		t.Fatal(err)
	}
	c.Release()
}

// A part is closed before the payload that would take it over PartBytes,
// inside a chunk too; a payload larger than a part gets one of its own.
func TestFileSinkPartBytesWithinAChunk(t *testing.T) {
	for _, comp := range []string{CompressNone, CompressGzip, CompressZstd} {
		t.Run("compression "+comp, func(t *testing.T) {
			dir := t.TempDir()
			s, err := NewFileSink(FileOptions{Dir: dir, PartBytes: 1000, Compression: comp})
			if err != nil {
				t.Fatal(err)
			}
			defer s.Release()
			c := &Chunk{}
			rng := rand.New(rand.NewPCG(1, 2))
			for i, pad := range []int{60, 60, 60, 2500, 60, 60} {
				// noise: compressed, these sizes stay near what they are
				noise := make([]byte, pad)
				for k := range noise {
					noise[k] = "0123456789abcdef"[rng.IntN(16)]
				}
				p := fmt.Appendf(nil, `{"type":"group","groupId":"g-%d","traits":{"note":"%s"}}`, i, noise)
				c.Data = append(append(c.Data, p...), '\n')
				c.Ends = append(c.Ends, len(c.Data))
			}
			if err := s.Prepare(c); err != nil {
				t.Fatal(err)
			}
			if err := s.Write(context.Background(), c); err != nil {
				t.Fatal(err)
			}
			if err := s.Close(context.Background()); err != nil {
				t.Fatal(err)
			}
			st := s.Stats()
			var total int64
			for i, f := range st.Files {
				fi, err := os.Stat(f)
				if err != nil {
					t.Fatal(err)
				}
				total += fi.Size()
				if fi.Size() > 1000 && s.partMsgs[i] != 1 {
					t.Errorf("part %d: %d bytes, %d payloads", i+1, fi.Size(), s.partMsgs[i])
				}
			}
			if comp == CompressNone && !slices.Equal(s.partMsgs, []int64{3, 1, 2}) {
				t.Errorf("payloads per part %v, want [3 1 2]", s.partMsgs)
			}
			if len(st.Files) < 3 || st.Messages != 6 || total != st.Bytes {
				t.Errorf("%d parts %v, %d messages, %d bytes (on disk %d)", len(st.Files), s.partMsgs, st.Messages, st.Bytes, total)
			}
		})
	}
}
