package sink

// The HTTP sink: payloads to a Segment-compatible batch endpoint (the
// Customer.io Pipelines API).
//
//	Write ──copy──▶ open batch ──full──▶ batch slot (≤ Concurrency batches held)
//	                                        │ goroutine per batch
//	                                        ▼
//	      Retry-After gate ─▶ rate limiter ─▶ request permit (adaptive, AIMD)
//	      ─▶ body with a fresh sentAt ─▶ gzip ─▶ POST ─▶ 2xx + the API's JSON: acknowledged
//	                                                   ─▶ 429/5xx/timeout/conn, 2xx + anything
//	                                                      else (HTML, garbage): back off, again
//	                                                   ─▶ 400: bisect; a single message: refused
//	                                                   ─▶ 401/403: stop everything
//
// Write copies every message out of the chunk (the pipeline recycles
// chunks), so memory is bounded by Concurrency+1 batches of at most
// MaxBatchBytes each plus their request bodies. Write blocks while all batch
// slots are busy: nothing is dropped, nothing is buffered without bound.

import (
	"context"
	"encoding/base64"
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/klauspost/compress/gzip"
	"golang.org/x/time/rate"

	"github.com/groupimport/groupimport/internal/backoff"
	"github.com/groupimport/groupimport/record"
)

// Batch endpoints of the Customer.io Pipelines API.
const (
	EndpointUS = "https://cdp.customer.io/v1/batch"
	EndpointEU = "https://cdp-eu.customer.io/v1/batch"
)

// Limits of the batch API (the official Go client's reading of "32 KB" and
// "500 KB"), and Segment's cap on messages per batch.
const (
	APIMaxMessageBytes  = 32000
	APIMaxBatchBytes    = 500000
	APIMaxBatchMessages = 2500
)

// sentAtLen is the length of the `,"sentAt":"2006-01-02T15:04:05.000Z"`
// the sink adds to each message; envelopeLen of `{"batch":[]}`.
const (
	sentAtLen   = len(`,"sentAt":"2006-01-02T15:04:05.000Z"`)
	envelopeLen = len(`{"batch":[]}`)
)

// Errors of the HTTP sink, for errors.Is.
var (
	// ErrUnauthorized: the API answered 401 or 403 (a wrong key, or the
	// key of the other region). Nothing is retried after it.
	ErrUnauthorized = errors.New("the API refused the credentials")
	// ErrGaveUp: a batch was still failing when its retry budget (attempts
	// or time) ran out.
	ErrGaveUp = errors.New("gave up delivering a batch")
	// ErrAPI: the API gave an answer the sink cannot act on (404, a
	// redirect, an unexpected 4xx).
	ErrAPI = errors.New("unexpected answer from the API")
	// ErrTLS: the endpoint's certificate is not trusted (not retried).
	ErrTLS = errors.New("the endpoint's TLS certificate was not accepted")
	// ErrSinkClosed: Write after Close or Abort.
	ErrSinkClosed = errors.New("the HTTP sink is closed")
	// ErrAborted: delivery was abandoned by Abort.
	ErrAborted = errors.New("delivery abandoned")
)

// HTTPOptions configure an HTTPSink. Zero values mean the defaults.
type HTTPOptions struct {
	// Endpoint is the full batch URL, e.g. EndpointUS or EndpointEU. It
	// must not carry credentials.
	Endpoint string
	// APIKey is sent as HTTP Basic auth (the key as user name, an empty
	// password). It never appears in errors or Stats.
	APIKey string
	// AllowInsecure permits plain http to a host other than loopback.
	AllowInsecure bool

	// DisableStrictMode leaves out the X-Strict-Mode: 1 header (the API
	// then answers 200 to invalid messages and drops them silently).
	DisableStrictMode bool
	// DisableGzip sends uncompressed bodies.
	DisableGzip bool
	// GzipLevel is the compression level (default gzip.BestSpeed).
	GzipLevel int

	// MaxBatchBytes bounds a request's JSON body, envelope and sentAt
	// included (default and maximum APIMaxBatchBytes).
	MaxBatchBytes int
	// MaxBatchMessages bounds the messages of a request (default and
	// maximum APIMaxBatchMessages).
	MaxBatchMessages int
	// MaxMessageBytes bounds one message with its sentAt (default and
	// maximum APIMaxMessageBytes). A larger message is never sent: it is
	// reported through OnRefused.
	MaxMessageBytes int
	// Linger sends a partly filled batch when no Write has come for this
	// long (default 1 s; negative: only when full or on Close).
	Linger time.Duration

	// Concurrency is the number of requests in flight (default 8). Under a
	// persistent 429 the sink lowers it (halving, down to 1) and raises it
	// again by one after as many successes as the current limit.
	Concurrency int
	// RateLimit is requests per second (default 1000, the API's
	// "3000 per 3 s"); negative: no client-side limit.
	RateLimit float64
	// RateBurst is the limiter's burst (default Concurrency).
	RateBurst int

	// MaxAttempts bounds the failed attempts at one batch (default 10).
	// A 429 does not count: the API asks to slow down, not that the batch
	// is bad; 429s are bounded by MaxElapsed.
	MaxAttempts int
	// MaxElapsed bounds the time spent on one batch from its first attempt
	// (default 5 min). A Retry-After beyond it gives up at once.
	MaxElapsed time.Duration
	// BackoffBase and BackoffMax shape the exponential backoff with full
	// jitter: attempt n waits a random time in [0, min(BackoffMax,
	// BackoffBase·2ⁿ⁻¹)) (defaults 500 ms and 30 s).
	BackoffBase, BackoffMax time.Duration
	// RequestTimeout bounds one request, upload to response (default 30 s).
	RequestTimeout time.Duration
	// HTTPClient replaces the default client (whose transport verifies TLS
	// and keeps Concurrency connections alive). Its redirects are not
	// followed either way.
	HTTPClient *http.Client
	// UserAgent (default "groupimport").
	UserAgent string

	// Now and Sleep replace the clock for tests: sentAt, backoff, the rate
	// limiter and the retry budget all use them. Sleep must return early
	// with ctx.Err() when ctx is done.
	Now   func() time.Time
	Sleep func(ctx context.Context, d time.Duration) error

	// OnRefused is called for each message the API refused (a strict-mode
	// 400 narrowed down to that message) or that the sink would not send
	// (over a size limit, not a JSON object), with its source position,
	// the payload (valid only during the call), the code of the refusal
	// (CodeAPIRefused, CodeUnsendable) and a short reason. Calls never
	// overlap.
	OnRefused func(pos record.Position, payload []byte, code, reason string)
	// AllRefusedLimit, when positive, stops the sink with ErrAllRefused
	// once the API has refused this many messages and accepted none, or,
	// after Close, refused every message of the run when there were fewer.
	// While nothing is accepted, a refused batch is resolved one message
	// at a time (one request each, where bisection costs two), so an API
	// that refuses everything costs about this many requests.
	AllRefusedLimit int

	// OnDelivered is called with the messages of each request the API
	// acknowledged (a chunk's messages may be spread over several
	// requests), before OnAck reports their chunks; acks is valid only
	// during the call. Calls never overlap.
	OnDelivered func(acks []MessageAck)
	// OnAck is called with a chunk's Seq once every message of that chunk
	// and of all chunks written before it has been delivered or refused;
	// in chunk order, never overlapping, for every chunk (empty ones too).
	OnAck func(seq int64)
}

// MessageAck names a message the API acknowledged: its chunk's Seq and its
// index among the chunk's messages.
type MessageAck struct {
	Seq   int64
	Index int
}

// HTTPStats describes what the HTTP sink did. It has no JSON form: the
// run report has its own type (report.HTTP).
type HTTPStats struct {
	// Endpoint is the batch URL (it never holds credentials).
	Endpoint string
	// Requests is every request attempt made, Batches the requests that
	// the API acknowledged.
	Requests int64
	Batches  int64
	// BytesSent is request bodies as sent (compressed when gzip is on),
	// BytesRaw the same bodies as JSON.
	BytesSent int64
	BytesRaw  int64
	// Messages is messages acknowledged by the API; a message sent twice
	// (after a lost acknowledgement) counts once.
	Messages int64
	// Refused is messages the API refused or the sink would not send.
	Refused int64
	// Splits is how many times a refused batch was bisected.
	Splits  int64
	Retries RetryCounts
	// RateLimitWait is time spent waiting on the client-side rate limiter,
	// RetryAfterWait on the API's Retry-After / X-RateLimit-Reset, and
	// BackoffWait in backoff after failures (summed over requests).
	RateLimitWait  time.Duration
	RetryAfterWait time.Duration
	BackoffWait    time.Duration
	// Concurrency is the current limit on requests in flight, and
	// MinConcurrency the lowest it went to under 429s.
	Concurrency    int
	MinConcurrency int
}

// RetryCounts counts retried requests by cause.
type RetryCounts struct {
	TooManyRequests int64
	ServerError     int64
	Timeout         int64
	Connection      int64
	// Unexpected counts 2xx answers that were not the API's
	// acknowledgement (an HTML page, garbage, an empty body).
	Unexpected int64
}

// Total is the number of retries of any cause.
func (r RetryCounts) Total() int64 {
	return r.TooManyRequests + r.ServerError + r.Timeout + r.Connection + r.Unexpected
}

// HTTPSink delivers chunks to the batch API. See HTTPOptions.
type HTTPSink struct {
	opts     HTTPOptions
	url      string // the URL requests go to (no credentials)
	endpoint string // the URL shown in errors and Stats: no query either
	auth     string // the Authorization header value
	secrets  []string
	client   *http.Client
	ownTrans *http.Transport
	limiter  *rate.Limiter
	gzips    sync.Pool
	bufs     sync.Pool // *[]byte request bodies

	sctx   context.Context // lives until Abort or a fatal error
	cancel context.CancelFunc

	// The assembler: touched by Write, the linger timer and Close.
	asmMu     sync.Mutex
	open      *httpBatch
	closed    bool
	linger    *time.Timer
	lastWrite time.Time

	slots   chan struct{} // batches held by senders
	free    chan *httpBatch
	senders sync.WaitGroup
	permits *adaptiveLimit
	gate    pauseGate
	acks    ackTracker
	guard   refusalGuard

	refuseMu sync.Mutex
	// deliveredMu serialises OnDelivered, whose argument it holds
	deliveredMu  sync.Mutex
	deliveredBuf []MessageAck

	errMu sync.Mutex
	err   error

	st httpCounters
}

type httpCounters struct {
	requests, batches, bytesSent, bytesRaw, messages, refused, splits atomic.Int64
	r429, r5xx, rTimeout, rConn, rUnexpected                          atomic.Int64
	rateWait, retryAfterWait, backoffWait                             atomic.Int64
}

// NewHTTPSink checks opts and returns a sink ready for Write. It makes no
// request.
func NewHTTPSink(opts HTTPOptions) (*HTTPSink, error) {
	if err := opts.normalize(); err != nil {
		return nil, err
	}
	u, err := url.Parse(opts.Endpoint)
	if err != nil {
		// url.Parse quotes the input, which could hold a key pasted by
		// mistake: say only what is wrong.
		return nil, fmt.Errorf("endpoint: not a valid URL")
	}
	if opts.APIKey != "" && strings.Contains(opts.Endpoint, opts.APIKey) {
		return nil, errors.New("endpoint: the URL must not contain the API key (it is sent as Basic auth)")
	}
	if err := checkEndpoint(u, opts.AllowInsecure); err != nil {
		return nil, err
	}
	s := &HTTPSink{opts: opts, url: u.String(), endpoint: displayURL(u)}
	s.auth = "Basic " + base64.StdEncoding.EncodeToString([]byte(opts.APIKey+":"))
	if opts.APIKey != "" {
		s.secrets = []string{opts.APIKey, base64.StdEncoding.EncodeToString([]byte(opts.APIKey + ":")),
			url.QueryEscape(opts.APIKey)}
	}
	s.client = opts.HTTPClient
	if s.client == nil {
		s.ownTrans = &http.Transport{
			Proxy:                 http.ProxyFromEnvironment,
			DialContext:           (&net.Dialer{Timeout: 10 * time.Second, KeepAlive: 30 * time.Second}).DialContext,
			ForceAttemptHTTP2:     true,
			MaxIdleConns:          2 * opts.Concurrency,
			MaxIdleConnsPerHost:   2 * opts.Concurrency,
			IdleConnTimeout:       90 * time.Second,
			TLSHandshakeTimeout:   10 * time.Second,
			ExpectContinueTimeout: time.Second,
			ResponseHeaderTimeout: opts.RequestTimeout,
			DisableCompression:    true,
		}
		s.client = &http.Client{Transport: s.ownTrans}
	}
	// Never follow a redirect: it would re-send a body (and perhaps the
	// credentials) somewhere we were not told to send it.
	c := *s.client
	c.CheckRedirect = func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }
	s.client = &c
	if opts.RateLimit > 0 {
		s.limiter = rate.NewLimiter(rate.Limit(opts.RateLimit), opts.RateBurst)
	}
	level := opts.GzipLevel
	s.gzips.New = func() any {
		w, _ := gzip.NewWriterLevel(nil, level)
		return w
	}
	s.sctx, s.cancel = context.WithCancel(context.Background())
	s.slots = make(chan struct{}, opts.Concurrency)
	s.free = make(chan *httpBatch, opts.Concurrency+1)
	s.permits = newAdaptiveLimit(opts.Concurrency)
	s.acks.onAck = opts.OnAck
	s.guard.limit = int64(opts.AllRefusedLimit)
	return s, nil
}

func (o *HTTPOptions) normalize() error {
	if o.Endpoint == "" {
		return errors.New("endpoint: no batch URL given")
	}
	clamp := func(v *int, def, max int, name string) error {
		if *v == 0 {
			*v = def
		}
		if *v < 0 || *v > max {
			return fmt.Errorf("%s: %d is outside 1…%d", name, *v, max)
		}
		return nil
	}
	if err := clamp(&o.MaxBatchMessages, APIMaxBatchMessages, APIMaxBatchMessages, "max batch messages"); err != nil {
		return err
	}
	if err := clamp(&o.MaxMessageBytes, APIMaxMessageBytes, APIMaxMessageBytes, "max message bytes"); err != nil {
		return err
	}
	if err := clamp(&o.MaxBatchBytes, APIMaxBatchBytes, APIMaxBatchBytes, "max batch bytes"); err != nil {
		return err
	}
	if o.MaxBatchBytes < 1024 {
		return fmt.Errorf("max batch bytes: %d is below the minimum of 1024", o.MaxBatchBytes)
	}
	if o.GzipLevel == 0 {
		o.GzipLevel = gzip.BestSpeed
	}
	if o.GzipLevel < gzip.HuffmanOnly || o.GzipLevel > gzip.BestCompression {
		return fmt.Errorf("gzip level: %d is not a gzip level", o.GzipLevel)
	}
	if o.Linger == 0 {
		o.Linger = time.Second
	}
	if o.Concurrency == 0 {
		o.Concurrency = 8
	}
	if o.Concurrency < 0 || o.Concurrency > 1024 {
		return fmt.Errorf("concurrency: %d is outside 1…1024", o.Concurrency)
	}
	if o.RateLimit == 0 {
		o.RateLimit = 1000
	}
	if o.RateBurst <= 0 {
		o.RateBurst = o.Concurrency
	}
	if o.MaxAttempts == 0 {
		o.MaxAttempts = 10
	}
	if o.MaxAttempts < 0 {
		return fmt.Errorf("max attempts: %d is negative", o.MaxAttempts)
	}
	if o.AllRefusedLimit < 0 {
		return fmt.Errorf("all-refused limit: %d is negative", o.AllRefusedLimit)
	}
	if o.MaxElapsed <= 0 {
		o.MaxElapsed = 5 * time.Minute
	}
	if o.BackoffBase <= 0 {
		o.BackoffBase = 500 * time.Millisecond
	}
	if o.BackoffMax <= 0 {
		o.BackoffMax = 30 * time.Second
	}
	if o.BackoffMax < o.BackoffBase {
		o.BackoffMax = o.BackoffBase
	}
	if o.RequestTimeout <= 0 {
		o.RequestTimeout = 30 * time.Second
	}
	if o.UserAgent == "" {
		o.UserAgent = "groupimport"
	}
	if o.Now == nil {
		o.Now = time.Now
	}
	if o.Sleep == nil {
		o.Sleep = backoff.Sleep
	}
	return nil
}

// checkEndpoint allows https anywhere and plain http to loopback (or
// anywhere with allowInsecure).
func checkEndpoint(u *url.URL, allowInsecure bool) error {
	if u.User != nil {
		return fmt.Errorf("endpoint %s: credentials in the URL are not allowed (the API key is sent as Basic auth)", displayURL(u))
	}
	if u.Host == "" {
		return fmt.Errorf("endpoint %s: no host", displayURL(u))
	}
	switch u.Scheme {
	case "https":
		return nil
	case "http":
		if allowInsecure || isLoopback(u.Hostname()) {
			return nil
		}
		return fmt.Errorf("endpoint %s: plain http would send the API key unencrypted; use https (plain http is allowed only for loopback addresses unless insecure delivery is asked for)", displayURL(u))
	}
	return fmt.Errorf("endpoint %s: the scheme must be https", displayURL(u))
}

// displayURL is u without user info, query or fragment: what errors and
// Stats show.
func displayURL(u *url.URL) string {
	v := url.URL{Scheme: u.Scheme, Host: u.Host, Path: u.Path}
	return v.String()
}

func isLoopback(host string) bool {
	if strings.EqualFold(host, "localhost") || strings.HasSuffix(strings.ToLower(host), ".localhost") {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}

// httpBatch is messages copied out of chunks, back to back in buf.
type httpBatch struct {
	buf  []byte
	msgs []batchMsg
	size int // JSON body bytes: envelope, messages, commas, sentAt
}

type batchMsg struct {
	off, end int
	ack      *chunkAck
	idx      int // among its chunk's messages
	pos      record.Position
}

func (b *httpBatch) payload(m *batchMsg) []byte { return b.buf[m.off:m.end] }

func (b *httpBatch) reset() {
	b.buf = b.buf[:0]
	clear(b.msgs)
	b.msgs = b.msgs[:0]
	b.size = envelopeLen
}

// Prepare implements Sink; the work per chunk is done by the senders.
func (s *HTTPSink) Prepare(*Chunk) error { return nil }

// Write adds the chunk's messages to batches and starts sending each batch
// as it fills. It returns once every message is copied out of c; it blocks
// while Concurrency batches are being sent. It returns the sink's first
// delivery error, if any, and ctx.Err() when ctx has ended (taking nothing
// of c) or ends while blocked. A
// chunk whose Write failed may be partly sent and is never acknowledged;
// do not write it again (Close or Abort the sink).
func (s *HTTPSink) Write(ctx context.Context, c *Chunk) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	if err := s.failure(); err != nil {
		return err
	}
	s.asmMu.Lock()
	defer s.asmMu.Unlock()
	if s.closed {
		return ErrSinkClosed
	}
	ca := s.acks.open(c.Seq)
	added := 0
	for i := 0; i < c.Count(); i++ {
		m := trimSpace(c.Message(i))
		var pos record.Position
		if i < len(c.Pos) {
			pos = c.Pos[i]
		}
		if reason := s.unsendable(m); reason != "" {
			s.refuse(pos, m, CodeUnsendable, reason)
			continue
		}
		need := len(m) + sentAtLen
		if s.open != nil && len(s.open.msgs) > 0 {
			need++ // the comma
		}
		if s.open != nil && (s.open.size+need > s.opts.MaxBatchBytes || len(s.open.msgs) >= s.opts.MaxBatchMessages) {
			if err := s.dispatchLocked(ctx); err != nil {
				// The chunk stays unsealed: it (and every chunk after it)
				// is never acknowledged.
				return err
			}
			need = len(m) + sentAtLen
		}
		if s.open == nil {
			s.open = s.newBatch()
		}
		b := s.open
		off := len(b.buf)
		b.buf = append(b.buf, m...)
		b.msgs = append(b.msgs, batchMsg{off: off, end: len(b.buf), ack: ca, idx: i, pos: pos})
		b.size += need
		added++
	}
	s.guard.handed.Add(int64(added))
	s.acks.seal(ca, added)
	if s.open != nil && len(s.open.msgs) > 0 && s.opts.Linger > 0 {
		s.lastWrite = time.Now()
		if s.linger == nil {
			s.linger = time.AfterFunc(s.opts.Linger, s.lingerFlush)
		} else {
			s.linger.Reset(s.opts.Linger)
		}
	}
	return nil
}

// unsendable says why a message must not be sent, or "".
func (s *HTTPSink) unsendable(m []byte) string {
	if len(m) < 2 || m[0] != '{' || m[len(m)-1] != '}' {
		return "not a JSON object; not sent"
	}
	if n := len(m) + sentAtLen; n > s.opts.MaxMessageBytes {
		return fmt.Sprintf("message is %d bytes with sentAt, over the limit of %d; not sent", n, s.opts.MaxMessageBytes)
	}
	if n := envelopeLen + len(m) + sentAtLen; n > s.opts.MaxBatchBytes {
		return fmt.Sprintf("message is %d bytes with sentAt and the batch envelope, over the batch limit of %d; not sent", n, s.opts.MaxBatchBytes)
	}
	return ""
}

func trimSpace(m []byte) []byte {
	for len(m) > 0 && (m[len(m)-1] == ' ' || m[len(m)-1] == '\r' || m[len(m)-1] == '\t' || m[len(m)-1] == '\n') {
		m = m[:len(m)-1]
	}
	for len(m) > 0 && (m[0] == ' ' || m[0] == '\t' || m[0] == '\r' || m[0] == '\n') {
		m = m[1:]
	}
	return m
}

func (s *HTTPSink) newBatch() *httpBatch {
	select {
	case b := <-s.free:
		b.reset()
		return b
	default:
		b := &httpBatch{buf: make([]byte, 0, s.opts.MaxBatchBytes), size: envelopeLen}
		return b
	}
}

func (s *HTTPSink) recycle(b *httpBatch) {
	b.reset()
	select {
	case s.free <- b:
	default:
	}
}

// dispatchLocked hands the open batch to a sender, waiting for a slot.
// asmMu is held.
func (s *HTTPSink) dispatchLocked(ctx context.Context) error {
	b := s.open
	if b == nil || len(b.msgs) == 0 {
		return nil
	}
	select {
	case s.slots <- struct{}{}:
	case <-ctx.Done():
		return ctx.Err()
	case <-s.sctx.Done():
		return s.failureOr(ErrAborted)
	}
	s.open = nil
	s.senders.Add(1)
	go func() {
		defer s.senders.Done()
		defer func() { <-s.slots }()
		err := s.deliver(s.sctx, b, b.msgs)
		if err != nil {
			s.fail(err)
		}
		s.recycle(b)
	}()
	return nil
}

// lingerFlush sends a partly filled batch that has waited Linger.
func (s *HTTPSink) lingerFlush() {
	s.asmMu.Lock()
	defer s.asmMu.Unlock()
	if s.closed || s.open == nil || len(s.open.msgs) == 0 {
		return
	}
	if wait := s.opts.Linger - time.Since(s.lastWrite); wait > 0 {
		s.linger.Reset(wait)
		return
	}
	_ = s.dispatchLocked(s.sctx) // a failure is already recorded
}

// Close sends the last batch and waits for every request. When ctx ends
// first (or has ended already), in-flight requests are abandoned and
// ctx's error is returned. It
// returns the first delivery error, if any.
func (s *HTTPSink) Close(ctx context.Context) error {
	s.asmMu.Lock()
	if s.linger != nil {
		s.linger.Stop()
	}
	var err error
	if !s.closed {
		s.closed = true
		s.guard.closed.Store(true)
		if err = ctx.Err(); err == nil && s.failure() == nil {
			err = s.dispatchLocked(ctx)
		}
	}
	s.asmMu.Unlock()
	s.checkAllRefused() // everything may have been refused before Close
	if err == nil {
		err = s.wait(ctx)
	}
	if err != nil {
		s.fail(fmt.Errorf("closing the HTTP sink: in-flight requests abandoned: %w", err))
		s.waitBounded(5 * time.Second)
	}
	s.cancel()
	if s.ownTrans != nil {
		s.ownTrans.CloseIdleConnections()
	}
	if err := s.failure(); err != nil {
		return err
	}
	if n := s.acks.unresolved(); n > 0 {
		return fmt.Errorf("closing the HTTP sink: internal error: %d chunks not resolved after every request ended", n)
	}
	return nil
}

// Abort abandons delivery: in-flight requests are cancelled, no new one is
// made, and it returns once the senders have stopped (within a few
// seconds). Messages not yet acknowledged are not reported through OnAck.
func (s *HTTPSink) Abort() {
	s.fail(ErrAborted)
	s.asmMu.Lock()
	s.closed = true
	if s.linger != nil {
		s.linger.Stop()
	}
	s.asmMu.Unlock()
	s.waitBounded(5 * time.Second)
	if s.ownTrans != nil {
		s.ownTrans.CloseIdleConnections()
	}
}

func (s *HTTPSink) wait(ctx context.Context) error {
	done := make(chan struct{})
	go func() {
		s.senders.Wait()
		close(done)
	}()
	select {
	case <-done:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

func (s *HTTPSink) waitBounded(d time.Duration) {
	ctx, cancel := context.WithTimeout(context.Background(), d)
	defer cancel()
	_ = s.wait(ctx)
}

// fail records the first fatal error and stops every sender.
func (s *HTTPSink) fail(err error) {
	s.errMu.Lock()
	if s.err == nil {
		s.err = err
	}
	s.errMu.Unlock()
	s.cancel()
}

func (s *HTTPSink) failure() error {
	s.errMu.Lock()
	defer s.errMu.Unlock()
	return s.err
}

func (s *HTTPSink) failureOr(err error) error {
	if e := s.failure(); e != nil {
		return e
	}
	return err
}

// delivered reports the messages of an acknowledged request.
func (s *HTTPSink) delivered(msgs []batchMsg) {
	if s.opts.OnDelivered == nil {
		return
	}
	s.deliveredMu.Lock()
	defer s.deliveredMu.Unlock()
	s.deliveredBuf = s.deliveredBuf[:0]
	for i := range msgs {
		s.deliveredBuf = append(s.deliveredBuf, MessageAck{Seq: msgs[i].ack.seq, Index: msgs[i].idx})
	}
	s.opts.OnDelivered(s.deliveredBuf)
}

// Codes of refused messages (HTTPOptions.OnRefused), stable across
// versions: reports count rejections by code.
const (
	// CodeAPIRefused: the API refused the message (a strict-mode 400
	// narrowed down to it); the reason is the API's.
	CodeAPIRefused = "api_refused"
	// CodeUnsendable: the sink would not send the message (over the API's
	// size limits, or not a JSON object).
	CodeUnsendable = "unsendable"
)

// refuse reports a message that will not be delivered.
func (s *HTTPSink) refuse(pos record.Position, payload []byte, code, reason string) {
	s.st.refused.Add(1)
	if s.opts.OnRefused == nil {
		return
	}
	s.refuseMu.Lock()
	defer s.refuseMu.Unlock()
	s.opts.OnRefused(pos, payload, code, reason)
}

// Stats implements Sink: Messages are those acknowledged, Bytes the bodies
// as sent.
func (s *HTTPSink) Stats() Stats {
	return Stats{Destination: s.endpoint, Messages: s.st.messages.Load(), Bytes: s.st.bytesSent.Load()}
}

// HTTPStats returns the sink's detailed counters.
func (s *HTTPSink) HTTPStats() HTTPStats {
	limit, min := s.permits.snapshot()
	return HTTPStats{
		Endpoint:  s.endpoint,
		Requests:  s.st.requests.Load(),
		Batches:   s.st.batches.Load(),
		BytesSent: s.st.bytesSent.Load(),
		BytesRaw:  s.st.bytesRaw.Load(),
		Messages:  s.st.messages.Load(),
		Refused:   s.st.refused.Load(),
		Splits:    s.st.splits.Load(),
		Retries: RetryCounts{
			TooManyRequests: s.st.r429.Load(),
			ServerError:     s.st.r5xx.Load(),
			Timeout:         s.st.rTimeout.Load(),
			Connection:      s.st.rConn.Load(),
			Unexpected:      s.st.rUnexpected.Load(),
		},
		RateLimitWait:  time.Duration(s.st.rateWait.Load()),
		RetryAfterWait: time.Duration(s.st.retryAfterWait.Load()),
		BackoffWait:    time.Duration(s.st.backoffWait.Load()),
		Concurrency:    limit,
		MinConcurrency: min,
	}
}
