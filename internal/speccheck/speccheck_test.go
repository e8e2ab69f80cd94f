package speccheck

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"slices"
	"strings"
	"sync"
	"testing"
	"testing/iotest"

	"github.com/santhosh-tekuri/jsonschema/v6"
)

// Valid messages, built from the shapes in SPEC ("The payload",
// "Deleting"), reference/group-call.md and reference/api-contract.md, plus
// the fields SPEC puts on every message (messageId, timestamp,
// integrations, context.library).
const (
	// SPEC's company example, with concrete messageId and version.
	company = `{"type":"group","groupId":"0e8c78ea","traits":{"objectTypeId":1,"name":"Acme","industry":"Technology",` +
		`"employees":329,"createdAt":"2019-03-01T00:00:00.000Z","address":{"city":"Phoenix","country":"US"},"plan":"enterprise"},` +
		`"timestamp":"2024-05-01T12:00:00.000Z","messageId":"c-0e8c78ea","integrations":{"All":true},` +
		`"context":{"library":{"name":"groupimport","version":"0.1.0"}}}`

	// A membership: the person by userId, traits.objectTypeId and
	// traits.relationshipAttributes (group-call.md's relationship example).
	membership = `{"type":"group","groupId":"0e8c78ea","userId":"wileecoyote","traits":{"objectTypeId":2,` +
		`"relationshipAttributes":{"role":"sponsor","dateJoined":"2021-01-01","isPrimaryContact":true}},` +
		`"timestamp":"2024-05-01T12:00:00.000Z","messageId":"r-0e8c78ea-wileecoyote","integrations":{"All":true},` +
		`"context":{"library":{"name":"groupimport","version":"0.1.0"}}}`

	// A membership whose person has no userId: named by anonymousId.
	membershipAnon = `{"type":"group","groupId":"0e8c78ea","anonymousId":"507f191e810c19729de860ea","traits":{"objectTypeId":1,` +
		`"relationshipAttributes":{"role":"viewer"}},"timestamp":"2024-05-01T12:00:00.000Z","messageId":"r-0e8c78ea-anon",` +
		`"integrations":{"All":true},"context":{"library":{"name":"groupimport","version":"0.1.0"}}}`

	// api-contract.md's delete events, plus the common fields.
	objectDeleted = `{"type":"track","event":"Object Deleted","anonymousId":"groupimport","properties":{"objectId":"0e8c78ea","objectTypeId":1},` +
		`"timestamp":"2024-05-02T00:00:00.000Z","messageId":"d-0e8c78ea","integrations":{"All":true},` +
		`"context":{"library":{"name":"groupimport","version":"0.1.0"}}}`
	relationshipDeleted = `{"type":"track","event":"Relationship Deleted","userId":"wileecoyote","properties":{"objectId":"0e8c78ea","objectTypeId":2},` +
		`"timestamp":"2024-05-02T00:00:00.000Z","messageId":"d-0e8c78ea-wileecoyote","integrations":{"All":true},` +
		`"context":{"library":{"name":"groupimport","version":"0.1.0"}}}`
)

// op edits a decoded message.
type op func(m map[string]any)

// at walks a "/"-separated path (keys may contain dots) to the parent
// object of its last element, creating objects on the way.
func at(m map[string]any, path string) (map[string]any, string) {
	parts := strings.Split(strings.TrimPrefix(path, "/"), "/")
	for _, p := range parts[:len(parts)-1] {
		next, ok := m[p].(map[string]any)
		if !ok {
			next = map[string]any{}
			m[p] = next
		}
		m = next
	}
	return m, parts[len(parts)-1]
}

func set(path string, v any) op {
	return func(m map[string]any) { parent, k := at(m, path); parent[k] = v }
}

func del(path string) op {
	return func(m map[string]any) { parent, k := at(m, path); delete(parent, k) }
}

// num is a JSON number written exactly as given ("1.0", "1e0").
func num(s string) json.Number { return json.Number(s) }

// edit applies ops to a copy of base and returns compact JSON.
func edit(base string, ops ...op) string {
	dec := json.NewDecoder(strings.NewReader(base))
	dec.UseNumber()
	var m map[string]any
	if err := dec.Decode(&m); err != nil {
		panic(err)
	}
	for _, o := range ops {
		o(m)
	}
	var b bytes.Buffer
	enc := json.NewEncoder(&b)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(m); err != nil {
		panic(err)
	}
	return strings.TrimSuffix(b.String(), "\n")
}

// sized pads base with a custom trait so that it is exactly n bytes.
func sized(base string, n int) string {
	empty := len(edit(base, set("/traits/pad", "")))
	return edit(base, set("/traits/pad", strings.Repeat("x", n-empty)))
}

func manyTraits(n int) map[string]any {
	m := map[string]any{"objectTypeId": num("1")}
	for i := range n {
		m[fmt.Sprintf("t%03d", i)] = "v"
	}
	return m
}

func rulesOf(errs []error) []Rule {
	var rules []Rule
	for _, e := range errs {
		var v *Violation
		if !errors.As(e, &v) {
			rules = append(rules, "(not a *Violation)")
			continue
		}
		rules = append(rules, v.Rule)
	}
	return rules
}

func TestValidPayloads(t *testing.T) {
	cases := []struct {
		name    string
		payload string
		opts    Options
		kind    Kind
	}{
		{"company", company, Options{}, KindObject},
		{"membership by userId", membership, Options{}, KindRelationship},
		{"membership by anonymousId", membershipAnon, Options{}, KindRelationship},
		{"Object Deleted", objectDeleted, Options{}, KindObjectDeleted},
		{"Relationship Deleted", relationshipDeleted, Options{}, KindRelationshipDeleted},
		{"SPEC example verbatim (ellipses as values)", `{"type":"group","groupId":"0e8c78ea","traits":{"objectTypeId":1,"name":"Acme","industry":"Technology",
 "employees":329,"createdAt":"2019-03-01T00:00:00.000Z","address":{"city":"Phoenix","country":"US"},"plan":"enterprise"},
 "timestamp":"2024-05-01T12:00:00.000Z","messageId":"…","integrations":{"All":true},
 "context":{"library":{"name":"groupimport","version":"…"}}}`, Options{LibraryName: "groupimport"}, KindObject},
		{"with a trailing newline", company + "\n", Options{}, KindObject},
		{"all reserved traits", edit(company, set("/traits", map[string]any{
			"objectTypeId": num("3"), "objectId": "acme", "address": map[string]any{"street": "1 Main St", "city": "Phoenix", "state": "AZ", "postalCode": "85001", "country": "US"},
			"avatar": "https://x.test/a.png", "createdAt": "2019-03-01T00:00:00.000Z", "description": "Anvils", "email": "ops@acme.test",
			"employees": "329", "id": "42", "industry": "Technology", "name": "Acme", "phone": "+1 555", "website": "https://acme.test", "plan": "enterprise",
		})), Options{}, KindObject},
		{"custom traits of every JSON type", edit(company, set("/traits/total_billed", num("830.5")), set("/traits/active", true),
			set("/traits/tags", []any{"a", "b"}), set("/traits/meta", map[string]any{"k": "", "n": nil}), set("/traits/Total Billed", num("-3"))), Options{}, KindObject},
		{"escapes and unicode", `{"type":"group","groupId":"\u00e9t\u00e9 \ud83d\ude00","traits":{"objectTypeId":1,"name":"Caf\u00e9 \"Z\"\\/","note":"line\nbreak"},` +
			`"timestamp":"2024-05-01T12:00:00.000Z","messageId":"c-é","integrations":{},"context":{"library":{"name":"groupimport","version":"0.1.0"}}}`, Options{}, KindObject},
		{"sentAt when expected", edit(company, set("/sentAt", "2024-05-03T09:00:00.123Z")), Options{ExpectSentAt: true}, KindObject},
		{"null trait when allowed", edit(company, set("/traits/plan", nil), set("/traits/address/city", nil)), Options{AllowNull: true}, KindObject},
		{"empty string when allowed", edit(company, set("/traits/plan", "")), Options{AllowEmptyStrings: true}, KindObject},
		{"unsafe integer by default (README: numbers stay exact)", edit(company, set("/traits/big", num("9007199254740993"))), Options{}, KindObject},
		{"largest safe integer", edit(company, set("/traits/big", num("9007199254740991")), set("/traits/small", num("-9007199254740991"))), Options{RejectUnsafeIntegers: true}, KindObject},
		{"both userId and anonymousId when allowed", edit(membership, set("/anonymousId", "507f191e810c19729de860ea")), Options{AllowUserAndAnonymousID: true}, KindRelationship},
		{"mapping's own delete event name", edit(objectDeleted, set("/event", "Delete Object")), Options{ObjectDeletedEvent: "Delete Object"}, KindObjectDeleted},
		{"mapping's own relationship delete name", edit(relationshipDeleted, set("/event", "Delete Relationship")), Options{RelationshipDeletedEvent: "Delete Relationship"}, KindRelationshipDeleted},
		{"exactly the size limit less sentAt's room", sized(company, DefaultMaxMessageBytes-SentAtRoom), Options{}, KindObject},
		{"exactly the size limit with sentAt", sized(edit(company, set("/sentAt", "2024-05-03T09:00:00.123Z")), DefaultMaxMessageBytes), Options{ExpectSentAt: true}, KindObject},
		{"within Journeys limits", edit(company, set("/traits", manyTraits(299)), set("/traits/t000", strings.Repeat("x", 1000)),
			set("/traits/"+strings.Repeat("k", 150), "v")), Options{JourneysLimits: true}, KindObject},
		{"typed traits", edit(membership, set("/traits/seats", num("12")), set("/traits/renewedAt", "2025-01-31T23:59:59.999Z"),
			set("/traits/relationshipAttributes/joinedAt", "2021-01-01T00:00:00.000Z")),
			Options{IntegerTraits: []string{"seats", "missing"}, TimestampTraits: []string{"renewedAt", "relationshipAttributes.joinedAt"}}, KindRelationship},
		{"context with vendor fields", edit(company, set("/context/ip", "8.8.8.8"), set("/context/channel", "server")), Options{}, KindObject},
		{"objectTypeId stringified under the vendor's own name is not ours, but a custom trait may be a string", edit(company, set("/traits/object_type", "1")), Options{}, KindObject},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			res := CheckMessage([]byte(tc.payload), tc.opts)
			for _, e := range res.Errors {
				t.Errorf("unexpected: %v", e)
			}
			if res.Kind != tc.kind {
				t.Errorf("kind = %v, want %v", res.Kind, tc.kind)
			}
		})
	}
}

type ruleCase struct {
	name    string
	payload string
	opts    Options
	want    Rule
	also    []Rule // other rules the same fault breaks (the vendor schema seeing it too)
}

func ruleCases() []ruleCase {
	return []ruleCase{
		// well-formed JSON, one object
		{"not JSON", `{"type":"group",`, Options{}, RuleJSON, nil},
		{"empty line", ``, Options{}, RuleJSON, nil},
		{"an array", `[` + company + `]`, Options{}, RuleJSON, nil},
		{"two objects", company + company, Options{}, RuleJSON, nil},
		{"trailing data", company + ` x`, Options{}, RuleJSON, nil},
		{"NaN", strings.Replace(company, `"employees":329`, `"employees":NaN`, 1), Options{}, RuleJSON, nil},
		{"Infinity", strings.Replace(company, `"employees":329`, `"employees":-Infinity`, 1), Options{}, RuleJSON, nil},
		{"leading zero", strings.Replace(company, `"employees":329`, `"employees":0329`, 1), Options{}, RuleJSON, nil},
		{"single quotes", strings.Replace(company, `"plan":"enterprise"`, `"plan":'enterprise'`, 1), Options{}, RuleJSON, nil},
		{"trailing comma", strings.Replace(company, `"plan":"enterprise"}`, `"plan":"enterprise",}`, 1), Options{}, RuleJSON, nil},
		{"invalid UTF-8", strings.Replace(company, `Acme`, "Ac\xffme", 1), Options{}, RuleJSON, nil},
		{"lone high surrogate", strings.Replace(company, `Acme`, `Ac\ud800me`, 1), Options{}, RuleJSON, nil},
		{"lone low surrogate", strings.Replace(company, `Acme`, `Ac\udc00me`, 1), Options{}, RuleJSON, nil},
		{"raw control character", strings.Replace(company, `Acme`, "Ac\tme", 1), Options{}, RuleJSON, nil},
		{"bad escape", strings.Replace(company, `Acme`, `Ac\xme`, 1), Options{}, RuleJSON, nil},

		// no duplicate keys anywhere
		{"duplicate top-level key", strings.Replace(company, `{"type":"group",`, `{"type":"group","type":"group",`, 1), Options{}, RuleDuplicateKey, nil},
		{"duplicate trait", strings.Replace(company, `"plan":"enterprise"`, `"plan":"enterprise","plan":"free"`, 1), Options{}, RuleDuplicateKey, nil},
		{"duplicate key spelled with an escape", strings.Replace(company, `"plan":"enterprise"`, `"plan":"enterprise","pl\u0061n":"free"`, 1), Options{}, RuleDuplicateKey, nil},
		{"duplicate address part", strings.Replace(company, `"city":"Phoenix"`, `"city":"Phoenix","city":"Tucson"`, 1), Options{}, RuleDuplicateKey, nil},

		// the vendor schema alone
		{"integration flag not a boolean", edit(company, set("/integrations/All", "yes")), Options{}, RuleSchema, nil},
		{"context.channel outside the enum", edit(company, set("/context/channel", "tv")), Options{}, RuleSchema, nil},
		{"context.active not a boolean", edit(company, set("/context/active", "yes")), Options{}, RuleSchema, nil},
		{"context.ip not a string", edit(objectDeleted, set("/context/ip", num("8"))), Options{}, RuleSchema, nil},

		// size
		{"one byte over the room left for sentAt", sized(company, DefaultMaxMessageBytes-SentAtRoom+1), Options{}, RuleSize, nil},
		{"one byte over the limit with sentAt", sized(edit(company, set("/sentAt", "2024-05-03T09:00:00.123Z")), DefaultMaxMessageBytes+1), Options{ExpectSentAt: true}, RuleSize, nil},
		{"over a smaller limit", company, Options{MaxMessageBytes: 200}, RuleSize, nil},

		// numbers
		{"number beyond float64", edit(company, set("/traits/big", num("1e400"))), Options{}, RuleNumber, nil},
		{"integer 2^53", edit(company, set("/traits/big", num("9007199254740992"))), Options{RejectUnsafeIntegers: true}, RuleNumber, nil},
		{"negative integer beyond 2^53", edit(membership, set("/traits/relationshipAttributes/n", num("-9007199254740993"))), Options{RejectUnsafeIntegers: true}, RuleNumber, nil},
		{"integer beyond int64", edit(company, set("/traits/big", num("123456789012345678901234567890"))), Options{RejectUnsafeIntegers: true}, RuleNumber, nil},

		// type and event
		{"type missing", edit(company, del("/type")), Options{}, RuleType, nil},
		{"type identify", edit(company, set("/type", "identify")), Options{}, RuleType, nil},
		{"type not a string", edit(company, set("/type", num("1"))), Options{}, RuleType, nil},
		{"track event not a delete", edit(objectDeleted, set("/event", "Order Completed")), Options{}, RuleEvent, nil},
		{"track event missing", edit(objectDeleted, del("/event")), Options{}, RuleEvent, nil},
		{"prose name without the mapping asking for it", edit(objectDeleted, set("/event", "Delete Object")), Options{}, RuleEvent, nil},

		// top-level fields
		{"snake_case user_id at the top", edit(company, set("/user_id", "u1")), Options{}, RuleUnknownField, nil},
		{"properties on a group call", edit(company, set("/properties", map[string]any{})), Options{}, RuleUnknownField, nil},
		{"traits on a delete event", edit(objectDeleted, set("/traits", map[string]any{})), Options{}, RuleUnknownField, nil},
		{"originalTimestamp", edit(company, set("/originalTimestamp", "2024-05-01T12:00:00.000Z")), Options{}, RuleUnknownField, nil},
		{"receivedAt is readOnly", edit(company, set("/receivedAt", "2024-05-01T12:00:00.000Z")), Options{}, RuleReadOnly, nil},
		{"version is readOnly", edit(objectDeleted, set("/version", num("1.1"))), Options{}, RuleReadOnly, nil},

		// messageId
		{"messageId missing", edit(company, del("/messageId")), Options{}, RuleMessageID, nil},
		{"messageId empty", edit(company, set("/messageId", "")), Options{}, RuleMessageID, nil},
		{"messageId of 100 characters", edit(company, set("/messageId", strings.Repeat("é", 100))), Options{}, RuleMessageID, nil},
		{"messageId a number", edit(company, set("/messageId", num("7"))), Options{}, RuleMessageID, []Rule{RuleSchema}},
		{"messageId missing on a delete", edit(relationshipDeleted, del("/messageId")), Options{}, RuleMessageID, nil},

		// integrations
		{"integrations missing", edit(company, del("/integrations")), Options{}, RuleIntegrations, nil},
		{"integrations missing on a delete", edit(objectDeleted, del("/integrations")), Options{}, RuleIntegrations, nil},
		{"integrations not an object", edit(company, set("/integrations", true)), Options{}, RuleIntegrations, []Rule{RuleSchema}},

		// context.library
		{"context missing", edit(company, del("/context")), Options{}, RuleLibrary, nil},
		{"context.library missing", edit(membership, set("/context", map[string]any{"ip": "8.8.8.8"})), Options{}, RuleLibrary, nil},
		{"context.library.version missing", edit(company, del("/context/library/version")), Options{}, RuleLibrary, nil},
		{"context.library.name empty", edit(company, set("/context/library/name", "")), Options{}, RuleLibrary, nil},
		{"context.library.name not ours", edit(company, set("/context/library/name", "analytics-go")), Options{LibraryName: "groupimport"}, RuleLibrary, nil},
		{"context.library missing on a delete", edit(relationshipDeleted, del("/context/library")), Options{}, RuleLibrary, nil},

		// timestamp
		{"timestamp missing", edit(company, del("/timestamp")), Options{}, RuleTimestamp, nil},
		{"timestamp without milliseconds", edit(company, set("/timestamp", "2024-05-01T12:00:00Z")), Options{}, RuleTimestamp, nil},
		{"timestamp with microseconds", edit(company, set("/timestamp", "2024-05-01T12:00:00.000000Z")), Options{}, RuleTimestamp, nil},
		{"timestamp with an offset", edit(company, set("/timestamp", "2024-05-01T12:00:00.000+00:00")), Options{}, RuleTimestamp, nil},
		{"timestamp lower-case z", edit(company, set("/timestamp", "2024-05-01T12:00:00.000z")), Options{}, RuleTimestamp, nil},
		{"timestamp with a comma", edit(company, set("/timestamp", "2024-05-01T12:00:00,000Z")), Options{}, RuleTimestamp, []Rule{RuleSchema}},
		{"timestamp on February 30th", edit(company, set("/timestamp", "2024-02-30T12:00:00.000Z")), Options{}, RuleTimestamp, []Rule{RuleSchema}},
		{"timestamp with a space", edit(company, set("/timestamp", "2024-05-01 12:00:00.000Z")), Options{}, RuleTimestamp, []Rule{RuleSchema}},
		{"timestamp as Unix seconds", edit(company, set("/timestamp", num("1714564800"))), Options{}, RuleTimestamp, []Rule{RuleSchema}},
		{"timestamp bad on a delete", edit(objectDeleted, set("/timestamp", "2024-05-02")), Options{}, RuleTimestamp, []Rule{RuleSchema}},

		// sentAt
		{"sentAt in file output", edit(company, set("/sentAt", "2024-05-03T09:00:00.123Z")), Options{}, RuleSentAt, nil},
		{"sentAt missing when sending", company, Options{ExpectSentAt: true}, RuleSentAt, nil},
		{"sentAt without milliseconds", edit(company, set("/sentAt", "2024-05-03T09:00:00Z")), Options{ExpectSentAt: true}, RuleSentAt, nil},

		// the person
		{"userId a number", edit(membership, set("/userId", num("7"))), Options{}, RulePerson, nil},
		{"userId empty", edit(membership, set("/userId", "")), Options{}, RulePerson, nil},
		{"anonymousId blank", edit(membershipAnon, set("/anonymousId", "  ")), Options{}, RulePerson, nil},
		{"anonymousId a number", edit(membershipAnon, set("/anonymousId", num("7"))), Options{}, RulePerson, nil},
		{"both userId and anonymousId", edit(membership, set("/anonymousId", "507f191e810c19729de860ea")), Options{}, RulePerson, nil},
		{"Object Deleted without anonymousId", edit(objectDeleted, del("/anonymousId")), Options{}, RulePerson, []Rule{RuleSchema}},
		{"Relationship Deleted without userId", edit(relationshipDeleted, del("/userId")), Options{}, RulePerson, []Rule{RuleSchema}},
		{"Relationship Deleted by anonymousId", edit(relationshipDeleted, del("/userId"), set("/anonymousId", "a1")), Options{}, RulePerson, []Rule{RuleSchema}},

		// groupId
		{"groupId missing", edit(company, del("/groupId")), Options{}, RuleGroupID, nil},
		{"groupId empty", edit(company, set("/groupId", "")), Options{}, RuleGroupID, nil},
		{"groupId a number", edit(company, set("/groupId", num("42"))), Options{}, RuleGroupID, []Rule{RuleSchema}},
		{"groupId of 151 bytes", edit(company, set("/groupId", strings.Repeat("g", 151))), Options{}, RuleGroupID, nil},
		{"groupId of 76 two-byte characters", edit(company, set("/groupId", strings.Repeat("é", 76))), Options{}, RuleGroupID, nil},

		// traits and objectTypeId
		{"traits missing", edit(company, del("/traits")), Options{}, RuleTraits, nil},
		{"traits not an object", edit(company, set("/traits", "Acme")), Options{}, RuleTraits, []Rule{RuleSchema}},
		{"objectTypeId missing", edit(company, del("/traits/objectTypeId")), Options{}, RuleObjectTypeID, nil},
		{"objectTypeId 0", edit(company, set("/traits/objectTypeId", num("0"))), Options{}, RuleObjectTypeID, nil},
		{"objectTypeId negative", edit(membership, set("/traits/objectTypeId", num("-1"))), Options{}, RuleObjectTypeID, nil},
		{"objectTypeId a string", edit(company, set("/traits/objectTypeId", "1")), Options{}, RuleObjectTypeID, nil},
		{"objectTypeId 1.0", edit(company, set("/traits/objectTypeId", num("1.0"))), Options{}, RuleObjectTypeID, nil},
		{"objectTypeId 1e0", edit(company, set("/traits/objectTypeId", num("1e0"))), Options{}, RuleObjectTypeID, nil},
		{"objectTypeId 2.5", edit(company, set("/traits/objectTypeId", num("2.5"))), Options{}, RuleObjectTypeID, nil},
		{"objectTypeId null", edit(company, set("/traits/objectTypeId", nil)), Options{AllowNull: true}, RuleObjectTypeID, nil},
		{"delete objectTypeId 1.0", edit(objectDeleted, set("/properties/objectTypeId", num("1.0"))), Options{}, RuleObjectTypeID, nil},
		{"delete objectTypeId 0", edit(relationshipDeleted, set("/properties/objectTypeId", num("0"))), Options{}, RuleObjectTypeID, nil},
		{"delete objectTypeId a string", edit(objectDeleted, set("/properties/objectTypeId", "1")), Options{}, RuleObjectTypeID, []Rule{RuleSchema}},
		{"delete objectTypeId missing", edit(relationshipDeleted, del("/properties/objectTypeId")), Options{}, RuleObjectTypeID, nil},

		// reserved traits in their one camelCase spelling
		{"created_at", edit(company, del("/traits/createdAt"), set("/traits/created_at", "2019-03-01T00:00:00.000Z")), Options{}, RuleReservedSpelling, nil},
		{"CreatedAt", edit(company, del("/traits/createdAt"), set("/traits/CreatedAt", "2019-03-01T00:00:00.000Z")), Options{}, RuleReservedSpelling, nil},
		{"Name", edit(company, del("/traits/name"), set("/traits/Name", "Acme")), Options{}, RuleReservedSpelling, nil},
		{"EMAIL", edit(company, set("/traits/EMAIL", "a@b.test")), Options{}, RuleReservedSpelling, nil},
		{"ID", edit(company, set("/traits/ID", "42")), Options{}, RuleReservedSpelling, nil},
		{"Address capitalised", edit(company, set("/traits/Address", map[string]any{"city": "Phoenix"})), Options{}, RuleReservedSpelling, nil},
		{"object_id", edit(company, set("/traits/object_id", "acme")), Options{}, RuleReservedSpelling, nil},
		{"object_type_id as the vendor's stringified form", edit(company, set("/traits/object_type_id", "1")), Options{}, RuleReservedSpelling, nil},
		{"object_type_id as an integer (the vendor schema types it string)", edit(company, set("/traits/object_type_id", num("1"))), Options{}, RuleReservedSpelling, []Rule{RuleSchema}},
		{"relationship_attributes", edit(membership, set("/traits/relationship_attributes", map[string]any{"role": "x"})), Options{}, RuleReservedSpelling, nil},

		// reserved trait types
		{"name a number", edit(company, set("/traits/name", num("123"))), Options{}, RuleReservedType, nil},
		{"id a number", edit(company, set("/traits/id", num("42"))), Options{}, RuleReservedType, nil},
		{"website an object", edit(company, set("/traits/website", map[string]any{"url": "x"})), Options{}, RuleReservedType, nil},
		{"employees a boolean", edit(company, set("/traits/employees", true)), Options{}, RuleReservedType, nil},

		// address
		{"address a string", edit(company, set("/traits/address", "1 Main St, Phoenix")), Options{}, RuleAddress, nil},
		{"address an array", edit(company, set("/traits/address", []any{"Phoenix"})), Options{}, RuleAddress, nil},
		{"address with zip", edit(company, set("/traits/address/zip", "85001")), Options{}, RuleAddress, nil},
		{"address with postal_code", edit(company, set("/traits/address/postal_code", "85001")), Options{}, RuleAddress, nil},
		{"address with City", edit(company, set("/traits/address/City", "Tucson")), Options{}, RuleAddress, nil},
		{"address part a number", edit(company, set("/traits/address/postalCode", num("85001"))), Options{}, RuleAddress, nil},
		{"address empty", edit(company, set("/traits/address", map[string]any{})), Options{}, RuleAddress, nil},
		{"flat address_city trait", edit(company, set("/traits/address_city", "Phoenix")), Options{}, RuleAddress, nil},
		{"flat address.postalCode trait", edit(company, set("/traits/address.postalCode", "85001")), Options{}, RuleAddress, nil},

		// relationshipAttributes
		{"relationshipAttributes without a person", edit(company, set("/traits/relationshipAttributes", map[string]any{"role": "x"})), Options{}, RuleRelationshipAttributes, nil},
		{"relationshipAttributes a string", edit(membership, set("/traits/relationshipAttributes", "sponsor")), Options{}, RuleRelationshipAttributes, []Rule{RuleSchema}},
		{"relationshipAttributes an array", edit(membershipAnon, set("/traits/relationshipAttributes", []any{})), Options{}, RuleRelationshipAttributes, []Rule{RuleSchema}},

		// dates in traits
		{"createdAt a date only", edit(company, set("/traits/createdAt", "2019-03-01")), Options{}, RuleDate, nil},
		{"createdAt Unix seconds", edit(company, set("/traits/createdAt", num("1551398400"))), Options{}, RuleDate, nil},
		{"createdAt local time", edit(company, set("/traits/createdAt", "2019-03-01T00:00:00.000-07:00")), Options{}, RuleDate, nil},
		{"timestamp-typed trait", edit(company, set("/traits/renewedAt", "2025-01-31 23:59:59")), Options{TimestampTraits: []string{"renewedAt"}}, RuleDate, nil},
		{"timestamp-typed relationship attribute", edit(membership, set("/traits/relationshipAttributes/joinedAt", "2021-01-01")),
			Options{TimestampTraits: []string{"relationshipAttributes.joinedAt"}}, RuleDate, nil},

		// integers where the mapping demands them
		{"integer-typed trait written 12.0", edit(company, set("/traits/seats", num("12.0"))), Options{IntegerTraits: []string{"seats"}}, RuleInteger, nil},
		{"integer-typed trait written 1.2e1", edit(company, set("/traits/seats", num("1.2e1"))), Options{IntegerTraits: []string{"seats"}}, RuleInteger, nil},
		{"integer-typed trait as a string", edit(company, set("/traits/seats", "12")), Options{IntegerTraits: []string{"seats"}}, RuleInteger, nil},

		// empty cells and nulls
		{"empty custom trait", edit(company, set("/traits/segment", "")), Options{}, RuleEmptyValue, nil},
		{"empty reserved trait", edit(company, set("/traits/plan", "")), Options{}, RuleEmptyValue, nil},
		{"empty address part", edit(company, set("/traits/address/city", "")), Options{}, RuleEmptyValue, nil},
		{"empty relationship attribute", edit(membership, set("/traits/relationshipAttributes/role", "")), Options{}, RuleEmptyValue, nil},
		{"null trait", edit(company, set("/traits/plan", nil)), Options{}, RuleNull, nil},
		{"null relationship attribute", edit(membership, set("/traits/relationshipAttributes/role", nil)), Options{}, RuleNull, nil},

		// Journeys limits (option)
		{"301 object attributes", edit(company, set("/traits", manyTraits(301))), Options{JourneysLimits: true}, RuleJourneys, nil},
		{"a value of 1,001 bytes", edit(company, set("/traits/notes", strings.Repeat("x", 1001))), Options{JourneysLimits: true}, RuleJourneys, nil},
		{"an object value over 1,000 bytes", edit(company, set("/traits/meta", map[string]any{"k": strings.Repeat("x", 995)})), Options{JourneysLimits: true}, RuleJourneys, nil},
		{"an attribute name of 151 bytes", edit(company, set("/traits/"+strings.Repeat("k", 151), "v")), Options{JourneysLimits: true}, RuleJourneys, nil},
		{"301 relationship attributes", edit(membership, set("/traits/relationshipAttributes", manyTraits(301))), Options{JourneysLimits: true}, RuleJourneys, nil},

		// delete events' objectId
		{"Object Deleted without objectId", edit(objectDeleted, del("/properties/objectId")), Options{}, RuleObjectID, nil},
		{"Relationship Deleted without objectId", edit(relationshipDeleted, del("/properties/objectId")), Options{}, RuleObjectID, []Rule{RuleSchema}},
		{"objectId empty", edit(objectDeleted, set("/properties/objectId", "")), Options{}, RuleObjectID, nil},
		{"objectId a number", edit(relationshipDeleted, set("/properties/objectId", num("42"))), Options{}, RuleObjectID, []Rule{RuleSchema}},
		{"objectId of 151 bytes", edit(objectDeleted, set("/properties/objectId", strings.Repeat("o", 151))), Options{}, RuleObjectID, nil},
		{"properties missing", edit(objectDeleted, del("/properties")), Options{}, RuleObjectID, []Rule{RuleSchema}},
		{"delete property object_type_id", edit(objectDeleted, del("/properties/objectTypeId"), set("/properties/object_type_id", num("1"))), Options{}, RuleObjectTypeID, []Rule{RuleReservedSpelling}},
		{"delete property ObjectId", edit(relationshipDeleted, set("/properties/ObjectId", "0e8c78ea")), Options{}, RuleReservedSpelling, nil},
		{"delete property unknown", edit(relationshipDeleted, set("/properties/reason", "churned")), Options{}, RuleUnknownField, nil},
		{"blank trait name", edit(company, set("/traits/ ", "x")), Options{}, RuleTraits, nil},
		{"empty relationship attribute name", edit(membership, set("/traits/relationshipAttributes/", "x")), Options{}, RuleRelationshipAttributes, nil},
	}
}

// TestRules: for every rule, payloads that break exactly that rule (and,
// where noted, the vendor schema along with it) are caught.
func TestRules(t *testing.T) {
	for _, tc := range ruleCases() {
		t.Run(string(tc.want)+"/"+tc.name, func(t *testing.T) {
			errs := Check([]byte(tc.payload), tc.opts)
			got := rulesOf(errs)
			if !slices.Contains(got, tc.want) {
				t.Errorf("rule %s not reported; got %v", tc.want, errs)
			}
			for i, r := range got {
				if r != tc.want && !slices.Contains(tc.also, r) {
					t.Errorf("unexpected extra violation: %v", errs[i])
				}
			}
			for _, r := range tc.also {
				if !slices.Contains(got, r) {
					t.Errorf("expected %s as well; got %v", r, errs)
				}
			}
		})
	}
}

// Every rule has at least one case that breaks it (message rules in
// TestRules, stream rules in TestStream).
func TestEveryRuleIsExercised(t *testing.T) {
	all := []Rule{
		RuleJSON, RuleDuplicateKey, RuleSchema, RuleSize, RuleNumber, RuleType, RuleEvent, RuleUnknownField,
		RuleReadOnly, RuleMessageID, RuleIntegrations, RuleLibrary, RuleTimestamp, RuleSentAt, RulePerson,
		RuleGroupID, RuleTraits, RuleObjectTypeID, RuleReservedSpelling, RuleReservedType, RuleAddress,
		RuleRelationshipAttributes, RuleDate, RuleInteger, RuleEmptyValue, RuleNull, RuleJourneys, RuleObjectID,
		RuleNDJSON, RuleDuplicateMessageID, RuleOrder,
	}
	covered := map[Rule]bool{RuleNDJSON: true, RuleDuplicateMessageID: true, RuleOrder: true} // TestStream
	for _, tc := range ruleCases() {
		covered[tc.want] = true
	}
	for _, r := range all {
		if !covered[r] {
			t.Errorf("no case breaks rule %s", r)
		}
	}
}

func TestViolationNamesTheSpelling(t *testing.T) {
	errs := Check([]byte(edit(company, del("/traits/createdAt"), set("/traits/created_at", "2019-03-01T00:00:00.000Z"))), Options{})
	if len(errs) != 1 {
		t.Fatalf("got %v", errs)
	}
	var v *Violation
	if !errors.As(errs[0], &v) || v.Path != "/traits/created_at" || !strings.Contains(v.Msg, `"createdAt"`) {
		t.Errorf("got %#v", errs[0])
	}
	want := `/traits/created_at: reserved trait written "created_at"; SPEC writes it only as "createdAt"`
	if !strings.HasPrefix(errs[0].Error(), want) || !strings.HasSuffix(errs[0].Error(), "[reserved-spelling]") {
		t.Errorf("Error() = %q", errs[0].Error())
	}
}

func TestDuplicateKeyPath(t *testing.T) {
	p := strings.Replace(company, `"city":"Phoenix"`, `"city":"Phoenix","city":"Tucson"`, 1)
	errs := Check([]byte(p), Options{})
	var v *Violation
	if len(errs) != 1 || !errors.As(errs[0], &v) || v.Path != "/traits/address" || !strings.Contains(v.Msg, `"city"`) {
		t.Fatalf("got %v", errs)
	}
}

// The api-contract.md delete events exactly as printed lack what SPEC puts
// on every message; the checker says so, and nothing else.
func TestContractDeleteEventsAsPrinted(t *testing.T) {
	for _, p := range []string{
		`{"type":"track","event":"Object Deleted","anonymousId":"…","properties":{"objectId":"…","objectTypeId":1}}`,
		`{"type":"track","event":"Relationship Deleted","userId":"…","properties":{"objectId":"…","objectTypeId":1}}`,
	} {
		got := rulesOf(Check([]byte(p), Options{}))
		slices.Sort(got)
		want := []Rule{RuleLibrary, RuleIntegrations, RuleMessageID, RuleTimestamp}
		slices.Sort(want)
		if !slices.Equal(got, want) {
			t.Errorf("%s: rules %v, want %v", p, got, want)
		}
	}
}

// --- the vendor schema ---

func decode(t *testing.T, s string) any {
	t.Helper()
	v, err := jsonschema.UnmarshalJSON(strings.NewReader(s))
	if err != nil {
		t.Fatal(err)
	}
	return v
}

func TestSchemaLoads(t *testing.T) {
	if err := SchemaError(); err != nil {
		t.Fatal(err)
	}
	s, err := loadSchemas()
	if err != nil {
		t.Fatal(err)
	}
	if s.group == nil || s.objectDeleted == nil || s.relationshipDeleted == nil || s.batchItem == nil {
		t.Fatal("a schema is missing")
	}
	if !s.readOnly["receivedAt"] || !s.readOnly["version"] || s.readOnly["type"] || len(s.readOnly) != 2 {
		t.Errorf("readOnly fields = %v, want receivedAt and version", s.readOnly)
	}
	for name, tc := range map[string]struct {
		sch *jsonschema.Schema
		msg string
	}{
		"group/company":               {s.group, company},
		"group/membership":            {s.group, membership},
		"group/membershipAnon":        {s.group, membershipAnon},
		"group_deleted":               {s.objectDeleted, objectDeleted},
		"relationship_deleted":        {s.relationshipDeleted, relationshipDeleted},
		"batch item/membership":       {s.batchItem, membership},
		"batch item/object delete":    {s.batchItem, objectDeleted},
		"batch item/relation. delete": {s.batchItem, relationshipDeleted},
	} {
		if err := tc.sch.Validate(decode(t, tc.msg)); err != nil {
			t.Errorf("%s: %v", name, err)
		}
	}
	// The delete schemas really are the vendor's: the wrong event name fails.
	if err := s.objectDeleted.Validate(decode(t, edit(objectDeleted, set("/event", "Delete Object")))); err == nil {
		t.Error("group_deleted accepted event \"Delete Object\"")
	}
}

// Without the oneOf → anyOf rewrite the vendor schema rejects every valid
// payload: its oneOf branches have no required keys, so a payload matches
// both "Known User" and "Anonymous User" (and both context branches).
func TestVendorOneOfRejectsValidPayloads(t *testing.T) {
	raw, err := compileSchemas(false)
	if err != nil {
		t.Fatal(err)
	}
	for name, msg := range map[string]string{"company": company, "membership": membership, "membershipAnon": membershipAnon} {
		err := raw.group.Validate(decode(t, msg))
		if err == nil {
			t.Errorf("%s: raw vendor oneOf accepted it; is the rewrite still needed?", name)
			continue
		}
		if !strings.Contains(err.Error(), "'oneOf' failed, subschemas 0, 1 matched") {
			t.Errorf("%s: rejected for another reason: %v", name, err)
		}
	}
	// The delete events carry context, whose mobile / non-mobile oneOf
	// fails the same way.
	if err := raw.objectDeleted.Validate(decode(t, objectDeleted)); err == nil || !strings.Contains(err.Error(), "'oneOf' failed") {
		t.Errorf("raw group_deleted + common fields: %v", err)
	}
	rewritten, err := compileSchemas(true)
	if err != nil {
		t.Fatal(err)
	}
	if err := rewritten.group.Validate(decode(t, company)); err != nil {
		t.Errorf("rewritten: %v", err)
	}
}

// The vendor schema names the trait object_type_id and types it as a
// string; SPEC and the group docs send objectTypeId as an integer. The
// schema leaves objectTypeId to additionalProperties (any value), so the
// integer passes the schema, and SPEC's rule (RuleObjectTypeID) does the
// real check.
func TestVendorObjectTypeIDDiscrepancy(t *testing.T) {
	s, err := loadSchemas()
	if err != nil {
		t.Fatal(err)
	}
	if err := s.group.Validate(decode(t, company)); err != nil {
		t.Errorf("integer objectTypeId: %v", err)
	}
	if err := s.group.Validate(decode(t, edit(company, set("/traits/object_type_id", num("1"))))); err == nil {
		t.Error("vendor schema accepted an integer object_type_id; has the vendor file changed?")
	}
	if err := s.group.Validate(decode(t, edit(company, set("/traits/object_type_id", "1")))); err != nil {
		t.Errorf("stringified object_type_id: %v", err)
	}
}

// The vendor's /batch item schema requires userId or anonymousId on a
// group call (its "Group" oneOf branches require one each), while SPEC,
// group-call.md and the /group schema send a company's group call without
// a person. The checker therefore does not apply the batch item schema;
// this test records the disagreement.
func TestVendorBatchItemSchemaWantsAPerson(t *testing.T) {
	s, err := loadSchemas()
	if err != nil {
		t.Fatal(err)
	}
	if err := s.batchItem.Validate(decode(t, company)); err == nil {
		t.Error("batch item schema accepted a group call without a person; the disagreement is gone, consider checking it")
	}
	if err := s.batchItem.Validate(decode(t, membership)); err != nil {
		t.Errorf("membership: %v", err)
	}
}

func TestRewriteHandlesOpenAPIKeywords(t *testing.T) {
	rw := &rewriter{anyOf: true}
	in := map[string]any{
		"type":      "object",
		"x-foo":     true,
		"example":   map[string]any{"a": 1},
		"readOnly":  true,
		"oneOf":     []any{map[string]any{"type": "string", "nullable": true}, map[string]any{"type": "integer"}},
		"anyOf":     []any{map[string]any{"minimum": 1}},
		"discrimin": "kept: not a keyword we know",
		"properties": map[string]any{
			"example": map[string]any{"type": "string", "example": "x"},
			"oneOf":   map[string]any{"type": "integer"},
			"x-name":  map[string]any{"type": "boolean"},
		},
		"enum": []any{map[string]any{"oneOf": 1}},
	}
	out := rw.schema(in, "#").(map[string]any)
	if rw.err != nil {
		t.Fatal(rw.err)
	}
	got, _ := json.Marshal(out)
	want := `{"allOf":[{"anyOf":[{"type":["string","null"]},{"type":"integer"}]}],"anyOf":[{"minimum":1}],"discrimin":"kept: not a keyword we know",` +
		`"enum":[{"oneOf":1}],"properties":{"example":{"type":"string"},"oneOf":{"type":"integer"},"x-name":{"type":"boolean"}},"readOnly":true,"type":"object"}`
	if string(got) != want {
		t.Errorf("rewrite:\n got %s\nwant %s", got, want)
	}
}

// --- the tokenizer ---

func TestScanObject(t *testing.T) {
	good := []string{`{}`, ` {"a":[1,-0,0.5,1e3,1E-3,true,false,null,"\u00e9\ud83d\ude00\/"]} `, `{"a":{"a":{"a":{}}}}`}
	for _, s := range good {
		if _, err := scanObject([]byte(s)); err != nil {
			t.Errorf("%s: %v", s, err)
		}
	}
	bad := []string{``, `1`, `"s"`, `{`, `{"a"}`, `{"a":}`, `{"a":1,}`, `{a:1}`, `{"a":tru}`, `{"a":-}`, `{"a":1.}`, `{"a":.5}`,
		`{"a":1e}`, `{"a":01}`, `{"a":"\u12"}`, `{"a":"\ud83d"}`, `{"a":"\ud83d\u0041"}`, `{"a":[1 2]}`, `{} {}`, `{"a":1}]`,
		strings.Repeat(`{"a":`, maxDepth+2) + `1` + strings.Repeat(`}`, maxDepth+2)}
	for _, s := range bad {
		if _, err := scanObject([]byte(s)); err == nil {
			t.Errorf("%s: accepted", s)
		}
	}
	dups, err := scanObject([]byte(`{"a":1,"b":{"x":1,"x":2},"a":[{"y":1,"\u0079":2}]}`))
	if err != nil {
		t.Fatal(err)
	}
	want := []dupKey{{"/b", "x"}, {"", "a"}, {"/a/0", "y"}}
	slices.SortFunc(dups, func(a, b dupKey) int { return strings.Compare(a.path+a.key, b.path+b.key) })
	slices.SortFunc(want, func(a, b dupKey) int { return strings.Compare(a.path+a.key, b.path+b.key) })
	if !slices.Equal(dups, want) {
		t.Errorf("dups = %v, want %v", dups, want)
	}
}

// Whatever the tokenizer accepts, encoding/json accepts too.
func FuzzScanObject(f *testing.F) {
	for _, s := range []string{company, membership, objectDeleted, `{"a":"\ud83d\ude00"}`, `{"a":[1,2,{"b":null}]}`, `{"a":1e400}`} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		if _, err := scanObject(b); err == nil && !json.Valid(b) {
			t.Fatalf("scanObject accepted what encoding/json rejects: %q", b)
		}
	})
}

// --- streams ---

func lines(msgs ...string) string { return strings.Join(msgs, "\n") + "\n" }

func TestStream(t *testing.T) {
	type want struct {
		line int
		rule Rule
	}
	cases := []struct {
		name  string
		input string
		opts  Options
		want  []want
	}{
		{"valid, in order", lines(company, membership, membershipAnon, relationshipDeleted, objectDeleted), Options{CheckOrder: true}, nil},
		{"empty stream", "", Options{CheckOrder: true}, nil},
		{"out of order without the option", lines(objectDeleted, membership, company), Options{}, nil},
		{"duplicate messageId", lines(company, membership, edit(company, set("/traits/plan", "free"))), Options{}, []want{{3, RuleDuplicateMessageID}}},
		{"object call after a relationship call", lines(membership, company), Options{CheckOrder: true}, []want{{2, RuleOrder}}},
		{"relationship call after a delete", lines(company, objectDeleted, membership), Options{CheckOrder: true}, []want{{3, RuleOrder}}},
		{"object call after a delete", lines(company, relationshipDeleted, edit(company, set("/messageId", "c2"))), Options{CheckOrder: true}, []want{{3, RuleOrder}}},
		{"blank line", company + "\n\n" + membership + "\n", Options{}, []want{{2, RuleNDJSON}}},
		{"last line without newline", company + "\n" + membership, Options{}, []want{{2, RuleNDJSON}}},
		{"CR LF", company + "\r\n" + membership + "\n", Options{}, []want{{1, RuleNDJSON}}},
		{"a bad message among good ones", lines(company, edit(membership, set("/traits/Name", "x")), membershipAnon), Options{}, []want{{2, RuleReservedSpelling}}},
		{"a broken line", lines(company, `{"type":`, membership), Options{}, []want{{2, RuleJSON}}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			rep := CheckStream(strings.NewReader(tc.input), tc.opts)
			var got []want
			for _, p := range rep.Problems {
				var v *Violation
				if !errors.As(p, &v) {
					t.Fatalf("problem without a Violation: %v", p)
				}
				got = append(got, want{p.Line, v.Rule})
			}
			if !slices.Equal(got, tc.want) {
				t.Errorf("problems %v, want %v\n%v", got, tc.want, rep.Err())
			}
			if rep.OK() != (len(tc.want) == 0) || (rep.Err() == nil) != rep.OK() || rep.Count != len(rep.Problems) {
				t.Errorf("OK=%v Err=%v Count=%d", rep.OK(), rep.Err(), rep.Count)
			}
		})
	}
}

func TestStreamCounts(t *testing.T) {
	rep := CheckStream(strings.NewReader(lines(company, membership, membershipAnon, relationshipDeleted, objectDeleted)), Options{})
	if rep.Lines != 5 || rep.Messages != 5 || rep.Kinds[KindObject] != 1 || rep.Kinds[KindRelationship] != 2 ||
		rep.Kinds[KindObjectDeleted] != 1 || rep.Kinds[KindRelationshipDeleted] != 1 {
		t.Errorf("report %+v", rep)
	}
}

// Inputs added to one Stream form one stream: a messageId repeated in the
// next part is caught, and the problem names the part and line.
func TestStreamAcrossParts(t *testing.T) {
	s := NewStream(Options{CheckOrder: true})
	if err := s.Add("payloads-00001.ndjson", strings.NewReader(lines(company, membership))); err != nil {
		t.Fatal(err)
	}
	if err := s.Add("payloads-00002.ndjson", strings.NewReader(lines(membership, edit(company, set("/messageId", "c9"))))); err != nil {
		t.Fatal(err)
	}
	rep := s.Report()
	if rep.Count != 2 {
		t.Fatalf("problems: %v", rep.Err())
	}
	if got := rep.Problems[0].Error(); !strings.HasPrefix(got, "payloads-00002.ndjson:1: ") || !strings.Contains(got, "payloads-00001.ndjson:2") {
		t.Errorf("duplicate: %s", got)
	}
	if got := rep.Problems[1].Error(); !strings.HasPrefix(got, "payloads-00002.ndjson:2: ") || !strings.Contains(got, "[order]") {
		t.Errorf("order: %s", got)
	}
}

func TestStreamMaxProblems(t *testing.T) {
	bad := edit(company, del("/messageId"))
	rep := CheckStream(strings.NewReader(lines(bad, bad, bad, bad)), Options{MaxProblems: 2})
	if rep.Count != 4 || len(rep.Problems) != 2 || !strings.Contains(rep.Err().Error(), "and 2 more") {
		t.Errorf("count %d, kept %d, err %v", rep.Count, len(rep.Problems), rep.Err())
	}
}

func TestStreamReadError(t *testing.T) {
	r := io.MultiReader(strings.NewReader(company+"\n"), iotest.ErrReader(errors.New("disk on fire")))
	rep := CheckStream(r, Options{})
	if rep.OK() || len(rep.Problems) != 1 || rep.Problems[0].Line != 2 || !strings.Contains(rep.Problems[0].Error(), "disk on fire") {
		t.Errorf("report: %v", rep.Err())
	}
}

// Check is safe for concurrent use (run with -race).
func TestCheckConcurrently(t *testing.T) {
	msgs := []string{company, membership, objectDeleted, edit(company, set("/traits/Name", "x")), edit(membership, set("/groupId", num("1")))}
	want := make([]int, len(msgs))
	for i, m := range msgs {
		want[i] = len(Check([]byte(m), Options{}))
	}
	var wg sync.WaitGroup
	for g := range 8 {
		wg.Go(func() {
			for i := range 50 {
				k := (g + i) % len(msgs)
				if n := len(Check([]byte(msgs[k]), Options{})); n != want[k] {
					t.Errorf("message %d: %d violations, want %d", k, n, want[k])
				}
			}
		})
	}
	wg.Wait()
}

func TestChecksAreFast(t *testing.T) {
	msg := []byte(sized(company, 30000))
	for range 200 {
		if errs := Check(msg, Options{JourneysLimits: false}); len(errs) != 0 {
			t.Fatal(errs)
		}
	}
}

func ExampleCheck() {
	msg := `{"type":"group","groupId":"0e8c78ea","traits":{"objectTypeId":1,"created_at":"2019-03-01"},` +
		`"timestamp":"2024-05-01T12:00:00.000Z","messageId":"m1","integrations":{"All":true},` +
		`"context":{"library":{"name":"groupimport","version":"1.0.0"}}}`
	for _, err := range Check([]byte(msg), Options{}) {
		fmt.Println(err)
	}
	// Output:
	// /traits/created_at: reserved trait written "created_at"; SPEC writes it only as "createdAt" (Customer.io stores names case-sensitively, so two spellings become two attributes) [reserved-spelling]
}
