// Package objstore reads inputs from object storage: s3://bucket/key,
// gs://bucket/key and azblob://container/key, each through its vendor's
// SDK or API with the cloud's standard credential chain (environment,
// profile, instance and workload identity): see s3.go, gcs.go, azure.go.
// It implements importer.Remote.
//
// A URL names an object, a prefix read as a folder (every object below it,
// in natural order, with the rules of local folders: hidden, "_"-prefixed
// and .crc entries left out and listed), or a glob (* ? [...] within a path
// segment, as filepath.Match). Listings page through (1,000 keys a page).
//
// An object is streamed for CSV and NDJSON: one GET, resumed with a range
// request from the byte where it broke. Parquet is read through ReadAt:
// ranged GETs of aligned blocks, with a small cache and read-ahead so that
// the footer and the needed column chunks cost a few requests each, never
// the whole object. Every read is tied to the object's identity at open
// (S3 and Azure: its ETag, sent as If-Match and compared with each answer;
// GCS: its generation): an object replaced while it is read is an error
// wrapping importer.ErrChanged, never a mix of two versions.
//
// Transient failures — 5xx, 429 and throttling, timeouts, broken
// connections — are retried with exponential backoff and full jitter;
// after the last attempt the error wraps importer.ErrUnavailable. Errors
// never hold credentials: values of the credential variables of the
// environment are replaced by [redacted], and so are user:password parts
// of URLs.
//
// S3 honours AWS_ENDPOINT_URL_S3, then AWS_ENDPOINT_URL, and then
// addresses buckets path-style (MinIO, LocalStack, Ceph); without a region
// configured it uses us-east-1.
package objstore

import (
	"context"
	"errors"
	"fmt"
	"os"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/groupimport/groupimport/importer"
)

// Schemes are the URL schemes of object storage inputs.
var Schemes = []string{"s3", "gs", "azblob"}

// IsURL reports whether name is an object storage URL (s3://, gs://,
// azblob://).
func IsURL(name string) bool {
	for _, s := range Schemes {
		if strings.HasPrefix(name, s+"://") {
			return true
		}
	}
	return false
}

// Options tune a Store. The zero value has the defaults.
type Options struct {
	// Attempts at one request before giving up on transient errors
	// (default 6); BackoffBase is the first wait, doubling up to
	// BackoffMax (defaults 200 ms and 10 s), with full jitter.
	Attempts    int
	BackoffBase time.Duration
	BackoffMax  time.Duration
	// BlockBytes is the size of the blocks ranged reads fetch (default
	// 256 KiB); CacheBytes bounds the blocks one object keeps (default
	// 24 MiB: enough for the needed column chunks of the two row groups
	// being decoded at once, whose pages are read twice, checked then
	// decoded); ReadAhead is how many blocks a sequential read (one that
	// follows two blocks read) fetches ahead (default 4).
	BlockBytes int
	CacheBytes int
	ReadAhead  int
	// PageSize is the keys per listing request (default 1,000, the most S3
	// returns).
	PageSize int
}

func (o Options) withDefaults() Options {
	if o.Attempts <= 0 {
		o.Attempts = 6
	}
	if o.BackoffBase <= 0 {
		o.BackoffBase = 200 * time.Millisecond
	}
	if o.BackoffMax <= 0 {
		o.BackoffMax = 10 * time.Second
	}
	if o.BlockBytes <= 0 {
		o.BlockBytes = 256 << 10
	}
	if o.CacheBytes <= 0 {
		o.CacheBytes = 24 << 20
	}
	if o.ReadAhead < 0 {
		o.ReadAhead = 0
	} else if o.ReadAhead == 0 {
		o.ReadAhead = 4
	}
	if o.PageSize <= 0 {
		o.PageSize = 1000
	}
	return o
}

// Stats count what a Store asked of the services.
type Stats struct {
	Lists, Heads, Gets int64 // requests (a retried request counts each time)
	RangeGets          int64 // of Gets, the ranged reads (ReadAt)
	Bytes              int64 // object bytes received
	Retries            int64
	Resumes            int64 // streams resumed after breaking
}

// Store opens objects of s3://, gs:// and azblob:// URLs. It is safe for
// concurrent use. Close releases the buckets it opened.
type Store struct {
	ctx  context.Context
	opts Options

	mu      sync.Mutex
	buckets map[string]*bucketEntry
	listed  map[string]listedObject // by URL: what the listing said

	lists, heads, gets, rangeGets, bytes, retries, resumes atomic.Int64
}

type bucketEntry struct {
	once sync.Once
	svc  service
	err  error
}

// listedObject is an object as a listing gave it.
type listedObject struct {
	size int64
	v    version // zero when the listing does not say
}

// New returns a Store whose requests live within ctx.
func New(ctx context.Context, opts Options) *Store {
	return &Store{ctx: ctx, opts: opts.withDefaults(), buckets: map[string]*bucketEntry{}, listed: map[string]listedObject{}}
}

// Handles implements importer.Remote.
func (s *Store) Handles(name string) bool { return IsURL(name) }

// Size implements importer.Remote: the size the listing gave.
func (s *Store) Size(name string) (int64, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	o, ok := s.listed[name]
	return o.size, ok
}

// Stats returns the counts so far.
func (s *Store) Stats() Stats {
	return Stats{Lists: s.lists.Load(), Heads: s.heads.Load(), Gets: s.gets.Load(), RangeGets: s.rangeGets.Load(),
		Bytes: s.bytes.Load(), Retries: s.retries.Load(), Resumes: s.resumes.Load()}
}

// Close releases the buckets.
func (s *Store) Close() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.buckets = map[string]*bucketEntry{}
	return nil
}

// location is a parsed URL: scheme://bucket/key.
type location struct {
	scheme, bucket, key string
}

func (l location) String() string {
	if l.key == "" {
		return l.scheme + "://" + l.bucket
	}
	return l.scheme + "://" + l.bucket + "/" + l.key
}

func (l location) bucketURL() string { return l.scheme + "://" + l.bucket }

// parse splits a URL into scheme, bucket and key. The key is taken as it
// is written (no %-decoding, no query): object keys may hold any
// character.
func parse(name string) (location, error) {
	scheme, rest, ok := strings.Cut(name, "://")
	if !ok || !IsURL(name) {
		return location{}, fmt.Errorf("%s: not an object storage URL (s3://, gs://, azblob://)", redactURL(name))
	}
	bucket, key, _ := strings.Cut(rest, "/")
	if bucket == "" {
		return location{}, fmt.Errorf("%s: the URL names no bucket (%s://BUCKET/PREFIX)", redactURL(name), scheme)
	}
	if strings.ContainsAny(bucket, "@:") {
		return location{}, fmt.Errorf("%s: credentials or ports do not belong in the URL; the bucket is the part after %s://", redactURL(name), scheme)
	}
	return location{scheme: scheme, bucket: bucket, key: key}, nil
}

// bucket returns the opened bucket of l, opening it once.
func (s *Store) bucket(l location) (service, error) {
	s.mu.Lock()
	e := s.buckets[l.bucketURL()]
	if e == nil {
		e = &bucketEntry{}
		s.buckets[l.bucketURL()] = e
	}
	s.mu.Unlock()
	e.once.Do(func() {
		switch l.scheme {
		case "s3":
			e.svc, e.err = openS3(s.ctx, l.bucket)
		case "gs":
			e.svc, e.err = openGCS(s.ctx, l.bucket)
		default:
			e.svc, e.err = openAzure(s.ctx, l.bucket)
		}
		if e.err != nil {
			e.err = fmt.Errorf("opening %s: %w", l.bucketURL(), redact(e.err))
		}
	})
	return e.svc, e.err
}

// secretVars are the environment variables whose values never appear in
// an error.
var secretVars = []string{
	"AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN", "AWS_ACCESS_KEY_ID",
	"AZURE_STORAGE_KEY", "AZURE_STORAGE_SAS_TOKEN", "AZURE_STORAGE_CONNECTION_STRING", "AZURE_STORAGEBLOB_CONNECTIONSTRING",
	"AZURE_CLIENT_SECRET", "AZURE_CLIENT_CERTIFICATE_PASSWORD",
	"GOOGLE_OAUTH_ACCESS_TOKEN", "CLOUDSDK_AUTH_ACCESS_TOKEN",
}

// redactedError is an error whose text has the credentials taken out; it
// unwraps to the original.
type redactedError struct {
	msg string
	err error
}

func (e *redactedError) Error() string { return e.msg }
func (e *redactedError) Unwrap() error { return e.err }

// redact returns err with the values of the credential variables and the
// user:password parts of URLs taken out of its text.
func redact(err error) error {
	if err == nil {
		return nil
	}
	msg := redactText(err.Error())
	if msg == err.Error() {
		return err
	}
	return &redactedError{msg: msg, err: err}
}

func redactText(msg string) string {
	for _, v := range secretVars {
		if val := os.Getenv(v); len(val) >= 4 {
			msg = strings.ReplaceAll(msg, val, "[redacted]")
		}
	}
	return redactURL(msg)
}

// redactURL removes user:password@ from the URLs in s.
func redactURL(s string) string {
	for i := 0; ; {
		j := strings.Index(s[i:], "://")
		if j < 0 {
			return s
		}
		start := i + j + 3
		end := start
		for end < len(s) && !strings.ContainsRune("/ \t\n\"'", rune(s[end])) {
			end++
		}
		if at := strings.LastIndexByte(s[start:end], '@'); at >= 0 {
			s = s[:start] + "[redacted]@" + s[start+at+1:]
			end = start + len("[redacted]@") + (end - start - at - 1)
		}
		i = end
	}
}

// errContext says whether err is the Store's context ending.
func (s *Store) canceled(err error) bool {
	return s.ctx.Err() != nil && (errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded))
}

var _ importer.Remote = (*Store)(nil)
