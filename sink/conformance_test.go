package sink_test

import (
	"bytes"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/klauspost/compress/gzip"
	"github.com/klauspost/compress/zstd"

	"github.com/groupimport/groupimport/internal/fakeapi"
	"github.com/groupimport/groupimport/sink"
	"github.com/groupimport/groupimport/sink/sinktest"
)

// Every sink passes the conformance suite: NDJSON parts (plain, gzip,
// zstd; removing superseded payloads from them included), standard
// output, and the API through the fake with its faults on.

func TestConformanceFiles(t *testing.T) {
	for _, comp := range []string{sink.CompressNone, sink.CompressGzip, sink.CompressZstd} {
		t.Run("compression="+comp, func(t *testing.T) {
			t.Parallel()
			sinktest.Run(t, func(t *testing.T) sinktest.Subject {
				dir := t.TempDir()
				// parts of about 70 payloads (compressed ones keep about a
				// quarter of their size)
				part := 16384
				if comp != sink.CompressNone {
					part = 4096
				}
				s, err := sink.NewFileSink(sink.FileOptions{Dir: dir, Compression: comp, PartBytes: int64(part)})
				if err != nil {
					t.Fatal(err)
				}
				t.Cleanup(s.Release)
				return sinktest.Subject{Sink: s, PartBytes: part, RemoveMessages: s.RemoveMessages,
					Inspect: func(t *testing.T) sinktest.Contents { return inspectDir(t, dir) }}
			})
		})
	}
}

var partName = regexp.MustCompile(`^payloads-(\d{5})\.ndjson(\.gz|\.zst)?$`)

// inspectDir reads the finished parts of dir, in order; anything else in
// it is Temporary (a part being written) or Broken (a gap in the numbers,
// a part not ending in a newline, an empty part).
func inspectDir(t *testing.T, dir string) sinktest.Contents {
	t.Helper()
	entries, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	var c sinktest.Contents
	for _, e := range entries {
		m := partName.FindStringSubmatch(e.Name())
		switch {
		case e.Name() == sink.LockFileName:
			continue
		case m == nil:
			c.Temporary = append(c.Temporary, e.Name())
			continue
		case m[1] != fmt.Sprintf("%05d", len(c.Files)+1):
			c.Broken = append(c.Broken, "a gap before "+e.Name())
		}
		path := filepath.Join(dir, e.Name())
		c.Files = append(c.Files, path)
		data, err := os.ReadFile(path)
		if err != nil {
			t.Fatal(err)
		}
		c.Bytes += int64(len(data))
		raw := decode(t, m[2], data)
		if len(raw) == 0 || raw[len(raw)-1] != '\n' {
			c.Broken = append(c.Broken, e.Name()+" is empty or does not end in a newline")
		}
		for line := range bytes.Lines(raw) {
			c.Payloads = append(c.Payloads, bytes.TrimSuffix(line, []byte("\n")))
		}
	}
	return c
}

// decode reads a part: gzip members or zstd frames, concatenated.
func decode(t *testing.T, ext string, data []byte) []byte {
	t.Helper()
	var r io.Reader = bytes.NewReader(data)
	switch ext {
	case ".gz":
		zr, err := gzip.NewReader(r)
		if err != nil {
			t.Fatal(err)
		}
		r = zr
	case ".zst":
		zr, err := zstd.NewReader(r)
		if err != nil {
			t.Fatal(err)
		}
		defer zr.Close()
		r = zr
	}
	out, err := io.ReadAll(r)
	if err != nil {
		t.Fatalf("decoding a part: %v", err)
	}
	return out
}

func TestConformanceStdout(t *testing.T) {
	t.Parallel()
	sinktest.Run(t, func(t *testing.T) sinktest.Subject {
		var out bytes.Buffer
		return sinktest.Subject{Sink: sink.NewWriterSink(&out, "standard output"),
			Inspect: func(t *testing.T) sinktest.Contents { return splitLines(out.Bytes()) }}
	})
}

// splitLines reads NDJSON written to a stream; a last line without its
// newline is Broken.
func splitLines(data []byte) sinktest.Contents {
	c := sinktest.Contents{Bytes: int64(len(data))}
	for line := range bytes.Lines(data) {
		if !bytes.HasSuffix(line, []byte("\n")) {
			c.Broken = append(c.Broken, "a line without its newline: "+string(line))
			continue
		}
		c.Payloads = append(c.Payloads, bytes.TrimSuffix(line, []byte("\n")))
	}
	return c
}

func TestConformanceAPI(t *testing.T) {
	t.Parallel()
	sinktest.Run(t, func(t *testing.T) sinktest.Subject {
		const key = "sk_conformance"
		srv := fakeapi.New(fakeapi.Options{Key: key, Chaos: fakeapi.Chaos{Seed: 3, TooManyRequests: 0.1, ServerError: 0.05,
			UnavailableAfterStore: 0.05, Drop: 0.05, DropAfterStore: 0.05, Slow: 0.05, RetryAfter: "0", SlowDelay: 20 * time.Millisecond}})
		t.Cleanup(srv.Close)
		var mu sync.Mutex
		var acks []int64
		const batch = 2048
		s, err := sink.NewHTTPSink(sink.HTTPOptions{Endpoint: srv.URL(), APIKey: key, MaxBatchBytes: batch, Linger: 5 * time.Millisecond,
			BackoffBase: time.Millisecond, MaxAttempts: 100, RequestTimeout: 10 * time.Second,
			OnAck: func(seq int64) { mu.Lock(); acks = append(acks, seq); mu.Unlock() }})
		if err != nil {
			t.Fatal(err)
		}
		return sinktest.Subject{Sink: s, Unordered: true, AtLeastOnce: true, PartBytes: batch,
			Inspect:      func(t *testing.T) sinktest.Contents { return inspectAPI(t, srv) },
			Acknowledged: func() []int64 { mu.Lock(); defer mu.Unlock(); return slices.Clone(acks) },
			Stall: func() func() {
				block := make(chan struct{})
				srv.SetFaultFunc(func(int) fakeapi.Fault { return fakeapi.Fault{Block: block} })
				var once sync.Once
				return func() { once.Do(func() { close(block) }) }
			}}
	})
}

var sentAtRe = regexp.MustCompile(`,"sentAt":"[^"]+"}$`)

// inspectAPI reads what the fake stored: each distinct message once, with
// the sentAt the sink adds taken off; the bytes of every request body as
// sent. A message without its sentAt, or anything the fake counts as a
// contract violation, is Broken.
func inspectAPI(t *testing.T, srv *fakeapi.Server) sinktest.Contents {
	t.Helper()
	if !srv.WaitIdle(10 * time.Second) {
		t.Fatal("the fake API is still handling requests")
	}
	c := sinktest.Contents{Broken: srv.Violations()}
	seen := map[string]bool{}
	for _, m := range srv.Received() {
		if seen[m.ID] {
			continue
		}
		seen[m.ID] = true
		loc := sentAtRe.FindIndex(m.Raw)
		if loc == nil {
			c.Broken = append(c.Broken, "no sentAt: "+string(m.Raw))
			continue
		}
		c.Payloads = append(c.Payloads, append(bytes.Clone(m.Raw[:loc[0]]), '}'))
	}
	for _, r := range srv.Requests() {
		c.Bytes += int64(r.WireBytes)
	}
	return c
}
