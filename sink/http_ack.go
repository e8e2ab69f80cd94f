package sink

import (
	"bytes"
	"encoding/json"
	"fmt"
	"mime"
	"regexp"
	"strings"
)

// What counts as the API's acknowledgement of a batch.
//
// The vendor's OpenAPI file says of every 2xx: "A successful request returns
// an empty object response" — the JSON object {}. Segment-compatible APIs
// answer {"success":true}. So an acknowledgement is a 2xx whose body is a
// JSON object (whatever its Content-Type says) that reports no failure: no
// "success" other than true, nothing in "error", "errors" or
// "meta.errors". Anything
// else — an empty body, an HTML page (a captive portal, a proxy's sign-in
// page), garbage, a body cut short, a JSON array or string — did not come
// from the API or does not say the batch was stored. It is retried like a
// server fault and, when it persists, fails the batch: it is never counted
// as delivered nor remembered in the state.

// notAnAcknowledgement says why a 2xx answer with this Content-Type and body
// is not the API's acknowledgement, or "" when it is one.
func notAnAcknowledgement(contentType string, body []byte) string {
	t := bytes.TrimSpace(body)
	if len(t) == 0 {
		return "with an empty body, not the API's JSON acknowledgement ({})"
	}
	if len(body) > maxAnswerBytes {
		return fmt.Sprintf("with a body of more than %d bytes%s, not the API's JSON acknowledgement ({})", maxAnswerBytes, describeBody(contentType, t))
	}
	if t[0] != '{' || !json.Valid(t) {
		return fmt.Sprintf("with %s, not the API's JSON acknowledgement ({})", describeBody(contentType, t))
	}
	var m map[string]json.RawMessage
	if json.Unmarshal(t, &m) != nil {
		return "" // cannot happen: a valid JSON object
	}
	if v, ok := m["success"]; ok && string(bytes.TrimSpace(v)) != "true" {
		return fmt.Sprintf("saying \"success\": %s: %s", bytes.TrimSpace(v), truncate(apiErrorText(t), maxErrorText))
	}
	failed := hasContent(m["errors"]) || hasContent(m["error"])
	var meta map[string]json.RawMessage
	if json.Unmarshal(m["meta"], &meta) == nil {
		failed = failed || hasContent(meta["errors"])
	}
	if failed {
		return fmt.Sprintf("reporting errors: %s", truncate(apiErrorText(t), maxErrorText))
	}
	return ""
}

// hasContent says whether a JSON value says something: not absent, null,
// false, "", [] or {}.
func hasContent(v json.RawMessage) bool {
	switch string(bytes.Join(bytes.Fields(v), nil)) {
	case "", "null", "false", `""`, "[]", "{}":
		return false
	}
	return true
}

var titleRe = regexp.MustCompile(`(?is)<title[^>]*>(.*?)</title>`)

// describeBody names what a body that is not the API's JSON looks like,
// with a short excerpt.
func describeBody(contentType string, t []byte) string {
	mt, _, _ := mime.ParseMediaType(contentType)
	what := "a body"
	if mt != "" {
		what = "a body of type " + mt
	}
	if bytes.HasPrefix(bytes.ToLower(t), []byte("<!doctype html")) || bytes.HasPrefix(bytes.ToLower(t), []byte("<html")) || mt == "text/html" {
		what = "an HTML page"
		if m := titleRe.FindSubmatch(t); m != nil {
			if title := strings.Join(strings.Fields(string(m[1])), " "); title != "" {
				return fmt.Sprintf("%s (%q)", what, truncate(title, 80))
			}
		}
	}
	excerpt := strings.Join(strings.Fields(strings.ToValidUTF8(string(t[:min(len(t), 200)]), "?")), " ")
	return fmt.Sprintf("%s: %q", what, truncate(excerpt, 80))
}
