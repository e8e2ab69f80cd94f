package objstore

import (
	"context"
	"os"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/config"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"gocloud.dev/blob"
	"gocloud.dev/blob/s3blob"
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
func openS3(ctx context.Context, bucket string) (*blob.Bucket, error) {
	cfg, err := config.LoadDefaultConfig(ctx)
	if err != nil {
		return nil, err
	}
	if cfg.Region == "" {
		cfg.Region = "us-east-1" // the SDK needs one; S3 answers with the bucket's own when it differs
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
	return s3blob.OpenBucket(ctx, client, bucket, &s3blob.Options{RequestChecksumCalculation: aws.RequestChecksumCalculationWhenRequired})
}
