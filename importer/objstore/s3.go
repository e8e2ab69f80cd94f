package objstore

import (
	"context"
	"fmt"
	"io"
	"os"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/config"
	"github.com/aws/aws-sdk-go-v2/service/s3"
)

// s3Endpoint is the endpoint of an S3-compatible service the environment
// names (AWS_ENDPOINT_URL_S3, then AWS_ENDPOINT_URL), or "".
func s3Endpoint() string {
	if e := os.Getenv("AWS_ENDPOINT_URL_S3"); e != "" {
		return e
	}
	return os.Getenv("AWS_ENDPOINT_URL")
}

// openS3 opens an S3 bucket with the SDK's default credential chain
// (environment, shared config and profile, SSO, web identity, container
// and instance roles). An endpoint from the environment is addressed
// path-style, as MinIO, LocalStack and Ceph need. The SDK does not retry:
// the Store's retries count and bound every attempt.
func openS3(ctx context.Context, bucket string) (service, error) {
	cfg, err := config.LoadDefaultConfig(ctx)
	if err != nil {
		return nil, err
	}
	if cfg.Region == "" {
		cfg.Region = "us-east-1" // the SDK needs one; S3 names the bucket's own in its error when it differs
	}
	endpoint := s3Endpoint()
	client := s3.NewFromConfig(cfg, func(o *s3.Options) {
		if endpoint != "" {
			o.BaseEndpoint = aws.String(endpoint)
			o.UsePathStyle = true
		}
		o.RetryMaxAttempts = 1
		o.RequestChecksumCalculation = aws.RequestChecksumCalculationWhenRequired
		o.ResponseChecksumValidation = aws.ResponseChecksumValidationWhenRequired
	})
	return &s3Service{c: client, bucket: bucket}, nil
}

type s3Service struct {
	c      *s3.Client
	bucket string
}

func (s *s3Service) list(ctx context.Context, prefix, token string, pageSize int) ([]entry, string, error) {
	in := &s3.ListObjectsV2Input{Bucket: &s.bucket, Prefix: aws.String(prefix), MaxKeys: aws.Int32(int32(pageSize))}
	if token != "" {
		in.ContinuationToken = aws.String(token)
	}
	out, err := s.c.ListObjectsV2(ctx, in)
	if err != nil {
		return nil, "", err
	}
	objs := make([]entry, 0, len(out.Contents))
	for _, o := range out.Contents {
		objs = append(objs, entry{key: aws.ToString(o.Key), size: aws.ToInt64(o.Size), v: version{etag: aws.ToString(o.ETag)}})
	}
	next := ""
	if aws.ToBool(out.IsTruncated) {
		next = aws.ToString(out.NextContinuationToken)
	}
	return objs, next, nil
}

func (s *s3Service) head(ctx context.Context, key string) (entry, error) {
	out, err := s.c.HeadObject(ctx, &s3.HeadObjectInput{Bucket: &s.bucket, Key: &key})
	if err != nil {
		return entry{}, err
	}
	return entry{key: key, size: aws.ToInt64(out.ContentLength), v: version{etag: aws.ToString(out.ETag)}}, nil
}

func (s *s3Service) get(ctx context.Context, key string, off, n int64, v version) (io.ReadCloser, version, error) {
	in := &s3.GetObjectInput{Bucket: &s.bucket, Key: &key}
	switch {
	case n >= 0:
		in.Range = aws.String(fmt.Sprintf("bytes=%d-%d", off, off+max(n, 1)-1))
	case off > 0:
		in.Range = aws.String(fmt.Sprintf("bytes=%d-", off))
	}
	if v.etag != "" {
		in.IfMatch = aws.String(v.etag)
	}
	out, err := s.c.GetObject(ctx, in)
	if err != nil {
		return nil, version{}, err
	}
	return out.Body, version{etag: aws.ToString(out.ETag)}, nil
}
