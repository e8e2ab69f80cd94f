package suggest

import "testing"

func TestClosest(t *testing.T) {
	flags := []string{"companies", "memberships", "out", "endpoint", "region", "state", "dry-run", "metrics-file", "log-format"}
	keys := []string{"groupId", "userId", "anonymousId", "objectTypeId", "timestamp", "traits", "relationshipAttributes", "custom", "drop"}
	for _, c := range []struct {
		word  string
		among []string
		want  string
	}{
		{"companis", flags, "companies"},
		{"-comapnies", flags, "companies"},
		{"--memberhsips", flags, "memberships"},
		{"dryrun", flags, "dry-run"},
		{"dry_run", flags, "dry-run"},
		{"metrics", flags, "metrics-file"},
		{"logformat", flags, "log-format"},
		{"regoin", flags, "region"},
		{"ot", flags, "out"},
		{"frobnicate", flags, ""},
		{"x", flags, ""},
		{"trait", keys, "traits"},
		{"groupid", keys, "groupId"},
		{"group_id", keys, "groupId"},
		{"userid", keys, "userId"},
		{"relationship_attributes", keys, "relationshipAttributes"},
		{"timestmap", keys, "timestamp"},
		{"custum", keys, "custom"},
		{"colour", keys, ""},
		{"company_nme", []string{"company_id", "company_name", "industry"}, "company_name"},
	} {
		if got := Closest(c.word, c.among); got != c.want {
			t.Errorf("Closest(%q) = %q, want %q", c.word, got, c.want)
		}
	}
}
