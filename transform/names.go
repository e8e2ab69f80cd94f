package transform

import "strings"

// normName folds a column name for matching: lower case, letters and digits
// only, so Created_At, createdAt, "created at" and created-at all match.
func normName(s string) string {
	var b strings.Builder
	b.Grow(len(s))
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case c >= 'a' && c <= 'z', c >= '0' && c <= '9':
			b.WriteByte(c)
		case c >= 'A' && c <= 'Z':
			b.WriteByte(c + 'a' - 'A')
		case c >= 0x80:
			b.WriteByte(c)
		}
	}
	return b.String()
}

// Output names of the identifiers.
const (
	fieldGroupID      = "groupId"
	fieldUserID       = "userId"
	fieldAnonymousID  = "anonymousId"
	fieldObjectTypeID = "objectTypeId"
	fieldTimestamp    = "timestamp"
	traitRelAttrs     = "relationshipAttributes"
	traitAddress      = "address"
	traitCreatedAt    = "createdAt"
	traitEmployees    = "employees"
)

// Address parts, in output order.
var addressParts = []string{"street", "city", "state", "postalCode", "country"}

// reservedTraits are the group traits the API reserves, in their one
// camelCase spelling.
var reservedTraits = []string{
	"address", "avatar", "createdAt", "description", "email", "employees", "id",
	"industry", "name", "phone", "website", "plan", "objectTypeId", "objectId", "relationshipAttributes",
}

var reservedByNorm = func() map[string]string {
	m := map[string]string{}
	for _, r := range reservedTraits {
		m[normName(r)] = r
	}
	return m
}()

// canonicalTrait returns the reserved spelling of name when it is a
// reserved trait in any case or in snake_case, else name unchanged.
// "address.city", "address_city" and "addressCity" become "address.city".
func canonicalTrait(name string) string {
	n := normName(name)
	if r, ok := reservedByNorm[n]; ok {
		return r
	}
	if strings.HasPrefix(n, "address") {
		for _, p := range addressParts {
			if n == "address"+normName(p) {
				return "address." + p
			}
		}
	}
	return name
}

// addressPart returns the address key for an alias (zip → postalCode).
func addressPart(key string) (string, bool) {
	n := normName(key)
	for _, p := range addressParts {
		if n == normName(p) {
			return p, true
		}
	}
	for part, aliases := range addressAliases {
		for _, a := range aliases {
			if n == a {
				return part, true
			}
		}
	}
	return "", false
}

// Aliases recognised when mapping by column names (normalised with normName).
var (
	groupIDAliases = []string{"groupid", "companyid", "accountid", "organizationid", "organisationid", "orgid", "objectid",
		"companyuuid", "accountuuid", "organizationuuid", "orguuid", "companykey", "accountkey"}
	userIDAliases = []string{"userid", "personid", "customerid", "memberid", "contactid",
		"useruuid", "personuuid", "customeruuid", "memberuuid", "contactuuid"}
	anonymousIDAliases = []string{"anonymousid", "anonid"}
	objectTypeAliases  = []string{"objecttypeid"}
	deletedAliases     = []string{"deleted", "isdeleted", "fivetrandeleted", "deletedflag", "isremoved", "removed"}
	timestampAliases   = []string{"timestamp", "updatedat", "updatedtime", "modifiedat", "lastmodified", "lastmodifiedat", "lastupdated", "lastupdatedat"}

	// trait aliases for companies; the reserved names themselves match too
	traitAliases = map[string][]string{
		"name":      {"companyname", "accountname", "organizationname", "organisationname", "orgname", "groupname"},
		"email":     {"emailaddress"},
		"phone":     {"phonenumber", "telephone"},
		"website":   {"url", "websiteurl", "homepage"},
		"employees": {"employeecount", "employeescount", "numemployees", "numberofemployees", "headcount"},
		"plan":      {"planname"},
		"avatar":    {"avatarurl", "logo", "logourl"},
		"createdAt": {"created", "createddate", "creationdate", "createdon", "createdtime"},
	}
	addressAliases = map[string][]string{
		"street":     {"street", "streetaddress", "address1", "addressline1", "line1", "addressstreet"},
		"city":       {"city", "town", "addresscity"},
		"state":      {"state", "province", "stateprovince", "addressstate", "addressregion"},
		"postalCode": {"postalcode", "zip", "zipcode", "postcode", "addresspostalcode", "addresszip", "addresszipcode", "addresspostcode"},
		"country":    {"country", "countrycode", "addresscountry", "addresscountrycode"},
	}
)

// relationshipAttrColumn tells the columns named for relationship
// attributes: whole for relationshipAttributes (or relationship_attributes,
// in any case), an object of them; attr for relationshipAttributes.role,
// the attribute role.
func relationshipAttrColumn(column string) (attr string, whole bool) {
	if normName(column) == "relationshipattributes" && !strings.Contains(column, ".") {
		return "", true
	}
	if before, after, ok := strings.Cut(column, "."); ok && after != "" && normName(before) == "relationshipattributes" {
		return after, false
	}
	return "", false
}

// traitFor returns the reserved trait (or "address.<part>") that a column
// name stands for, or "".
func traitFor(column string) string {
	n := normName(column)
	if r, ok := reservedByNorm[n]; ok {
		switch r {
		case "objectTypeId", "relationshipAttributes":
			return ""
		}
		return r
	}
	for trait, aliases := range traitAliases {
		for _, a := range aliases {
			if n == a {
				return trait
			}
		}
	}
	if strings.HasPrefix(n, "address") && len(n) > len("address") || isAddressAlias(n) {
		if p, ok := addressPart(strings.TrimPrefix(n, "address")); ok {
			return "address." + p
		}
		if p, ok := addressPart(n); ok {
			return "address." + p
		}
	}
	return ""
}

func isAddressAlias(n string) bool {
	for _, aliases := range addressAliases {
		for _, a := range aliases {
			if n == a {
				return true
			}
		}
	}
	return false
}

// matchAlias returns the first column whose folded name is in aliases (in
// the order of aliases), or "".
func matchAlias(columns []string, aliases []string, taken map[string]bool) string {
	for _, a := range aliases {
		for _, c := range columns {
			if !taken[c] && normName(c) == a {
				return c
			}
		}
	}
	return ""
}

// reservedMeaning is what the values of a reserved trait must be (the
// types of the API's table of reserved traits, shared/reference/group-call.md):
// createdAt a date, employees a number (or numeric text, which the table
// allows), the others text; never a boolean, an array or an object. ""
// for other names, and for the reserved traits checked elsewhere (address,
// an object of text parts; objectTypeId and relationshipAttributes, set
// with keys of their own).
func reservedMeaning(trait string) string {
	switch trait {
	case traitAddress, fieldObjectTypeID, traitRelAttrs:
		return ""
	case traitCreatedAt:
		return "a date"
	case traitEmployees:
		return "a number (or numeric text)"
	}
	for _, r := range reservedTraits {
		if r == trait {
			return "text"
		}
	}
	return ""
}

// traitType is the type a reserved trait is written with when the
// mapping does not say: createdAt a timestamp, employees an integer (when
// the value is one), the others strings.
func traitType(trait string) (typ string, soft bool) {
	switch {
	case trait == traitCreatedAt:
		return TypeTimestamp, false
	case trait == traitEmployees:
		return TypeInteger, true
	case trait == traitAddress:
		return TypeJSON, false
	case strings.HasPrefix(trait, "address."):
		return TypeString, false
	}
	for _, r := range reservedTraits {
		if r == trait {
			return TypeString, false
		}
	}
	return TypeAuto, false
}
