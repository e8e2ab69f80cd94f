// Package fakes3 serves an S3-compatible store on loopback for tests
// (gofakes3 with its in-memory backend, over real HTTP), records every
// request, and injects faults: an error status, or a connection reset
// after some bytes of the answer. Start points the AWS SDK at it through
// the environment (AWS_ENDPOINT_URL_S3, test credentials).
package fakes3

import (
	"bufio"
	"bytes"
	"fmt"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"

	"github.com/johannesboyne/gofakes3"
	"github.com/johannesboyne/gofakes3/backend/s3mem"
)

// Test credentials the environment gets: tests check they never appear
// in output.
const (
	AccessKeyID     = "AKIAFAKES3TESTKEY0001"
	SecretAccessKey = "fakes3-SECRET-9f8e7d6c5b4a39281706"
	SessionToken    = "fakes3-SESSION-TOKEN-0a1b2c3d4e5f"
)

// Request is one request the server received.
type Request struct {
	Method, Path, Query, Range string
	Host                       string // the Host header: the server's address when addressed path-style
	Status                     int    // 0 when the connection was cut
	Bytes                      int64  // body bytes sent
}

// Fault is what the server does instead of (or while) answering.
type Fault struct {
	Status int    // answer with this status and an S3 error body
	Code   string // the S3 error code (AccessDenied, SlowDown, …)
	// CutAfter > 0 resets the connection after this many body bytes
	// (the client may lose what it had not read yet, as with a real
	// reset); with Close, the connection is closed instead: the client
	// gets every byte sent, then a body shorter than announced.
	CutAfter int64
	Close    bool
}

// Server is a running fake S3.
type Server struct {
	URL     string
	backend *s3mem.Backend
	srv     *httptest.Server
	mu      sync.Mutex
	reqs    []Request
	// Fault, when set, decides the fault of each request (nil: none).
	fault func(r *http.Request, n int) *Fault
	n     int
}

// Start starts a server and points the environment's AWS settings at it
// for the rest of the test.
func Start(t testing.TB) *Server {
	t.Helper()
	s := &Server{backend: s3mem.New()}
	fake := gofakes3.New(s.backend, gofakes3.WithLogger(gofakes3.DiscardLog()))
	h := fake.Server()
	s.srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { s.serve(h, w, r) }))
	s.URL = s.srv.URL
	t.Cleanup(s.srv.Close)
	for k, v := range map[string]string{
		"AWS_ENDPOINT_URL_S3": s.URL, "AWS_ACCESS_KEY_ID": AccessKeyID, "AWS_SECRET_ACCESS_KEY": SecretAccessKey,
		"AWS_SESSION_TOKEN": SessionToken, "AWS_REGION": "us-east-1", "AWS_EC2_METADATA_DISABLED": "true",
		"AWS_CONFIG_FILE": "/dev/null", "AWS_SHARED_CREDENTIALS_FILE": "/dev/null", "AWS_PROFILE": "",
	} {
		t.Setenv(k, v)
	}
	return s
}

// Bucket creates a bucket.
func (s *Server) Bucket(t testing.TB, name string) {
	t.Helper()
	if err := s.backend.CreateBucket(name); err != nil {
		t.Fatal(err)
	}
}

// Put stores an object.
func (s *Server) Put(t testing.TB, bucket, key string, data []byte) {
	t.Helper()
	if _, err := s.backend.PutObject(bucket, key, map[string]string{}, bytes.NewReader(data), int64(len(data)), nil); err != nil {
		t.Fatal(err)
	}
}

// SetFault sets the fault of the requests to come: f is given each
// request and its number (from 1).
func (s *Server) SetFault(f func(r *http.Request, n int) *Fault) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.fault, s.n = f, 0
}

// Lists returns the listing requests.
func Lists(reqs []Request) []Request {
	var out []Request
	for _, r := range reqs {
		if r.Method == http.MethodGet && strings.Contains(r.Query, "list-type") {
			out = append(out, r)
		}
	}
	return out
}

// Requests returns the requests so far, and Reset forgets them.
func (s *Server) Requests() []Request {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]Request(nil), s.reqs...)
}

func (s *Server) Reset() {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.reqs = nil
}

func (s *Server) serve(h http.Handler, w http.ResponseWriter, r *http.Request) {
	s.mu.Lock()
	s.n++
	var f *Fault
	if s.fault != nil {
		f = s.fault(r, s.n)
	}
	s.mu.Unlock()
	rec := Request{Method: r.Method, Path: r.URL.Path, Query: r.URL.RawQuery, Range: r.Header.Get("Range"), Host: r.Host}
	defer func() {
		s.mu.Lock()
		s.reqs = append(s.reqs, rec)
		s.mu.Unlock()
	}()
	if f != nil && f.Status != 0 {
		w.Header().Set("Content-Type", "application/xml")
		w.WriteHeader(f.Status)
		fmt.Fprintf(w, `<?xml version="1.0" encoding="UTF-8"?><Error><Code>%s</Code><Message>injected</Message><RequestId>1</RequestId></Error>`, f.Code)
		rec.Status = f.Status
		return
	}
	cw := &countingWriter{ResponseWriter: w}
	if f != nil && f.CutAfter > 0 {
		cw.cutAfter, cw.graceful = f.CutAfter, f.Close
	}
	h.ServeHTTP(cw, r)
	rec.Bytes = cw.n
	if !cw.cut {
		rec.Status = cw.status
	}
}

// countingWriter counts the body bytes and resets the connection after
// cutAfter of them.
type countingWriter struct {
	http.ResponseWriter
	status   int
	n        int64
	cutAfter int64
	graceful bool // close, not reset
	cut      bool
}

func (w *countingWriter) WriteHeader(code int) {
	if w.cut {
		return
	}
	w.status = code
	w.ResponseWriter.WriteHeader(code)
}

func (w *countingWriter) Write(p []byte) (int, error) {
	if w.status == 0 {
		w.status = http.StatusOK
	}
	if w.cut {
		return 0, net.ErrClosed
	}
	if w.cutAfter > 0 && w.n+int64(len(p)) > w.cutAfter {
		k, _ := w.ResponseWriter.Write(p[:w.cutAfter-w.n])
		w.n += int64(k)
		w.reset()
		return k, net.ErrClosed
	}
	k, err := w.ResponseWriter.Write(p)
	w.n += int64(k)
	return k, err
}

// reset sends what was written and resets the connection (RST), or
// closes it when graceful.
func (w *countingWriter) reset() {
	w.cut = true
	if f, ok := w.ResponseWriter.(http.Flusher); ok {
		f.Flush()
	}
	hj, ok := w.ResponseWriter.(http.Hijacker)
	if !ok {
		return
	}
	conn, buf, err := hj.Hijack()
	if err != nil {
		return
	}
	flush(buf)
	if tc, ok := conn.(*net.TCPConn); ok && !w.graceful {
		tc.SetLinger(0)
	}
	conn.Close()
}

func flush(b *bufio.ReadWriter) {
	if b != nil {
		b.Flush()
	}
}

// Gets returns the GETs of objects whose path ("/bucket/key") starts
// with path (listings left out).
func Gets(reqs []Request, path string) []Request {
	var out []Request
	for _, r := range reqs {
		if r.Method == http.MethodGet && strings.HasPrefix(r.Path, path) && !strings.Contains(r.Query, "list-type") &&
			strings.Count(r.Path, "/") >= 2 {
			out = append(out, r)
		}
	}
	return out
}
