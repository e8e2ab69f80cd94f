// Package transform turns rows into payloads: each record.Row of an input
// becomes one Customer.io / Segment call, a line of compact JSON appended
// to the caller's buffer, or a RowError with a stable Code saying why not.
// It does no I/O: rows come already read, the mapping comes as bytes
// (ParseMapping) or is inferred from column names and a sample of rows
// (Infer), and payloads go back to the caller (only timezone names are
// looked up in the system's zone database).
//
// A mapping section is compiled against each schema (one file's header,
// or one NDJSON key set) into a plan with column indexes resolved; a
// Builder, one per goroutine, then builds rows without touching maps.
//
// Each payload carries type, groupId, the person (memberships), traits with
// objectTypeId first and reserved traits in their camelCase spelling,
// timestamp, integrations, context.library and a messageId derived from the
// rest of the payload (its 128-bit XXH3 hash, formatted as a version-8
// UUID): the same row always gets the same id (an event time that is only
// the run's start is left out of it, so a re-run matches too), and
// different payloads share one with a probability of about n²/2¹²³ — nil
// for any real export. Rows
// with a true deleted flag, and rows of the deletion inputs, become the
// API's semantic delete events (track calls) instead.
package transform
