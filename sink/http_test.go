package sink

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log"
	"net/http"
	"net/http/httptest"
	"net/url"
	"regexp"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/groupimport/groupimport/internal/backoff"
	"github.com/groupimport/groupimport/internal/fakeapi"
	"github.com/groupimport/groupimport/record"
)

const testKey = "test-KEY-0123456789"

var t0 = time.Date(2024, 6, 1, 0, 0, 0, 0, time.UTC)

// fakeClock is a clock that moves only when someone sleeps on it, so
// backoff and Retry-After cost no real time.
type fakeClock struct {
	mu     sync.Mutex
	now    time.Time
	sleeps []time.Duration
}

func newFakeClock() *fakeClock { return &fakeClock{now: t0} }

func (c *fakeClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

func (c *fakeClock) Sleep(ctx context.Context, d time.Duration) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if d > 0 {
		c.now = c.now.Add(d)
	}
	c.sleeps = append(c.sleeps, d)
	return nil
}

func (c *fakeClock) total() time.Duration {
	c.mu.Lock()
	defer c.mu.Unlock()
	var t time.Duration
	for _, d := range c.sleeps {
		t += d
	}
	return t
}

// payload i, padded with pad bytes of trait text.
func payload(i, pad int) []byte {
	return fmt.Appendf(nil, `{"type":"group","groupId":"g-%06d","traits":{"objectTypeId":1,"name":"Company %d","note":"%s"},`+
		`"timestamp":"2024-05-01T12:00:00.000Z","messageId":"m-%06d","integrations":{"All":true},`+
		`"context":{"library":{"name":"groupimport","version":"test"}}}`, i, i, strings.Repeat("x", pad), i)
}

func msgID(i int) string { return fmt.Sprintf("m-%06d", i) }

// payloads returns n payloads with sizes varied by i.
func payloads(n, pad int) [][]byte {
	out := make([][]byte, n)
	for i := range out {
		out[i] = payload(i, pad+(i*37)%pad)
	}
	return out
}

// chunks packs payloads into chunks of per messages, as the pipeline does.
func chunks(ps [][]byte, per int) []*Chunk {
	var out []*Chunk
	for i := 0; i < len(ps); i += per {
		c := &Chunk{Seq: int64(len(out))}
		for j := i; j < i+per && j < len(ps); j++ {
			c.Data = append(c.Data, ps[j]...)
			c.Data = append(c.Data, '\n')
			c.Ends = append(c.Ends, len(c.Data))
			c.Pos = append(c.Pos, record.Position{File: "in.csv", Line: int64(j + 2), Row: int64(j + 1)})
		}
		out = append(out, c)
	}
	return out
}

// harness is a sink against a fake API, with what the callbacks saw.
type harness struct {
	t     *testing.T
	srv   *fakeapi.Server
	clock *fakeClock
	sink  *HTTPSink

	mu      sync.Mutex
	acks    []int64
	refused map[int64]string // row → reason
}

func newHarness(t *testing.T, fo fakeapi.Options, o HTTPOptions) *harness {
	t.Helper()
	if fo.Key == "" {
		fo.Key = testKey
	}
	h := &harness{t: t, srv: fakeapi.New(fo), clock: newFakeClock(), refused: map[int64]string{}}
	t.Cleanup(h.srv.Close)
	if o.Endpoint == "" {
		o.Endpoint = h.srv.URL()
	}
	if o.APIKey == "" {
		o.APIKey = testKey
	}
	if o.Now == nil {
		o.Now, o.Sleep = h.clock.Now, h.clock.Sleep
	}
	if o.BackoffBase == 0 {
		o.BackoffBase = 20 * time.Millisecond
	}
	if o.MaxAttempts == 0 {
		o.MaxAttempts = 25
	}
	if o.RequestTimeout == 0 {
		o.RequestTimeout = 5 * time.Second
	}
	o.OnAck = func(seq int64) {
		h.mu.Lock()
		h.acks = append(h.acks, seq)
		h.mu.Unlock()
	}
	o.OnRefused = func(pos record.Position, p []byte, code, reason string) {
		h.mu.Lock()
		defer h.mu.Unlock()
		if _, dup := h.refused[pos.Row]; dup {
			t.Errorf("row %d refused twice", pos.Row)
		}
		if bytes.Contains(p, []byte(`"messageId"`)) && !bytes.Contains(p, fmt.Appendf(nil, `"messageId":"%s"`, msgID(int(pos.Row-1)))) {
			t.Errorf("row %d refused with the payload of another row: %.80s", pos.Row, p)
		}
		h.refused[pos.Row] = code + ": " + reason
	}
	s, err := NewHTTPSink(o)
	if err != nil {
		t.Fatal(err)
	}
	h.sink = s
	return h
}

// run writes every chunk and closes the sink.
func (h *harness) run(cs []*Chunk) error {
	ctx := context.Background()
	for _, c := range cs {
		if err := h.sink.Write(ctx, c); err != nil {
			h.sink.Abort()
			return err
		}
	}
	cctx, cancel := context.WithTimeout(ctx, 15*time.Second)
	defer cancel()
	return h.sink.Close(cctx)
}

var sentAtRe = regexp.MustCompile(`,"sentAt":"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z"}$`)

// checkDelivered checks that every payload not in refused arrived exactly
// as written (plus sentAt), and that the client broke no limit.
func (h *harness) checkDelivered(ps [][]byte, refused ...int) {
	h.t.Helper()
	got := h.srv.Messages()
	for i, p := range ps {
		raw, ok := got[msgID(i)]
		if slices.Contains(refused, i) {
			if ok {
				h.t.Errorf("refused message %d was stored", i)
			}
			continue
		}
		if !ok {
			h.t.Errorf("message %d never arrived", i)
			continue
		}
		loc := sentAtRe.FindIndex(raw)
		if loc == nil {
			h.t.Errorf("message %d has no sentAt at its end: …%s", i, raw[max(0, len(raw)-60):])
			continue
		}
		if stripped := append(raw[:loc[0]:loc[0]], '}'); !bytes.Equal(stripped, p) {
			h.t.Errorf("message %d changed:\n got %s\nwant %s", i, stripped, p)
		}
	}
	if n := len(got); n != len(ps)-len(refused) {
		h.t.Errorf("%d distinct messages stored, want %d", n, len(ps)-len(refused))
	}
	for _, v := range h.srv.Violations() {
		h.t.Errorf("contract violation: %s", v)
	}
}

// checkAcks checks that OnAck saw 0…n-1 in order.
func (h *harness) checkAcks(n int) {
	h.t.Helper()
	h.mu.Lock()
	defer h.mu.Unlock()
	if len(h.acks) != n {
		h.t.Errorf("%d chunks acknowledged, want %d", len(h.acks), n)
	}
	for i, s := range h.acks {
		if s != int64(i) {
			h.t.Errorf("ack %d is chunk %d: out of order", i, s)
			break
		}
	}
}

func TestHTTPDeliversEveryMessage(t *testing.T) {
	ps := payloads(5000, 300)
	h := newHarness(t, fakeapi.Options{}, HTTPOptions{UserAgent: "groupimport/test"})
	cs := chunks(ps, 333)
	if err := h.run(cs); err != nil {
		t.Fatal(err)
	}
	h.checkDelivered(ps)
	h.checkAcks(len(cs))
	reqs := h.srv.Requests()
	for _, r := range reqs {
		if !r.Auth || !r.Gzip || !r.Strict || r.Status != 200 || r.UserAgent != "groupimport/test" ||
			r.ContentType != "application/json" {
			t.Errorf("request %d: %+v", r.N, r)
			break
		}
		if r.BodyBytes > APIMaxBatchBytes || len(r.MessageIDs) > APIMaxBatchMessages {
			t.Errorf("request %d over a limit: %d bytes, %d messages", r.N, r.BodyBytes, len(r.MessageIDs))
		}
	}
	st := h.sink.HTTPStats()
	if st.Messages != 5000 || st.Refused != 0 || st.Requests != int64(len(reqs)) || st.Batches != int64(len(reqs)) ||
		st.Retries.Total() != 0 {
		t.Errorf("stats %+v, %d requests", st, len(reqs))
	}
	if ss := h.sink.Stats(); ss.Messages != 5000 || ss.Destination != h.srv.URL() || ss.Bytes != st.BytesSent {
		t.Errorf("sink stats %+v", ss)
	}
	// 5000 × ~800 bytes is ~4 MB: about 9 full batches of 500,000 bytes.
	if len(reqs) > 10 {
		t.Errorf("%d requests for about 4 MB: batches are not filled", len(reqs))
	}
}

func TestHTTPPermissiveAndPlain(t *testing.T) {
	ps := payloads(300, 100)
	h := newHarness(t, fakeapi.Options{}, HTTPOptions{DisableStrictMode: true, DisableGzip: true})
	if err := h.run(chunks(ps, 100)); err != nil {
		t.Fatal(err)
	}
	h.checkDelivered(ps)
	for _, r := range h.srv.Requests() {
		if r.Strict || r.Gzip || r.WireBytes != r.BodyBytes {
			t.Errorf("request %d: strict %v gzip %v wire %d body %d", r.N, r.Strict, r.Gzip, r.WireBytes, r.BodyBytes)
		}
	}
	if st := h.sink.HTTPStats(); st.BytesSent != st.BytesRaw {
		t.Errorf("uncompressed: sent %d raw %d", st.BytesSent, st.BytesRaw)
	}
}

func TestHTTPGzipOnTheWire(t *testing.T) {
	ps := payloads(2000, 400)
	h := newHarness(t, fakeapi.Options{}, HTTPOptions{})
	if err := h.run(chunks(ps, 500)); err != nil {
		t.Fatal(err)
	}
	h.checkDelivered(ps)
	var wire, body int
	for _, r := range h.srv.Requests() {
		if !r.Gzip {
			t.Errorf("request %d not gzip", r.N)
		}
		wire += r.WireBytes
		body += r.BodyBytes
	}
	st := h.sink.HTTPStats()
	if int64(wire) != st.BytesSent || int64(body) != st.BytesRaw || wire*3 > body {
		t.Errorf("wire %d body %d, stats sent %d raw %d", wire, body, st.BytesSent, st.BytesRaw)
	}
}

func TestHTTPBatchesFilledNeverOver(t *testing.T) {
	t.Run("exact fit", func(t *testing.T) {
		// Messages of 1000 bytes: five fill a 5,196-byte body exactly
		// (envelope 12, 5 × (1000 + 36 sentAt), 4 commas).
		var ps [][]byte
		for i := 0; i < 52; i++ {
			p := payload(i, 0)
			p = payload(i, 1000-len(p))
			if len(p) != 1000 {
				t.Fatalf("payload of %d bytes", len(p))
			}
			ps = append(ps, p)
		}
		h := newHarness(t, fakeapi.Options{}, HTTPOptions{MaxBatchBytes: 5196, Concurrency: 1})
		if err := h.run(chunks(ps, 7)); err != nil {
			t.Fatal(err)
		}
		h.checkDelivered(ps)
		reqs := h.srv.Requests()
		if len(reqs) != 11 {
			t.Errorf("%d requests, want 11", len(reqs))
		}
		for _, r := range reqs[:len(reqs)-1] {
			if r.BodyBytes != 5196 || len(r.MessageIDs) != 5 {
				t.Errorf("request %d: %d bytes, %d messages; want 5196 and 5", r.N, r.BodyBytes, len(r.MessageIDs))
			}
		}
	})
	t.Run("varied sizes", func(t *testing.T) {
		const limit = 20000
		ps := payloads(600, 1500)
		size := map[string]int{}
		for i, p := range ps {
			size[msgID(i)] = len(p)
		}
		h := newHarness(t, fakeapi.Options{}, HTTPOptions{MaxBatchBytes: limit, Concurrency: 1})
		if err := h.run(chunks(ps, 64)); err != nil {
			t.Fatal(err)
		}
		h.checkDelivered(ps)
		reqs := h.srv.Requests()
		for i, r := range reqs {
			if r.BodyBytes > limit {
				t.Errorf("request %d: %d bytes, over %d", r.N, r.BodyBytes, limit)
			}
			// Filled: the next batch's first message would not have fitted.
			if i+1 < len(reqs) {
				next := size[reqs[i+1].MessageIDs[0]] + sentAtLen + 1
				if r.BodyBytes+next <= limit {
					t.Errorf("request %d: %d bytes, yet the next message (%d) would have fitted", r.N, r.BodyBytes, next)
				}
			}
		}
	})
	t.Run("message cap", func(t *testing.T) {
		ps := payloads(95, 50)
		h := newHarness(t, fakeapi.Options{}, HTTPOptions{MaxBatchMessages: 10, Concurrency: 1})
		if err := h.run(chunks(ps, 13)); err != nil {
			t.Fatal(err)
		}
		h.checkDelivered(ps)
		reqs := h.srv.Requests()
		if len(reqs) != 10 {
			t.Errorf("%d requests, want 10", len(reqs))
		}
		for _, r := range reqs[:len(reqs)-1] {
			if len(r.MessageIDs) != 10 {
				t.Errorf("request %d has %d messages, want 10", r.N, len(r.MessageIDs))
			}
		}
	})
}

func TestHTTPOversizeMessageNeverSent(t *testing.T) {
	ps := payloads(40, 100)
	p := payload(7, 0)
	ps[7] = payload(7, APIMaxMessageBytes-sentAtLen-len(p)) // exactly at the limit with sentAt
	ps[8] = payload(8, APIMaxMessageBytes-sentAtLen-len(p)+1)
	ps[20] = payload(20, 100000)
	ps[21] = []byte(`["not an object"]`)
	h := newHarness(t, fakeapi.Options{}, HTTPOptions{})
	cs := chunks(ps, 10)
	if err := h.run(cs); err != nil {
		t.Fatal(err)
	}
	h.checkDelivered(ps, 8, 20, 21)
	h.checkAcks(len(cs))
	for _, row := range []int64{9, 21} {
		if r := h.refused[row]; !strings.HasPrefix(r, CodeUnsendable+": ") || !strings.Contains(r, "over the limit of 32000") {
			t.Errorf("row %d: reason %q", row, r)
		}
	}
	if r, ok := h.refused[22]; !ok || !strings.HasPrefix(r, CodeUnsendable+": ") || !strings.Contains(r, "not a JSON object") {
		t.Errorf("row 22: reason %q", r)
	}
	for _, r := range h.srv.Requests() {
		if r.MaxMessageBytes > APIMaxMessageBytes {
			t.Errorf("request %d carries a message of %d bytes", r.N, r.MaxMessageBytes)
		}
		for _, id := range r.MessageIDs {
			if id == msgID(8) || id == msgID(20) {
				t.Errorf("request %d carries the oversize %s", r.N, id)
			}
		}
	}
	if st := h.sink.HTTPStats(); st.Refused != 3 || st.Messages != 37 {
		t.Errorf("stats %+v", st)
	}
}

// TestHTTPFaults: every message arrives under each fault, within limits.
func TestHTTPFaults(t *testing.T) {
	cases := []struct {
		name  string
		chaos fakeapi.Chaos
		check func(t *testing.T, st HTTPStats)
	}{
		{"429 with Retry-After", fakeapi.Chaos{TooManyRequests: 0.3, RetryAfter: "2"},
			func(t *testing.T, st HTTPStats) {
				if st.Retries.TooManyRequests == 0 || st.RetryAfterWait < 2*time.Second {
					t.Errorf("stats %+v", st)
				}
			}},
		{"500", fakeapi.Chaos{ServerError: 0.3}, func(t *testing.T, st HTTPStats) {
			if st.Retries.ServerError == 0 {
				t.Errorf("stats %+v", st)
			}
		}},
		{"503", fakeapi.Chaos{Unavailable: 0.3}, nil},
		{"503 after storing", fakeapi.Chaos{UnavailableAfterStore: 0.3}, nil},
		{"slow answers", fakeapi.Chaos{Slow: 0.15, SlowDelay: 2 * time.Second}, func(t *testing.T, st HTTPStats) {
			if st.Retries.Timeout == 0 {
				t.Errorf("stats %+v", st)
			}
		}},
		{"dropped connections", fakeapi.Chaos{Drop: 0.2}, func(t *testing.T, st HTTPStats) {
			if st.Retries.Connection == 0 {
				t.Errorf("stats %+v", st)
			}
		}},
		{"dropped after storing", fakeapi.Chaos{DropAfterStore: 0.2}, nil},
		{"everything", fakeapi.Chaos{TooManyRequests: 0.08, ServerError: 0.05, Unavailable: 0.05,
			UnavailableAfterStore: 0.05, Slow: 0.05, Drop: 0.05, DropAfterStore: 0.05, RetryAfter: "1",
			SlowDelay: 2 * time.Second}, nil},
	}
	for i, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			tc.chaos.Seed = uint64(i + 1)
			ps := payloads(3000, 200)
			// a short timeout where answers are slow on purpose; a long one
			// elsewhere, so that a busy machine (the race detector) does not
			// turn every request into a timeout
			timeout := 5 * time.Second
			if tc.chaos.Slow > 0 {
				timeout = 600 * time.Millisecond
			}
			h := newHarness(t, fakeapi.Options{Chaos: tc.chaos},
				HTTPOptions{MaxBatchMessages: 60, Concurrency: 4, RequestTimeout: timeout})
			cs := chunks(ps, 250)
			if err := h.run(cs); err != nil {
				t.Fatal(err)
			}
			h.checkDelivered(ps)
			h.checkAcks(len(cs))
			st := h.sink.HTTPStats()
			if st.Messages < 3000 || st.Retries.Total() == 0 {
				t.Errorf("stats %+v", st)
			}
			if tc.check != nil {
				tc.check(t, st)
			}
			raw := h.srv.Received()
			t.Logf("%d requests, %d retries %+v, %d messages stored (%d duplicates)",
				st.Requests, st.Retries.Total(), st.Retries, len(raw), len(raw)-3000)
		})
	}
}

func TestHTTPStrict400Bisects(t *testing.T) {
	bad := map[string]bool{msgID(5): true, msgID(6): true, msgID(377): true, msgID(999): true}
	validate := func(m json.RawMessage) error {
		var v struct{ MessageID string }
		_ = json.Unmarshal(m, &v)
		if bad[v.MessageID] {
			return errors.New("traits.objectTypeId must be an integer")
		}
		return nil
	}
	ps := payloads(1000, 100)
	h := newHarness(t, fakeapi.Options{Validate: validate, Chaos: fakeapi.Chaos{Seed: 9, Unavailable: 0.1}},
		HTTPOptions{MaxBatchMessages: 100, Concurrency: 3})
	cs := chunks(ps, 128)
	if err := h.run(cs); err != nil {
		t.Fatal(err)
	}
	h.checkDelivered(ps, 5, 6, 377, 999)
	h.checkAcks(len(cs))
	for _, row := range []int64{6, 7, 378, 1000} {
		r := h.refused[row]
		if !strings.HasPrefix(r, CodeAPIRefused+": ") || !strings.Contains(r, "400") || !strings.Contains(r, "traits.objectTypeId must be an integer") {
			t.Errorf("row %d: reason %q", row, r)
		}
	}
	if len(h.refused) != 4 {
		t.Errorf("refused %v", h.refused)
	}

	// Nothing is sent again as it was after a 400: every later request
	// that shares a message with a refused one is a strict part of it.
	reqs := h.srv.Requests()
	key := func(ids []string) string { return strings.Join(ids, ",") }
	refusedSets := map[string]bool{}
	for _, r := range reqs {
		if r.Status != 400 {
			continue
		}
		k := key(r.MessageIDs)
		if refusedSets[k] {
			t.Errorf("request %d repeats a batch refused with 400", r.N)
		}
		refusedSets[k] = true
		in := map[string]bool{}
		for _, id := range r.MessageIDs {
			in[id] = true
		}
		for _, q := range reqs {
			if q.N <= r.N {
				continue
			}
			shared := 0
			for _, id := range q.MessageIDs {
				if in[id] {
					shared++
				}
			}
			if shared > 0 && (shared != len(q.MessageIDs) || shared >= len(r.MessageIDs)) {
				t.Errorf("request %d (%d messages) after the 400 of request %d (%d messages) is not a part of it",
					q.N, len(q.MessageIDs), r.N, len(r.MessageIDs))
			}
		}
	}
	// A bad message is in at most one request per level of bisection
	// (plus retries of 503s, which are not 400s).
	for id := range bad {
		n := 0
		for _, r := range reqs {
			if r.Status == 400 && slices.Contains(r.MessageIDs, id) {
				n++
			}
		}
		if n > 8 {
			t.Errorf("%s was in %d refused requests; bisection of 100 needs at most 8", id, n)
		}
	}
	if st := h.sink.HTTPStats(); st.Refused != 4 || st.Splits == 0 || st.Messages != 996 {
		t.Errorf("stats %+v", st)
	}
}

func TestHTTPUnauthorizedStopsAtOnce(t *testing.T) {
	for _, code := range []int{401, 403} {
		t.Run(fmt.Sprint(code), func(t *testing.T) {
			o := HTTPOptions{MaxBatchMessages: 10, Concurrency: 4, APIKey: "wrong-" + testKey}
			if code == 403 {
				// The fake answers 401 for a bad key; a 403 comes from a
				// server standing in for a forbidding proxy.
				hs := newStatusServer(403, `{"meta":{"errors":["forbidden"]}}`)
				t.Cleanup(hs.Close)
				o.Endpoint = hs.URL + "/v1/batch"
			}
			h := newHarness(t, fakeapi.Options{}, o)
			ps := payloads(2000, 50)
			start := time.Now()
			err := h.run(chunks(ps, 100))
			if !errors.Is(err, ErrUnauthorized) {
				t.Fatalf("error %v, want ErrUnauthorized", err)
			}
			if d := time.Since(start); d > 2*time.Second {
				t.Errorf("took %s to stop", d)
			}
			msg := err.Error()
			if !strings.Contains(msg, fmt.Sprint(code)) || !strings.Contains(msg, "region") || strings.Contains(msg, testKey) {
				t.Errorf("error %q", msg)
			}
			st := h.sink.HTTPStats()
			if st.Retries.Total() != 0 || st.Requests > 4 {
				t.Errorf("after %d: %d requests, %d retries", code, st.Requests, st.Retries.Total())
			}
			seen := map[string]bool{}
			for _, r := range h.srv.Requests() {
				if r.Status != 401 {
					t.Errorf("request %d answered %d", r.N, r.Status)
				}
				for _, id := range r.MessageIDs {
					if seen[id] {
						t.Errorf("%s sent twice after a 401", id)
					}
					seen[id] = true
				}
			}
			if err := h.sink.Write(context.Background(), chunks(ps[:1], 1)[0]); !errors.Is(err, ErrUnauthorized) {
				t.Errorf("Write after the failure: %v", err)
			}
			h.checkAcks(0)
		})
	}
}

// newStatusServer answers every request with code and body.
func newStatusServer(code int, body string) *httptest.Server {
	return httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_, _ = io.Copy(io.Discard, r.Body)
		w.WriteHeader(code)
		_, _ = io.WriteString(w, body)
	}))
}

func TestHTTPRetryAfterHonoured(t *testing.T) {
	at := t0.Add(60 * time.Second).Format(http.TimeFormat)
	script := []fakeapi.Fault{
		{Kind: fakeapi.TooManyRequests, RetryAfter: "7"},
		{Kind: fakeapi.TooManyRequests, RetryAfter: at},
		{Kind: fakeapi.TooManyRequests, RateLimitReset: "3"},
		{Kind: fakeapi.Unavailable, RetryAfter: "2"},
	}
	ps := payloads(50, 100)
	h := newHarness(t, fakeapi.Options{Script: script}, HTTPOptions{Concurrency: 1})
	if err := h.run(chunks(ps, 50)); err != nil {
		t.Fatal(err)
	}
	h.checkDelivered(ps)
	reqs := h.srv.Requests()
	if len(reqs) != 5 {
		t.Fatalf("%d requests, want 5", len(reqs))
	}
	// sentAt is the (fake) time of each attempt: the waits show in it.
	at0 := func(r fakeapi.Request) time.Duration {
		if len(r.SentAt) != 1 {
			t.Fatalf("request %d: sentAt %v", r.N, r.SentAt)
		}
		ts, err := time.Parse(time.RFC3339Nano, r.SentAt[0])
		if err != nil {
			t.Fatal(err)
		}
		return ts.Sub(t0)
	}
	want := []time.Duration{0, 7 * time.Second, 60 * time.Second, 63 * time.Second, 65 * time.Second}
	for i, r := range reqs {
		got := at0(r)
		if got < want[i] || got > want[i]+time.Second {
			t.Errorf("request %d sent at t0+%s, want t0+%s (within the jitter)", r.N, got, want[i])
		}
	}
	st := h.sink.HTTPStats()
	if st.Retries.TooManyRequests != 3 || st.Retries.ServerError != 1 || st.RetryAfterWait+st.BackoffWait < 65*time.Second {
		t.Errorf("stats %+v", st)
	}

	t.Run("beyond the budget", func(t *testing.T) {
		h := newHarness(t, fakeapi.Options{Script: []fakeapi.Fault{{Kind: fakeapi.TooManyRequests, RetryAfter: "3600"}}},
			HTTPOptions{MaxElapsed: time.Minute})
		err := h.run(chunks(payloads(5, 10), 5))
		if !errors.Is(err, ErrGaveUp) || !strings.Contains(err.Error(), "asked to wait 1h0m0s") {
			t.Errorf("error %v", err)
		}
		h.checkAcks(0)
	})
}

func TestRetryAfterParsing(t *testing.T) {
	now := time.Date(2024, 6, 1, 12, 0, 0, 0, time.UTC)
	cases := []struct {
		ra, reset string
		want      time.Duration
	}{
		{"", "", 0},
		{"5", "", 5 * time.Second},
		{"1.5", "", 1500 * time.Millisecond},
		{"-3", "", 0},
		{now.Add(90 * time.Second).Format(http.TimeFormat), "", 90 * time.Second},
		{now.Add(-time.Hour).Format(http.TimeFormat), "", 0},
		{"soon", "4", 4 * time.Second},
		{"", "4", 4 * time.Second},
		{"", fmt.Sprint(now.Add(30 * time.Second).Unix()), 30 * time.Second},
		{"", "999999999999", 24 * time.Hour},
		{"2", "9", 2 * time.Second},
	}
	for _, c := range cases {
		h := http.Header{}
		if c.ra != "" {
			h.Set("Retry-After", c.ra)
		}
		if c.reset != "" {
			h.Set("X-RateLimit-Reset", c.reset)
		}
		if got := retryAfter(h, now); got != c.want {
			t.Errorf("Retry-After %q, reset %q: %s, want %s", c.ra, c.reset, got, c.want)
		}
	}
}

func TestHTTPAdaptiveConcurrency(t *testing.T) {
	const throttled = 60
	fo := fakeapi.Options{FaultFunc: func(n int) fakeapi.Fault {
		if n <= throttled {
			return fakeapi.Fault{Kind: fakeapi.TooManyRequests, RetryAfter: "1"}
		}
		return fakeapi.Fault{}
	}, Latency: 10 * time.Millisecond}
	ps := payloads(4000, 50)
	h := newHarness(t, fo, HTTPOptions{MaxBatchMessages: 50, Concurrency: 8})
	if err := h.run(chunks(ps, 400)); err != nil {
		t.Fatal(err)
	}
	h.checkDelivered(ps)
	st := h.sink.HTTPStats()
	if st.MinConcurrency > 2 {
		t.Errorf("the concurrency went down to %d only, under %d 429s", st.MinConcurrency, throttled)
	}
	if st.Concurrency <= st.MinConcurrency {
		t.Errorf("the concurrency stayed at %d after the 429s ended", st.Concurrency)
	}
	// Late in the 429 phase, requests no longer come in parallel.
	reqs := h.srv.Requests()
	slices.SortFunc(reqs, func(a, b fakeapi.Request) int { return a.N - b.N })
	early, late := 0, 0
	for _, r := range reqs[:8] {
		early = max(early, r.InFlight)
	}
	for _, r := range reqs[throttled-10 : throttled] {
		late = max(late, r.InFlight)
	}
	if late > 2 {
		t.Errorf("requests in flight: %d at first, %d late in the 429 phase", early, late)
	}
	t.Logf("in flight: %d at first, %d late in the 429 phase; limit now %d (min %d); stats %+v",
		early, late, st.Concurrency, st.MinConcurrency, st.Retries)
}

func TestHTTPSentAtRefreshedOnRetry(t *testing.T) {
	script := []fakeapi.Fault{{Kind: fakeapi.Unavailable}, {Kind: fakeapi.UnavailableAfterStore}}
	ps := payloads(30, 100)
	h := newHarness(t, fakeapi.Options{Script: script}, HTTPOptions{Concurrency: 1, BackoffBase: time.Second})
	if err := h.run(chunks(ps, 30)); err != nil {
		t.Fatal(err)
	}
	h.checkDelivered(ps)
	reqs := h.srv.Requests()
	if len(reqs) != 3 {
		t.Fatalf("%d requests", len(reqs))
	}
	var stamps []string
	for _, r := range reqs {
		if len(r.SentAt) != 1 || len(r.MessageIDs) != 30 {
			t.Fatalf("request %d: sentAt %v, %d messages", r.N, r.SentAt, len(r.MessageIDs))
		}
		stamps = append(stamps, r.SentAt[0])
	}
	if stamps[0] != "2024-06-01T00:00:00.000Z" {
		t.Errorf("first sentAt %s, want the clock's time", stamps[0])
	}
	if !(stamps[0] < stamps[1] && stamps[1] < stamps[2]) {
		t.Errorf("sentAt not refreshed on retry: %v", stamps)
	}
	// The lost acknowledgement stored the batch twice, each copy with the
	// sentAt of its own attempt.
	raw := h.srv.Received()
	if len(raw) != 60 || raw[0].SentAt != stamps[1] || raw[59].SentAt != stamps[2] {
		t.Errorf("%d stored; sentAt %s … %s", len(raw), raw[0].SentAt, raw[len(raw)-1].SentAt)
	}
}

func TestHTTPKeyNeverLeaks(t *testing.T) {
	const key = "sk_live_S3CRET/with+chars"
	secrets := []string{key, base64.StdEncoding.EncodeToString([]byte(key + ":")), url.QueryEscape(key)}
	leak := func(what, s string) {
		t.Helper()
		for _, k := range secrets {
			if strings.Contains(s, k) {
				t.Errorf("%s holds the key: %s", what, s)
			}
		}
	}
	run := func(fo fakeapi.Options, o HTTPOptions, closeFirst bool) (error, *harness) {
		fo.Key = key
		o.APIKey = key
		h := newHarness(t, fo, o)
		if closeFirst {
			h.srv.Close()
		}
		return h.run(chunks(payloads(20, 10), 10)), h
	}
	// Connection refused, the API's 401, giving up on 503s, a refusal
	// whose text echoes the key, a 404 whose body echoes it.
	err, _ := run(fakeapi.Options{}, HTTPOptions{MaxAttempts: 2}, true)
	if !errors.Is(err, ErrGaveUp) {
		t.Errorf("closed server: %v", err)
	}
	leak("connection error", fmt.Sprint(err))
	err, _ = run(fakeapi.Options{}, HTTPOptions{APIKey: key + "x"}, false)
	leak("401 error", fmt.Sprint(err))
	err, _ = run(fakeapi.Options{Chaos: fakeapi.Chaos{Unavailable: 1}}, HTTPOptions{MaxAttempts: 3}, false)
	if !errors.Is(err, ErrGaveUp) || !strings.Contains(err.Error(), "503") {
		t.Errorf("503s: %v", err)
	}
	leak("give-up error", fmt.Sprint(err))
	err, h := run(fakeapi.Options{Validate: func(json.RawMessage) error { return errors.New("bad key " + key) }}, HTTPOptions{}, false)
	if err != nil {
		t.Error(err)
	}
	if len(h.refused) != 20 {
		t.Errorf("%d refused", len(h.refused))
	}
	for _, r := range h.refused {
		leak("refusal", r)
	}
	stats, _ := json.Marshal(h.sink.HTTPStats())
	leak("stats", string(stats))
	leak("sink stats", fmt.Sprint(h.sink.Stats()))

	hs := newStatusServer(404, "no such path for "+key)
	defer hs.Close()
	s, err := NewHTTPSink(HTTPOptions{Endpoint: hs.URL + "/v1/batch", APIKey: key})
	if err != nil {
		t.Fatal(err)
	}
	err = s.Write(context.Background(), chunks(payloads(3, 10), 3)[0])
	if err == nil {
		err = s.Close(context.Background())
	}
	if !errors.Is(err, ErrAPI) || !strings.Contains(err.Error(), "404") {
		t.Errorf("404: %v", err)
	}
	leak("404 error", fmt.Sprint(err))

	for _, ep := range []string{"https://x.example/v1/batch?key=" + key, "https://u:" + key + "@x.example/v1/batch",
		"http://x.example/v1/batch?key=" + url.QueryEscape(key), "https://u:p@x.example/v1/batch?k=" + url.QueryEscape(key)} {
		_, err := NewHTTPSink(HTTPOptions{Endpoint: ep, APIKey: key})
		if err == nil {
			t.Errorf("%s accepted", ep)
		}
		leak("endpoint error", fmt.Sprint(err))
	}
}

func TestHTTPEndpointChecks(t *testing.T) {
	cases := []struct {
		ep       string
		insecure bool
		ok       bool
	}{
		{EndpointUS, false, true},
		{EndpointEU, false, true},
		{"http://127.0.0.1:8080/v1/batch", false, true},
		{"http://127.8.0.1/v1/batch", false, true},
		{"http://localhost:9/v1/batch", false, true},
		{"http://[::1]:9/v1/batch", false, true},
		{"http://cdp.customer.io/v1/batch", false, false},
		{"http://10.0.0.1/v1/batch", false, false},
		{"http://receiver.internal/v1/batch", true, true},
		{"ftp://cdp.customer.io/v1/batch", false, false},
		{"https:///v1/batch", false, false},
		{"", false, false},
	}
	for _, c := range cases {
		_, err := NewHTTPSink(HTTPOptions{Endpoint: c.ep, AllowInsecure: c.insecure})
		if (err == nil) != c.ok {
			t.Errorf("%q (insecure %v): %v", c.ep, c.insecure, err)
		}
	}
	for _, o := range []HTTPOptions{
		{Endpoint: EndpointUS, MaxBatchBytes: 600000},
		{Endpoint: EndpointUS, MaxBatchBytes: 100},
		{Endpoint: EndpointUS, MaxBatchMessages: 3000},
		{Endpoint: EndpointUS, MaxMessageBytes: 40000},
		{Endpoint: EndpointUS, Concurrency: -1},
	} {
		if _, err := NewHTTPSink(o); err == nil {
			t.Errorf("%+v accepted", o)
		}
	}
}

func TestHTTPBackPressure(t *testing.T) {
	release := make(chan struct{})
	fo := fakeapi.Options{FaultFunc: func(int) fakeapi.Fault { return fakeapi.Fault{Block: release} }}
	h := newHarness(t, fo, HTTPOptions{MaxBatchMessages: 10, Concurrency: 2, Linger: -1})
	ps := payloads(60, 20)
	cs := chunks(ps, 10)
	ctx := context.Background()
	// Chunk 1 fills a batch; chunks 2 and 3 send batches 1 and 2 (the two
	// slots); chunk 4 must wait for a slot.
	for _, c := range cs[:3] {
		if err := h.sink.Write(ctx, c); err != nil {
			t.Fatal(err)
		}
	}
	tctx, cancel := context.WithTimeout(ctx, 300*time.Millisecond)
	start := time.Now()
	err := h.sink.Write(tctx, cs[3])
	cancel()
	if !errors.Is(err, context.DeadlineExceeded) || time.Since(start) < 250*time.Millisecond {
		t.Fatalf("Write with every slot busy: %v after %s", err, time.Since(start))
	}
	if n := h.srv.MaxInFlight(); n != 2 {
		t.Errorf("%d requests in flight, want 2", n)
	}
	close(release)
	if err := h.sink.Close(ctx); err != nil {
		t.Fatal(err)
	}
	// Chunks 1–3 were delivered and acknowledged; chunk 4, whose Write
	// failed, is not acknowledged.
	h.checkDelivered(ps[:30])
	h.checkAcks(3)
}

func TestHTTPAbortAndCloseDeadline(t *testing.T) {
	block := make(chan struct{})
	t.Cleanup(func() { close(block) })
	for _, how := range []string{"abort", "close deadline"} {
		t.Run(how, func(t *testing.T) {
			fo := fakeapi.Options{FaultFunc: func(int) fakeapi.Fault { return fakeapi.Fault{Block: block} }}
			h := newHarness(t, fo, HTTPOptions{MaxBatchMessages: 10, Concurrency: 2, RequestTimeout: time.Minute})
			for _, c := range chunks(payloads(25, 10), 10) {
				if err := h.sink.Write(context.Background(), c); err != nil {
					t.Fatal(err)
				}
			}
			start := time.Now()
			if how == "abort" {
				h.sink.Abort()
				if err := h.sink.Close(context.Background()); !errors.Is(err, ErrAborted) {
					t.Errorf("Close after Abort: %v", err)
				}
			} else {
				ctx, cancel := context.WithTimeout(context.Background(), 200*time.Millisecond)
				err := h.sink.Close(ctx)
				cancel()
				if !errors.Is(err, context.DeadlineExceeded) {
					t.Errorf("Close: %v", err)
				}
			}
			if d := time.Since(start); d > 2*time.Second {
				t.Errorf("took %s", d)
			}
			if err := h.sink.Write(context.Background(), chunks(payloads(1, 1), 1)[0]); err == nil {
				t.Error("Write after the end succeeded")
			}
			h.checkAcks(0)
		})
	}
}

func TestHTTPGivesUp(t *testing.T) {
	h := newHarness(t, fakeapi.Options{Chaos: fakeapi.Chaos{ServerError: 1}}, HTTPOptions{MaxAttempts: 4})
	err := h.run(chunks(payloads(10, 10), 5))
	if !errors.Is(err, ErrGaveUp) || !strings.Contains(err.Error(), "after 4 attempts") ||
		!strings.Contains(err.Error(), "500") || !strings.Contains(err.Error(), "in.csv:2") {
		t.Errorf("error %v", err)
	}
	if n := len(h.srv.Requests()); n != 4 {
		t.Errorf("%d requests, want 4", n)
	}
	h.checkAcks(0)

	t.Run("time budget", func(t *testing.T) {
		h := newHarness(t, fakeapi.Options{Chaos: fakeapi.Chaos{ServerError: 1}},
			HTTPOptions{MaxAttempts: 1000, MaxElapsed: 10 * time.Second, BackoffBase: time.Second, BackoffMax: 4 * time.Second})
		err := h.run(chunks(payloads(10, 10), 5))
		if !errors.Is(err, ErrGaveUp) || h.clock.total() > 10*time.Second {
			t.Errorf("error %v after %s", err, h.clock.total())
		}
	})
}

func TestHTTPLingerAndEmptyChunks(t *testing.T) {
	h := newHarness(t, fakeapi.Options{}, HTTPOptions{Linger: 30 * time.Millisecond})
	ps := payloads(5, 10)
	ctx := context.Background()
	if err := h.sink.Write(ctx, &Chunk{Seq: 0}); err != nil {
		t.Fatal(err)
	}
	cs := chunks(ps, 5)
	cs[0].Seq = 1
	if err := h.sink.Write(ctx, cs[0]); err != nil {
		t.Fatal(err)
	}
	ackList := func() []int64 {
		h.mu.Lock()
		defer h.mu.Unlock()
		return slices.Clone(h.acks)
	}
	deadline := time.Now().Add(3 * time.Second)
	for len(ackList()) < 2 && time.Now().Before(deadline) {
		time.Sleep(10 * time.Millisecond)
	}
	acks := ackList()
	if len(h.srv.Messages()) != 5 || len(acks) != 2 {
		t.Errorf("after the linger: %d messages, acks %v", len(h.srv.Messages()), acks)
	}
	if err := h.sink.Write(ctx, &Chunk{Seq: 2}); err != nil {
		t.Fatal(err)
	}
	if err := h.sink.Close(ctx); err != nil {
		t.Fatal(err)
	}
	h.checkAcks(3)
}

func TestHTTPRateLimit(t *testing.T) {
	h := newHarness(t, fakeapi.Options{}, HTTPOptions{RateLimit: 40, RateBurst: 1, MaxBatchMessages: 5,
		Now: time.Now, Sleep: backoff.Sleep})
	start := time.Now()
	if err := h.run(chunks(payloads(60, 10), 60)); err != nil {
		t.Fatal(err)
	}
	// 12 requests at 40/s with a burst of 1: at least 11/40 s.
	if d := time.Since(start); d < 250*time.Millisecond {
		t.Errorf("12 requests in %s at 40/s", d)
	}
	if st := h.sink.HTTPStats(); st.RateLimitWait < 200*time.Millisecond || st.Requests != 12 {
		t.Errorf("stats %+v", st)
	}
}

func TestAppendWithSentAt(t *testing.T) {
	stamp := []byte("2024-06-01T00:00:00.000Z")
	for in, want := range map[string]string{
		`{"a":1}`:   `{"a":1,"sentAt":"2024-06-01T00:00:00.000Z"}`,
		`{}`:        `{"sentAt":"2024-06-01T00:00:00.000Z"}`,
		`{ }`:       `{ "sentAt":"2024-06-01T00:00:00.000Z"}`,
		`{"a":{} }`: `{"a":{} ,"sentAt":"2024-06-01T00:00:00.000Z"}`,
	} {
		got := appendWithSentAt(nil, []byte(in), stamp)
		if string(got) != want || !json.Valid(got) {
			t.Errorf("%s → %s, want %s", in, got, want)
		}
	}
	if sentAtLen != len(`,"sentAt":"`)+len(stamp)+1 {
		t.Errorf("sentAtLen %d", sentAtLen)
	}
}

func TestAPIErrorText(t *testing.T) {
	for body, want := range map[string]string{
		`{"meta":{"errors":["batch[0]: type is required","batch[3]: bad"]}}`: "batch[0]: type is required; batch[3]: bad",
		`{"meta":{"errors":[{"field":"userId","message":"required"}]}}`:      "userId: required",
		`{"errors":[{"code":7}]}`:          `{"code":7}`,
		`{"error":"nope"}`:                 "nope",
		"<html>\n  Bad   Request\n</html>": "<html> Bad Request </html>",
		``:                                 "",
	} {
		if got := apiErrorText([]byte(body)); got != want {
			t.Errorf("%s → %q, want %q", body, got, want)
		}
	}
	if got := truncate(strings.Repeat("é", 400), 301); len(got) > 304 || !strings.HasSuffix(got, "…") {
		t.Errorf("truncate: %d bytes", len(got))
	}
}

func TestHTTPVerifiesTLS(t *testing.T) {
	hs := httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_, _ = io.Copy(io.Discard, r.Body)
		_, _ = io.WriteString(w, "{}")
	}))
	hs.Config.ErrorLog = log.New(io.Discard, "", 0) // the refused handshake
	hs.StartTLS()
	defer hs.Close()
	// Our own transport: the test server's certificate is not trusted, and
	// that is final (no retries).
	s, err := NewHTTPSink(HTTPOptions{Endpoint: hs.URL + "/v1/batch", APIKey: testKey})
	if err != nil {
		t.Fatal(err)
	}
	start := time.Now()
	err = s.Write(context.Background(), chunks(payloads(3, 10), 3)[0])
	if err == nil {
		err = s.Close(context.Background())
	}
	if !errors.Is(err, ErrTLS) || time.Since(start) > 2*time.Second {
		t.Errorf("untrusted certificate: %v after %s", err, time.Since(start))
	}
	if st := s.HTTPStats(); st.Requests != 1 || st.Retries.Total() != 0 {
		t.Errorf("stats %+v", st)
	}
	// A client that trusts it (HTTPClient) delivers.
	s, err = NewHTTPSink(HTTPOptions{Endpoint: hs.URL + "/v1/batch", APIKey: testKey, HTTPClient: hs.Client()})
	if err != nil {
		t.Fatal(err)
	}
	if err := s.Write(context.Background(), chunks(payloads(3, 10), 3)[0]); err != nil {
		t.Fatal(err)
	}
	if err := s.Close(context.Background()); err != nil || s.Stats().Messages != 3 {
		t.Errorf("trusted: %v, %+v", err, s.Stats())
	}
}

// A 2xx is an acknowledgement only with the API's JSON: an HTML page, an
// empty body, garbage or a cut-off answer is retried and, when it persists,
// fails the batch; nothing is counted as delivered or acknowledged.
func TestHTTPOnlyTheAPIsAnswerAcknowledges(t *testing.T) {
	cases := []struct {
		name, ct, body string
		ack            bool
		want           string // in the error
	}{
		{"empty object", "application/json", `{}`, true, ""},
		{"segment success", "application/json", `{"success":true}`, true, ""},
		{"JSON sent as text/plain", "text/plain", " {}\n", true, ""},
		{"HTML login page", "text/html; charset=utf-8", fakeapi.LoginPage, false, `an HTML page ("Sign in - Corporate Proxy")`},
		{"HTML without a content type", "", "<html><body>ok</body></html>", false, "an HTML page"},
		{"empty body", "application/json", "", false, "empty body"},
		{"garbage", "application/octet-stream", "\x00\x01OK", false, "not the API's JSON"},
		{"truncated JSON", "application/json", `{"success":tr`, false, "not the API's JSON"},
		{"a JSON array", "application/json", `[]`, false, "not the API's JSON"},
		{"success false", "application/json", `{"success":false,"message":"workspace suspended"}`, false, "workspace suspended"},
		{"errors in a 200", "application/json", `{"meta":{"errors":["batch[0]: invalid"]}}`, false, "batch[0]: invalid"},
		{"an error in a 200", "application/json", `{"error":"workspace not found"}`, false, "workspace not found"},
		{"empty error fields", "application/json", `{"errors":[],"error":null,"meta":{"errors":[]}}`, true, ""},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			var n int
			var mu sync.Mutex
			srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				io.Copy(io.Discard, r.Body)
				mu.Lock()
				n++
				mu.Unlock()
				if tc.ct != "" {
					w.Header().Set("Content-Type", tc.ct)
				} else {
					w.Header()["Content-Type"] = nil
				}
				io.WriteString(w, tc.body)
			}))
			defer srv.Close()
			h := newHarness(t, fakeapi.Options{}, HTTPOptions{Endpoint: srv.URL + "/v1/batch", MaxAttempts: 3})
			err := h.run(chunks(payloads(10, 10), 5))
			st := h.sink.HTTPStats()
			if tc.ack {
				if err != nil || st.Messages != 10 || st.Retries.Unexpected != 0 {
					t.Fatalf("error %v, stats %+v", err, st)
				}
				h.checkAcks(2)
				return
			}
			if !errors.Is(err, ErrGaveUp) || !strings.Contains(err.Error(), tc.want) || !strings.Contains(err.Error(), "after 3 attempts") {
				t.Errorf("error %v, want %q", err, tc.want)
			}
			if st.Messages != 0 || st.Batches != 0 || st.Retries.Unexpected < 2 {
				t.Errorf("stats %+v", st)
			}
			h.checkAcks(0)
		})
	}

	t.Run("answer cut off", func(t *testing.T) {
		srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			io.Copy(io.Discard, r.Body)
			w.Header().Set("Content-Type", "application/json")
			w.Header().Set("Content-Length", "100")
			io.WriteString(w, `{"succ`)
		}))
		defer srv.Close()
		h := newHarness(t, fakeapi.Options{}, HTTPOptions{Endpoint: srv.URL + "/v1/batch", MaxAttempts: 2})
		err := h.run(chunks(payloads(4, 10), 4))
		if st := h.sink.HTTPStats(); !errors.Is(err, ErrGaveUp) || st.Messages != 0 || st.Retries.Connection == 0 {
			t.Errorf("error %v, stats %+v", err, st)
		}
		h.checkAcks(0)
	})
}

// The all-refused guard: an API that refuses everything stops the sink
// after about AllRefusedLimit requests, whatever the input's size; bad rows
// among good ones never trip it, and cost little more than bisection.
func TestHTTPAllRefusedGuard(t *testing.T) {
	refuseAll := func(json.RawMessage) error { return errors.New("objectTypeId 1 does not exist") }
	for _, tc := range []struct {
		name        string
		n, conc     int
		maxRequests int
	}{{"large", 5000, 4, 100 + 4 + 20}, {"small", 30, 4, 31}, {"one", 1, 1, 1}} {
		t.Run(tc.name, func(t *testing.T) {
			h := newHarness(t, fakeapi.Options{Validate: refuseAll},
				HTTPOptions{MaxBatchMessages: 500, Concurrency: tc.conc, AllRefusedLimit: 100})
			err := h.run(chunks(payloads(tc.n, 10), 250))
			if !errors.Is(err, ErrAllRefused) || !strings.Contains(err.Error(), "accepted none") {
				t.Fatalf("error %v", err)
			}
			if n := len(h.srv.Requests()); n > tc.maxRequests {
				t.Errorf("%d requests, want at most %d", n, tc.maxRequests)
			}
			if st := h.sink.HTTPStats(); st.Messages != 0 || st.Refused == 0 {
				t.Errorf("stats %+v", st)
			}
		})
	}

	t.Run("bad rows among good ones", func(t *testing.T) {
		// the first message of every batch is bad: probing ends with the
		// first acknowledgement, bisection does the rest
		bad := map[string]bool{}
		for i := 0; i < 3000; i += 100 {
			bad[msgID(i)] = true
		}
		validate := func(m json.RawMessage) error {
			var v struct{ MessageID string }
			_ = json.Unmarshal(m, &v)
			if bad[v.MessageID] {
				return errors.New("bad value")
			}
			return nil
		}
		h := newHarness(t, fakeapi.Options{Validate: validate}, HTTPOptions{MaxBatchMessages: 100, Concurrency: 4, AllRefusedLimit: 5})
		ps := payloads(3000, 10)
		cs := chunks(ps, 250)
		if err := h.run(cs); err != nil {
			t.Fatal(err)
		}
		var refused []int
		for i := 0; i < 3000; i += 100 {
			refused = append(refused, i)
		}
		h.checkDelivered(ps, refused...)
		h.checkAcks(len(cs))
		// 30 batches, each: 1 refused + bisection (2·7 requests down to
		// the bad message); probing only until the first acknowledgement
		if n := len(h.srv.Requests()); n > 30*16+10 {
			t.Errorf("%d requests", n)
		}
	})
}

// OnDelivered names each message of every acknowledged request (a chunk
// spread over several requests is reported request by request), once,
// before OnAck reports its chunk; refused messages never.
func TestHTTPOnDeliveredPerMessage(t *testing.T) {
	bad := msgID(7)
	validate := func(m json.RawMessage) error {
		if strings.Contains(string(m), `"messageId":"`+bad+`"`) {
			return errors.New("bad value")
		}
		return nil
	}
	var mu sync.Mutex
	seen := map[MessageAck]int{}
	var calls int
	var ackedBefore []int64
	h := newHarness(t, fakeapi.Options{Validate: validate}, HTTPOptions{MaxBatchMessages: 60, Concurrency: 3})
	h.sink.opts.OnDelivered = func(acks []MessageAck) {
		mu.Lock()
		defer mu.Unlock()
		calls++
		for _, a := range acks {
			seen[a]++
		}
		h.mu.Lock()
		for _, a := range acks {
			if slices.Contains(h.acks, a.Seq) {
				ackedBefore = append(ackedBefore, a.Seq)
			}
		}
		h.mu.Unlock()
	}
	ps := payloads(1000, 10)
	cs := chunks(ps, 250)
	if err := h.run(cs); err != nil {
		t.Fatal(err)
	}
	h.checkAcks(len(cs))
	if len(ackedBefore) > 0 {
		t.Errorf("chunks %v were acknowledged before some of their messages", ackedBefore)
	}
	for i := range ps {
		a := MessageAck{Seq: int64(i / 250), Index: i % 250}
		want := 1
		if i == 7 {
			want = 0
		}
		if seen[a] != want {
			t.Errorf("message %d (%+v) reported %d times, want %d", i, a, seen[a], want)
		}
	}
	if len(seen) != 999 || calls < 1000/60 {
		t.Errorf("%d messages in %d calls", len(seen), calls)
	}
}
