package runner

import (
	"fmt"
	"math"
	"strings"

	"github.com/groupimport/groupimport/dedup"
	"github.com/groupimport/groupimport/pipeline"
)

// exportComplete says whether a run read its whole export, which deletes
// of keys missing from it need: a key is "missing" only if no part of the
// export could have held it. The export is not known to be whole when an
// input file failed (could not be opened, or stopped part-way), when a
// rejected row's key could not be read (a wrong field count, a missing or
// unreadable id: it may have been any key). (The expansion of the inputs
// skips no file unread: what it cannot tell is data is a file error.) Rejected rows
// whose key could be read are not gaps: their keys count as seen.
// why lists the gaps, for the message and the report.
func exportComplete(res *pipeline.Result) (ok bool, why string) {
	var gaps []string
	if res.FileErrors > 0 {
		gaps = append(gaps, fmt.Sprintf("%d input file(s) could not be read completely", res.FileErrors))
	}
	if res.Unkeyed > 0 {
		var files []string
		for _, f := range res.Files {
			if f.Unkeyed > 0 {
				files = append(files, fmt.Sprintf("%s: %d", f.Path, f.Unkeyed))
			}
		}
		gaps = append(gaps, fmt.Sprintf("%d rejected row(s) whose key could not be read (%s)", res.Unkeyed, strings.Join(files, "; ")))
	}
	if res.UnkeyedElsewhere > 0 {
		gaps = append(gaps, fmt.Sprintf("%d rejected row(s) whose key could not be read, reported by other shards (they may have held this shard's keys)", res.UnkeyedElsewhere))
	}
	return len(gaps) == 0, strings.Join(gaps, ", ")
}

// msgSeenOnly marks, in an incremental run's key log, the entry of a
// rejected row: its key is seen in the export, but nothing is sent for it
// and its state stays as it was.
const msgSeenOnly = math.MinInt64

// seenOnly logs the keys of rejected rows into the run's key log, marked.
type seenOnly struct{ log *dedup.Log }

func (s seenOnly) Add(e pipeline.KeyEntry) error {
	e.Msg = msgSeenOnly
	return s.log.Add(dedup.Entry(e))
}

// keyLog hands the pipeline's key log to dedup (a Log or a Detector).
type keyLog struct {
	dedup interface{ Add(dedup.Entry) error }
}

func (k keyLog) Add(e pipeline.KeyEntry) error { return k.dedup.Add(dedup.Entry(e)) }
