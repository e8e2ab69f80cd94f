package speccheck

import (
	"bytes"
	"embed"
	"fmt"
	"sort"
	"strings"
	"sync"

	"github.com/santhosh-tekuri/jsonschema/v6"
)

// The vendor's OpenAPI file, copied byte for byte from
// /work/shared/openapi (its x-provenance says where it came from). It is
// embedded because CI runs from a clean checkout of this repository only.
//
//go:embed openapi/customerio-pipelines-openapi.subset.json
var vendorFS embed.FS

const vendorFile = "openapi/customerio-pipelines-openapi.subset.json"

// schemaURL names the rewritten document inside the compiler. It is never
// fetched: the document is added as a resource, and no loader is installed
// for any scheme, so a $ref pointing anywhere else fails to compile instead
// of reaching the network.
const schemaURL = "https://speccheck.groupimport.invalid/pipelines.json"

// Locations of the schemas the checker uses, in the rewritten document.
//
// The vendor's group_deleted / relationship_deleted schemas describe only
// the event-specific fields (event, the person, properties); the /track
// request body combines them with the common fields in a oneOf. We check a
// delete event against allOf(event schema, all_common_fields), which is what
// that request body means for one branch, without the "Custom event" branch
// that would accept any event name.
const (
	ptrGroup               = "#/components/schemas/group"
	ptrObjectDeleted       = "#/$defs/speccheck_object_deleted"
	ptrRelationshipDeleted = "#/$defs/speccheck_relationship_deleted"
	ptrBatchItem           = "#/components/schemas/batch/properties/batch/items"
)

// schemas are the compiled vendor schemas.
type schemas struct {
	group               *jsonschema.Schema
	objectDeleted       *jsonschema.Schema
	relationshipDeleted *jsonschema.Schema
	batchItem           *jsonschema.Schema // documented in tests only; see TestVendorBatchItemSchema
	// readOnly lists the top-level message fields the vendor marks
	// readOnly (set by Customer.io, not by a sender).
	readOnly map[string]bool
}

var loadSchemas = sync.OnceValues(func() (*schemas, error) { return compileSchemas(true) })

// SchemaError reports whether the embedded vendor schema loads and
// compiles; Check reports the same error as a violation of rule
// RuleSchema when it does not.
func SchemaError() error {
	_, err := loadSchemas()
	return err
}

// compileSchemas reads the embedded OpenAPI file, turns its component
// schemas into one JSON Schema 2020-12 document and compiles the schemas
// the checker needs. With anyOf false the vendor's oneOf keywords are kept
// as they are; tests use that to show why the rewrite is needed.
//
// OpenAPI 3.1 schema objects are JSON Schema 2020-12 plus a few keywords of
// OpenAPI's own. How each is handled:
//
//   - oneOf → anyOf (when anyOf is true). The vendor's oneOf choices (known
//     vs anonymous user in group; mobile vs non-mobile context; the track
//     variants) carry no required keys that tell the branches apart, so
//     every real payload matches several branches and a strict oneOf
//     rejects every payload (api-contract.md names this defect). The
//     vendor means "one of these shapes", which is anyOf. The price is
//     that anyOf proves less: a userId of the wrong type still passes the
//     "Anonymous User" branch. Check covers such things with SPEC rules of
//     its own (RulePerson and others).
//   - example, x-* (x-scalar-ignore, x-additionalPropertiesName, …):
//     documentation only; removed.
//   - readOnly / writeOnly / deprecated / default: annotations in 2020-12
//     that assert nothing; kept. readOnly top-level fields are collected
//     and Check flags them in a payload (RuleReadOnly), except "type",
//     which the vendor marks readOnly but which every item of a /batch
//     request must carry.
//   - nullable (OpenAPI 3.0; absent from this 3.1 file): nullable: true
//     becomes a "null" member of type; removed otherwise.
//   - discriminator, xml, externalDocs: absent from the file; removed if
//     they appear (discriminator only selects a oneOf branch faster).
//   - format: "date-time" is asserted (RFC 3339); SPEC's own rule is
//     stricter (RuleTimestamp, RuleDate).
//
// The other known defect is left as the vendor wrote it: the group schema
// names the object type trait object_type_id and types it as a string
// ("stringified integers"), while SPEC and the group docs send
// traits.objectTypeId as an integer. The schema does not mention
// objectTypeId, so our integer falls to the traits' additionalProperties,
// which accept any value: the schema passes it, and Check's own rule
// (RuleObjectTypeID: an integer literal ≥ 1, required) does the real check.
// A trait spelled object_type_id is a violation of SPEC's camelCase rule
// (RuleReservedSpelling) whatever its type; as an integer the vendor schema
// rejects it too.
//
// The rewrite walks schema positions only (properties' values, items,
// allOf members, …), never the names under "properties", so a property
// that happens to be called "example" or "oneOf" would be left alone.
func compileSchemas(anyOf bool) (*schemas, error) {
	raw, err := vendorFS.ReadFile(vendorFile)
	if err != nil {
		return nil, fmt.Errorf("speccheck: reading embedded %s: %w", vendorFile, err)
	}
	doc, err := jsonschema.UnmarshalJSON(bytes.NewReader(raw))
	if err != nil {
		return nil, fmt.Errorf("speccheck: parsing embedded %s: %w", vendorFile, err)
	}
	top, ok := doc.(map[string]any)
	if !ok {
		return nil, fmt.Errorf("speccheck: %s is not a JSON object", vendorFile)
	}
	comps, _ := top["components"].(map[string]any)
	vendor, _ := comps["schemas"].(map[string]any)
	if vendor == nil {
		return nil, fmt.Errorf("speccheck: %s has no components/schemas", vendorFile)
	}
	rw := &rewriter{anyOf: anyOf}
	rewritten := make(map[string]any, len(vendor))
	for name, s := range vendor {
		rewritten[name] = rw.schema(s, "#/components/schemas/"+name)
	}
	if rw.err != nil {
		return nil, rw.err
	}
	// Keep the vendor's JSON pointers valid: the schemas stay under
	// components/schemas, and the two delete-event schemas we compose live
	// under $defs beside them.
	ref := func(name string) map[string]any {
		return map[string]any{"$ref": "#/components/schemas/" + name}
	}
	schemaDoc := map[string]any{
		"$schema":    "https://json-schema.org/draft/2020-12/schema",
		"components": map[string]any{"schemas": rewritten},
		"$defs": map[string]any{
			"speccheck_object_deleted":       map[string]any{"allOf": []any{ref("group_deleted"), ref("all_common_fields")}},
			"speccheck_relationship_deleted": map[string]any{"allOf": []any{ref("relationship_deleted"), ref("all_common_fields")}},
		},
	}

	c := jsonschema.NewCompiler()
	c.DefaultDraft(jsonschema.Draft2020)
	c.AssertFormat()
	if err := c.AddResource(schemaURL, schemaDoc); err != nil {
		return nil, fmt.Errorf("speccheck: %w", err)
	}
	out := &schemas{readOnly: map[string]bool{}}
	for _, s := range []struct {
		ptr string
		dst **jsonschema.Schema
	}{
		{ptrGroup, &out.group},
		{ptrObjectDeleted, &out.objectDeleted},
		{ptrRelationshipDeleted, &out.relationshipDeleted},
		{ptrBatchItem, &out.batchItem},
	} {
		sch, err := c.Compile(schemaURL + s.ptr)
		if err != nil {
			return nil, fmt.Errorf("speccheck: compiling vendor schema %s: %w", s.ptr, err)
		}
		*s.dst = sch
	}
	if cf, ok := rewritten["common_fields"].(map[string]any); ok {
		props, _ := cf["properties"].(map[string]any)
		for name, p := range props {
			if pm, ok := p.(map[string]any); ok && pm["readOnly"] == true && name != "type" {
				out.readOnly[name] = true
			}
		}
	}
	return out, nil
}

// rewriter turns OpenAPI 3.1 schema objects into plain JSON Schema 2020-12.
type rewriter struct {
	anyOf bool
	err   error
}

// Keywords whose value is one schema, a map of name → schema, or a list of
// schemas (JSON Schema 2020-12, applicator vocabulary and friends).
var (
	kwSchema = map[string]bool{
		"additionalProperties": true, "items": true, "not": true, "contains": true,
		"propertyNames": true, "if": true, "then": true, "else": true,
		"unevaluatedProperties": true, "unevaluatedItems": true, "contentSchema": true,
	}
	kwSchemaMap = map[string]bool{
		"properties": true, "patternProperties": true, "$defs": true, "definitions": true,
		"dependentSchemas": true,
	}
	kwSchemaList = map[string]bool{"allOf": true, "anyOf": true, "oneOf": true, "prefixItems": true}
)

func (rw *rewriter) fail(where, format string, args ...any) {
	if rw.err == nil {
		rw.err = fmt.Errorf("speccheck: vendor schema at %s: %s", where, fmt.Sprintf(format, args...))
	}
}

func (rw *rewriter) schema(v any, where string) any {
	m, ok := v.(map[string]any)
	if !ok {
		return v // true / false schemas
	}
	out := make(map[string]any, len(m))
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		val := m[k]
		at := where + "/" + k
		switch {
		case strings.HasPrefix(k, "x-"), k == "example", k == "discriminator", k == "xml", k == "externalDocs":
			continue
		case k == "nullable":
			continue // folded into type below
		case kwSchema[k]:
			out[k] = rw.schema(val, at)
		case kwSchemaMap[k]:
			sm, ok := val.(map[string]any)
			if !ok {
				rw.fail(at, "%s is not an object", k)
				continue
			}
			o := make(map[string]any, len(sm))
			for name, s := range sm {
				o[name] = rw.schema(s, at+"/"+name)
			}
			out[k] = o
		case kwSchemaList[k]:
			list, ok := val.([]any)
			if !ok {
				rw.fail(at, "%s is not an array", k)
				continue
			}
			o := make([]any, len(list))
			for i, s := range list {
				o[i] = rw.schema(s, fmt.Sprintf("%s/%d", at, i))
			}
			if k == "oneOf" && rw.anyOf {
				k = "anyOf"
			}
			if _, dup := out[k]; dup {
				// A schema with both oneOf and anyOf: keep both as an allOf
				// rather than silently dropping one.
				out["allOf"] = append(asList(out["allOf"]), map[string]any{"anyOf": o})
				continue
			}
			out[k] = o
		default:
			out[k] = val
		}
	}
	if m["nullable"] == true {
		switch t := out["type"].(type) {
		case string:
			out["type"] = []any{t, "null"}
		case []any:
			out["type"] = append(t, "null")
		}
	}
	return out
}

func asList(v any) []any {
	l, _ := v.([]any)
	return l
}
