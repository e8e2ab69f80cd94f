package runner

import (
	"errors"
	"fmt"
	"log/slog"
	"net/url"
	"os"
	"strings"
	"time"

	"github.com/groupimport/groupimport/sink"
)

// APIKeyEnv is the environment variable that holds the API key.
const APIKeyEnv = "CIO_API_KEY"

// HTTPSettings are the options of delivery to the batch API.
type HTTPSettings struct {
	APIKeyFile     string // a file holding the key (else $CIO_API_KEY)
	AllowInsecure  bool   // plain http to a host other than loopback
	NoStrictMode   bool
	NoGzip         bool
	Concurrency    int
	RateLimit      float64 // requests/s; 0 = the API's 1000
	BatchBytes     int
	BatchMessages  int
	MaxAttempts    int
	MaxElapsed     time.Duration
	RequestTimeout time.Duration
	RetryBase      time.Duration // the first backoff (0: the sink's 500 ms); tests make it short
}

// apiKey reads the key from the key file or the environment, never from a
// flag (a flag's value shows in ps). A key file others can read is worth a
// warning.
func (c *config) apiKey(log *slog.Logger) (string, error) {
	if f := c.HTTP.APIKeyFile; f != "" {
		st, err := os.Stat(f)
		if err != nil {
			return "", usagef("--api-key-file: %v", errors.Unwrap(err))
		}
		if st.Mode().Perm()&0o077 != 0 {
			log.Warn("the API key file can be read by other users; chmod 600 it", "file", f, "mode", fmt.Sprintf("%04o", st.Mode().Perm()))
		}
		data, err := os.ReadFile(f)
		if err != nil {
			return "", usagef("--api-key-file: %v", errors.Unwrap(err))
		}
		key := strings.TrimSpace(string(data))
		if key == "" {
			return "", usagef("--api-key-file %s is empty", f)
		}
		return key, nil
	}
	if key := strings.TrimSpace(c.Getenv(APIKeyEnv)); key != "" {
		return key, nil
	}
	return "", usagef("no API key: set %s in the environment, or give --api-key-file FILE (never a flag: flags show in ps)", APIKeyEnv)
}

// endpoint is the batch URL of --endpoint or --region. --endpoint takes
// the API's base URL as its documentation gives it (https://cdp.customer.io/v1,
// with or without a trailing slash: the batch endpoint is /v1/batch
// below it), a server's root (/v1/batch is added), or the full URL of a
// batch endpoint (any other path is kept as it is).
func (c *config) endpoint() (string, error) {
	switch {
	case c.Endpoint != "" && c.Region != "":
		return "", usagef("give --endpoint or --region, not both")
	case c.Endpoint != "":
		return batchURL(c.Endpoint)
	}
	switch strings.ToLower(c.Region) {
	case "us":
		return sink.EndpointUS, nil
	case "eu":
		return sink.EndpointEU, nil
	}
	return "", usagef("--region must be us or eu, not %q", c.Region)
}

// batchURL is the batch endpoint of --endpoint (see endpoint).
func batchURL(endpoint string) (string, error) {
	u, err := url.Parse(endpoint)
	if err != nil || u.Host == "" || (u.Scheme != "http" && u.Scheme != "https") {
		return "", usagef("--endpoint %q is not an http(s) URL such as https://cdp.customer.io/v1", endpoint)
	}
	switch path := strings.TrimRight(u.Path, "/"); {
	case path == "":
		u.Path = "/v1/batch"
	case strings.HasSuffix(path, "/v1"):
		u.Path = path + "/batch"
	default:
		u.Path = path
	}
	return u.String(), nil
}

// allRefusedLimit: the API sink stops once the API has refused this many
// calls and accepted none (or every call of a smaller run): a systematic
// error, not bad rows.
const allRefusedLimit = 100
