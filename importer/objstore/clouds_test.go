package objstore_test

import (
	"encoding/json"
	"encoding/xml"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"sort"
	"strconv"
	"strings"
	"sync"
	"testing"

	"github.com/groupimport/groupimport/importer"
)

// fakeObjects is a bucket of a fake cloud: objects with a version each.
type fakeObjects struct {
	mu      sync.Mutex
	objs    map[string][]byte
	version map[string]int64
	gets    []string // the Range of each media GET
	bytes   int64
}

func newFakeObjects() *fakeObjects {
	return &fakeObjects{objs: map[string][]byte{}, version: map[string]int64{}}
}

func (f *fakeObjects) put(key string, data []byte) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.objs[key] = data
	f.version[key]++
}

// page lists the keys under prefix after the token (a key), n at most.
func (f *fakeObjects) page(prefix, token string, n int) (keys []string, next string) {
	f.mu.Lock()
	defer f.mu.Unlock()
	var all []string
	for k := range f.objs {
		if strings.HasPrefix(k, prefix) && k > token {
			all = append(all, k)
		}
	}
	sort.Strings(all)
	if len(all) > n {
		return all[:n], all[n-1]
	}
	return all, ""
}

// serveRange writes data[a:b+1] for a "bytes=a-b" or "bytes=a-" range.
func (f *fakeObjects) serveRange(w http.ResponseWriter, data []byte, rng string) {
	f.mu.Lock()
	f.gets = append(f.gets, rng)
	f.mu.Unlock()
	if rng == "" {
		w.Header().Set("Content-Length", strconv.Itoa(len(data)))
		w.WriteHeader(http.StatusOK)
		w.Write(data)
		f.mu.Lock()
		f.bytes += int64(len(data))
		f.mu.Unlock()
		return
	}
	var a, b int
	if _, err := fmt.Sscanf(rng, "bytes=%d-%d", &a, &b); err != nil {
		fmt.Sscanf(rng, "bytes=%d-", &a)
		b = len(data) - 1
	}
	b = min(b, len(data)-1)
	w.Header().Set("Content-Range", fmt.Sprintf("bytes %d-%d/%d", a, b, len(data)))
	w.Header().Set("Content-Length", strconv.Itoa(b-a+1))
	w.WriteHeader(http.StatusPartialContent)
	w.Write(data[a : b+1])
	f.mu.Lock()
	f.bytes += int64(b - a + 1)
	f.mu.Unlock()
}

// fakeGCS serves the GCS JSON API calls objstore makes.
func fakeGCS(t *testing.T, bucket string, f *fakeObjects) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		base := "/storage/v1/b/" + bucket + "/o"
		switch {
		case !strings.HasPrefix(r.URL.Path, "/storage/v1/b/"+bucket+"/"):
			w.WriteHeader(http.StatusNotFound)
			fmt.Fprint(w, `{"error":{"code":404,"message":"The specified bucket does not exist.","errors":[{"reason":"notFound"}]}}`)
		case r.URL.Path == base:
			n, _ := strconv.Atoi(r.URL.Query().Get("maxResults"))
			keys, next := f.page(r.URL.Query().Get("prefix"), r.URL.Query().Get("pageToken"), n)
			var items []map[string]string
			for _, k := range keys {
				f.mu.Lock()
				items = append(items, map[string]string{"name": k, "size": strconv.Itoa(len(f.objs[k])), "generation": strconv.FormatInt(f.version[k], 10)})
				f.mu.Unlock()
			}
			json.NewEncoder(w).Encode(map[string]any{"items": items, "nextPageToken": next})
		default:
			key := strings.TrimPrefix(r.URL.Path, base+"/")
			f.mu.Lock()
			data, ok := f.objs[key]
			gen := f.version[key]
			f.mu.Unlock()
			if !ok {
				w.WriteHeader(http.StatusNotFound)
				fmt.Fprint(w, `{"error":{"code":404,"message":"No such object","errors":[{"reason":"notFound"}]}}`)
				return
			}
			if m := r.URL.Query().Get("ifGenerationMatch"); m != "" && m != strconv.FormatInt(gen, 10) {
				w.WriteHeader(http.StatusPreconditionFailed)
				fmt.Fprint(w, `{"error":{"code":412,"message":"precondition","errors":[{"reason":"conditionNotMet"}]}}`)
				return
			}
			w.Header().Set("X-Goog-Generation", strconv.FormatInt(gen, 10))
			if r.URL.Query().Get("alt") != "media" {
				json.NewEncoder(w).Encode(map[string]string{"name": key, "size": strconv.Itoa(len(data)), "generation": strconv.FormatInt(gen, 10)})
				return
			}
			f.serveRange(w, data, r.Header.Get("Range"))
		}
	}))
	t.Cleanup(srv.Close)
	t.Setenv("STORAGE_EMULATOR_HOST", strings.TrimPrefix(srv.URL, "http://"))
}

// fakeAzure serves the Blob service calls objstore makes (an emulator's
// address: http://127.0.0.1:PORT/ACCOUNT/CONTAINER).
func fakeAzure(t *testing.T, container string, f *fakeObjects) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		base := "/acct/" + container
		etag := func(k string) string { return fmt.Sprintf(`"0x%d"`, f.version[k]) } // with f.mu held
		switch {
		case !strings.HasPrefix(r.URL.Path, base):
			w.Header().Set("x-ms-error-code", "ContainerNotFound")
			w.WriteHeader(http.StatusNotFound)
		case r.URL.Path == base && r.URL.Query().Get("comp") == "list":
			n, _ := strconv.Atoi(r.URL.Query().Get("maxresults"))
			keys, next := f.page(r.URL.Query().Get("prefix"), r.URL.Query().Get("marker"), n)
			type props struct {
				Length int    `xml:"Content-Length"`
				ETag   string `xml:"Etag"`
			}
			type item struct {
				Name       string
				Properties props
			}
			var doc struct {
				XMLName    xml.Name `xml:"EnumerationResults"`
				Blobs      []item   `xml:"Blobs>Blob"`
				NextMarker string
			}
			f.mu.Lock()
			for _, k := range keys {
				doc.Blobs = append(doc.Blobs, item{Name: k, Properties: props{Length: len(f.objs[k]), ETag: etag(k)}})
			}
			f.mu.Unlock()
			doc.NextMarker = next
			w.Header().Set("Content-Type", "application/xml")
			xml.NewEncoder(w).Encode(doc)
		default:
			key := strings.TrimPrefix(r.URL.Path, base+"/")
			f.mu.Lock()
			data, ok := f.objs[key]
			tag := etag(key)
			f.mu.Unlock()
			if !ok {
				w.Header().Set("x-ms-error-code", "BlobNotFound")
				w.WriteHeader(http.StatusNotFound)
				return
			}
			if m := r.Header.Get("If-Match"); m != "" && m != tag {
				w.Header().Set("x-ms-error-code", "ConditionNotMet")
				w.WriteHeader(http.StatusPreconditionFailed)
				return
			}
			w.Header().Set("ETag", tag)
			w.Header().Set("Last-Modified", "Mon, 01 Jan 2024 00:00:00 GMT")
			if r.Method == http.MethodHead {
				w.Header().Set("Content-Length", strconv.Itoa(len(data)))
				return
			}
			f.serveRange(w, data, r.Header.Get("x-ms-range"))
		}
	}))
	t.Cleanup(srv.Close)
	t.Setenv("AZURE_STORAGE_ACCOUNT", "acct")
	t.Setenv("AZURE_STORAGE_KEY", "a2V5LWZvci10ZXN0cy1vbmx5")
	t.Setenv("AZURE_STORAGE_DOMAIN", strings.TrimPrefix(srv.URL, "http://"))
	t.Setenv("AZURE_STORAGE_PROTOCOL", "http")
}

// GCS and Azure: a folder over several listing pages, in natural order
// with the markers left out; CSV streamed; Parquet by ranges; an object
// replaced while read is refused by its version; a missing bucket.
func TestGCSAndAzure(t *testing.T) {
	for _, cloud := range []struct {
		scheme string
		serve  func(*testing.T, string, *fakeObjects)
	}{{"gs", fakeGCS}, {"azblob", fakeAzure}} {
		t.Run(cloud.scheme, func(t *testing.T) {
			f := newFakeObjects()
			cloud.serve(t, "exports", f)
			for i := 0; i < 25; i++ {
				f.put(fmt.Sprintf("companies/part-%d.csv", i), csvRows(fmt.Sprintf("p%d-", i), 3))
			}
			f.put("companies/_SUCCESS", nil)
			pq := wideParquet(t, 30, 20000, 5000)
			f.put("wide/part-0.parquet", pq)
			s := newStore(t)
			s2 := objstoreWithPageSize(t, 10)
			in, err := importer.ExpandWith([]string{cloud.scheme + "://exports/companies/"}, s2)
			if err != nil {
				t.Fatal(err)
			}
			if len(in.Files) != 25 || in.Files[2] != cloud.scheme+"://exports/companies/part-2.csv" || len(in.Ignored) != 1 {
				t.Fatalf("files %q, ignored %v", in.Files, in.Ignored)
			}
			firsts, _, err := readAll(t, in.Files[24], importer.Options{Remote: s2})
			if err != nil || strings.Join(firsts, ",") != "p24-0,p24-1,p24-2" {
				t.Fatalf("rows %q, %v", firsts, err)
			}
			f.mu.Lock()
			f.gets, f.bytes = nil, 0
			f.mu.Unlock()
			firsts, _, err = readAll(t, cloud.scheme+"://exports/wide/part-0.parquet", importer.Options{Remote: s, Columns: []string{"c03"}})
			if err != nil || len(firsts) != 20000 {
				t.Fatalf("%d rows, %v", len(firsts), err)
			}
			f.mu.Lock()
			gets, got := f.gets, f.bytes
			f.mu.Unlock()
			for _, g := range gets {
				if g == "" {
					t.Errorf("a GET of the whole Parquet object")
				}
			}
			if got > int64(len(pq))/4 {
				t.Errorf("read %d of %d bytes for 1 column of 30", got, len(pq))
			}
			obj, err := s.Open(cloud.scheme + "://exports/companies/part-3.csv")
			if err != nil {
				t.Fatal(err)
			}
			f.put("companies/part-3.csv", csvRows("new", 3))
			_, err = obj.ReadAt(make([]byte, 10), 0)
			if !errors.Is(err, importer.ErrChanged) {
				t.Errorf("a replaced object: %v, want ErrChanged", err)
			}
			obj.Close()
			if _, err := importer.ExpandWith([]string{cloud.scheme + "://nosuch/x/"}, s); err == nil || !strings.Contains(err.Error(), `bucket "nosuch" does not exist`) {
				t.Errorf("missing bucket: %v", err)
			}
		})
	}
}
