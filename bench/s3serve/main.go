// Command s3serve serves files from an S3-compatible store on loopback
// (gofakes3, in memory), for benchmarks of object storage input:
//
//	go run ./bench/s3serve -bucket bench -addr 127.0.0.1:9310 data/c1m.csv.gz data/c1m.parquet
//
// Each file becomes the object KEY-PREFIX/BASENAME; the server runs until
// it is killed. Point the command at it with AWS_ENDPOINT_URL_S3 and any
// AWS_ACCESS_KEY_ID / AWS_SECRET_ACCESS_KEY.
package main

import (
	"bytes"
	"flag"
	"fmt"
	"log"
	"net"
	"net/http"
	"os"
	"path/filepath"

	"github.com/johannesboyne/gofakes3"
	"github.com/johannesboyne/gofakes3/backend/s3mem"
)

func main() {
	bucket := flag.String("bucket", "bench", "bucket name")
	prefix := flag.String("prefix", "", "key prefix (e.g. exports/)")
	addr := flag.String("addr", "127.0.0.1:9310", "loopback address to listen on")
	flag.Parse()
	backend := s3mem.New()
	if err := backend.CreateBucket(*bucket); err != nil {
		log.Fatal(err)
	}
	for _, f := range flag.Args() {
		data, err := os.ReadFile(f)
		if err != nil {
			log.Fatal(err)
		}
		key := *prefix + filepath.Base(f)
		if _, err := backend.PutObject(*bucket, key, map[string]string{}, bytes.NewReader(data), int64(len(data)), nil); err != nil {
			log.Fatal(err)
		}
	}
	host, _, err := net.SplitHostPort(*addr)
	if err != nil || !net.ParseIP(host).IsLoopback() {
		log.Fatalf("-addr %s: serve on a loopback address only", *addr)
	}
	ln, err := net.Listen("tcp", *addr)
	if err != nil {
		log.Fatal(err)
	}
	fmt.Printf("http://%s\n", ln.Addr())
	srv := gofakes3.New(backend, gofakes3.WithLogger(gofakes3.DiscardLog()))
	log.Fatal(http.Serve(ln, srv.Server()))
}
