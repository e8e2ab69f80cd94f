package objstore

import (
	"context"
	"fmt"
	"io"
	"os"
	"strconv"
	"strings"

	"github.com/Azure/azure-sdk-for-go/sdk/azcore"
	"github.com/Azure/azure-sdk-for-go/sdk/azcore/policy"
	"github.com/Azure/azure-sdk-for-go/sdk/azidentity"
	"github.com/Azure/azure-sdk-for-go/sdk/storage/azblob/blob"
	"github.com/Azure/azure-sdk-for-go/sdk/storage/azblob/container"
)

// openAzure opens a container of the account AZURE_STORAGE_ACCOUNT names,
// with the credentials the environment gives, as gocloud's azureblob and
// Azure's tools read them: AZURE_STORAGE_CONNECTION_STRING, else
// AZURE_STORAGE_KEY (shared key), else AZURE_STORAGE_SAS_TOKEN, else
// DefaultAzureCredential (environment, workload identity, managed
// identity, Azure CLI). AZURE_STORAGE_DOMAIN and AZURE_STORAGE_PROTOCOL
// reach other clouds and emulators (Azurite: 127.0.0.1:10000, http). The
// SDK does not retry: the Store's retries do.
func openAzure(_ context.Context, name string) (service, error) {
	opts := &container.ClientOptions{ClientOptions: azcore.ClientOptions{Retry: policy.RetryOptions{MaxRetries: -1}}}
	if cs := firstEnv("AZURE_STORAGE_CONNECTION_STRING", "AZURE_STORAGEBLOB_CONNECTIONSTRING"); cs != "" {
		c, err := container.NewClientFromConnectionString(cs, name, opts)
		if err != nil {
			return nil, fmt.Errorf("AZURE_STORAGE_CONNECTION_STRING: %w", err)
		}
		return &azService{c: c}, nil
	}
	account := os.Getenv("AZURE_STORAGE_ACCOUNT")
	if account == "" {
		return nil, fmt.Errorf("no storage account: set AZURE_STORAGE_ACCOUNT (or AZURE_STORAGE_CONNECTION_STRING)")
	}
	u, err := azureURL(account, name)
	if err != nil {
		return nil, err
	}
	var c *container.Client
	switch key, sas := os.Getenv("AZURE_STORAGE_KEY"), os.Getenv("AZURE_STORAGE_SAS_TOKEN"); {
	case key != "":
		cred, kerr := container.NewSharedKeyCredential(account, key)
		if kerr != nil {
			return nil, fmt.Errorf("AZURE_STORAGE_KEY: %w", kerr)
		}
		c, err = container.NewClientWithSharedKeyCredential(u, cred, opts)
	case sas != "":
		c, err = container.NewClientWithNoCredential(u+"?"+strings.TrimPrefix(sas, "?"), opts)
	default:
		cred, cerr := azidentity.NewDefaultAzureCredential(nil)
		if cerr != nil {
			return nil, fmt.Errorf("Azure credentials (DefaultAzureCredential): %w", cerr)
		}
		c, err = container.NewClient(u, cred, opts)
	}
	if err != nil {
		return nil, err
	}
	return &azService{c: c}, nil
}

// azureURL is the container's URL: protocol://account.domain/container,
// or protocol://host/account/container for an emulator.
func azureURL(account, name string) (string, error) {
	domain := os.Getenv("AZURE_STORAGE_DOMAIN")
	if domain == "" {
		domain = "blob.core.windows.net"
	}
	protocol := os.Getenv("AZURE_STORAGE_PROTOCOL")
	switch protocol {
	case "":
		protocol = "https"
	case "http", "https":
	default:
		return "", fmt.Errorf("AZURE_STORAGE_PROTOCOL must be http or https, not %q", protocol)
	}
	local, _ := strconv.ParseBool(os.Getenv("AZURE_STORAGE_IS_LOCAL_EMULATOR"))
	if local || strings.HasPrefix(domain, "127.0.0.1") || strings.HasPrefix(domain, "localhost") {
		return fmt.Sprintf("%s://%s/%s/%s", protocol, domain, account, name), nil
	}
	return fmt.Sprintf("%s://%s.%s/%s", protocol, account, domain, name), nil
}

func firstEnv(names ...string) string {
	for _, n := range names {
		if v := os.Getenv(n); v != "" {
			return v
		}
	}
	return ""
}

type azService struct{ c *container.Client }

func (s *azService) list(ctx context.Context, prefix, token string, pageSize int) ([]entry, string, error) {
	size := int32(pageSize)
	o := &container.ListBlobsFlatOptions{Prefix: &prefix, MaxResults: &size}
	if token != "" {
		o.Marker = &token
	}
	page, err := s.c.NewListBlobsFlatPager(o).NextPage(ctx)
	if err != nil {
		return nil, "", err
	}
	var objs []entry
	for _, it := range page.Segment.BlobItems {
		e := entry{}
		if it.Name != nil {
			e.key = *it.Name
		}
		if p := it.Properties; p != nil {
			if p.ContentLength != nil {
				e.size = *p.ContentLength
			}
			if p.ETag != nil {
				e.v.etag = string(*p.ETag)
			}
		}
		objs = append(objs, e)
	}
	next := ""
	if page.NextMarker != nil {
		next = *page.NextMarker
	}
	return objs, next, nil
}

func (s *azService) head(ctx context.Context, key string) (entry, error) {
	p, err := s.c.NewBlobClient(key).GetProperties(ctx, nil)
	if err != nil {
		return entry{}, err
	}
	e := entry{key: key}
	if p.ContentLength != nil {
		e.size = *p.ContentLength
	}
	if p.ETag != nil {
		e.v.etag = string(*p.ETag)
	}
	return e, nil
}

func (s *azService) get(ctx context.Context, key string, off, n int64, v version) (io.ReadCloser, version, error) {
	o := &blob.DownloadStreamOptions{Range: blob.HTTPRange{Offset: off}}
	if n >= 0 {
		o.Range.Count = max(n, 1)
	}
	if v.etag != "" {
		etag := azcore.ETag(v.etag)
		o.AccessConditions = &blob.AccessConditions{ModifiedAccessConditions: &blob.ModifiedAccessConditions{IfMatch: &etag}}
	}
	resp, err := s.c.NewBlobClient(key).DownloadStream(ctx, o)
	if err != nil {
		return nil, version{}, err
	}
	got := version{}
	if resp.ETag != nil {
		got.etag = string(*resp.ETag)
	}
	return resp.Body, got, nil
}
