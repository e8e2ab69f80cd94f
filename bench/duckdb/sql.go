package main

import (
	"fmt"
	"path/filepath"
	"strings"
)

// The columns of bench/gen's CSV files, typed as groupimport's inferred
// mapping types them (bench/parquetgen's Parquet files carry these types
// themselves). Naming the types keeps DuckDB's sniffer from reading a hex
// company_id such as 0000000000000000 as a number.
const (
	companyColumns = `{'company_id': 'VARCHAR', 'company_name': 'VARCHAR', 'industry': 'VARCHAR',
  'employees': 'BIGINT', 'created_at': 'DATE', 'updated_at': 'TIMESTAMPTZ', 'street': 'VARCHAR',
  'city': 'VARCHAR', 'state': 'VARCHAR', 'country': 'VARCHAR', 'postal_code': 'VARCHAR',
  'website': 'VARCHAR', 'plan': 'VARCHAR', 'total_billed': 'DOUBLE', 'is_partner': 'BOOLEAN',
  'phone': 'VARCHAR', 'email': 'VARCHAR', 'description': 'VARCHAR', 'mrr': 'BIGINT',
  'seats': 'INTEGER', 'account_owner': 'VARCHAR'}`
	membershipColumns = `{'user_id': 'VARCHAR', 'anonymous_id': 'VARCHAR', 'company_id': 'VARCHAR',
  'role': 'VARCHAR', 'joined_at': 'DATE', 'is_primary_contact': 'BOOLEAN', 'seats': 'INTEGER',
  'title': 'VARCHAR', 'department': 'VARCHAR', 'last_seen_at': 'TIMESTAMPTZ',
  'invited_by': 'VARCHAR', 'status': 'VARCHAR'}`
)

// iso formats a DATE or TIMESTAMPTZ (the session is in UTC) as groupimport
// writes dates: 2024-06-08T05:35:05.000Z.
func iso(col string) string {
	return fmt.Sprintf(`strftime(%s, '%%Y-%%m-%%dT%%H:%%M:%%S.%%gZ')`, col)
}

// The payload's constant tail, as groupimport writes it.
const tail = `struct_pack("All" := true) AS integrations,
  struct_pack(library := struct_pack(name := 'groupimport', version := '0.1.0')) AS context`

// messageID is a UUID-formatted 128-bit hash of the row: two 64-bit
// DuckDB hash() values over every source column. groupimport hashes the
// payload's bytes with XXH3-128; hashing the columns is DuckDB's cheapest
// equivalent (vectorised, no second JSON rendering), which errs in DuckDB's
// favour.
func messageID(cols []string) string {
	all := strings.Join(cols, ", ")
	hex := fmt.Sprintf(`printf('%%016x%%016x', hash(%s), hash(%s, 'messageId'))`, all, all)
	return fmt.Sprintf(`concat_ws('-', h[1:8], h[9:12], h[13:16], h[17:20], h[21:32]) AS "messageId" FROM (SELECT *, %s AS h FROM src)`, hex)
}

var (
	companyCols = []string{"company_id", "company_name", "industry", "employees", "created_at", "updated_at",
		"street", "city", "state", "country", "postal_code", "website", "plan", "total_billed", "is_partner",
		"phone", "email", "description", "mrr", "seats", "account_owner"}
	membershipCols = []string{"user_id", "anonymous_id", "company_id", "role", "joined_at", "is_primary_contact",
		"seats", "title", "department", "last_seen_at", "invited_by", "status"}
)

// companySelect builds the group call of a company row: traits by the
// inferred mapping (company_name → name, created_at → createdAt, the
// address columns → address, updated_at → timestamp, the rest by name).
func companySelect() string {
	return `SELECT 'group' AS type, company_id AS "groupId",
  struct_pack("objectTypeId" := 1, name := company_name, industry := industry, employees := employees,
    "createdAt" := ` + iso("created_at") + `,
    address := struct_pack(street := street, city := city, state := nullif(state, ''),
      "postalCode" := postal_code, country := country),
    website := website, plan := plan, total_billed := total_billed, is_partner := is_partner,
    phone := phone, email := email, description := description, mrr := mrr, seats := seats,
    account_owner := account_owner) AS traits,
  ` + iso("updated_at") + ` AS timestamp,
  ` + tail + `,
  ` + messageID(companyCols)
}

// membershipSelect builds the group call of a membership row: userId or
// anonymousId (DuckDB's JSON writer writes the absent one as null, where
// groupimport leaves it out), the relationship's attributes under
// traits.relationshipAttributes, the run's time as timestamp.
func membershipSelect(runAt string) string {
	return `SELECT 'group' AS type, company_id AS "groupId", user_id AS "userId", anonymous_id AS "anonymousId",
  struct_pack("objectTypeId" := 1, "relationshipAttributes" := struct_pack(role := role,
    joined_at := ` + iso("joined_at") + `, is_primary_contact := is_primary_contact, seats := seats,
    title := title, department := department, last_seen_at := ` + iso("last_seen_at") + `,
    invited_by := invited_by, status := status)) AS traits,
  ` + quote(runAt) + ` AS timestamp,
  ` + tail + `,
  ` + messageID(membershipCols)
}

// copySQL is the whole statement: the file read by its kind (CSV with the
// bench's column types, Parquet with its own), the payloads written as
// NDJSON.
func copySQL(kind, in, out, runAt string) (string, error) {
	var sel, cols string
	switch kind {
	case "companies":
		sel, cols = companySelect(), companyColumns
	case "memberships":
		sel, cols = membershipSelect(runAt), membershipColumns
	default:
		return "", fmt.Errorf("-kind %q: want companies or memberships", kind)
	}
	var src string
	switch strings.ToLower(filepath.Ext(in)) {
	case ".csv":
		src = fmt.Sprintf("read_csv(%s, header = true, columns = %s)", quote(in), cols)
	case ".parquet":
		src = fmt.Sprintf("read_parquet(%s)", quote(in))
	default:
		return "", fmt.Errorf("%s: want a .csv or .parquet file", in)
	}
	return fmt.Sprintf("COPY (WITH src AS (SELECT * FROM %s)\n%s) TO %s (FORMAT JSON)", src, sel, quote(out)), nil
}
