package sink

import (
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"
)

// BenchmarkHTTPSink sends 50,000 payloads of about 850 bytes to an
// in-process receiver that reads and discards each body (no decompression:
// the receiver's share stays small). For the comparison with the official
// client, with the receiver in its own process, see bench/httpbench.
func BenchmarkHTTPSink(b *testing.B) {
	for _, gz := range []bool{true, false} {
		name := "gzip"
		if !gz {
			name = "plain"
		}
		b.Run(name, func(b *testing.B) {
			srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				_, _ = io.Copy(io.Discard, r.Body)
				_, _ = io.WriteString(w, `{}`)
			}))
			defer srv.Close()
			ps := payloads(50000, 650)
			cs := chunks(ps, 4096)
			b.SetBytes(int64(len(ps)) * 850)
			b.ResetTimer()
			start := time.Now()
			for i := 0; i < b.N; i++ {
				s, err := NewHTTPSink(HTTPOptions{Endpoint: srv.URL + "/v1/batch", APIKey: "k", DisableGzip: !gz})
				if err != nil {
					b.Fatal(err)
				}
				for _, c := range cs {
					if err := s.Write(context.Background(), c); err != nil {
						b.Fatal(err)
					}
				}
				if err := s.Close(context.Background()); err != nil {
					b.Fatal(err)
				}
			}
			b.ReportMetric(float64(len(ps)*b.N)/time.Since(start).Seconds(), "msgs/s")
		})
	}
}
