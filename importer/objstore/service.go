package objstore

import (
	"context"
	"errors"
	"io"

	"github.com/Azure/azure-sdk-for-go/sdk/azcore"
	"github.com/aws/smithy-go"
)

// service is one bucket (an S3 or GCS bucket, an Azure container): the
// three calls an import makes, over each vendor's SDK or API.
type service interface {
	// list returns a page of up to pageSize objects whose keys start with
	// prefix, in key order, from token ("" for the first page), and the
	// token of the next page ("" after the last).
	list(ctx context.Context, prefix, token string, pageSize int) (objs []entry, next string, err error)
	// head returns an object's size and version.
	head(ctx context.Context, key string) (entry, error)
	// get reads n bytes of the object from off (n < 0: to its end), only
	// from version v when v is known (If-Match, ifGenerationMatch: a
	// replaced object is an error with status 412), and says which version
	// answered (zero when the service does not say).
	get(ctx context.Context, key string, off, n int64, v version) (io.ReadCloser, version, error)
}

// entry is an object as a listing or a HEAD gives it.
type entry struct {
	key  string
	size int64
	v    version
}

// version identifies an object's content: S3's and Azure's ETag, GCS's
// generation.
type version struct {
	etag string
	gen  int64
}

func (v version) known() bool { return v.etag != "" || v.gen != 0 }

func (v version) String() string {
	if v.gen != 0 {
		return "generation " + itoa(v.gen)
	}
	return "ETag " + v.etag
}

func itoa(n int64) string {
	var b [20]byte
	i := len(b)
	for n >= 10 {
		i--
		b[i] = byte('0' + n%10)
		n /= 10
	}
	i--
	b[i] = byte('0' + n)
	return string(b[i:])
}

// statusOf is the HTTP status of a service's answer in err, or 0.
func statusOf(err error) int {
	var hs interface{ HTTPStatusCode() int }
	if errors.As(err, &hs) {
		return hs.HTTPStatusCode()
	}
	var ae *azcore.ResponseError
	if errors.As(err, &ae) {
		return ae.StatusCode
	}
	return 0
}

// apiCode is the service's error code in err (S3's "NoSuchBucket",
// Azure's "ContainerNotFound", GCS's "notFound"), or "".
func apiCode(err error) string {
	var se smithy.APIError
	if errors.As(err, &se) {
		return se.ErrorCode()
	}
	var ae *azcore.ResponseError
	if errors.As(err, &ae) {
		return ae.ErrorCode
	}
	var ge *gcsError
	if errors.As(err, &ge) {
		return ge.Reason
	}
	return ""
}

func isNotFound(err error) bool {
	switch apiCode(err) {
	case "NoSuchKey", "NoSuchBucket", "NotFound", "BlobNotFound", "ContainerNotFound", "notFound":
		return true
	}
	return statusOf(err) == 404
}

func isDenied(err error) bool {
	switch apiCode(err) {
	case "AccessDenied", "Forbidden", "AuthorizationFailure", "AuthorizationPermissionMismatch", "forbidden":
		return true
	}
	st := statusOf(err)
	return st == 401 || st == 403
}

func isPrecondition(err error) bool {
	switch apiCode(err) {
	case "PreconditionFailed", "ConditionNotMet", "conditionNotMet":
		return true
	}
	return statusOf(err) == 412
}
