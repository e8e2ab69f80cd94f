package runner

import (
	"errors"
	"os"
	"path/filepath"
	"testing"

	"github.com/groupimport/groupimport/transform"
)

// The runner reads the mapping file; a file that cannot be read or has a
// mistake is a usage error naming the file (and the line).
func TestReadMapping(t *testing.T) {
	dir := t.TempDir()
	good := filepath.Join(dir, "good.yaml")
	bad := filepath.Join(dir, "bad.yaml")
	os.WriteFile(good, []byte("companies:\n  groupId: company_id\n"), 0o644)
	os.WriteFile(bad, []byte("companies:\n  groupId: company_id\n  objectTypeID: 2\n"), 0o644)

	m, err := readMapping(good)
	if err != nil || m.Companies == nil || m.Companies.GroupID.Column != "company_id" {
		t.Fatalf("readMapping(good) = %+v, %v", m, err)
	}
	for _, c := range []struct{ path, want string }{
		{filepath.Join(dir, "missing.yaml"), "mapping " + filepath.Join(dir, "missing.yaml") + ": no such file or directory"},
		{dir, "mapping " + dir + ": is a directory"},
		{bad, "mapping " + bad + `:3: unknown key "objectTypeID" (did you mean "objectTypeId"?)`},
	} {
		_, err := readMapping(c.path)
		var ce *transform.ConfigError
		if !errors.As(err, &ce) || ce.File != c.path || err.Error() != c.want {
			t.Errorf("readMapping(%s) = %v, want a ConfigError %q", c.path, err, c.want)
		}
		if ExitCode(err) != ExitUsage {
			t.Errorf("readMapping(%s): exit %d, want %d", c.path, ExitCode(err), ExitUsage)
		}
	}
}
