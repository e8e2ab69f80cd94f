package transform

// Codes of row errors (RowError.Code): the kind of problem, stable across
// versions, in lower_snake_case. Reports count rejections by code; the
// Reason says the rest for people (the value, its size, the limit).
const (
	// CodeUnreadableRow: the reader could not read the row and gave no code
	// of its own (readers' codes, such as field_count, are passed on).
	CodeUnreadableRow = "unreadable_row"
	// CodeMappingMismatch: the mapping does not fit the fields of this row
	// (an NDJSON key set in which two fields would fill one trait).
	CodeMappingMismatch = "mapping_mismatch"

	// CodeMissingGroupID: the row has no groupId.
	CodeMissingGroupID = "missing_group_id"
	// CodeMissingPerson: a membership row has neither userId nor anonymousId.
	CodeMissingPerson = "missing_person"
	// CodeInvalidID: an id is neither text nor a number (JSON, a boolean).
	CodeInvalidID = "invalid_id"
	// CodeInvalidObjectTypeID: objectTypeId is not an integer of 1 or more.
	CodeInvalidObjectTypeID = "invalid_object_type_id"
	// CodeDeleteNeedsUserID: a relationship delete names its person by
	// anonymousId only; the API's Relationship Deleted event needs a userId.
	CodeDeleteNeedsUserID = "delete_needs_user_id"

	// CodeInvalidInteger: a value of an integer field is not an integer.
	CodeInvalidInteger = "invalid_integer"
	// CodeInvalidNumber: a value of a float field is not a number.
	CodeInvalidNumber = "invalid_number"
	// CodeNumberOutOfRange: a number no double holds (over ±1.8e308, or
	// not zero but under 4.9e-324): it would arrive as infinity or 0.
	CodeNumberOutOfRange = "number_out_of_range"
	// CodeInvalidBoolean: a value of a boolean field, or the deleted flag,
	// is not true or false.
	CodeInvalidBoolean = "invalid_boolean"
	// CodeInvalidTimestamp: a value of a timestamp field, or the row's
	// timestamp, is not a date (or not one in the field's format).
	CodeInvalidTimestamp = "invalid_timestamp"
	// CodeInvalidJSON: a value of a json field is not JSON.
	CodeInvalidJSON = "invalid_json"
	// CodeReservedTraitType: a value of a reserved trait that would change
	// its meaning: a boolean, an array or an object where the API's table
	// has text, a number or a date (employees: true).
	CodeReservedTraitType = "reserved_trait_type"
	// CodeInvalidAddress: the address, or one of its parts, has the wrong
	// shape (an address is an object or text, its parts are text).
	CodeInvalidAddress = "invalid_address"

	// CodeInvalidRelationshipAttributes: a memberships column of
	// relationship attributes as one object (relationshipAttributes) holds
	// something else, or an attribute without a name.
	CodeInvalidRelationshipAttributes = "invalid_relationship_attributes"
	// CodeAttributeConflict: a relationship attribute comes both from a
	// mapped column and from the relationshipAttributes object, or twice
	// from the object.
	CodeAttributeConflict = "relationship_attribute_conflict"

	// CodeObjectIDTooLong: groupId is over Journeys' 150-byte limit for
	// object ids (limits: reject).
	CodeObjectIDTooLong = "object_id_too_long"
	// CodePersonIDTooLong: userId or anonymousId is over Journeys' 150-byte
	// limit for ids (limits: reject).
	CodePersonIDTooLong = "person_id_too_long"
	// CodeValueTooLong: a trait or attribute value is over Journeys'
	// 1,000-byte limit (limits: reject).
	CodeValueTooLong = "value_too_long"
	// CodeNameTooLong: a name in the relationshipAttributes object is over
	// Journeys' 150-byte limit for attribute names (limits: reject; names
	// the mapping gives are checked before any row).
	CodeNameTooLong = "attribute_name_too_long"
	// CodeTooManyAttributes: the object's traits or the relationship's
	// attributes are over Journeys' 300 (limits: reject).
	CodeTooManyAttributes = "too_many_attributes"
	// CodeMessageTooLarge: the call is over the API's 32,000-byte limit.
	CodeMessageTooLarge = "message_too_large"

	// CodeInternal: a failure of the tool itself, not of the row (a bug;
	// RowError.Internal is set).
	CodeInternal = "internal_error"
)
