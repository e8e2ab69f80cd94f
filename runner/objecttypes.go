package runner

import "github.com/groupimport/groupimport/transform"

// objectTypesFor returns the table that a run with both companies and
// memberships shares between their transformers: companies fill it,
// memberships that name one of their groupIds with another objectTypeId
// are warned. Nil for other runs and kinds.
func (j *job) objectTypesFor(kind transform.Kind) *transform.ObjectTypes {
	if len(j.c.Companies) == 0 || len(j.c.Memberships) == 0 || (kind != transform.Companies && kind != transform.Memberships) {
		return nil
	}
	if j.objectTypes == nil {
		j.objectTypes = transform.NewObjectTypes()
	}
	return j.objectTypes
}
