package runner

import (
	"context"
	"errors"
	"fmt"
	"os"
	"strings"

	"github.com/groupimport/groupimport/importer"
	"github.com/groupimport/groupimport/importer/objstore"
	"github.com/groupimport/groupimport/internal/shard"
	"github.com/groupimport/groupimport/state"
)

// Inputs beyond local files (object storage URLs, standard input as "-")
// and the split of a run across machines (--shard K/N).

// defaultRateLimit is the API's documented rate (3,000 requests per 3 s),
// the sink's default.
const defaultRateLimit = 1000

// setupInputs prepares what the inputs need before anything is read: the
// object store (for s3://, gs://, azblob:// inputs), standard input (given
// as "-" at most once), and the shard, which takes its share of the
// workspace's rate limit.
func (o *Options) setupInputs(ctx context.Context) error {
	sh, err := shard.Parse(o.Shard)
	if err != nil {
		return &UsageError{Msg: err.Error()}
	}
	o.shard = sh
	stdin, stdinFile := 0, false
	for _, p := range o.allPatterns() {
		switch {
		case p == "-":
			stdin++
		case p == importer.StdinName:
			stdinFile = true
		case objstore.IsURL(p) && o.remote == nil:
			o.remote = objstore.New(ctx, objstore.Options{})
		}
	}
	switch {
	case stdin > 1:
		return usagef("standard input (-) can be read once: give - to one flag, once")
	case stdin == 1 && stdinFile:
		return usagef("a file named %q and standard input (-) would share a name in the report; give the file as ./%s", importer.StdinName, importer.StdinName)
	case stdin == 1:
		in := o.Stdin
		if in == nil {
			in = os.Stdin
		}
		o.streams.Add(importer.StdinName, in)
	}
	if sh.On() && o.HTTP.RateLimit >= 0 {
		total := o.HTTP.RateLimit
		if total == 0 {
			total = defaultRateLimit
		}
		o.HTTP.RateLimit = total / float64(sh.N)
	}
	return nil
}

// closeInputs releases the object store, saying what was asked of it.
func (o *Options) closeInputs() {
	if o.remote == nil {
		return
	}
	if st := o.remote.Stats(); !o.Quiet && o.Stderr != nil {
		fmt.Fprintf(o.Stderr, "  object storage: %d listing and %d read requests (%d ranged), %.1f MB received, %d retried, %d streams resumed\n",
			st.Lists, st.Gets+st.Heads, st.RangeGets, float64(st.Bytes)/1e6, st.Retries, st.Resumes)
	}
	o.remote.Close()
}

// remoteInputs is the object store as importer sees it (nil without one).
func (o *Options) remoteInputs() importer.Remote {
	if o.remote == nil {
		return nil
	}
	return o.remote
}

func (o *Options) allPatterns() []string {
	var all []string
	for _, l := range [][]string{o.Companies, o.Memberships, o.DeleteObjects, o.DeleteRelationships} {
		all = append(all, l...)
	}
	return all
}

// expand lists the files of patterns (what starts its errors, e.g.
// "--companies: "): local paths, URLs, "-". An
// object store that did not answer is a failure of the run (exit 1);
// anything else (no such file, bucket or object, access denied) is a
// mistake in the command line.
func (o *Options) expand(what string, patterns []string) (*importer.Inputs, error) {
	in, err := importer.ExpandWith(patterns, o.remoteInputs())
	switch {
	case err == nil:
		return in, nil
	case errors.Is(err, importer.ErrUnavailable):
		return nil, fmt.Errorf("%s%w", what, err)
	}
	return nil, &UsageError{Msg: what + err.Error()}
}

// localPatterns leaves out the patterns that are not local paths (URLs,
// "-"): what the checks of local files look at.
func localPatterns(patterns []string) []string {
	var out []string
	for _, p := range patterns {
		if p != "-" && !objstore.IsURL(p) {
			out = append(out, p)
		}
	}
	return out
}

// inputSize is an input's size in bytes (an object's from its listing),
// false when unknown.
func (o *Options) inputSize(f string) (int64, bool) {
	if o.remote != nil && o.remote.Handles(f) {
		return o.remote.Size(f)
	}
	st, err := os.Stat(f)
	if err != nil {
		return 0, false
	}
	return st.Size(), true
}

// checkStateShard refuses a state file that another shard layout wrote:
// each shard keeps its own state, and a state of another layout holds
// keys this shard does not own (their deletes would be lost) or lacks
// keys it owns.
func (o *Options) checkStateShard(store *state.Store) error {
	last, err := store.LastRun()
	if err != nil || last == nil || last.Shard == o.shard.String() {
		return err
	}
	was, now := "an unsplit run", "an unsplit run"
	if last.Shard != "" {
		was = "shard " + last.Shard
	}
	if o.shard.On() {
		now = "shard " + o.shard.String()
	}
	return usagef("--state %s was written by %s, and this is %s: each shard keeps its own state file (e.g. %s)",
		o.StateFile, was, now, shardStateExample(o.StateFile, o.shard))
}

func shardStateExample(path string, sh shard.Spec) string {
	if !sh.On() {
		return "a new state file for the unsplit run"
	}
	base := strings.TrimSuffix(path, ".state")
	return fmt.Sprintf("%s.shard-%d-of-%d.state", base, sh.K, sh.N)
}
