package runner

import (
	"fmt"
	"log/slog"
	"strings"

	"github.com/groupimport/groupimport/importer"
	"github.com/groupimport/groupimport/transform"
)

// noteIgnored says which files of a kind's input folders were left out as
// not data by convention (they are listed in the report too).
func (c *config) noteIgnored(kind transform.Kind, ignored []importer.Ignored, log *slog.Logger) {
	if len(ignored) == 0 || c.Quiet {
		return
	}
	if c.LogFormat == "json" {
		paths := make([]string, len(ignored))
		for i, x := range ignored {
			paths[i] = x.Path
		}
		log.Info("ignored files that are not data by convention", "kind", kind, "files", paths)
		return
	}
	var names []string
	for i, x := range ignored {
		if i == 3 {
			names = append(names, fmt.Sprintf("and %d more", len(ignored)-3))
			break
		}
		names = append(names, fmt.Sprintf("%s (%s)", x.Path, x.Reason))
	}
	fmt.Fprintf(c.Stderr, "groupimport: %s: ignored %d file(s) that are not data by convention (all listed in the report): %s\n",
		kind, len(ignored), strings.Join(names, ", "))
}
