package objstore

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os"
	"strconv"
	"strings"
	"time"

	"gocloud.dev/blob"
	"gocloud.dev/blob/driver"
	"gocloud.dev/gcerrors"
	"golang.org/x/oauth2/google"
)

// GCS is read through its JSON API with a gocloud.dev/blob driver of our
// own: gocloud's gcsblob links cloud.google.com/go/storage, whose gRPC
// transport brings xDS, Envoy's protobufs and Cloud Monitoring — about 200
// packages and 20 MB of memory at start in every run, local ones too — for
// the three calls an import makes: list, get metadata, get a range.
// Credentials come from Application Default Credentials
// (GOOGLE_APPLICATION_CREDENTIALS, gcloud's, the metadata server of GCE,
// GKE workload identity, workload identity federation);
// STORAGE_EMULATOR_HOST points it at an emulator, unauthenticated.

const gcsScope = "https://www.googleapis.com/auth/devstorage.read_only"

// openGCS opens a GCS bucket.
func openGCS(ctx context.Context, bucket string) (*blob.Bucket, error) {
	b := &gcsBucket{name: bucket, base: "https://storage.googleapis.com"}
	if host := os.Getenv("STORAGE_EMULATOR_HOST"); host != "" {
		b.base = strings.TrimSuffix(host, "/")
		if !strings.Contains(b.base, "://") {
			b.base = "http://" + b.base
		}
		b.client = http.DefaultClient
	} else {
		c, err := google.DefaultClient(ctx, gcsScope)
		if err != nil {
			return nil, fmt.Errorf("Google credentials (Application Default Credentials): %w", err)
		}
		b.client = c
	}
	return blob.NewBucket(b), nil
}

// gcsBucket is a read-only driver.Bucket over the GCS JSON API.
type gcsBucket struct {
	name   string
	base   string
	client *http.Client
}

// gcsError is an error answer of GCS.
type gcsError struct {
	Status  int
	Reason  string
	Message string
}

func (e *gcsError) Error() string {
	return fmt.Sprintf("GCS answered HTTP %d %s: %s", e.Status, e.Reason, e.Message)
}

// HTTPStatusCode is the answer's status (see statusOf).
func (e *gcsError) HTTPStatusCode() int { return e.Status }

// gcsGeneration is what As gives of an object's version: from Attributes
// and from a Reader.
type gcsGeneration struct{ Generation int64 }

// gcsConditions is what BeforeRead's As gives: set IfGenerationMatch to
// read only that version.
type gcsConditions struct{ IfGenerationMatch int64 }

func (b *gcsBucket) objectURL(key string) string {
	return b.base + "/storage/v1/b/" + url.PathEscape(b.name) + "/o/" + url.PathEscape(key)
}

// get sends a GET and decodes an error answer.
func (b *gcsBucket) get(ctx context.Context, u string, header http.Header) (*http.Response, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, u, nil)
	if err != nil {
		return nil, err
	}
	for k, v := range header {
		req.Header[k] = v
	}
	resp, err := b.client.Do(req)
	if err != nil {
		return nil, err
	}
	if resp.StatusCode < 300 {
		return resp, nil
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(io.LimitReader(resp.Body, 64<<10))
	e := &gcsError{Status: resp.StatusCode, Message: strings.TrimSpace(string(body))}
	var doc struct {
		Error struct {
			Message string
			Errors  []struct{ Reason string }
		}
	}
	if json.Unmarshal(body, &doc) == nil && doc.Error.Message != "" {
		e.Message = doc.Error.Message
		if len(doc.Error.Errors) > 0 {
			e.Reason = doc.Error.Errors[0].Reason
		}
	}
	return nil, e
}

// gcsObject is an object's metadata as the JSON API gives it.
type gcsObject struct {
	Name        string
	Size        string
	Updated     time.Time
	Generation  string
	Etag        string
	ContentType string
}

func (o *gcsObject) size() int64 { n, _ := strconv.ParseInt(o.Size, 10, 64); return n }
func (o *gcsObject) gen() int64  { n, _ := strconv.ParseInt(o.Generation, 10, 64); return n }

func (b *gcsBucket) ListPaged(ctx context.Context, opts *driver.ListOptions) (*driver.ListPage, error) {
	q := url.Values{"prefix": {opts.Prefix}, "fields": {"items(name,size,updated,generation,etag),nextPageToken"}}
	if opts.PageSize > 0 {
		q.Set("maxResults", strconv.Itoa(opts.PageSize))
	}
	if len(opts.PageToken) > 0 {
		q.Set("pageToken", string(opts.PageToken))
	}
	resp, err := b.get(ctx, b.base+"/storage/v1/b/"+url.PathEscape(b.name)+"/o?"+q.Encode(), nil)
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	var doc struct {
		Items         []gcsObject
		NextPageToken string
	}
	if err := json.NewDecoder(resp.Body).Decode(&doc); err != nil {
		return nil, fmt.Errorf("a listing that does not decode: %w", err)
	}
	page := &driver.ListPage{NextPageToken: []byte(doc.NextPageToken)}
	for i := range doc.Items {
		it := doc.Items[i]
		page.Objects = append(page.Objects, &driver.ListObject{Key: it.Name, ModTime: it.Updated, Size: it.size(),
			AsFunc: func(x any) bool {
				p, ok := x.(*gcsGeneration)
				if ok {
					p.Generation = it.gen()
				}
				return ok
			}})
	}
	return page, nil
}

func (b *gcsBucket) Attributes(ctx context.Context, key string) (*driver.Attributes, error) {
	resp, err := b.get(ctx, b.objectURL(key)+"?fields=name,size,updated,generation,etag,contentType", nil)
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	var o gcsObject
	if err := json.NewDecoder(resp.Body).Decode(&o); err != nil {
		return nil, fmt.Errorf("metadata that does not decode: %w", err)
	}
	return &driver.Attributes{Size: o.size(), ModTime: o.Updated, ETag: o.Etag, ContentType: o.ContentType,
		AsFunc: func(x any) bool {
			p, ok := x.(*gcsGeneration)
			if ok {
				p.Generation = o.gen()
			}
			return ok
		}}, nil
}

func (b *gcsBucket) NewRangeReader(ctx context.Context, key string, offset, length int64, opts *driver.ReaderOptions) (driver.Reader, error) {
	var cond gcsConditions
	if opts != nil && opts.BeforeRead != nil {
		if err := opts.BeforeRead(func(x any) bool {
			p, ok := x.(**gcsConditions)
			if ok {
				*p = &cond
			}
			return ok
		}); err != nil {
			return nil, err
		}
	}
	q := url.Values{"alt": {"media"}}
	if cond.IfGenerationMatch != 0 {
		q.Set("ifGenerationMatch", strconv.FormatInt(cond.IfGenerationMatch, 10))
	}
	h := http.Header{}
	switch {
	case length == 0:
		length = 1 // no empty range: read one byte, hand none
		fallthrough
	case length > 0:
		h.Set("Range", fmt.Sprintf("bytes=%d-%d", offset, offset+length-1))
	case offset > 0:
		h.Set("Range", fmt.Sprintf("bytes=%d-", offset))
	}
	resp, err := b.get(ctx, b.objectURL(key)+"?"+q.Encode(), h)
	if err != nil {
		return nil, err
	}
	gen, _ := strconv.ParseInt(resp.Header.Get("X-Goog-Generation"), 10, 64)
	return &gcsReader{body: resp.Body, gen: gen, attrs: driver.ReaderAttributes{ContentType: resp.Header.Get("Content-Type"),
		Size: resp.ContentLength}}, nil
}

type gcsReader struct {
	body  io.ReadCloser
	gen   int64
	attrs driver.ReaderAttributes
}

func (r *gcsReader) Read(p []byte) (int, error)           { return r.body.Read(p) }
func (r *gcsReader) Close() error                         { return r.body.Close() }
func (r *gcsReader) Attributes() *driver.ReaderAttributes { return &r.attrs }
func (r *gcsReader) As(x any) bool {
	p, ok := x.(*gcsGeneration)
	if ok {
		p.Generation = r.gen
	}
	return ok
}

func (b *gcsBucket) ErrorCode(err error) gcerrors.ErrorCode {
	if e, ok := err.(*gcsError); ok {
		switch e.Status {
		case http.StatusNotFound:
			return gcerrors.NotFound
		case http.StatusUnauthorized, http.StatusForbidden:
			return gcerrors.PermissionDenied
		case http.StatusPreconditionFailed:
			return gcerrors.FailedPrecondition
		}
	}
	return gcerrors.Unknown
}

func (b *gcsBucket) As(any) bool { return false }

func (b *gcsBucket) ErrorAs(err error, x any) bool {
	p, ok := x.(**gcsError)
	if e, isGCS := err.(*gcsError); ok && isGCS {
		*p = e
		return true
	}
	return false
}

var errReadOnly = errors.New("this tool only reads objects")

func (b *gcsBucket) NewTypedWriter(context.Context, string, string, *driver.WriterOptions) (driver.Writer, error) {
	return nil, errReadOnly
}
func (b *gcsBucket) Copy(context.Context, string, string, *driver.CopyOptions) error {
	return errReadOnly
}
func (b *gcsBucket) Delete(context.Context, string, *driver.DeleteOptions) error { return errReadOnly }
func (b *gcsBucket) SignedURL(context.Context, string, *driver.SignedURLOptions) (string, error) {
	return "", errReadOnly
}
func (b *gcsBucket) Close() error { return nil }
