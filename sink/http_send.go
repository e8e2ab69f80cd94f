package sink

import (
	"bytes"
	"context"
	"crypto/tls"
	"crypto/x509"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"net"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"sync/atomic"
	"time"
	"unicode/utf8"

	"github.com/groupimport/groupimport/internal/backoff"
	"github.com/klauspost/compress/gzip"
)

// throttleWindow is how often a 429 may halve the concurrency: 429s from
// requests that were in flight together count once.
const throttleWindow = 500 * time.Millisecond

// maxRetryAfter caps what a Retry-After is read as (a budget check turns
// anything long into giving up anyway).
const maxRetryAfter = 24 * time.Hour

// maxErrorText bounds the API's error text kept in refusals and errors.
const maxErrorText = 300

type outcome uint8

const (
	outOK      outcome = iota
	outRefused         // 400 / 413: bisect, or refuse a single message
	outRetry           // 429, 5xx, timeout, connection
	outFatal           // 401/403, other 4xx, redirects, cancellation
)

type retryCause uint8

const (
	cause429 retryCause = iota
	cause5xx
	causeTimeout
	causeConn
	causeUnexpected // a 2xx that is not the API's answer
)

// attemptResult is what one request came to.
type attemptResult struct {
	kind       outcome
	cause      retryCause
	retryAfter time.Duration // what the API asked us to wait; 0 if nothing
	desc       string        // "503 Service Unavailable: …", "timeout", …
	text       string        // the API's error text (refusals)
	err        error         // outFatal
}

// deliver sends msgs (a batch, or a part of one after a split) until the
// API acknowledges them, refuses them (bisecting down to the refused
// messages), or the batch's retry budget runs out.
func (s *HTTPSink) deliver(ctx context.Context, b *httpBatch, msgs []batchMsg) error {
	start := s.opts.Now()
	failed := 0 // attempts that count against MaxAttempts
	for n := 1; ; n++ {
		if err := s.waitTurn(ctx); err != nil {
			return s.stopped(err)
		}
		a := s.post(ctx, b, msgs)
		s.permits.release()
		switch a.kind {
		case outOK:
			s.permits.success()
			s.st.batches.Add(1)
			s.st.messages.Add(int64(len(msgs)))
			s.delivered(msgs)
			s.acks.resolve(msgs)
			return nil
		case outRefused:
			if len(msgs) == 1 {
				s.refuse(msgs[0].pos, b.payload(&msgs[0]), CodeAPIRefused, a.text)
				s.acks.resolve(msgs)
				s.apiRefused()
				return nil
			}
			// Never again as is: each half on its own, until the refused
			// messages stand alone.
			s.st.splits.Add(1)
			if s.probing() {
				return s.deliverProbing(ctx, b, msgs)
			}
			h := len(msgs) / 2
			if err := s.deliver(ctx, b, msgs[:h]); err != nil {
				return err
			}
			return s.deliver(ctx, b, msgs[h:])
		case outFatal:
			return a.err
		}

		now := s.opts.Now()
		elapsed := now.Sub(start)
		if a.cause != cause429 {
			failed++
		}
		if failed >= s.opts.MaxAttempts {
			return s.gaveUp(msgs, n, elapsed, a.desc, "")
		}
		var wait time.Duration
		if a.retryAfter > 0 {
			if elapsed+a.retryAfter > s.opts.MaxElapsed {
				return s.gaveUp(msgs, n, elapsed, a.desc,
					fmt.Sprintf("; the API asked to wait %s, beyond the retry budget of %s", a.retryAfter, s.opts.MaxElapsed))
			}
			// Everyone waits what the API asked; this sender adds a little
			// jitter so that the senders do not all come back at once.
			s.gate.pauseUntil(now.Add(a.retryAfter))
			wait = backoff.Jitter(s.opts.BackoffBase)
		} else {
			wait = s.backoff(n)
		}
		if elapsed+wait > s.opts.MaxElapsed {
			return s.gaveUp(msgs, n, elapsed, a.desc, "")
		}
		switch a.cause {
		case cause429:
			s.st.r429.Add(1)
			s.permits.throttled(now, throttleWindow)
		case cause5xx:
			s.st.r5xx.Add(1)
		case causeTimeout:
			s.st.rTimeout.Add(1)
		case causeConn:
			s.st.rConn.Add(1)
		case causeUnexpected:
			s.st.rUnexpected.Add(1)
		}
		if err := s.opts.Sleep(ctx, wait); err != nil {
			return s.stopped(err)
		}
		s.st.backoffWait.Add(int64(wait))
	}
}

// deliverProbing resolves a refused batch one message at a time while the
// API has accepted nothing (see HTTPOptions.AllRefusedLimit), and bisects
// the rest as usual once it has accepted something.
func (s *HTTPSink) deliverProbing(ctx context.Context, b *httpBatch, msgs []batchMsg) error {
	i := 0
	for ; i < len(msgs) && s.probing(); i++ {
		if err := s.deliver(ctx, b, msgs[i:i+1]); err != nil {
			return err
		}
	}
	if i == len(msgs) {
		return nil
	}
	return s.deliver(ctx, b, msgs[i:])
}

// waitTurn waits for a Retry-After pause to end, for a request permit and
// for the rate limiter. On success the caller holds a permit.
func (s *HTTPSink) waitTurn(ctx context.Context) error {
	// A sleeper that does not move the clock (a test's) must not spin.
	for i := 0; i < 4; i++ {
		d := s.gate.remaining(s.opts.Now())
		if d <= 0 {
			break
		}
		if err := s.opts.Sleep(ctx, d); err != nil {
			return err
		}
		s.st.retryAfterWait.Add(int64(d))
	}
	if err := s.permits.acquire(ctx); err != nil {
		return err
	}
	if s.limiter != nil {
		now := s.opts.Now()
		r := s.limiter.ReserveN(now, 1)
		if d := r.DelayFrom(now); d > 0 {
			if err := s.opts.Sleep(ctx, d); err != nil {
				r.CancelAt(s.opts.Now())
				s.permits.release()
				return err
			}
			s.st.rateWait.Add(int64(d))
		}
	}
	return nil
}

// stopped is the error of a sender stopped by cancellation: the sink's
// own error when it has one.
func (s *HTTPSink) stopped(err error) error {
	return s.failureOr(fmt.Errorf("%w: %w", ErrAborted, err))
}

func (s *HTTPSink) gaveUp(msgs []batchMsg, attempts int, elapsed time.Duration, last, extra string) error {
	return fmt.Errorf("%w of %d messages (the first from %s) after %d attempts in %s; last: %s%s",
		ErrGaveUp, len(msgs), msgs[0].pos, attempts, elapsed.Round(time.Millisecond), last, extra)
}

// backoff is exponential backoff with full jitter for attempt n (1-based).
func (s *HTTPSink) backoff(n int) time.Duration {
	return backoff.FullJitter(s.opts.BackoffBase, s.opts.BackoffMax, n)
}

// post makes one request with a fresh sentAt and classifies the answer.
func (s *HTTPSink) post(ctx context.Context, b *httpBatch, msgs []batchMsg) attemptResult {
	rawp := s.getBuf()
	raw := appendBody((*rawp)[:0], b, msgs, s.opts.Now())
	*rawp = raw
	body := raw
	var gzp *[]byte
	if !s.opts.DisableGzip {
		gzp = s.getBuf()
		var err error
		if body, err = s.compress((*gzp)[:0], raw); err != nil {
			return attemptResult{kind: outFatal, err: fmt.Errorf("compressing a request: %w", err)}
		}
		*gzp = body
	}
	rd := &bodyReader{data: body}
	defer func() {
		// The transport may still hold the body after Do returns; reuse
		// the buffers only once it has closed it.
		if rd.closed.Load() {
			s.bufs.Put(rawp)
			if gzp != nil {
				s.bufs.Put(gzp)
			}
		}
	}()

	rctx, cancel := context.WithTimeout(ctx, s.opts.RequestTimeout)
	defer cancel()
	req, err := http.NewRequestWithContext(rctx, http.MethodPost, s.url, rd)
	if err != nil {
		return attemptResult{kind: outFatal, err: fmt.Errorf("building a request: %s", s.redact(err.Error()))}
	}
	req.ContentLength = int64(len(body))
	h := req.Header
	h.Set("Content-Type", "application/json")
	h.Set("Authorization", s.auth)
	h.Set("User-Agent", s.opts.UserAgent)
	if !s.opts.DisableStrictMode {
		h.Set("X-Strict-Mode", "1")
	}
	if !s.opts.DisableGzip {
		h.Set("Content-Encoding", "gzip")
	}
	s.st.requests.Add(1)
	s.st.bytesRaw.Add(int64(len(raw)))
	s.st.bytesSent.Add(int64(len(body)))

	resp, err := s.client.Do(req)
	if err != nil {
		if ctx.Err() != nil {
			return attemptResult{kind: outFatal, err: s.stopped(ctx.Err())}
		}
		text := s.transportError(err)
		if isTLSError(err) {
			// Permanent: retrying cannot make a certificate trusted.
			return attemptResult{kind: outFatal, err: fmt.Errorf("%w: %s: %s", ErrTLS, s.endpoint, text)}
		}
		var ne net.Error
		if errors.Is(err, context.DeadlineExceeded) || (errors.As(err, &ne) && ne.Timeout()) {
			return attemptResult{kind: outRetry, cause: causeTimeout, desc: "timeout: " + text}
		}
		return attemptResult{kind: outRetry, cause: causeConn, desc: "connection: " + text}
	}
	respBody, readErr := io.ReadAll(io.LimitReader(resp.Body, maxAnswerBytes+1))
	_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, 256<<10)) // keep the connection reusable
	resp.Body.Close()
	if readErr != nil && resp.StatusCode >= 200 && resp.StatusCode < 300 {
		// An answer cut off is no acknowledgement: the batch may or may
		// not have been stored (messageIds make a resend harmless).
		if ctx.Err() != nil {
			return attemptResult{kind: outFatal, err: s.stopped(ctx.Err())}
		}
		return attemptResult{kind: outRetry, cause: causeConn,
			desc: fmt.Sprintf("connection: the %s answer was cut off: %s", resp.Status, s.transportError(readErr))}
	}
	return s.classify(resp, respBody, len(msgs))
}

// maxAnswerBytes bounds the answer body read: the API's acknowledgement is
// a small JSON object, its errors a short list.
const maxAnswerBytes = 64 << 10

// classify turns an HTTP answer into an attempt result.
func (s *HTTPSink) classify(resp *http.Response, body []byte, n int) attemptResult {
	code := resp.StatusCode
	status := resp.Status
	if status == "" {
		status = strconv.Itoa(code)
	}
	switch {
	case code >= 200 && code < 300:
		if why := notAnAcknowledgement(resp.Header.Get("Content-Type"), body); why != "" {
			// Something between us and the API (a captive portal, a
			// proxy's sign-in page, a misrouted URL) answered, or the
			// API's answer is damaged: nothing says the batch was stored.
			return attemptResult{kind: outRetry, cause: causeUnexpected,
				desc: fmt.Sprintf("%s %s", status, s.redact(why))}
		}
		return attemptResult{kind: outOK}
	case code == http.StatusBadRequest || code == http.StatusRequestEntityTooLarge:
		return attemptResult{kind: outRefused, text: fmt.Sprintf("the API refused the message (%s): %s", status, s.errorText(body, code))}
	case code == http.StatusUnauthorized || code == http.StatusForbidden:
		return attemptResult{kind: outFatal, err: fmt.Errorf("%w: %s from %s: the API key is wrong, or belongs to the other region (US vs EU endpoint)",
			ErrUnauthorized, status, s.endpoint)}
	case code == http.StatusTooManyRequests:
		return attemptResult{kind: outRetry, cause: cause429, retryAfter: retryAfter(resp.Header, s.opts.Now()),
			desc: status + ": " + s.errorText(body, code)}
	case code == http.StatusRequestTimeout:
		return attemptResult{kind: outRetry, cause: causeTimeout, retryAfter: retryAfter(resp.Header, s.opts.Now()),
			desc: status}
	case code >= 500:
		return attemptResult{kind: outRetry, cause: cause5xx, retryAfter: retryAfter(resp.Header, s.opts.Now()),
			desc: status + ": " + s.errorText(body, code)}
	case code >= 300 && code < 400:
		loc := resp.Header.Get("Location")
		if u, err := url.Parse(loc); err == nil {
			loc = displayURL(u)
		} else {
			loc = "?"
		}
		return attemptResult{kind: outFatal, err: fmt.Errorf("%w: %s redirecting to %s; give the batch URL itself", ErrAPI, status, s.redact(loc))}
	}
	return attemptResult{kind: outFatal, err: fmt.Errorf("%w: %s from %s for a batch of %d messages: %s",
		ErrAPI, status, s.endpoint, n, s.errorText(body, code))}
}

// retryAfter reads Retry-After (seconds or an HTTP date), else
// X-RateLimit-Reset (seconds to wait, or a Unix time).
func retryAfter(h http.Header, now time.Time) time.Duration {
	if v := strings.TrimSpace(h.Get("Retry-After")); v != "" {
		if secs, err := strconv.ParseFloat(v, 64); err == nil {
			return secondsDur(secs)
		}
		if t, err := http.ParseTime(v); err == nil {
			return min(max(t.Sub(now), 0), maxRetryAfter)
		}
	}
	if v := strings.TrimSpace(h.Get("X-RateLimit-Reset")); v != "" {
		if secs, err := strconv.ParseFloat(v, 64); err == nil {
			if secs > 1e9 { // a Unix time
				d := time.Unix(int64(secs), int64((secs-float64(int64(secs)))*1e9)).Sub(now)
				return min(max(d, 0), maxRetryAfter)
			}
			return secondsDur(secs)
		}
	}
	return 0
}

func secondsDur(secs float64) time.Duration {
	if secs <= 0 || math.IsNaN(secs) {
		return 0
	}
	if secs >= maxRetryAfter.Seconds() {
		return maxRetryAfter
	}
	return time.Duration(secs * float64(time.Second))
}

// errorText extracts the API's error messages from a body like
// {"meta":{"errors":["…"]}}, short and without secrets.
func (s *HTTPSink) errorText(body []byte, code int) string {
	text := apiErrorText(body)
	if text == "" {
		text = http.StatusText(code)
	}
	return s.redact(truncate(text, maxErrorText))
}

func apiErrorText(body []byte) string {
	body = bytes.TrimSpace(body)
	if len(body) == 0 {
		return ""
	}
	var v struct {
		Meta struct {
			Errors []json.RawMessage `json:"errors"`
		} `json:"meta"`
		Errors  []json.RawMessage `json:"errors"`
		Error   json.RawMessage   `json:"error"`
		Message string            `json:"message"`
	}
	if json.Unmarshal(body, &v) == nil {
		var parts []string
		for _, e := range append(v.Meta.Errors, v.Errors...) {
			if t := errorItem(e); t != "" {
				parts = append(parts, t)
			}
		}
		if t := errorItem(v.Error); t != "" {
			parts = append(parts, t)
		}
		if v.Message != "" {
			parts = append(parts, v.Message)
		}
		if len(parts) > 0 {
			return strings.Join(parts, "; ")
		}
	}
	return strings.Join(strings.Fields(string(body)), " ")
}

// errorItem renders one error: a string, or an object's message (with its
// field when it names one), or the object itself.
func errorItem(raw json.RawMessage) string {
	if len(raw) == 0 || string(raw) == "null" {
		return ""
	}
	var s string
	if json.Unmarshal(raw, &s) == nil {
		return s
	}
	var o map[string]any
	if json.Unmarshal(raw, &o) == nil {
		msg := ""
		for _, k := range []string{"message", "reason", "detail", "error", "title"} {
			if m, ok := o[k].(string); ok && m != "" {
				msg = m
				break
			}
		}
		for _, k := range []string{"field", "path", "pointer"} {
			if f, ok := o[k].(string); ok && f != "" && msg != "" {
				return f + ": " + msg
			}
		}
		if msg != "" {
			return msg
		}
	}
	var buf bytes.Buffer
	if json.Compact(&buf, raw) == nil {
		return buf.String()
	}
	return string(raw)
}

func truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	cut := n
	for cut > 0 && !utf8.RuneStart(s[cut]) {
		cut--
	}
	return s[:cut] + "…"
}

// isTLSError reports a certificate the client does not trust.
func isTLSError(err error) bool {
	var cv *tls.CertificateVerificationError
	var ua x509.UnknownAuthorityError
	var he x509.HostnameError
	var ci x509.CertificateInvalidError
	return errors.As(err, &cv) || errors.As(err, &ua) || errors.As(err, &he) || errors.As(err, &ci)
}

// transportError is a client error's text without the URL that *url.Error
// carries, and without secrets.
func (s *HTTPSink) transportError(err error) string {
	var ue *url.Error
	if errors.As(err, &ue) {
		err = ue.Err
	}
	return s.redact(err.Error())
}

// redact removes the API key (plain, Basic-encoded, URL-escaped) from text.
func (s *HTTPSink) redact(text string) string {
	for _, k := range s.secrets {
		if k != "" {
			text = strings.ReplaceAll(text, k, "[redacted]")
		}
	}
	return text
}

// appendBody appends {"batch":[…]} with sentAt set on every message.
func appendBody(dst []byte, b *httpBatch, msgs []batchMsg, now time.Time) []byte {
	var ts [32]byte
	stamp := now.UTC().AppendFormat(ts[:0], "2006-01-02T15:04:05.000Z")
	dst = append(dst, `{"batch":[`...)
	for i := range msgs {
		if i > 0 {
			dst = append(dst, ',')
		}
		dst = appendWithSentAt(dst, b.payload(&msgs[i]), stamp)
	}
	return append(dst, "]}"...)
}

// appendWithSentAt appends the object p with "sentAt" added before its
// final '}'.
func appendWithSentAt(dst, p, stamp []byte) []byte {
	inner := p[:len(p)-1]
	dst = append(dst, inner...)
	if t := bytes.TrimRight(inner, " \t\r\n"); len(t) > 0 && t[len(t)-1] != '{' {
		dst = append(dst, ',')
	}
	dst = append(dst, `"sentAt":"`...)
	dst = append(dst, stamp...)
	return append(dst, `"}`...)
}

func (s *HTTPSink) getBuf() *[]byte {
	if p, ok := s.bufs.Get().(*[]byte); ok {
		return p
	}
	b := make([]byte, 0, s.opts.MaxBatchBytes+512)
	return &b
}

func (s *HTTPSink) compress(dst, raw []byte) ([]byte, error) {
	w := s.gzips.Get().(*gzip.Writer)
	buf := bytes.NewBuffer(dst)
	w.Reset(buf)
	if _, err := w.Write(raw); err != nil {
		return nil, err
	}
	if err := w.Close(); err != nil {
		return nil, err
	}
	s.gzips.Put(w)
	return buf.Bytes(), nil
}

// bodyReader is a request body that says when the transport closed it.
type bodyReader struct {
	data   []byte
	off    int
	closed atomic.Bool
}

func (r *bodyReader) Read(p []byte) (int, error) {
	if r.off >= len(r.data) {
		return 0, io.EOF
	}
	n := copy(p, r.data[r.off:])
	r.off += n
	return n, nil
}

func (r *bodyReader) Close() error {
	r.closed.Store(true)
	return nil
}
