package runner

import (
	"errors"
	"io/fs"
	"os"

	"github.com/groupimport/groupimport/transform"
)

// readMapping reads the mapping file at path (transform does no I/O); its
// errors are ConfigErrors naming the file, and the line for a mistake in it.
func readMapping(path string) (*transform.Mapping, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		msg := err.Error()
		var pe *fs.PathError
		if errors.As(err, &pe) {
			msg = pe.Err.Error() // the path is named once, by the ConfigError
		}
		return nil, &transform.ConfigError{File: path, Msg: msg}
	}
	return transform.ParseMapping(data, path)
}
