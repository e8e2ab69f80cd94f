package record

// Codes of the row errors the readers give (Error.Code): the kind of
// problem, stable across versions, in lower_snake_case. Reports count
// rejections by code; the Reason says the rest for people (the byte, the
// line, the limit). A code means the same thing whichever format the row
// came from.
const (
	// CodeFieldCount: a CSV row has more or fewer fields than the header.
	CodeFieldCount = "field_count"
	// CodeUnnamedColumn: a CSV row has a value under one of the header's
	// unnamed columns at its end (which are dropped, as Excel writes them).
	CodeUnnamedColumn = "unnamed_column"
	// CodeTextAfterQuote: a CSV quoted field is followed by text other than
	// a delimiter or a line end (a quote inside a quoted field not doubled).
	CodeTextAfterQuote = "text_after_quote"
	// CodeInvalidUTF8: text that is not valid UTF-8 (a CSV line, a string in
	// an NDJSON line, a Parquet text value).
	CodeInvalidUTF8 = "invalid_utf8"
	// CodeNotUTF8Binary: a Parquet byte column read as text
	// (binary_as_string) holds a value that is not valid UTF-8.
	CodeNotUTF8Binary = "not_utf8_binary"

	// CodeMalformedJSON: an NDJSON line, or a value of a Parquet JSON
	// column, is not valid JSON.
	CodeMalformedJSON = "malformed_json"
	// CodeNotAnObject: an NDJSON line is valid JSON but not an object (an
	// array, a string, a number, a boolean, null).
	CodeNotAnObject = "not_an_object"
	// CodeDuplicateKey: an NDJSON object has a key twice.
	CodeDuplicateKey = "duplicate_key"
	// CodeTooDeep: JSON nested deeper than the reader's limit.
	CodeTooDeep = "too_deep"
	// CodeTooManyColumns: an NDJSON object has more keys than the column
	// limit.
	CodeTooManyColumns = "too_many_columns"

	// CodeTooLarge: a value or a row decodes to more bytes than the record
	// size limit (Parquet, where a row has no size in the file).
	CodeTooLarge = "too_large"
	// CodeValueOutOfRange: a Parquet (or VARIANT) date, time or timestamp
	// outside what can be written (years 0001-9999, 00:00-24:00).
	CodeValueOutOfRange = "value_out_of_range"
	// CodeInvalidValue: a Parquet value whose bytes do not fit its type (a
	// UUID that is not 16 bytes, an INT96 that is not 12, an oversized
	// DECIMAL).
	CodeInvalidValue = "invalid_value"
	// CodeNullMapKey: a Parquet map has a null key (or a NaN or infinite
	// one, which JSON writes as null).
	CodeNullMapKey = "null_map_key"
	// CodeInvalidVariant: a Parquet VARIANT value breaks its encoding or the
	// shredding rules.
	CodeInvalidVariant = "invalid_variant"
)
