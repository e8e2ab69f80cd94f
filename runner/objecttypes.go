package runner

import "github.com/groupimport/groupimport/transform"

// objectTypesFor returns the table that a run with both companies and
// memberships shares between their transformers: companies fill it,
// memberships that name one of their groupIds with another objectTypeId
// are warned. Nil for other runs and kinds.
func (o *Options) objectTypesFor(kind transform.Kind) *transform.ObjectTypes {
	if len(o.Companies) == 0 || len(o.Memberships) == 0 || (kind != transform.Companies && kind != transform.Memberships) {
		return nil
	}
	if o.objectTypes == nil {
		o.objectTypes = transform.NewObjectTypes()
	}
	return o.objectTypes
}
