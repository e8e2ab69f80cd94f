package fakeapi

import (
	"bytes"
	"compress/gzip"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"
)

const key = "k-123"

func post(t *testing.T, url, authKey string, body []byte, gz, strict bool) (int, string, http.Header) {
	t.Helper()
	if gz {
		var b bytes.Buffer
		w := gzip.NewWriter(&b)
		w.Write(body)
		w.Close()
		body = b.Bytes()
	}
	req, _ := http.NewRequest(http.MethodPost, url, bytes.NewReader(body))
	req.SetBasicAuth(authKey, "")
	req.Header.Set("Content-Type", "application/json")
	if gz {
		req.Header.Set("Content-Encoding", "gzip")
	}
	if strict {
		req.Header.Set("X-Strict-Mode", "1")
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return 0, err.Error(), nil
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b), resp.Header
}

func batch(ids ...string) []byte {
	var parts []string
	for _, id := range ids {
		parts = append(parts, fmt.Sprintf(`{"type":"group","groupId":"g","messageId":%q,"sentAt":"2024-06-01T00:00:00.000Z"}`, id))
	}
	return []byte(`{"batch":[` + strings.Join(parts, ",") + `]}`)
}

func TestContract(t *testing.T) {
	s := New(Options{Key: key, Validate: func(m json.RawMessage) error {
		if bytes.Contains(m, []byte(`"bad"`)) {
			return errors.New("bad message")
		}
		return nil
	}})
	defer s.Close()

	if code, _, _ := post(t, s.URL(), "wrong", batch("a"), true, true); code != 401 {
		t.Errorf("wrong key: %d", code)
	}
	if code, body, _ := post(t, s.URL(), key, batch("a", "b"), true, true); code != 200 {
		t.Errorf("good batch: %d %s", code, body)
	}
	code, body, _ := post(t, s.URL(), key, batch("c", "bad"), false, true)
	if code != 400 || !strings.Contains(body, `{"meta":{"errors":["batch[1]: bad message"]}}`) {
		t.Errorf("strict invalid: %d %s", code, body)
	}
	if code, _, _ := post(t, s.URL(), key, batch("d", "bad"), false, false); code != 200 {
		t.Errorf("permissive invalid: %d", code)
	}
	big := batch("e")
	big = bytes.Replace(big, []byte(`"g"`), []byte(`"`+strings.Repeat("x", 33000)+`"`), 1)
	if code, body, _ := post(t, s.URL(), key, big, true, true); code != 400 || !strings.Contains(body, "exceeds 32000") {
		t.Errorf("oversize message: %d %s", code, body)
	}
	if code, _, _ := post(t, s.URL(), key, []byte(`{"batch":`), false, true); code != 400 {
		t.Errorf("malformed: %d", code)
	}
	got := s.Messages()
	if len(got) != 3 || got["a"] == nil || got["b"] == nil || got["d"] == nil {
		t.Errorf("stored %v", got)
	}
	v := s.Violations()
	if len(v) != 2 || !strings.Contains(v[0], "over 32000") || !strings.Contains(v[1], "malformed") {
		t.Errorf("violations %q", v)
	}
	reqs := s.Requests()
	if len(reqs) != 6 || !reqs[1].Gzip || reqs[2].Gzip || !reqs[1].Auth || reqs[0].Auth || reqs[1].SentAt[0] != "2024-06-01T00:00:00.000Z" {
		t.Errorf("requests %+v", reqs)
	}
}

func TestFaults(t *testing.T) {
	s := New(Options{Key: key, Script: []Fault{
		{Kind: TooManyRequests, RetryAfter: "3", RateLimitReset: "4"},
		{Kind: Unavailable},
		{Kind: UnavailableAfterStore},
		{Kind: Drop},
		{Kind: DropAfterStore},
		{Kind: Slow, Delay: 50 * time.Millisecond},
		{Kind: ServerError},
		{Kind: NotTheAPI},
		{Kind: NotTheAPI, Body: "garbage", ContentType: "text/plain"},
	}})
	defer s.Close()
	code, _, h := post(t, s.URL(), key, batch("a"), true, true)
	if code != 429 || h.Get("Retry-After") != "3" || h.Get("X-RateLimit-Reset") != "4" {
		t.Errorf("429: %d %v", code, h)
	}
	for i, want := range []int{503, 503, 0, 0, 200, 500, 200, 200, 200} {
		start := time.Now()
		code, body, h := post(t, s.URL(), key, batch(fmt.Sprint("m", i)), true, true)
		if code != want {
			t.Errorf("request %d: %d, want %d", i+2, code, want)
		}
		switch i {
		case 4, 8:
			if body != "{}" || h.Get("Content-Type") != "application/json" {
				t.Errorf("request %d: a good answer is {} as JSON, not %q (%s)", i+2, body, h.Get("Content-Type"))
			}
		case 6:
			if body != LoginPage || !strings.HasPrefix(h.Get("Content-Type"), "text/html") {
				t.Errorf("200 not the API: %q %s", body, h.Get("Content-Type"))
			}
		case 7:
			if body != "garbage" || h.Get("Content-Type") != "text/plain" {
				t.Errorf("200 not the API, own body: %q %s", body, h.Get("Content-Type"))
			}
		}
		if i == 4 && time.Since(start) < 50*time.Millisecond {
			t.Error("slow answer was fast")
		}
	}
	// Stored: after-store 503 (m1), after-store drop (m3), slow (m4), last
	// (m8); not the answers that are not the API's (m6, m7).
	got := s.Messages()
	for _, id := range []string{"m1", "m3", "m4", "m8"} {
		if got[id] == nil {
			t.Errorf("%s not stored", id)
		}
	}
	if len(got) != 4 || len(s.Received()) != 4 {
		t.Errorf("stored %d / %d", len(got), len(s.Received()))
	}

	c := New(Options{Key: key, Chaos: Chaos{Seed: 1, ServerError: 0.5}})
	defer c.Close()
	n500 := 0
	for i := 0; i < 200; i++ {
		if code, _, _ := post(t, c.URL(), key, batch("x"), false, true); code == 500 {
			n500++
		}
	}
	if n500 < 70 || n500 > 130 {
		t.Errorf("%d of 200 answered 500 with probability 0.5", n500)
	}
}
