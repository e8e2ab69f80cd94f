package objstore

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os"
	"strconv"
	"strings"

	"golang.org/x/oauth2/google"
)

// GCS is read through its JSON API: the Go client library
// (cloud.google.com/go/storage) links its gRPC transport, which brings
// xDS, Envoy's protobufs and Cloud Monitoring — about 200 packages and
// 14 MB of memory at start in every run, local ones too — for the three
// calls an import makes: list, get metadata, get a range.
// Credentials come from Application Default Credentials
// (GOOGLE_APPLICATION_CREDENTIALS, gcloud's, the metadata server of GCE,
// GKE workload identity, workload identity federation);
// STORAGE_EMULATOR_HOST points it at an emulator, unauthenticated.

const gcsScope = "https://www.googleapis.com/auth/devstorage.read_only"

// openGCS opens a GCS bucket.
func openGCS(ctx context.Context, bucket string) (service, error) {
	b := &gcsService{name: bucket, base: "https://storage.googleapis.com"}
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
	return b, nil
}

// gcsService is a bucket over the GCS JSON API.
type gcsService struct {
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
	msg := fmt.Sprintf("GCS answered HTTP %d", e.Status)
	if e.Reason != "" {
		msg += " " + e.Reason
	}
	return msg + ": " + e.Message
}

// HTTPStatusCode is the answer's status (see statusOf).
func (e *gcsError) HTTPStatusCode() int { return e.Status }

func (b *gcsService) objectURL(key string) string {
	return b.base + "/storage/v1/b/" + url.PathEscape(b.name) + "/o/" + url.PathEscape(key)
}

// getURL sends a GET and decodes an error answer.
func (b *gcsService) getURL(ctx context.Context, u string, header http.Header) (*http.Response, error) {
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
	Name       string
	Size       string
	Generation string
}

func (o *gcsObject) entry() entry {
	size, _ := strconv.ParseInt(o.Size, 10, 64)
	gen, _ := strconv.ParseInt(o.Generation, 10, 64)
	return entry{key: o.Name, size: size, v: version{gen: gen}}
}

func (b *gcsService) list(ctx context.Context, prefix, token string, pageSize int) ([]entry, string, error) {
	q := url.Values{"prefix": {prefix}, "fields": {"items(name,size,generation),nextPageToken"}, "maxResults": {strconv.Itoa(pageSize)}}
	if token != "" {
		q.Set("pageToken", token)
	}
	resp, err := b.getURL(ctx, b.base+"/storage/v1/b/"+url.PathEscape(b.name)+"/o?"+q.Encode(), nil)
	if err != nil {
		return nil, "", err
	}
	defer resp.Body.Close()
	var doc struct {
		Items         []gcsObject
		NextPageToken string
	}
	if err := json.NewDecoder(resp.Body).Decode(&doc); err != nil {
		return nil, "", fmt.Errorf("a listing that does not decode: %w", err)
	}
	objs := make([]entry, 0, len(doc.Items))
	for i := range doc.Items {
		objs = append(objs, doc.Items[i].entry())
	}
	return objs, doc.NextPageToken, nil
}

func (b *gcsService) head(ctx context.Context, key string) (entry, error) {
	resp, err := b.getURL(ctx, b.objectURL(key)+"?fields=name,size,generation", nil)
	if err != nil {
		return entry{}, err
	}
	defer resp.Body.Close()
	var o gcsObject
	if err := json.NewDecoder(resp.Body).Decode(&o); err != nil {
		return entry{}, fmt.Errorf("metadata that does not decode: %w", err)
	}
	return o.entry(), nil
}

func (b *gcsService) get(ctx context.Context, key string, off, n int64, v version) (io.ReadCloser, version, error) {
	q := url.Values{"alt": {"media"}}
	if v.gen != 0 {
		q.Set("ifGenerationMatch", strconv.FormatInt(v.gen, 10))
	}
	h := http.Header{}
	switch {
	case n >= 0:
		h.Set("Range", fmt.Sprintf("bytes=%d-%d", off, off+max(n, 1)-1))
	case off > 0:
		h.Set("Range", fmt.Sprintf("bytes=%d-", off))
	}
	resp, err := b.getURL(ctx, b.objectURL(key)+"?"+q.Encode(), h)
	if err != nil {
		return nil, version{}, err
	}
	gen, _ := strconv.ParseInt(resp.Header.Get("X-Goog-Generation"), 10, 64)
	return resp.Body, version{gen: gen}, nil
}
