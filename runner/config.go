package runner

import (
	"log/slog"
	"strings"
	"time"

	"github.com/groupimport/groupimport/importer"
	"github.com/groupimport/groupimport/sink"
	"github.com/groupimport/groupimport/transform"
)

// config is Options settled for one run: every check on the options alone
// passed, defaults are filled in, names normalised (Duplicates is last or
// keep, Compress a sink compression or "", BatchRows 512 when sending to
// the API and unset), and the values derived from them computed once.
// settle makes it; nothing changes it afterwards.
type config struct {
	Options
	isRun    bool // run, not validate
	httpDest bool // --endpoint or --region
	// start is when the run began; defaultTS the event time of rows
	// without their own (--timestamp, or start to the millisecond; a
	// resumed run keeps its own, see job.defTS).
	start, defaultTS time.Time
	// reportPath and rejectsPath are the files the run writes ("": none);
	// defaultDir is the state directory they are in when no flag named
	// them (see outputPaths): writing there may fail without failing the
	// run.
	reportPath, rejectsPath, defaultDir string
	// con is where the run speaks (standard error, as text or JSON).
	con *console
}

// settle checks the options that need nothing but themselves and the file
// system's names, in the order a person fixes them, and derives the config.
// Every error is a UsageError; nothing has been written.
func settle(o Options, con *console) (*config, error) {
	c := &config{Options: o, isRun: o.Command != "validate", httpDest: o.Endpoint != "" || o.Region != "", start: o.Now(), con: con}
	if len(o.Companies)+len(o.Memberships)+len(o.DeleteObjects)+len(o.DeleteRelationships) == 0 {
		return nil, usagef("no input: give --companies and/or --memberships (or --delete-objects / --delete-relationships)")
	}
	switch o.Duplicates {
	case "":
		c.Duplicates = "last"
	case "last", "keep":
	default:
		return nil, usagef("--duplicates must be last or keep, not %q", o.Duplicates)
	}
	if err := c.checkDestination(); err != nil {
		return nil, err
	}
	if err := c.checkNumbers(); err != nil {
		return nil, err
	}
	if err := c.settleCompression(); err != nil {
		return nil, err
	}
	var err error
	if c.defaultTS, err = c.defaultTimestamp(); err != nil {
		return nil, err
	}
	if c.sendsToAPI() && c.BatchRows <= 0 {
		// acknowledgements come per batch of rows: smaller ones bound
		// what a killed run sends again (the network is the bottleneck)
		c.BatchRows = 512
	}
	// Nothing is written before the files are known to be distinct.
	c.reportPath, c.rejectsPath, c.defaultDir = c.outputPaths()
	if err := c.distinctFiles(); err != nil {
		return nil, err
	}
	return c, nil
}

// checkDestination checks that run has one destination, and that the
// options of incremental runs come with --state.
func (c *config) checkDestination() error {
	if c.isRun {
		switch {
		case c.Out == "" && !c.httpDest:
			return usagef("no destination: give --out DIR, --out - (standard output), --endpoint URL or --region us|eu")
		case c.Out != "" && c.httpDest && !c.DryRun:
			return usagef("--out and --endpoint/--region together only with --dry-run (the payloads that would be sent go to --out)")
		}
	}
	if c.StateFile == "" && (c.DeleteMissing || c.Full) {
		return usagef("--delete-missing and --full need --state FILE")
	}
	if c.httpDest {
		// a dry run checks them too: the night it is run for real is too late
		if _, err := c.endpoint(); err != nil {
			return err
		}
	}
	return nil
}

// settleCompression normalises --compress.
func (c *config) settleCompression() error {
	switch c.Compress {
	case "", "none":
		c.Compress = ""
	case "gzip", "gz":
		c.Compress = sink.CompressGzip
	case "zstd", "zst":
		c.Compress = sink.CompressZstd
	default:
		return usagef("--compress must be gzip, zstd or none, not %q", c.Compress)
	}
	if c.Out == "-" && c.Compress != "" {
		return usagef("--compress needs --out DIR; pipe standard output through a compressor instead")
	}
	return nil
}

// defaultTimestamp is --timestamp, or the run's start to the millisecond.
func (c *config) defaultTimestamp() (time.Time, error) {
	if c.Timestamp == "" {
		return c.start.UTC().Truncate(time.Millisecond), nil
	}
	t, err := transform.ParseTime(c.Timestamp, c.Timezone)
	if err != nil {
		return time.Time{}, usagef("--timestamp %q: %v", c.Timestamp, err)
	}
	return t, nil
}

// sendsToAPI says whether the payloads go to the batch API (not a dry run).
func (c *config) sendsToAPI() bool { return c.isRun && c.httpDest && !c.DryRun }

// outDir is --out when it names a directory.
func (c *config) outDir() string {
	if c.Out == "-" {
		return ""
	}
	return c.Out
}

// reviewing says whether payload statistics are collected for the review.
func (c *config) reviewing() bool {
	return c.DryRun || c.Review || (c.Command == "validate" && (c.Out != "" || c.ReportPath != ""))
}

// sentAt is the sentAt written into files: now with --sent-at, else none.
func (c *config) sentAt() time.Time {
	if c.SentAt {
		return c.Now()
	}
	return time.Time{}
}

// logger is the run's log (see console).
func (c *config) logger() *slog.Logger { return c.con.log }

// reading is how the inputs are read, as the options say; a mapping
// section fills in what they leave open.
type reading struct {
	Format, Encoding, Delimiter string
	MaxRecordBytes, MaxRatio    int
}

func (c *config) reading() reading {
	return reading{Format: c.Format, Encoding: c.Encoding, Delimiter: c.Delimiter, MaxRecordBytes: c.MaxRecordBytes, MaxRatio: c.MaxRatio}
}

// options are the importer's options for a kind mapped by km (nil: none).
func (r reading) options(km *transform.KindMapping, streams *importer.Streams) (importer.Options, error) {
	ro := importer.Options{Format: importer.Format(r.Format), Encoding: r.Encoding, MaxRecordBytes: r.MaxRecordBytes, MaxRatio: r.MaxRatio,
		Streams: streams}
	delim := r.Delimiter
	if km != nil {
		if ro.Format == "" {
			ro.Format = importer.Format(km.Format)
		}
		if ro.Encoding == "" {
			ro.Encoding = km.Encoding
		}
		if delim == "" {
			delim = km.Delimiter
		}
		ro.BinaryAsString = km.BinaryAsString
	}
	switch ro.Format {
	case "", importer.CSV, importer.NDJSON, importer.Parquet:
	case "jsonl", "json":
		ro.Format = importer.NDJSON
	default:
		return ro, usagef("unknown format %q (csv, ndjson or parquet)", ro.Format)
	}
	comma, err := delimiter(delim)
	ro.Comma = comma
	return ro, err
}

// delimiter reads --delimiter (or the mapping's): 0 when not given.
func delimiter(delim string) (byte, error) {
	switch strings.ToLower(delim) {
	case "":
		return 0, nil
	case "tab", `\t`, "\t":
		return '\t', nil
	case "comma":
		return ',', nil
	case "semicolon":
		return ';', nil
	case "pipe":
		return '|', nil
	}
	if len(delim) != 1 || delim == `"` || delim == "\n" || delim == "\r" {
		return 0, usagef("the delimiter must be one character (or tab), not %q", delim)
	}
	return delim[0], nil
}
