// Package speccheck is an independent checker of the payloads groupimport
// writes: one JSON message per NDJSON line, a Customer.io Data Pipelines
// (Segment-compatible) group call for a company or a membership, or a
// semantic track event that deletes an object or a relationship.
//
// It is written from the product contract (SPEC.md, "The payload" and
// "Deleting"), the vendor's texts (reference/group-call.md,
// reference/api-contract.md) and the vendor's own OpenAPI file, which is
// embedded (openapi/) and compiled into JSON Schemas; never from the
// transform package, so that a mistake there is not copied here. Tests of
// other packages feed it every payload the tool writes.
//
// Check validates one message; CheckStream and Stream validate NDJSON
// streams and add the rules that span messages (unique messageIds, order).
// Every problem is a *Violation naming a Rule and a JSON pointer.
package speccheck

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/santhosh-tekuri/jsonschema/v6"
	"golang.org/x/text/language"
	"golang.org/x/text/message"
)

// Rule names one checked rule. The values are stable: tests match on them.
type Rule string

// Rules checked for every message.
const (
	RuleJSON         Rule = "json"          // one well-formed JSON object: RFC 8259, valid UTF-8, no lone surrogate escapes, nothing after it
	RuleDuplicateKey Rule = "duplicate-key" // the same key twice in one object, anywhere in the message
	RuleSchema       Rule = "schema"        // the vendor's OpenAPI schema (oneOf read as anyOf)
	RuleSize         Rule = "size"          // ≤ MaxMessageBytes, with room left for sentAt when it is absent
	RuleNumber       Rule = "number"        // numbers fit a float64; with RejectUnsafeIntegers, integers within ±(2^53−1)
	RuleType         Rule = "type"          // type is "group", or "track" for a delete event
	RuleEvent        Rule = "event"         // a track message is one of the two delete events
	RuleUnknownField Rule = "unknown-field" // a top-level field SPEC's payload does not have
	RuleReadOnly     Rule = "read-only"     // a field the vendor schema marks readOnly (receivedAt, version)
	RuleMessageID    Rule = "message-id"    // a non-empty string under 100 characters
	RuleIntegrations Rule = "integrations"  // an object on every message
	RuleLibrary      Rule = "context-library"
	RuleTimestamp    Rule = "timestamp" // present, YYYY-MM-DDTHH:MM:SS.mmmZ
	RuleSentAt       Rule = "sent-at"   // absent unless Options.ExpectSentAt; then YYYY-MM-DDTHH:MM:SS.mmmZ
	RulePerson       Rule = "person"    // userId / anonymousId: non-empty strings; the one each kind needs

	// group calls
	RuleGroupID                Rule = "group-id"       // non-empty string ≤ 150 bytes
	RuleTraits                 Rule = "traits"         // traits is an object
	RuleObjectTypeID           Rule = "object-type-id" // an integer literal ≥ 1 (traits, or delete properties)
	RuleReservedSpelling       Rule = "reserved-spelling"
	RuleReservedType           Rule = "reserved-type" // reserved string traits are strings; employees a string or number
	RuleAddress                Rule = "address"       // an object of street/city/state/postalCode/country strings
	RuleRelationshipAttributes Rule = "relationship-attributes"
	RuleDate                   Rule = "date"        // createdAt and Options.TimestampTraits: YYYY-MM-DDTHH:MM:SS.mmmZ
	RuleInteger                Rule = "integer"     // Options.IntegerTraits: integer literals
	RuleEmptyValue             Rule = "empty-value" // "" as a value (SPEC: empty cells are left out)
	RuleNull                   Rule = "null-value"  // null as a value, unless Options.AllowNull
	RuleJourneys               Rule = "journeys-limit"

	// delete events
	RuleObjectID Rule = "object-id" // properties.objectId: non-empty string ≤ 150 bytes

	// streams
	RuleNDJSON             Rule = "ndjson" // blank lines, CR LF, a last line without its newline
	RuleDuplicateMessageID Rule = "duplicate-message-id"
	RuleOrder              Rule = "order"
)

// Violation is one broken rule.
type Violation struct {
	Rule Rule
	Path string // JSON pointer (RFC 6901) into the message; "" for the message as a whole
	Msg  string
}

func (v *Violation) Error() string {
	if v.Path == "" {
		return fmt.Sprintf("%s [%s]", v.Msg, v.Rule)
	}
	return fmt.Sprintf("%s: %s [%s]", v.Path, v.Msg, v.Rule)
}

// Options tune the rules that depend on how the tool was run. The zero
// value checks file output of a default run: no sentAt, no empty strings,
// no nulls, the 32,000-byte limit, Journeys limits off.
type Options struct {
	// ExpectSentAt says the messages are on their way to the HTTP API, so
	// every one must carry sentAt (ISO-8601 UTC, milliseconds). Without it
	// sentAt must be absent: SPEC leaves it out of files, because a stale
	// sentAt shifts every backfilled timestamp.
	ExpectSentAt bool

	// AllowEmptyStrings accepts "" as a trait or relationship attribute
	// value. SPEC leaves empty cells out, so by default "" is a violation.
	AllowEmptyStrings bool

	// AllowNull accepts null as a trait, address part or relationship
	// attribute value: SPEC lets a mapping clear a trait with null.
	// traits.objectTypeId is never allowed to be null.
	AllowNull bool

	// JourneysLimits checks Customer.io Journeys' object limits: ≤ 300
	// attributes per object and per relationship, attribute names ≤ 150
	// bytes, values ≤ 1,000 bytes. (The object id limit of 150 bytes is
	// always checked: groupId and properties.objectId.)
	JourneysLimits bool

	// RejectUnsafeIntegers flags integer literals beyond ±(2^53−1), which
	// JavaScript and float64 decoders round silently. Off by default: the
	// README promises that NDJSON numbers are written as they are
	// ("9007199254740993 is written as it is"), and SPEC is silent.
	RejectUnsafeIntegers bool

	// AllowUserAndAnonymousID accepts a membership call that carries both
	// userId and anonymousId. SPEC names the person by "userId, or
	// anonymousId when there is no userId", so by default both is a
	// violation (sending both may also merge the anonymous profile into
	// the person's, a side effect an import should not have by accident).
	AllowUserAndAnonymousID bool

	// MaxMessageBytes is the per-message limit; 0 means 32,000 (the
	// stricter of the vendor clients' counts of "32 KB"). A message
	// without sentAt must leave room for one: it may be at most
	// MaxMessageBytes − len(`,"sentAt":"2006-01-02T15:04:05.000Z"`).
	MaxMessageBytes int

	// LibraryName, when set, is the value context.library.name must have
	// (groupimport writes "groupimport").
	LibraryName string

	// ObjectDeletedEvent and RelationshipDeletedEvent are the track event
	// names of deletes; empty means the vendor schema's "Object Deleted"
	// and "Relationship Deleted". SPEC lets the mapping override them; the
	// vendor schema is then checked as if the canonical name were sent.
	ObjectDeletedEvent       string
	RelationshipDeletedEvent string

	// IntegerTraits and TimestampTraits name traits the mapping types as
	// integer or timestamp, as dotted paths inside traits ("seats",
	// "relationshipAttributes.joined"). When present they must be integer
	// literals (not 3.0 or 3e0), or YYYY-MM-DDTHH:MM:SS.mmmZ strings.
	IntegerTraits   []string
	TimestampTraits []string

	// CheckOrder (streams only) requires all object calls (no person)
	// before any relationship call (a person), and every delete event
	// after every group call.
	CheckOrder bool

	// MaxProblems (streams only) caps the problems a Report keeps; 0
	// keeps all. Report.Count counts them all.
	MaxProblems int
}

// DefaultMaxMessageBytes is the API's per-message limit as counted here.
const DefaultMaxMessageBytes = 32000

// SentAtRoom is the size of the sentAt member a sender adds to a message
// written without one.
const SentAtRoom = len(`,"sentAt":"2006-01-02T15:04:05.000Z"`)

// Vendor event names of the delete events (the schema's enum values; the
// prose docs' "Delete Object" / "Delete Relationship" are their titles).
const (
	EventObjectDeleted       = "Object Deleted"
	EventRelationshipDeleted = "Relationship Deleted"
)

func (o Options) maxBytes() int {
	if o.MaxMessageBytes > 0 {
		return o.MaxMessageBytes
	}
	return DefaultMaxMessageBytes
}

func (o Options) objectDeleted() string {
	if o.ObjectDeletedEvent != "" {
		return o.ObjectDeletedEvent
	}
	return EventObjectDeleted
}

func (o Options) relationshipDeleted() string {
	if o.RelationshipDeletedEvent != "" {
		return o.RelationshipDeletedEvent
	}
	return EventRelationshipDeleted
}

// Kind is what a message does.
type Kind int

// Kinds of message.
const (
	KindUnknown             Kind = iota // not one of the below (or not JSON)
	KindObject                          // group call without a person: upserts an object
	KindRelationship                    // group call naming a person: upserts a relationship
	KindObjectDeleted                   // track "Object Deleted"
	KindRelationshipDeleted             // track "Relationship Deleted"
)

func (k Kind) String() string {
	switch k {
	case KindObject:
		return "object call"
	case KindRelationship:
		return "relationship call"
	case KindObjectDeleted:
		return "object delete"
	case KindRelationshipDeleted:
		return "relationship delete"
	}
	return "unknown message"
}

// Result is the outcome of checking one message.
type Result struct {
	Kind      Kind
	MessageID string  // "" when absent or not a string
	Errors    []error // each a *Violation; empty when the message is valid
}

// Check validates one message (surrounding JSON whitespace, such as the
// line's newline, is ignored) and returns its violations, each a
// *Violation; nil means the message is valid.
func Check(payload []byte, opts Options) []error {
	return CheckMessage(payload, opts).Errors
}

// CheckMessage is Check that also says what the message is.
func CheckMessage(payload []byte, opts Options) Result {
	c := &checker{opts: opts}
	c.run(trimJSONSpace(payload))
	return Result{Kind: c.kind, MessageID: c.messageID, Errors: c.errs}
}

func trimJSONSpace(b []byte) []byte {
	return bytes.Trim(b, " \t\r\n")
}

type checker struct {
	opts      Options
	errs      []error
	kind      Kind
	messageID string
}

func (c *checker) add(rule Rule, path, format string, args ...any) {
	c.errs = append(c.errs, &Violation{Rule: rule, Path: path, Msg: fmt.Sprintf(format, args...)})
}

// Fields of SPEC's payloads at the top level of a message.
var (
	commonFields = []string{"type", "userId", "anonymousId", "timestamp", "messageId", "integrations", "context", "sentAt"}
	groupFields  = append([]string{"groupId", "traits"}, commonFields...)
	trackFields  = append([]string{"event", "properties"}, commonFields...)
)

func (c *checker) run(data []byte) {
	dups, err := scanObject(data)
	if err != nil {
		c.add(RuleJSON, "", "malformed message: %v", err)
		return
	}
	for _, d := range dups {
		c.add(RuleDuplicateKey, d.path, "key %q appears more than once (decoders keep one of them silently)", d.key)
	}
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.UseNumber()
	var msg map[string]any
	if err := dec.Decode(&msg); err != nil {
		c.add(RuleJSON, "", "decoding: %v", err) // unreachable after scanObject
		return
	}
	c.messageID, _ = msg["messageId"].(string)
	c.size(len(data), msg)
	c.numbers(msg, "")

	typ, typOK := msg["type"].(string)
	event, _ := msg["event"].(string)
	switch {
	case !typOK:
		if _, present := msg["type"]; present {
			c.add(RuleType, "/type", "type must be the string \"group\" or \"track\", found %s", describe(msg["type"]))
		} else {
			c.add(RuleType, "/type", "type is missing (every message, and every item of a batch, carries its own type)")
		}
	case typ == "group":
		if hasPerson(msg) {
			c.kind = KindRelationship
		} else {
			c.kind = KindObject
		}
	case typ == "track":
		switch {
		case event == c.opts.objectDeleted():
			c.kind = KindObjectDeleted
		case event == c.opts.relationshipDeleted():
			c.kind = KindRelationshipDeleted
		default:
			if _, ok := msg["event"].(string); !ok {
				c.add(RuleEvent, "/event", "a track message must have an event name, found %s", describe(msg["event"]))
			} else {
				c.add(RuleEvent, "/event", "track event %q is not a delete event (%q or %q)", event, c.opts.objectDeleted(), c.opts.relationshipDeleted())
			}
		}
	default:
		c.add(RuleType, "/type", "type %q: groupimport writes only \"group\" calls and \"track\" delete events", typ)
	}

	c.schema(msg)
	c.common(msg)
	switch c.kind {
	case KindObject, KindRelationship:
		c.fields(msg, groupFields)
		c.group(msg)
	case KindObjectDeleted, KindRelationshipDeleted:
		c.fields(msg, trackFields)
		c.deleteEvent(msg)
	}
}

func hasPerson(msg map[string]any) bool {
	_, u := msg["userId"]
	_, a := msg["anonymousId"]
	return u || a
}

// size: the API drops a message over its limit (answering 200 in
// permissive mode); a message written without sentAt must leave room for
// the sentAt a sender adds.
func (c *checker) size(n int, msg map[string]any) {
	limit := c.opts.maxBytes()
	if _, hasSentAt := msg["sentAt"]; hasSentAt {
		if n > limit {
			c.add(RuleSize, "", "message is %d bytes, over the per-message limit of %d", n, limit)
		}
		return
	}
	if n > limit-SentAtRoom {
		c.add(RuleSize, "", "message is %d bytes: with the %d bytes of a sentAt a sender adds it would exceed the per-message limit of %d", n, SentAtRoom, limit)
	}
}

// numbers: JSON numbers that decoders cannot hold. NaN and Infinity are
// not JSON at all (RuleJSON catches them); 1e400 is JSON, but no float64,
// and Go's encoding/json, for one, refuses to decode the whole message.
func (c *checker) numbers(v any, path string) {
	switch v := v.(type) {
	case map[string]any:
		for _, k := range sortedKeys(v) {
			c.numbers(v[k], path+"/"+escapePointer(k))
		}
	case []any:
		for i, e := range v {
			c.numbers(e, path+"/"+strconv.Itoa(i))
		}
	case json.Number:
		s := string(v)
		if _, err := strconv.ParseFloat(s, 64); err != nil {
			c.add(RuleNumber, path, "number %s is out of the range of a float64", s)
			return
		}
		if isIntLiteral(s) && c.opts.RejectUnsafeIntegers {
			if n, err := strconv.ParseInt(s, 10, 64); err != nil || n > maxSafeInteger || n < -maxSafeInteger {
				c.add(RuleNumber, path, "integer %s is beyond ±(2^53−1): JavaScript and float64 decoders round it (send it as a string)", s)
			}
		}
	}
}

const maxSafeInteger = 1<<53 - 1

// isIntLiteral reports whether a JSON number is written as an integer: no
// fraction, no exponent. 1.0 and 1e0 are integers to JSON Schema, but
// floats to every decoder that types numbers by their form.
func isIntLiteral(s string) bool {
	return !strings.ContainsAny(s, ".eE")
}

// schema validates the message against the vendor's schema for its kind.
func (c *checker) schema(msg map[string]any) {
	sch, err := loadSchemas()
	if err != nil {
		c.add(RuleSchema, "", "vendor schema does not load: %v", err)
		return
	}
	var s *jsonschema.Schema
	inst := any(msg)
	switch c.kind {
	case KindObject, KindRelationship:
		s = sch.group
	case KindObjectDeleted, KindRelationshipDeleted:
		s = sch.objectDeleted
		canonical := EventObjectDeleted
		if c.kind == KindRelationshipDeleted {
			s, canonical = sch.relationshipDeleted, EventRelationshipDeleted
		}
		if msg["event"] != canonical { // a mapping's own event name
			cp := make(map[string]any, len(msg))
			for k, v := range msg {
				cp[k] = v
			}
			cp["event"] = canonical
			inst = cp
		}
	default:
		return
	}
	for name := range sch.readOnly {
		if _, ok := msg[name]; ok {
			c.add(RuleReadOnly, "/"+escapePointer(name), "%s is readOnly in the vendor schema (set by Customer.io); a sender must not send it", name)
		}
	}
	if err := s.Validate(inst); err != nil {
		var ve *jsonschema.ValidationError
		if !errors.As(err, &ve) {
			c.add(RuleSchema, "", "vendor schema: %v", err)
			return
		}
		for _, leaf := range schemaLeaves(ve) {
			c.add(RuleSchema, leaf.path, "vendor schema: %s (at %s)", leaf.msg, leaf.kw)
		}
	}
}

type schemaLeaf struct{ path, kw, msg string }

var printer = message.NewPrinter(language.English)

// schemaLeaves flattens a validation error into its leaf causes, the
// specific keyword failures, each named by its instance location and its
// location in the vendor schema. Failures repeated by several anyOf
// branches (the common fields are in every branch) are listed once.
func schemaLeaves(ve *jsonschema.ValidationError) []schemaLeaf {
	var leaves []schemaLeaf
	seen := map[[2]string]bool{}
	var walk func(e *jsonschema.ValidationError)
	walk = func(e *jsonschema.ValidationError) {
		if len(e.Causes) > 0 {
			for _, cause := range e.Causes {
				walk(cause)
			}
			return
		}
		path := pointerOfTokens(e.InstanceLocation)
		msg := e.ErrorKind.LocalizedString(printer)
		if seen[[2]string{path, msg}] {
			return
		}
		seen[[2]string{path, msg}] = true
		kw := strings.TrimPrefix(e.SchemaURL, schemaURL)
		if kp := e.ErrorKind.KeywordPath(); len(kp) > 0 {
			kw += "/" + pointerOfTokens(kp)[1:]
		}
		leaves = append(leaves, schemaLeaf{path: path, kw: kw, msg: msg})
	}
	walk(ve)
	return leaves
}

func pointerOfTokens(tokens []string) string {
	var b strings.Builder
	for _, t := range tokens {
		b.WriteByte('/')
		b.WriteString(escapePointer(t))
	}
	return b.String()
}

func (c *checker) fields(msg map[string]any, known []string) {
	ro := map[string]bool{}
	if sch, err := loadSchemas(); err == nil {
		ro = sch.readOnly
	}
	for _, k := range sortedKeys(msg) {
		if !slices.Contains(known, k) && !ro[k] {
			c.add(RuleUnknownField, "/"+escapePointer(k), "field %q is not part of SPEC's payload for a %s (the API would ignore or misread it)", k, c.kind)
		}
	}
}

// common: rules for every message.
func (c *checker) common(msg map[string]any) {
	// messageId
	switch id, ok := msg["messageId"].(string); {
	case msg["messageId"] == nil:
		c.add(RuleMessageID, "/messageId", "messageId is missing or null (SPEC: a deterministic messageId on every message)")
	case !ok:
		c.add(RuleMessageID, "/messageId", "messageId must be a string, found %s", describe(msg["messageId"]))
	case id == "":
		c.add(RuleMessageID, "/messageId", "messageId is empty")
	case utf8.RuneCountInString(id) >= 100:
		c.add(RuleMessageID, "/messageId", "messageId has %d characters; SPEC keeps it under 100", utf8.RuneCountInString(id))
	}

	// integrations
	switch v, present := msg["integrations"]; {
	case !present:
		c.add(RuleIntegrations, "/integrations", "integrations is missing (every message carries its own; batch-level ones are not reliably applied)")
	default:
		if _, ok := v.(map[string]any); !ok {
			c.add(RuleIntegrations, "/integrations", "integrations must be an object, found %s", describe(v))
		}
	}

	// context.library
	ctx, ok := msg["context"].(map[string]any)
	switch {
	case msg["context"] == nil:
		c.add(RuleLibrary, "/context", "context is missing (every message carries its own context.library)")
	case !ok:
		c.add(RuleLibrary, "/context", "context must be an object, found %s", describe(msg["context"]))
	default:
		lib, ok := ctx["library"].(map[string]any)
		if !ok {
			c.add(RuleLibrary, "/context/library", "context.library must be an object with name and version, found %s", describe(ctx["library"]))
			break
		}
		for _, f := range []string{"name", "version"} {
			v, present := lib[f]
			if s, ok := v.(string); !present {
				c.add(RuleLibrary, "/context/library/"+f, "context.library.%s is missing", f)
			} else if !ok || s == "" {
				c.add(RuleLibrary, "/context/library/"+f, "context.library.%s must be a non-empty string, found %s", f, describe(v))
			}
		}
		if name, _ := lib["name"].(string); c.opts.LibraryName != "" && name != "" && name != c.opts.LibraryName {
			c.add(RuleLibrary, "/context/library/name", "context.library.name is %q, want %q", name, c.opts.LibraryName)
		}
	}

	// timestamp
	if ts, present := msg["timestamp"]; !present {
		c.add(RuleTimestamp, "/timestamp", "timestamp is missing (SPEC: from the mapped column, --timestamp, or the run's start time)")
	} else if s, ok := ts.(string); !ok || !isoMillis(s) {
		c.add(RuleTimestamp, "/timestamp", "timestamp must be ISO-8601 UTC with milliseconds (YYYY-MM-DDTHH:MM:SS.mmmZ), found %s", describe(ts))
	}

	// sentAt
	sa, present := msg["sentAt"]
	switch {
	case present && !c.opts.ExpectSentAt:
		c.add(RuleSentAt, "/sentAt", "sentAt is present but not expected: file output leaves it out, because a stale sentAt shifts every backfilled timestamp (Options.ExpectSentAt for messages being sent)")
	case !present && c.opts.ExpectSentAt:
		c.add(RuleSentAt, "/sentAt", "sentAt is missing; the HTTP sink sets it on each request")
	case present:
		if s, ok := sa.(string); !ok || !isoMillis(s) {
			c.add(RuleSentAt, "/sentAt", "sentAt must be ISO-8601 UTC with milliseconds (YYYY-MM-DDTHH:MM:SS.mmmZ), found %s", describe(sa))
		}
	}

	// userId / anonymousId: strings when present (the vendor schema's
	// anyOf lets a wrong type through the other branch).
	for _, f := range []string{"userId", "anonymousId"} {
		v, present := msg[f]
		if !present {
			continue
		}
		if s, ok := v.(string); !ok {
			c.add(RulePerson, "/"+f, "%s must be a string, found %s", f, describe(v))
		} else if strings.TrimSpace(s) == "" {
			c.add(RulePerson, "/"+f, "%s is empty or blank: it names no one", f)
		}
	}
}

const isoLayout = "2006-01-02T15:04:05.000Z"

// isoMillis reports whether s is exactly YYYY-MM-DDTHH:MM:SS.mmmZ and a
// real instant (no February 30th, no hour 24).
func isoMillis(s string) bool {
	if len(s) != len(isoLayout) {
		return false
	}
	t, err := time.Parse(isoLayout, s)
	return err == nil && t.Format(isoLayout) == s
}

// Reserved traits, in the one spelling SPEC writes.
var reservedTraits = []string{
	"address", "avatar", "createdAt", "description", "email", "employees", "id", "industry",
	"name", "phone", "website", "plan", "objectTypeId", "objectId", "relationshipAttributes",
}

var (
	reservedByNorm = map[string]string{}
	addressParts   = []string{"street", "city", "state", "postalCode", "country"}
	addressByNorm  = map[string]string{}
	stringTraits   = map[string]bool{
		"avatar": true, "description": true, "email": true, "id": true, "industry": true,
		"name": true, "phone": true, "website": true, "plan": true, "objectId": true,
	}
)

func init() {
	for _, t := range reservedTraits {
		reservedByNorm[norm(t)] = t
	}
	for _, p := range addressParts {
		addressByNorm[norm(p)] = p
	}
}

// norm folds the spellings SPEC recognises as one name: any case,
// snake_case or camelCase (created_at, CreatedAt, createdAt → createdat).
func norm(k string) string {
	return strings.ToLower(strings.ReplaceAll(k, "_", ""))
}

// flatAddress reports whether a trait name is a flat address column that
// SPEC folds into traits.address (address_city, address.city, …).
func flatAddress(k string) (string, bool) {
	n := strings.ReplaceAll(norm(k), ".", "")
	if rest, ok := strings.CutPrefix(n, "address"); ok {
		p, ok := addressByNorm[rest]
		return p, ok
	}
	return "", false
}

// group: rules for group calls.
func (c *checker) group(msg map[string]any) {
	// groupId
	switch g, ok := msg["groupId"].(string); {
	case msg["groupId"] == nil:
		c.add(RuleGroupID, "/groupId", "groupId is missing or null")
	case !ok:
		c.add(RuleGroupID, "/groupId", "groupId must be a string, found %s", describe(msg["groupId"]))
	case g == "":
		c.add(RuleGroupID, "/groupId", "groupId is empty")
	case len(g) > 150:
		c.add(RuleGroupID, "/groupId", "groupId is %d bytes; Journeys' object id limit is 150", len(g))
	}

	// the person
	_, hasUser := msg["userId"]
	_, hasAnon := msg["anonymousId"]
	if hasUser && hasAnon && !c.opts.AllowUserAndAnonymousID {
		c.add(RulePerson, "/anonymousId", "both userId and anonymousId: SPEC names the person by userId, or by anonymousId only when there is no userId")
	}

	traits, ok := msg["traits"].(map[string]any)
	if !ok {
		if msg["traits"] == nil {
			c.add(RuleTraits, "/traits", "traits is missing (traits.objectTypeId is on every group call)")
		} else {
			c.add(RuleTraits, "/traits", "traits must be an object, found %s", describe(msg["traits"]))
		}
		return
	}

	// objectTypeId
	if v, present := traits["objectTypeId"]; !present {
		c.add(RuleObjectTypeID, "/traits/objectTypeId", "traits.objectTypeId is missing (SPEC: an integer ≥ 1 on every group call, default 1)")
	} else {
		c.objectTypeID(v, "/traits/objectTypeId")
	}

	for _, k := range sortedKeys(traits) {
		v := traits[k]
		p := "/traits/" + escapePointer(k)
		if strings.TrimSpace(k) == "" {
			c.add(RuleTraits, p, "a trait with an empty or blank name")
		}
		if canon, ok := reservedByNorm[norm(k)]; ok && canon != k {
			c.add(RuleReservedSpelling, p, "reserved trait written %q; SPEC writes it only as %q (Customer.io stores names case-sensitively, so two spellings become two attributes)", k, canon)
		}
		if part, ok := flatAddress(k); ok {
			c.add(RuleAddress, p, "trait %q is an address part: SPEC folds it into traits.address.%s", k, part)
		}
		switch k {
		case "objectTypeId":
			continue // checked above
		case "relationshipAttributes":
			c.relationshipAttributes(v, p, hasUser || hasAnon)
			continue
		case "address":
			c.address(v, p)
			continue
		}
		if !c.scalar(v, p) {
			continue
		}
		switch {
		case k == "createdAt":
			if s, ok := v.(string); !ok || !isoMillis(s) {
				c.add(RuleDate, p, "createdAt must be ISO-8601 UTC with milliseconds (YYYY-MM-DDTHH:MM:SS.mmmZ), found %s", describe(v))
			}
		case k == "employees":
			switch v.(type) {
			case string, json.Number:
			default:
				c.add(RuleReservedType, p, "employees must be a number or a string, found %s", describe(v))
			}
		case stringTraits[k]:
			if _, ok := v.(string); !ok {
				c.add(RuleReservedType, p, "reserved trait %s is a String in the vendor's trait table, found %s", k, describe(v))
			}
		}
	}

	for _, path := range c.opts.IntegerTraits {
		if v, ok := lookup(traits, path); ok && v != nil {
			if n, isNum := v.(json.Number); !isNum || !isIntLiteral(string(n)) {
				c.add(RuleInteger, "/traits/"+pointerOf(path), "trait %s is typed integer, found %s", path, describe(v))
			}
		}
	}
	for _, path := range c.opts.TimestampTraits {
		if v, ok := lookup(traits, path); ok && v != nil {
			if s, isStr := v.(string); !isStr || !isoMillis(s) {
				c.add(RuleDate, "/traits/"+pointerOf(path), "trait %s is typed timestamp and must be ISO-8601 UTC with milliseconds (YYYY-MM-DDTHH:MM:SS.mmmZ), found %s", path, describe(v))
			}
		}
	}

	if c.opts.JourneysLimits {
		attrs := map[string]any{}
		for k, v := range traits {
			if k != "objectTypeId" && k != "relationshipAttributes" {
				attrs[k] = v
			}
		}
		c.journeys(attrs, "/traits", "object")
	}
}

// scalar applies the empty-cell and null rules to a value and reports
// whether further checks make sense.
func (c *checker) scalar(v any, p string) bool {
	switch v := v.(type) {
	case nil:
		if !c.opts.AllowNull {
			c.add(RuleNull, p, "null value: SPEC leaves empty cells out; null only when the mapping asks to clear a trait")
		}
		return false
	case string:
		if v == "" && !c.opts.AllowEmptyStrings {
			c.add(RuleEmptyValue, p, "empty string: SPEC leaves empty cells out instead of sending \"\"")
			return false
		}
	}
	return true
}

func (c *checker) objectTypeID(v any, p string) {
	n, ok := v.(json.Number)
	if !ok {
		c.add(RuleObjectTypeID, p, "objectTypeId must be an integer ≥ 1, found %s (the vendor's stringified form is not what SPEC writes)", describe(v))
		return
	}
	s := string(n)
	if !isIntLiteral(s) {
		c.add(RuleObjectTypeID, p, "objectTypeId %s is written as a float; SPEC requires an integer literal", s)
		return
	}
	if i, err := strconv.ParseInt(s, 10, 64); err != nil || i < 1 {
		c.add(RuleObjectTypeID, p, "objectTypeId %s must be an integer ≥ 1", s)
	}
}

func (c *checker) address(v any, p string) {
	if v == nil {
		c.scalar(v, p)
		return
	}
	addr, ok := v.(map[string]any)
	if !ok {
		c.add(RuleAddress, p, "address must be an object of street/city/state/postalCode/country, found %s", describe(v))
		return
	}
	if len(addr) == 0 {
		c.add(RuleAddress, p, "address is an empty object: SPEC leaves empty cells out")
	}
	for _, k := range sortedKeys(addr) {
		sub := addr[k]
		sp := p + "/" + escapePointer(k)
		if !slices.Contains(addressParts, k) {
			if canon, ok := addressByNorm[norm(k)]; ok {
				c.add(RuleAddress, sp, "address part written %q; write %q", k, canon)
			} else {
				c.add(RuleAddress, sp, "address has only street, city, state, postalCode and country; found %q", k)
			}
		}
		if !c.scalar(sub, sp) {
			continue
		}
		if _, ok := sub.(string); !ok {
			c.add(RuleAddress, sp, "address parts are strings, found %s", describe(sub))
		}
	}
}

func (c *checker) relationshipAttributes(v any, p string, person bool) {
	if !person {
		c.add(RuleRelationshipAttributes, p, "relationshipAttributes on a group call without a person (userId or anonymousId): there is no relationship to set")
	}
	if v == nil {
		c.scalar(v, p)
		return
	}
	ra, ok := v.(map[string]any)
	if !ok {
		c.add(RuleRelationshipAttributes, p, "relationshipAttributes must be an object, found %s", describe(v))
		return
	}
	for _, k := range sortedKeys(ra) {
		if strings.TrimSpace(k) == "" {
			c.add(RuleRelationshipAttributes, p+"/"+escapePointer(k), "a relationship attribute with an empty or blank name")
		}
		c.scalar(ra[k], p+"/"+escapePointer(k))
	}
	if c.opts.JourneysLimits {
		c.journeys(ra, p, "relationship")
	}
}

// journeys checks Journeys' per-object / per-relationship limits.
func (c *checker) journeys(attrs map[string]any, p, what string) {
	if len(attrs) > 300 {
		c.add(RuleJourneys, p, "%d attributes on one %s; Journeys keeps at most 300", len(attrs), what)
	}
	for _, k := range sortedKeys(attrs) {
		kp := p + "/" + escapePointer(k)
		if len(k) > 150 {
			c.add(RuleJourneys, kp, "attribute name is %d bytes; Journeys' limit is 150", len(k))
		}
		if n := valueBytes(attrs[k]); n > 1000 {
			c.add(RuleJourneys, kp, "value is %d bytes; Journeys' limit is 1,000", n)
		}
	}
}

// valueBytes is a value's size: a string's bytes, or the JSON encoding of
// anything else.
func valueBytes(v any) int {
	switch v := v.(type) {
	case string:
		return len(v)
	case json.Number:
		return len(v)
	}
	b, _ := json.Marshal(v)
	return len(b)
}

// deleteEvent: rules for the semantic delete events.
func (c *checker) deleteEvent(msg map[string]any) {
	person := "anonymousId" // the vendor's group_deleted requires it
	if c.kind == KindRelationshipDeleted {
		person = "userId" // relationship_deleted: the person's userId at the top level
	}
	if _, present := msg[person]; !present {
		c.add(RulePerson, "/"+person, "%s requires %s at the top level (vendor schema)", msg["event"], person)
	}
	props, ok := msg["properties"].(map[string]any)
	if !ok {
		c.add(RuleObjectID, "/properties", "properties must be an object with objectId and objectTypeId, found %s", describe(msg["properties"]))
		return
	}
	switch id, ok := props["objectId"].(string); {
	case props["objectId"] == nil:
		c.add(RuleObjectID, "/properties/objectId", "properties.objectId is missing or null")
	case !ok:
		c.add(RuleObjectID, "/properties/objectId", "properties.objectId must be a string (the groupId of the group calls), found %s", describe(props["objectId"]))
	case id == "":
		c.add(RuleObjectID, "/properties/objectId", "properties.objectId is empty")
	case len(id) > 150:
		c.add(RuleObjectID, "/properties/objectId", "properties.objectId is %d bytes; Journeys' object id limit is 150", len(id))
	}
	if v, present := props["objectTypeId"]; !present {
		c.add(RuleObjectTypeID, "/properties/objectTypeId", "properties.objectTypeId is missing (an integer ≥ 1)")
	} else {
		c.objectTypeID(v, "/properties/objectTypeId")
	}
	for _, k := range sortedKeys(props) {
		if k == "objectId" || k == "objectTypeId" {
			continue
		}
		if canon, ok := reservedByNorm[norm(k)]; ok && (canon == "objectId" || canon == "objectTypeId") {
			c.add(RuleReservedSpelling, "/properties/"+escapePointer(k), "delete property written %q; write %q", k, canon)
		} else {
			c.add(RuleUnknownField, "/properties/"+escapePointer(k), "property %q is not part of a delete event (objectId, objectTypeId)", k)
		}
	}
}

// describe names a decoded JSON value for a message: its type, and the
// value itself when short.
func describe(v any) string {
	switch v := v.(type) {
	case nil:
		return "null"
	case string:
		if len(v) > 60 {
			return fmt.Sprintf("a string %q…", v[:60])
		}
		return fmt.Sprintf("the string %q", v)
	case json.Number:
		return "the number " + string(v)
	case bool:
		return fmt.Sprintf("the boolean %t", v)
	case map[string]any:
		return "an object"
	case []any:
		return "an array"
	}
	return fmt.Sprintf("%T", v)
}

func sortedKeys(m map[string]any) []string { return slices.Sorted(maps.Keys(m)) }

// lookup finds a dotted path ("relationshipAttributes.joined") in traits.
func lookup(m map[string]any, path string) (any, bool) {
	parts := strings.Split(path, ".")
	var cur any = m
	for _, p := range parts {
		obj, ok := cur.(map[string]any)
		if !ok {
			return nil, false
		}
		if cur, ok = obj[p]; !ok {
			return nil, false
		}
	}
	return cur, true
}

func pointerOf(dotted string) string {
	parts := strings.Split(dotted, ".")
	for i, p := range parts {
		parts[i] = escapePointer(p)
	}
	return strings.Join(parts, "/")
}
