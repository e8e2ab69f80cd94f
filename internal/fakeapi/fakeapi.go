// Package fakeapi is an in-process stand-in for the Customer.io Pipelines
// (Segment-compatible) batch API, for tests of HTTP delivery.
//
// It enforces the documented contract (shared/reference/api-contract.md):
// HTTP Basic auth with the configured key as user name (else 401); a JSON
// body of at most 500,000 bytes, each message at most 32,000 bytes and at
// most 2,500 messages (else, in strict mode — header X-Strict-Mode: 1 — a
// 400 with {"meta":{"errors":[…]}}, and in permissive mode a 200 that
// stores nothing, like the real API); gzip request bodies; the shape
// {"batch":[{…,"type":…},…]}; and a per-message validation hook. It records
// every request and every stored message (raw, with duplicates, and by
// messageId), and injects faults by a script, a function or probabilities:
// 429 with Retry-After, 500, 503 (also after storing: a lost
// acknowledgement), slow answers, dropped connections, and a 200 that is
// not the API's answer (an HTML login page, garbage). A good answer is
// 200 with {}, as the vendor's OpenAPI file describes it.
//
// Handlers never fail a test: what they see is exposed through methods, and
// Violations lists what a correct client must never send.
package fakeapi

import (
	"bytes"
	"compress/gzip"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"io"
	"math/rand/v2"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"sync/atomic"
	"time"
)

// Limits of the API.
const (
	MaxBodyBytes    = 500000
	MaxMessageBytes = 32000
	MaxMessages     = 2500
)

// FaultKind is a way a request can go wrong.
type FaultKind int

const (
	// None: the request is handled normally.
	None FaultKind = iota
	// TooManyRequests answers 429 (with Fault.RetryAfter / RateLimitReset
	// headers when set) without storing anything.
	TooManyRequests
	// ServerError answers 500 without storing.
	ServerError
	// Unavailable answers 503 without storing.
	Unavailable
	// UnavailableAfterStore stores the batch, then answers 503: a lost
	// acknowledgement.
	UnavailableAfterStore
	// Slow waits Fault.Delay, then handles the request normally (storing
	// it even if the client has given up meanwhile).
	Slow
	// Drop closes the connection without an answer, before storing.
	Drop
	// DropAfterStore stores the batch, then closes the connection without
	// an answer.
	DropAfterStore
	// NotTheAPI answers 200 with a body that is not the API's JSON
	// (Fault.Body, default an HTML login page, as Fault.ContentType,
	// default text/html) and stores nothing: a captive portal, a proxy's
	// sign-in page or a misrouted endpoint.
	NotTheAPI
)

var kindNames = [...]string{"none", "429", "500", "503", "503-after-store", "slow", "drop", "drop-after-store", "200-not-the-api"}

// LoginPage is the default body of a NotTheAPI answer.
const LoginPage = `<!DOCTYPE html>
<html><head><title>Sign in - Corporate Proxy</title></head>
<body><form method="post" action="/login"><input name="user"><input name="password" type="password"></form></body></html>
`

func (k FaultKind) String() string {
	if int(k) < len(kindNames) {
		return kindNames[k]
	}
	return fmt.Sprintf("fault(%d)", int(k))
}

// Fault is what to do to one request.
type Fault struct {
	Kind FaultKind
	// RetryAfter and RateLimitReset are header values sent with a 429 or
	// 503 ("" leaves the header out).
	RetryAfter     string
	RateLimitReset string
	// Delay is the wait of a Slow answer.
	Delay time.Duration
	// Block, when not nil, holds the request (before anything else is done
	// to it) until it is closed, the client goes away or the server closes.
	Block <-chan struct{}
	// Body and ContentType are the answer of a NotTheAPI fault ("" for
	// the defaults: LoginPage as text/html).
	Body, ContentType string
}

// Chaos injects faults at random, each with its probability (they are
// tried in the order of the fields; the total should be ≤ 1).
type Chaos struct {
	Seed                  uint64
	TooManyRequests       float64
	ServerError           float64
	Unavailable           float64
	UnavailableAfterStore float64
	Slow                  float64
	Drop                  float64
	DropAfterStore        float64
	// RetryAfter is the Retry-After value sent with a random 429.
	RetryAfter string
	// SlowDelay is the delay of a random Slow answer.
	SlowDelay time.Duration
}

// Options configure a Server.
type Options struct {
	// Key is the API key the server accepts (user name of Basic auth, with
	// an empty password).
	Key string
	// Limits; zero means the API's.
	MaxBodyBytes, MaxMessageBytes, MaxMessages int
	// Validate, when set, is called for each message of an acceptable
	// batch; an error makes the message invalid: the whole request gets a
	// 400 in strict mode, and in permissive mode that message is dropped.
	Validate func(msg json.RawMessage) error
	// Script gives the faults of requests 1, 2, … (in arrival order).
	Script []Fault
	// FaultFunc decides the fault of requests past the script (n is the
	// 1-based arrival number). It may be called concurrently.
	FaultFunc func(n int) Fault
	// Chaos applies when neither Script nor FaultFunc decide.
	Chaos Chaos
	// Latency is added to every answer.
	Latency time.Duration
}

// Request is the record of one request.
type Request struct {
	N  int       // 1-based arrival order
	At time.Time // arrival
	// Status is the answer's status, 0 for a dropped connection.
	Status int
	Fault  FaultKind
	Auth   bool // the credentials were right
	Gzip   bool // Content-Encoding: gzip
	Strict bool // X-Strict-Mode: 1
	// ContentType and UserAgent as sent.
	ContentType, UserAgent string
	// WireBytes is the body as received, BodyBytes the JSON body.
	WireBytes, BodyBytes int
	// MessageIDs of the batch's messages in order ("" when one has none).
	MessageIDs []string
	// SentAt is the distinct sentAt values of the batch's messages.
	SentAt []string
	// MaxMessageBytes is the size of the batch's largest message.
	MaxMessageBytes int
	// InFlight is how many requests the server was handling when this one
	// arrived, itself included.
	InFlight int
	// Stored says the batch's messages were stored.
	Stored bool
	// Errors are the errors answered with a 400 or 401.
	Errors []string
}

// Message is a stored message.
type Message struct {
	ID      string
	Raw     json.RawMessage
	SentAt  string
	Request int
}

// Server is the fake API. Its zero value is not usable; see New.
type Server struct {
	opts Options
	srv  *httptest.Server
	auth string
	done chan struct{}

	n        atomic.Int64
	inFlight atomic.Int64
	maxIn    atomic.Int64

	mu         sync.Mutex
	requests   []Request
	received   []Message
	byID       map[string]json.RawMessage
	violations []string
	rng        *rand.Rand
	faultFunc  func(n int) Fault
}

// New starts a server on a loopback address.
func New(opts Options) *Server {
	if opts.MaxBodyBytes <= 0 {
		opts.MaxBodyBytes = MaxBodyBytes
	}
	if opts.MaxMessageBytes <= 0 {
		opts.MaxMessageBytes = MaxMessageBytes
	}
	if opts.MaxMessages <= 0 {
		opts.MaxMessages = MaxMessages
	}
	s := &Server{
		opts:      opts,
		auth:      "Basic " + base64.StdEncoding.EncodeToString([]byte(opts.Key+":")),
		done:      make(chan struct{}),
		byID:      map[string]json.RawMessage{},
		rng:       rand.New(rand.NewPCG(opts.Chaos.Seed, 0x5eed)),
		faultFunc: opts.FaultFunc,
	}
	s.srv = httptest.NewServer(http.HandlerFunc(s.handle))
	return s
}

// URL is the batch endpoint: <base>/v1/batch.
func (s *Server) URL() string { return s.srv.URL + "/v1/batch" }

// BaseURL is the server's root URL.
func (s *Server) BaseURL() string { return s.srv.URL }

// Close stops the server, releasing held and slow requests.
func (s *Server) Close() {
	select {
	case <-s.done:
	default:
		close(s.done)
	}
	s.srv.CloseClientConnections()
	s.srv.Close()
}

// SetFaultFunc replaces Options.FaultFunc.
func (s *Server) SetFaultFunc(f func(n int) Fault) {
	s.mu.Lock()
	s.faultFunc = f
	s.mu.Unlock()
}

// Requests returns a copy of the request log, in order of completion.
func (s *Server) Requests() []Request {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]Request(nil), s.requests...)
}

// Received returns every stored message, duplicates included, in order of
// storage.
func (s *Server) Received() []Message {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]Message(nil), s.received...)
}

// Messages returns the stored messages by messageId (the first copy).
func (s *Server) Messages() map[string]json.RawMessage {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := make(map[string]json.RawMessage, len(s.byID))
	for k, v := range s.byID {
		out[k] = v
	}
	return out
}

// Violations lists what the client sent that the contract forbids: a
// body, message or batch over a limit, malformed JSON or gzip, a missing
// type, a wrong Content-Type.
func (s *Server) Violations() []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]string(nil), s.violations...)
}

// WaitIdle waits until no request is being handled (every one that
// arrived is in Requests and what it stored in Received), at most d; it
// says whether that happened.
func (s *Server) WaitIdle(d time.Duration) bool {
	deadline := time.Now().Add(d)
	for s.inFlight.Load() > 0 {
		if time.Now().After(deadline) {
			return false
		}
		time.Sleep(time.Millisecond)
	}
	return true
}

// MaxInFlight is the most requests the server handled at once.
func (s *Server) MaxInFlight() int { return int(s.maxIn.Load()) }

func (s *Server) violate(n int, format string, args ...any) {
	s.mu.Lock()
	s.violations = append(s.violations, fmt.Sprintf("request %d: ", n)+fmt.Sprintf(format, args...))
	s.mu.Unlock()
}

func (s *Server) fault(n int) Fault {
	if n <= len(s.opts.Script) {
		return s.opts.Script[n-1]
	}
	s.mu.Lock()
	ff := s.faultFunc
	s.mu.Unlock()
	if ff != nil {
		return ff(n)
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	c := s.opts.Chaos
	x := s.rng.Float64()
	for _, p := range []struct {
		p float64
		k FaultKind
	}{{c.TooManyRequests, TooManyRequests}, {c.ServerError, ServerError}, {c.Unavailable, Unavailable},
		{c.UnavailableAfterStore, UnavailableAfterStore}, {c.Slow, Slow}, {c.Drop, Drop}, {c.DropAfterStore, DropAfterStore}} {
		if x < p.p {
			return Fault{Kind: p.k, RetryAfter: c.RetryAfter, Delay: c.SlowDelay}
		}
		x -= p.p
	}
	return Fault{}
}

// wait sleeps d, or until the server closes.
func (s *Server) wait(d time.Duration) {
	if d <= 0 {
		return
	}
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
	case <-s.done:
	}
}

func (s *Server) handle(w http.ResponseWriter, r *http.Request) {
	in := s.inFlight.Add(1)
	defer s.inFlight.Add(-1)
	for {
		m := s.maxIn.Load()
		if in <= m || s.maxIn.CompareAndSwap(m, in) {
			break
		}
	}
	n := int(s.n.Add(1))
	rec := Request{N: n, At: time.Now(), InFlight: int(in),
		ContentType: r.Header.Get("Content-Type"), UserAgent: r.Header.Get("User-Agent"),
		Gzip:   strings.EqualFold(r.Header.Get("Content-Encoding"), "gzip"),
		Strict: r.Header.Get("X-Strict-Mode") == "1",
		Auth:   r.Header.Get("Authorization") == s.auth,
	}
	defer func() {
		s.mu.Lock()
		s.requests = append(s.requests, rec)
		s.mu.Unlock()
	}()

	f := s.fault(n)
	rec.Fault = f.Kind
	if f.Block != nil {
		select {
		case <-f.Block:
		case <-r.Context().Done():
		case <-s.done:
		}
	}

	if r.Method != http.MethodPost || r.URL.Path != "/v1/batch" {
		rec.Status = http.StatusNotFound
		http.NotFound(w, r)
		return
	}
	wire, err := io.ReadAll(io.LimitReader(r.Body, 16<<20))
	rec.WireBytes = len(wire)
	if err != nil {
		rec.Status = 0 // the client went away
		return
	}
	body := wire
	if rec.Gzip {
		zr, err := gzip.NewReader(bytes.NewReader(wire))
		if err == nil {
			body, err = io.ReadAll(io.LimitReader(zr, 64<<20))
		}
		if err != nil {
			s.violate(n, "bad gzip body: %v", err)
			s.answer(w, &rec, http.StatusBadRequest, "invalid gzip body")
			return
		}
	}
	rec.BodyBytes = len(body)
	if !rec.Auth {
		s.answer(w, &rec, http.StatusUnauthorized, "unauthorized: bad API key")
		return
	}
	if ct := rec.ContentType; !strings.HasPrefix(ct, "application/json") {
		s.violate(n, "Content-Type %q", ct)
	}

	// Parsed first so that the log shows what every request carried, even
	// one answered with a fault.
	msgs, errs := s.check(n, body, &rec)
	s.wait(s.opts.Latency)
	switch f.Kind {
	case TooManyRequests, ServerError, Unavailable:
		if f.RetryAfter != "" {
			w.Header().Set("Retry-After", f.RetryAfter)
		}
		if f.RateLimitReset != "" {
			w.Header().Set("X-RateLimit-Reset", f.RateLimitReset)
		}
		code := map[FaultKind]int{TooManyRequests: 429, ServerError: 500, Unavailable: 503}[f.Kind]
		s.answer(w, &rec, code, http.StatusText(code))
		return
	case Drop:
		s.drop(w, &rec)
		return
	case NotTheAPI:
		s.notTheAPI(w, &rec, f)
		return
	case Slow:
		s.wait(f.Delay)
	}

	if len(errs) > 0 && rec.Strict {
		s.answer(w, &rec, http.StatusBadRequest, errs...)
		return
	}
	s.store(n, msgs, &rec)

	switch f.Kind {
	case UnavailableAfterStore:
		if f.RetryAfter != "" {
			w.Header().Set("Retry-After", f.RetryAfter)
		}
		s.answer(w, &rec, 503, http.StatusText(503))
		return
	case DropAfterStore:
		s.drop(w, &rec)
		return
	}
	rec.Status = http.StatusOK
	w.Header().Set("Content-Type", "application/json")
	// The vendor's OpenAPI file: "A successful request returns an empty
	// object response."
	_, _ = io.WriteString(w, `{}`)
}

// notTheAPI answers 200 with something other than the API's JSON.
func (s *Server) notTheAPI(w http.ResponseWriter, rec *Request, f Fault) {
	body, ct := f.Body, f.ContentType
	if body == "" {
		body = LoginPage
	}
	if ct == "" {
		ct = "text/html; charset=utf-8"
	}
	rec.Status = http.StatusOK
	w.Header().Set("Content-Type", ct)
	_, _ = io.WriteString(w, body)
}

type parsedMsg struct {
	id, sentAt string
	raw        json.RawMessage
	valid      bool
}

// check parses and validates a batch body. It returns the messages that
// may be stored and the errors the API would answer in strict mode.
func (s *Server) check(n int, body []byte, rec *Request) ([]parsedMsg, []string) {
	var errs []string
	if len(body) > s.opts.MaxBodyBytes {
		s.violate(n, "body of %d bytes, over %d", len(body), s.opts.MaxBodyBytes)
		errs = append(errs, fmt.Sprintf("batch: body of %d bytes exceeds %d bytes", len(body), s.opts.MaxBodyBytes))
	}
	var env struct {
		Batch []json.RawMessage `json:"batch"`
	}
	if err := json.Unmarshal(body, &env); err != nil {
		s.violate(n, "malformed JSON body: %v", err)
		return nil, append(errs, "invalid JSON: "+err.Error())
	}
	if len(env.Batch) == 0 {
		s.violate(n, "empty batch")
		return nil, append(errs, "batch: no messages")
	}
	if len(env.Batch) > s.opts.MaxMessages {
		s.violate(n, "%d messages, over %d", len(env.Batch), s.opts.MaxMessages)
		errs = append(errs, fmt.Sprintf("batch: %d messages exceed %d", len(env.Batch), s.opts.MaxMessages))
	}
	msgs := make([]parsedMsg, 0, len(env.Batch))
	seen := map[string]bool{}
	for i, raw := range env.Batch {
		pm := parsedMsg{raw: raw, valid: true}
		if len(raw) > rec.MaxMessageBytes {
			rec.MaxMessageBytes = len(raw)
		}
		var m struct {
			Type      *string `json:"type"`
			MessageID string  `json:"messageId"`
			SentAt    string  `json:"sentAt"`
		}
		bad := func(format string, args ...any) {
			pm.valid = false
			errs = append(errs, fmt.Sprintf("batch[%d]: ", i)+fmt.Sprintf(format, args...))
		}
		if err := json.Unmarshal(raw, &m); err != nil {
			s.violate(n, "batch[%d] is not a JSON object: %v", i, err)
			bad("not an object")
		} else {
			pm.id, pm.sentAt = m.MessageID, m.SentAt
			if m.Type == nil || *m.Type == "" {
				s.violate(n, "batch[%d] has no type", i)
				bad("type is required")
			}
		}
		rec.MessageIDs = append(rec.MessageIDs, pm.id)
		if pm.sentAt != "" && !seen[pm.sentAt] {
			seen[pm.sentAt] = true
			rec.SentAt = append(rec.SentAt, pm.sentAt)
		}
		if len(raw) > s.opts.MaxMessageBytes {
			s.violate(n, "batch[%d] is %d bytes, over %d", i, len(raw), s.opts.MaxMessageBytes)
			bad("message of %d bytes exceeds %d bytes", len(raw), s.opts.MaxMessageBytes)
		}
		if pm.valid && s.opts.Validate != nil {
			if err := s.opts.Validate(raw); err != nil {
				bad("%v", err)
			}
		}
		msgs = append(msgs, pm)
	}
	if len(errs) > 0 && !rec.Strict {
		// Permissive mode: an over-limit request is dropped whole, an
		// invalid message alone.
		if len(body) > s.opts.MaxBodyBytes || len(env.Batch) > s.opts.MaxMessages {
			return nil, errs
		}
	}
	return msgs, errs
}

func (s *Server) store(n int, msgs []parsedMsg, rec *Request) {
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, m := range msgs {
		if !m.valid {
			continue
		}
		s.received = append(s.received, Message{ID: m.id, Raw: m.raw, SentAt: m.sentAt, Request: n})
		if _, ok := s.byID[m.id]; !ok {
			s.byID[m.id] = m.raw
		}
	}
	rec.Stored = true
}

// answer writes an error body like the API's.
func (s *Server) answer(w http.ResponseWriter, rec *Request, code int, errs ...string) {
	rec.Status = code
	if code == http.StatusBadRequest || code == http.StatusUnauthorized {
		rec.Errors = errs
	}
	body, _ := json.Marshal(map[string]any{"meta": map[string]any{"errors": errs}})
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(code)
	_, _ = w.Write(body)
}

// drop closes the connection without an answer.
func (s *Server) drop(w http.ResponseWriter, rec *Request) {
	rec.Status = 0
	hj, ok := w.(http.Hijacker)
	if !ok {
		panic(http.ErrAbortHandler)
	}
	conn, _, err := hj.Hijack()
	if err != nil {
		panic(http.ErrAbortHandler)
	}
	conn.Close()
}
