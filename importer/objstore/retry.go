package objstore

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"strings"
	"syscall"

	"github.com/Azure/azure-sdk-for-go/sdk/azcore"

	"github.com/groupimport/groupimport/importer"
	"github.com/groupimport/groupimport/internal/backoff"
)

// retry runs op until it succeeds, fails for good, or the attempts are
// spent on transient errors (then the error wraps importer.ErrUnavailable).
func (s *Store) retry(ctx context.Context, op func() error) error {
	var err error
	for attempt := 1; ; attempt++ {
		if err = op(); err == nil || !transient(err) || ctx.Err() != nil {
			return err
		}
		if attempt >= s.opts.Attempts {
			return fmt.Errorf("%w: %d attempts failed, the last: %w", importer.ErrUnavailable, attempt, err)
		}
		s.retries.Add(1)
		if werr := s.backoff(ctx, attempt); werr != nil {
			return err
		}
	}
}

// backoff waits before attempt+1: full jitter over an exponential bound.
func (s *Store) backoff(ctx context.Context, attempt int) error {
	return backoff.Sleep(ctx, backoff.FullJitter(s.opts.BackoffBase, s.opts.BackoffMax, attempt)+1)
}

// transient says whether a request that failed with err may succeed when
// tried again: 5xx, 408, 429 and throttling codes, timeouts, refused,
// reset and cut connections.
func transient(err error) bool {
	if err == nil || errors.Is(err, importer.ErrChanged) || errors.Is(err, context.Canceled) {
		return false
	}
	switch st := statusOf(err); {
	case st == http.StatusRequestTimeout, st == http.StatusTooManyRequests, st >= 500 && st != http.StatusNotImplemented:
		return true
	case st != 0 && (isNotFound(err) || isDenied(err) || isPrecondition(err)):
		return false
	}
	switch apiCode(err) {
	case "SlowDown", "InternalError", "ServiceUnavailable", "RequestTimeout", "Throttling", "ThrottlingException",
		"RequestLimitExceeded", "ServerBusy", "OperationTimedOut", "rateLimitExceeded", "backendError":
		return true
	}
	var ne net.Error
	if errors.As(err, &ne) && ne.Timeout() {
		return true
	}
	var oe *net.OpError
	if errors.As(err, &oe) {
		return true
	}
	if errors.Is(err, io.ErrUnexpectedEOF) || errors.Is(err, io.EOF) || errors.Is(err, syscall.ECONNRESET) ||
		errors.Is(err, syscall.ECONNREFUSED) || errors.Is(err, syscall.EPIPE) || errors.Is(err, errShortBody) {
		return true
	}
	msg := err.Error()
	for _, s := range []string{"connection reset", "broken pipe", "unexpected EOF", "server sent GOAWAY", "TLS handshake timeout",
		"use of closed network connection", "http2: client connection lost", "stream error"} {
		if strings.Contains(msg, s) {
			return true
		}
	}
	return false
}

// errShortBody is a response body that ended before the bytes it promised.
var errShortBody = errors.New("the answer ended early")

// explain turns the final error of an operation into one that says what
// happened and what to check; credentials are taken out of its text. what
// starts the message ("listing s3://b/p", or "reading" where the caller
// names the object); listing says which permission applies.
func explain(what string, l location, listing bool, err error) error {
	if errors.Is(err, importer.ErrChanged) || errors.Is(err, importer.ErrUnavailable) {
		return redact(fmt.Errorf("%s: %w", what, err))
	}
	perm := "s3:GetObject"
	switch {
	case l.scheme == "gs" && listing:
		perm = "storage.objects.list"
	case l.scheme == "gs":
		perm = "storage.objects.get"
	case l.scheme == "azblob":
		perm = "the Storage Blob Data Reader role"
	case listing:
		perm = "s3:ListBucket"
	}
	code, msg := apiCode(err), oneLine(err)
	switch {
	case isDenied(err):
		msg = fmt.Sprintf("access denied: the credentials in use need %s on it: %s", perm, msg)
	case code == "NoSuchBucket" || code == "ContainerNotFound" || (isNotFound(err) && listing):
		msg = fmt.Sprintf("the bucket %q does not exist (or these credentials cannot see it): %s", l.bucket, msg)
	case isNotFound(err):
		msg = "no such object: " + msg
	}
	return &redactedError{msg: redactText(what + ": " + msg), err: err}
}

// oneLine is err's text on one line: Azure's errors dump the whole answer
// over many lines; they are told by status and code instead.
func oneLine(err error) string {
	var ae *azcore.ResponseError
	if errors.As(err, &ae) {
		return strings.TrimSpace(fmt.Sprintf("Azure answered HTTP %d %s", ae.StatusCode, ae.ErrorCode))
	}
	return strings.ReplaceAll(err.Error(), "\n", " ")
}
