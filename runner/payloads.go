package runner

import (
	"fmt"

	"github.com/groupimport/groupimport/report"
	"github.com/groupimport/groupimport/sink"
)

// samplePerKind is how many payloads of each input kind (companies,
// memberships, object deletes, relationship deletes) a dry run with
// --payloads sample writes: the first ones, in input order.
const samplePerKind = 100

// Which payloads a dry run writes (--payloads).
const (
	payloadsAll    = "all"
	payloadsSample = "sample"
	payloadsNone   = "none"
)

// checkPayloads settles --payloads: all (the default), or sample or none,
// which only a dry run writing its payloads somewhere (--out DIR or
// --out -) takes: a run that delivers sends every payload, and a dry run
// without --out shows a few on standard output already.
func (c *config) checkPayloads() error {
	switch c.Payloads {
	case "", payloadsAll:
		c.Payloads = payloadsAll
		return nil
	case payloadsSample, payloadsNone:
	default:
		return usagef("--payloads must be all, sample or none, not %q", c.Payloads)
	}
	switch {
	case !c.isRun:
		return usagef("--payloads %s: validate writes no payloads", c.Payloads)
	case !c.DryRun:
		return usagef("--payloads %s needs --dry-run: a run that delivers writes or sends every payload (review a run with --dry-run --out DIR --payloads %[1]s)", c.Payloads)
	case c.Out == "":
		return usagef("--payloads %s needs --out DIR (or --out -): a dry run without --out writes no payloads but a sample of 5 on standard output", c.Payloads)
	}
	return nil
}

// sampled puts the sampler of --payloads sample|none in front of the
// destination of a dry run (out itself with --payloads all). Payloads
// are sampled per kind of the input file they come from.
func (j *job) sampled(out sink.Sink) sink.Sink {
	if j.c.Payloads == payloadsAll || j.c.Payloads == "" {
		return out
	}
	kinds := map[string]string{}
	for _, in := range j.inputs {
		for _, f := range in.Files {
			kinds[f] = string(in.Kind)
		}
	}
	s := &sink.Sampled{Inner: out, KindOf: func(file string) string { return kinds[file] }}
	if j.c.Payloads == payloadsSample {
		s.PerKind = samplePerKind
	}
	j.sampler = s
	return s
}

// sampleOutput says in the report's output which payloads were written:
// with --payloads sample|none, the files hold Messages of the payloads
// emitted, NotWritten were left out.
func (j *job) sampleOutput(o *report.Output) {
	if j.sampler == nil {
		return
	}
	o.Payloads, o.NotWritten = j.c.Payloads, j.sampler.NotWritten()
	if j.c.Payloads == payloadsSample {
		o.SamplePerKind = samplePerKind
	}
}

// payloadsNote is the summary's note on the payload parts of a sampled
// dry run ("" otherwise).
func (j *job) payloadsNote(o report.Output) string {
	if j.sampler == nil {
		return ""
	}
	return fmt.Sprintf("--payloads %s: %d of %d payloads written", j.c.Payloads, o.Messages, o.Messages+o.NotWritten)
}

// messageRemover removes superseded payloads from what the run wrote.
type messageRemover interface {
	RemoveMessages(sink.MessageSet) error
}

// payloadFiles is what superseded payloads are removed from: the sampler
// in front of the files, the files, or nothing (nil).
func (j *job) payloadFiles() messageRemover {
	switch {
	case j.sampler != nil:
		return j.sampler
	case j.fileOut != nil:
		return j.fileOut
	}
	return nil
}
