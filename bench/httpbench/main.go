// Command httpbench measures HTTP delivery against a loopback receiver:
// groupimport's HTTP sink and segmentio/analytics-go send the same rows to
// the same receiver, side by side in one run, and it prints messages/s and
// the sender's CPU time per message.
//
//	cd bench/httpbench && go run . -rows 200000 -kind companies -runs 3
//
// The payloads come from groupimport's own CLI run over bench/synth data
// (go run ../../cmd/groupimport run … --out DIR), or from -payloads FILE
// (NDJSON). The receiver runs in a child
// process (this program with -serve), so the CPU measured with getrusage
// is the sender's alone. It decompresses gzip bodies and counts the
// messages it receives; each run checks that every row arrived.
//
// This is a module of its own so that the product does not carry the
// analytics-go dependency.
package main

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"runtime/pprof"
	"slices"
	"sort"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"time"

	"github.com/klauspost/compress/gzip"
	analytics "github.com/segmentio/analytics-go/v3"

	"github.com/groupimport/groupimport/bench/synth"
	"github.com/groupimport/groupimport/record"
	"github.com/groupimport/groupimport/sink"
)

var verbose *bool

func main() {
	serveFlag := flag.Bool("serve", false, "run as the receiver (internal)")
	rows := flag.Int("rows", 200000, "synthetic rows to send")
	kind := flag.String("kind", "companies", "companies or memberships (synthetic data)")
	payloadsFile := flag.String("payloads", "", "send these NDJSON payloads instead of synthetic rows")
	root := flag.String("root", "../..", "the groupimport module, whose CLI makes the payloads")
	runs := flag.Int("runs", 3, "runs of each contender (the median is reported)")
	verbose = flag.Bool("v", false, "print every run")
	only := flag.String("only", "", "comma-separated contenders to run, by number from 0 (default all)")
	cpuprofile := flag.String("cpuprofile", "", "write the senders' CPU profile here")
	flag.Parse()
	if *cpuprofile != "" {
		f, err := os.Create(*cpuprofile)
		if err == nil {
			err = pprof.StartCPUProfile(f)
		}
		if err != nil {
			fmt.Fprintln(os.Stderr, "httpbench:", err)
			os.Exit(1)
		}
		defer pprof.StopCPUProfile()
	}
	if *serveFlag {
		serve()
		return
	}
	if err := bench(*rows, *kind, *payloadsFile, *root, *runs, *only); err != nil {
		pprof.StopCPUProfile()
		fmt.Fprintln(os.Stderr, "httpbench:", err)
		os.Exit(1)
	}
}

// contender sends every payload to the receiver at base and returns once
// the last one is acknowledged.
type contender struct {
	name string
	send func(ctx context.Context, base string, ps [][]byte) error
	prep func(ps [][]byte) error
}

type result struct {
	wall, cpu, rcvCPU time.Duration
	requests, wire    int64
}

func bench(rows int, kind, payloadsFile, root string, runs int, only string) error {
	ps, source, err := loadPayloads(rows, kind, payloadsFile, root)
	if err != nil {
		return err
	}
	var total int
	for _, p := range ps {
		total += len(p)
	}
	fmt.Printf("payloads: %d from %s, %.0f bytes on average\n", len(ps), source, float64(total)/float64(len(ps)))
	fmt.Printf("machine: %s/%s, %d CPUs, %s\n", runtime.GOOS, runtime.GOARCH, runtime.NumCPU(), runtime.Version())

	rcv, err := startReceiver()
	if err != nil {
		return err
	}
	defer rcv.stop()

	var groups []analytics.Group
	contenders := []contender{
		{name: "groupimport sink (defaults: gzip, 8 in flight)", send: sendOurs(sink.HTTPOptions{})},
		{name: "groupimport sink (no gzip)", send: sendOurs(sink.HTTPOptions{DisableGzip: true})},
		{name: "analytics-go v3.3.0 (defaults: 250/batch)", send: sendAnalytics(&groups, 0), prep: prepAnalytics(&groups)},
		{name: "analytics-go v3.3.0 (BatchSize 2500)", send: sendAnalytics(&groups, 2500), prep: prepAnalytics(&groups)},
	}
	if only != "" {
		var keep []contender
		for i, c := range contenders {
			if slices.Contains(strings.Split(only, ","), fmt.Sprint(i)) {
				keep = append(keep, c)
			}
		}
		contenders = keep
	}
	results := make([][]result, len(contenders))
	ctx := context.Background()
	for run := 0; run < runs; run++ {
		for i, c := range contenders {
			if c.prep != nil {
				if err := c.prep(ps); err != nil {
					return fmt.Errorf("%s: %w", c.name, err)
				}
			}
			if err := rcv.reset(); err != nil {
				return err
			}
			runtime.GC()
			rcv0 := rcv.cpuTime()
			cpu0 := cpuTime()
			start := time.Now()
			if err := c.send(ctx, rcv.base, ps); err != nil {
				return fmt.Errorf("%s: %w", c.name, err)
			}
			wall := time.Since(start)
			cpu := cpuTime() - cpu0
			rcvCPU := rcv.cpuTime() - rcv0
			st, err := rcv.stats()
			if err != nil {
				return err
			}
			if st.Messages != int64(len(ps)) {
				return fmt.Errorf("%s: the receiver got %d messages, want %d", c.name, st.Messages, len(ps))
			}
			if *verbose {
				fmt.Printf("  run %d %-46s wall %8s  CPU %8s  receiver CPU %8s\n", run+1, c.name, wall.Round(time.Millisecond),
					cpu.Round(time.Millisecond), rcvCPU.Round(time.Millisecond))
			}
			results[i] = append(results[i], result{wall: wall, cpu: cpu, rcvCPU: rcvCPU, requests: st.Requests, wire: st.Bytes})
		}
	}

	n := float64(len(ps))
	fmt.Printf("\n%-48s %10s %8s %12s %10s %9s %11s\n", "sender (median of runs)", "msgs/s", "wall", "CPU µs/msg", "requests", "MB sent", "recv µs/msg")
	var msgsPerSec []float64
	for i, c := range contenders {
		rs := results[i]
		sort.Slice(rs, func(a, b int) bool { return rs[a].wall < rs[b].wall })
		r := rs[len(rs)/2]
		cpus := make([]time.Duration, len(rs))
		for k := range rs {
			cpus[k] = rs[k].cpu
		}
		slices.Sort(cpus)
		rate := n / r.wall.Seconds()
		msgsPerSec = append(msgsPerSec, rate)
		fmt.Printf("%-48s %10.0f %8s %12.2f %10d %9.1f %11.2f\n", c.name, rate, r.wall.Round(time.Millisecond),
			float64(cpus[len(cpus)/2].Microseconds())/n, r.requests, float64(r.wire)/1e6, float64(r.rcvCPU.Microseconds())/n)
	}
	if len(contenders) == 4 {
		fmt.Printf("\nthroughput, our defaults vs analytics-go defaults: %.1f×; vs analytics-go with 2500/batch: %.1f×\n",
			msgsPerSec[0]/msgsPerSec[2], msgsPerSec[0]/msgsPerSec[3])
	}
	return nil
}

// loadPayloads reads NDJSON payloads, or makes them with groupimport's
// transform from synthetic rows.
func loadPayloads(rows int, kind, file, root string) ([][]byte, string, error) {
	if file != "" {
		data, err := os.ReadFile(file)
		if err != nil {
			return nil, "", err
		}
		return splitLines(data), file, nil
	}
	dir, err := os.MkdirTemp("", "httpbench")
	if err != nil {
		return nil, "", err
	}
	defer os.RemoveAll(dir)
	in := filepath.Join(dir, kind+".csv")
	f, err := os.Create(in)
	if err != nil {
		return nil, "", err
	}
	if err := synth.Write(f, kind, "csv", rows); err != nil {
		f.Close()
		return nil, "", err
	}
	if err := f.Close(); err != nil {
		return nil, "", err
	}
	// The CLI, not the runner package: this module then depends on the
	// sink alone, whatever the rest of the product imports.
	out := filepath.Join(dir, "out")
	flagKind := "--companies"
	if kind == "memberships" {
		flagKind = "--memberships"
	}
	cmd := exec.Command("go", "run", "./cmd/groupimport", "run", flagKind, in, "--out", out,
		"--timestamp", "2024-06-01T00:00:00Z", "--quiet")
	cmd.Dir = root
	cmd.Stdout, cmd.Stderr = os.Stderr, os.Stderr
	if err := cmd.Run(); err != nil {
		return nil, "", fmt.Errorf("transforming the synthetic rows with groupimport (in %s): %w", root, err)
	}
	parts, _ := filepath.Glob(filepath.Join(out, "payloads-*.ndjson"))
	sort.Strings(parts)
	var ps [][]byte
	for _, p := range parts {
		data, err := os.ReadFile(p)
		if err != nil {
			return nil, "", err
		}
		ps = append(ps, splitLines(data)...)
	}
	if len(ps) == 0 {
		return nil, "", errors.New("the transform wrote no payloads")
	}
	return ps, fmt.Sprintf("groupimport's transform over %d synthetic %s rows", rows, kind), nil
}

func splitLines(data []byte) [][]byte {
	var out [][]byte
	for _, l := range bytes.Split(data, []byte{'\n'}) {
		if l = bytes.TrimSpace(l); len(l) > 0 {
			out = append(out, l)
		}
	}
	return out
}

// sendOurs feeds the payloads to the HTTP sink in chunks of 4096, as the
// pipeline does.
func sendOurs(opts sink.HTTPOptions) func(ctx context.Context, base string, ps [][]byte) error {
	return func(ctx context.Context, base string, ps [][]byte) error {
		opts.Endpoint = base + "/v1/batch"
		opts.APIKey = "bench-key"
		s, err := sink.NewHTTPSink(opts)
		if err != nil {
			return err
		}
		c := &sink.Chunk{}
		for i := 0; i < len(ps); i += 4096 {
			c.Reset()
			c.Seq = int64(i / 4096)
			for j := i; j < i+4096 && j < len(ps); j++ {
				c.Data = append(c.Data, ps[j]...)
				c.Data = append(c.Data, '\n')
				c.Ends = append(c.Ends, len(c.Data))
				c.Pos = append(c.Pos, record.Position{File: "bench", Row: int64(j + 1)})
			}
			if err := s.Write(ctx, c); err != nil {
				s.Abort()
				return err
			}
		}
		if err := s.Close(ctx); err != nil {
			return err
		}
		if st := s.HTTPStats(); st.Messages != int64(len(ps)) {
			return fmt.Errorf("the sink acknowledged %d messages, want %d", st.Messages, len(ps))
		}
		return nil
	}
}

// prepAnalytics decodes the payloads into analytics.Group values (not
// timed: an application would build them directly).
func prepAnalytics(groups *[]analytics.Group) func(ps [][]byte) error {
	return func(ps [][]byte) error {
		if len(*groups) == len(ps) {
			return nil
		}
		gs := make([]analytics.Group, len(ps))
		for i, p := range ps {
			if err := json.Unmarshal(p, &gs[i]); err != nil {
				return fmt.Errorf("payload %d: %w", i, err)
			}
			gs[i].Type = ""
			// analytics-go cannot send a group call without a person.
			if gs[i].UserId == "" && gs[i].AnonymousId == "" {
				gs[i].AnonymousId = "object:" + gs[i].GroupId
			}
		}
		*groups = gs
		return nil
	}
}

// sendAnalytics enqueues every message and closes the client, which
// flushes and waits for every request.
func sendAnalytics(groups *[]analytics.Group, batchSize int) func(ctx context.Context, base string, ps [][]byte) error {
	return func(ctx context.Context, base string, ps [][]byte) error {
		cb := &counter{}
		c, err := analytics.NewWithConfig("bench-key", analytics.Config{
			Endpoint:  base,
			BatchSize: batchSize,
			Callback:  cb,
			Logger:    quietLogger{},
		})
		if err != nil {
			return err
		}
		for _, g := range *groups {
			if err := c.Enqueue(g); err != nil {
				c.Close()
				return err
			}
		}
		if err := c.Close(); err != nil {
			return err
		}
		if f := cb.failed.Load(); f > 0 {
			return fmt.Errorf("%d messages failed", f)
		}
		if ok := cb.ok.Load(); ok != int64(len(ps)) {
			return fmt.Errorf("%d messages acknowledged, want %d", ok, len(ps))
		}
		return nil
	}
}

type counter struct{ ok, failed atomic.Int64 }

func (c *counter) Success(analytics.Message)        { c.ok.Add(1) }
func (c *counter) Failure(analytics.Message, error) { c.failed.Add(1) }

type quietLogger struct{}

func (quietLogger) Logf(string, ...interface{})   {}
func (quietLogger) Errorf(string, ...interface{}) {}

func cpuTime() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// The receiver.

type receiver struct {
	cmd   *exec.Cmd
	stdin io.WriteCloser
	base  string
}

type receiverStats struct {
	Messages, Requests, Bytes int64
}

func startReceiver() (*receiver, error) {
	exe, err := os.Executable()
	if err != nil {
		return nil, err
	}
	cmd := exec.Command(exe, "-serve")
	cmd.Stderr = os.Stderr
	stdin, err := cmd.StdinPipe()
	if err != nil {
		return nil, err
	}
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		return nil, err
	}
	if err := cmd.Start(); err != nil {
		return nil, err
	}
	line, err := bufio.NewReader(stdout).ReadString('\n')
	if err != nil {
		cmd.Process.Kill()
		return nil, fmt.Errorf("the receiver did not start: %w", err)
	}
	return &receiver{cmd: cmd, stdin: stdin, base: "http://" + strings.TrimSpace(line)}, nil
}

// cpuTime is the receiver's CPU time (user + system), from /proc.
func (r *receiver) cpuTime() time.Duration {
	data, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", r.cmd.Process.Pid))
	if err != nil {
		return 0
	}
	// Fields after the command name (which is in parentheses): utime and
	// stime are the 12th and 13th.
	f := strings.Fields(string(data[bytes.LastIndexByte(data, ')')+1:]))
	if len(f) < 13 {
		return 0
	}
	var ut, st int64
	fmt.Sscan(f[11], &ut)
	fmt.Sscan(f[12], &st)
	return time.Duration(ut+st) * time.Second / 100 // USER_HZ
}

func (r *receiver) stop() {
	r.stdin.Close() // the receiver exits when its standard input closes
	r.cmd.Wait()
}

func (r *receiver) reset() error {
	resp, err := http.Post(r.base+"/reset", "text/plain", nil)
	if err != nil {
		return err
	}
	resp.Body.Close()
	return nil
}

func (r *receiver) stats() (receiverStats, error) {
	var st receiverStats
	resp, err := http.Get(r.base + "/stats")
	if err != nil {
		return st, err
	}
	defer resp.Body.Close()
	err = json.NewDecoder(resp.Body).Decode(&st)
	return st, err
}

// serve is the receiver: it accepts any batch, decompressing gzip, and
// counts the group calls in it.
func serve() {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	fmt.Println(ln.Addr().String())
	go func() {
		_, _ = io.Copy(io.Discard, os.Stdin)
		os.Exit(0)
	}()
	var msgs, reqs, wire atomic.Int64
	// Buffers and gzip readers are pooled: the receiver must cost as
	// little as possible, so that the senders, not it, are measured.
	type bufs struct {
		raw, body bytes.Buffer
		zr        *gzip.Reader
	}
	pool := sync.Pool{New: func() any { return &bufs{} }}
	groupID := []byte(`"groupId":`)
	mux := http.NewServeMux()
	mux.HandleFunc("POST /v1/batch", func(w http.ResponseWriter, r *http.Request) {
		b := pool.Get().(*bufs)
		defer pool.Put(b)
		b.raw.Reset()
		b.body.Reset()
		if r.ContentLength > 0 {
			b.raw.Grow(int(r.ContentLength))
		}
		_, err := b.raw.ReadFrom(r.Body)
		body := b.raw.Bytes()
		if err == nil && r.Header.Get("Content-Encoding") == "gzip" {
			if b.zr == nil {
				b.zr, err = gzip.NewReader(bytes.NewReader(body))
			} else {
				err = b.zr.Reset(bytes.NewReader(body))
			}
			if err == nil {
				_, err = b.body.ReadFrom(b.zr)
			}
			body = b.body.Bytes()
		}
		if err != nil {
			http.Error(w, err.Error(), http.StatusBadRequest)
			return
		}
		reqs.Add(1)
		wire.Add(int64(b.raw.Len()))
		msgs.Add(int64(bytes.Count(body, groupID)))
		w.Header().Set("Content-Type", "application/json")
		_, _ = io.WriteString(w, `{"success":true}`)
	})
	mux.HandleFunc("POST /reset", func(w http.ResponseWriter, r *http.Request) {
		msgs.Store(0)
		reqs.Store(0)
		wire.Store(0)
	})
	mux.HandleFunc("GET /stats", func(w http.ResponseWriter, r *http.Request) {
		_ = json.NewEncoder(w).Encode(receiverStats{Messages: msgs.Load(), Requests: reqs.Load(), Bytes: wire.Load()})
	})
	srv := &http.Server{Handler: mux, ReadHeaderTimeout: 10 * time.Second}
	_ = srv.Serve(ln)
}
