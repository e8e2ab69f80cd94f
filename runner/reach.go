package runner

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"

	"github.com/groupimport/groupimport/importer"
	"github.com/groupimport/groupimport/importer/objstore"
	"github.com/groupimport/groupimport/internal/shard"
	"github.com/groupimport/groupimport/state"
	"github.com/groupimport/groupimport/transform"
)

// Inputs beyond local files (object storage URLs, standard input as "-")
// and the split of a run across machines (--shard K/N).

// defaultRateLimit is the API's documented rate (3,000 requests per 3 s),
// the sink's default.
const defaultRateLimit = 1000

// settleReach checks the options of the inputs beyond local files and of
// the shard: standard input ("-") given at most once, and the shard, which
// takes its share of the workspace's rate limit.
func (c *config) settleReach() error {
	sh, err := shard.Parse(c.Shard)
	if err != nil {
		return &UsageError{Msg: err.Error()}
	}
	c.shard = sh
	if err := checkStdin(c.allPatterns()); err != nil {
		return err
	}
	if sh.On() && c.HTTP.RateLimit >= 0 {
		total := c.HTTP.RateLimit
		if total == 0 {
			total = defaultRateLimit
		}
		c.HTTP.RateLimit = total / float64(sh.N)
	}
	return nil
}

// checkStdin refuses standard input ("-") given more than once, or beside
// a file whose name it takes.
func checkStdin(patterns []string) error {
	stdin, stdinFile := 0, false
	for _, p := range patterns {
		switch p {
		case "-":
			stdin++
		case importer.StdinName:
			stdinFile = true
		}
	}
	switch {
	case stdin > 1:
		return usagef("standard input (-) can be read once: give - to one flag, once")
	case stdin == 1 && stdinFile:
		return usagef("a file named %q and standard input (-) would share a name in the report; give the file as ./%s", importer.StdinName, importer.StdinName)
	}
	return nil
}

func (c *config) allPatterns() []string {
	var all []string
	for _, in := range c.inputFlags() {
		all = append(all, in.patterns...)
	}
	return all
}

// sources are where the inputs are read from beyond local files: the
// object store (for s3://, gs://, azblob:// inputs, nil without any) and
// the streams read once (standard input as "-", named pipes).
type sources struct {
	streams *importer.Streams
	remote  *objstore.Store
}

// openSources prepares what patterns need before anything is read: the
// object store when one is a URL, standard input (stdin, nil: the
// process's) when one is "-", in streams (nil: new ones).
func openSources(ctx context.Context, patterns []string, stdin io.Reader, streams *importer.Streams) (*sources, error) {
	if err := checkStdin(patterns); err != nil {
		return nil, err
	}
	if streams == nil {
		streams = importer.NewStreams("")
	}
	s := &sources{streams: streams}
	for _, p := range patterns {
		switch {
		case p == "-":
			if stdin == nil {
				stdin = os.Stdin
			}
			s.streams.Add(importer.StdinName, stdin)
		case objstore.IsURL(p) && s.remote == nil:
			s.remote = objstore.New(ctx, objstore.Options{})
		}
	}
	return s, nil
}

// close releases the object store, saying what was asked of it on
// stderr (nil: nothing said), and the streams.
func (s *sources) close(stderr io.Writer) {
	s.streams.Close()
	if s.remote == nil {
		return
	}
	if st := s.remote.Stats(); stderr != nil {
		fmt.Fprintf(stderr, "  object storage: %d listing and %d read requests (%d ranged), %.1f MB received, %d retried, %d streams resumed\n",
			st.Lists, st.Gets+st.Heads, st.RangeGets, float64(st.Bytes)/1e6, st.Retries, st.Resumes)
	}
	s.remote.Close()
}

// remoteInputs is the object store as importer sees it (nil without one).
func (s *sources) remoteInputs() importer.Remote {
	if s == nil || s.remote == nil {
		return nil
	}
	return s.remote
}

// options are the importer's options of r for a kind mapped by km (nil:
// none), reading from these sources.
func (s *sources) options(r reading, km *transform.KindMapping) (importer.Options, error) {
	ro, err := r.options(km, s.streams)
	ro.Remote = s.remoteInputs()
	return ro, err
}

// expand lists the files of patterns (what starts its errors, e.g.
// "--companies: "): local paths, URLs, "-". An object store that did not
// answer is a failure of the run (exit 1); anything else (no such file,
// bucket or object, access denied) is a mistake in the command line.
func (s *sources) expand(what string, patterns []string) (*importer.Inputs, error) {
	in, err := importer.ExpandWith(patterns, s.remoteInputs())
	switch {
	case err == nil:
		return in, nil
	case errors.Is(err, importer.ErrUnavailable):
		return nil, fmt.Errorf("%s%w", what, err)
	}
	return nil, &UsageError{Msg: what + err.Error()}
}

// inputSize is an input's size in bytes (an object's from its listing),
// false when unknown.
func (s *sources) inputSize(f string) (int64, bool) {
	if s.remote != nil && s.remote.Handles(f) {
		return s.remote.Size(f)
	}
	st, err := os.Stat(f)
	if err != nil {
		return 0, false
	}
	return st.Size(), true
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

// openSources is the job's: the run's inputs' sources, closed with the
// job (saying what object storage was asked unless --quiet).
func (j *job) openSources(ctx context.Context) error {
	src, err := openSources(ctx, j.c.allPatterns(), j.c.Stdin, j.streams)
	if err != nil {
		return err
	}
	j.src = src
	return nil
}

// closeSources releases the job's sources.
func (j *job) closeSources() {
	if j.src == nil {
		j.streams.Close()
		return
	}
	var stderr io.Writer
	if !j.c.Quiet {
		stderr = j.c.Stderr
	}
	j.src.close(stderr)
}

// checkStateShard refuses a state file that another shard layout wrote:
// each shard keeps its own state, and a state of another layout holds
// keys this shard does not own (their deletes would be lost) or lacks
// keys it owns.
func (c *config) checkStateShard(store *state.Store) error {
	last, err := store.LastRun()
	if err != nil || last == nil || last.Shard == c.shard.String() {
		return err
	}
	was, now := "an unsplit run", "an unsplit run"
	if last.Shard != "" {
		was = "shard " + last.Shard
	}
	if c.shard.On() {
		now = "shard " + c.shard.String()
	}
	return usagef("--state %s was written by %s, and this is %s: each shard keeps its own state file (e.g. %s)",
		c.StateFile, was, now, shardStateExample(c.StateFile, c.shard))
}

func shardStateExample(path string, sh shard.Spec) string {
	if !sh.On() {
		return "a new state file for the unsplit run"
	}
	base := strings.TrimSuffix(path, ".state")
	return fmt.Sprintf("%s.shard-%d-of-%d.state", base, sh.K, sh.N)
}
