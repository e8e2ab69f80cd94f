package runner

import (
	"fmt"

	"github.com/groupimport/groupimport/sink"
)

// openOutputs is the phase that opens where the run writes: the sink of
// the payloads (nothing for validate; the API, standard output, files in
// --out, or a sample on standard output for a dry run) and the rejects
// file.
func (j *job) openOutputs() error {
	c := j.c
	switch {
	case !c.isRun:
		j.out = &sink.Discard{}
	case c.sendsToAPI():
		c.warnWithoutState()
		hs, err := j.openAPI()
		if err != nil {
			return err
		}
		j.httpSink, j.out = hs, hs
	case c.Out == "-":
		j.out = sink.NewWriterSink(c.Stdout, "standard output")
	case c.outDir() != "":
		fs, err := sink.NewFileSink(sink.FileOptions{Dir: c.outDir(), Compression: c.Compress, PartBytes: c.PartBytes,
			Overwrite: c.Overwrite, Replaces: c.filesWritten(c.outDir())})
		if err != nil {
			return err
		}
		j.onClose(fs.Release) // after the report: the directory is this run's until then
		j.fileOut, j.out = fs, fs
	case c.DryRun:
		j.out = &sink.Sample{W: c.Stdout, N: 5}
	default:
		j.out = &sink.Discard{}
	}
	path := c.rejectsPath
	rejects, err := sink.NewRejectsWriter(path)
	if err != nil && c.defaultDir != "" && c.RejectsPath == "" {
		// a place no flag named: the run goes on without the file
		c.con.notice(fmt.Sprintf("the rejects file was not written to the default place %s (%v); give --rejects FILE, "+
			"--report FILE or --out DIR", path, err), "file", path)
		path = ""
		rejects, err = sink.NewRejectsWriter("")
	}
	if err != nil {
		return err
	}
	j.rejects = rejects
	j.rep.RejectsFile = path
	if j.refused != nil {
		j.refused.rejects = rejects
	}
	return nil
}

// openAPI makes the sink that sends to the batch API, with the accounting
// of what the API refuses (into the rejects file) and acknowledges (into
// the state's journal, for an incremental run).
func (j *job) openAPI() (*sink.HTTPSink, error) {
	c := j.c
	url, err := c.endpoint()
	if err != nil {
		return nil, err
	}
	key, err := c.apiKey(j.log)
	if err != nil {
		return nil, err
	}
	j.refused = newRefusals(j.inputs)
	h := c.HTTP
	hs, err := sink.NewHTTPSink(sink.HTTPOptions{Endpoint: url, APIKey: key, AllowInsecure: h.AllowInsecure,
		DisableStrictMode: h.NoStrictMode, DisableGzip: h.NoGzip, Concurrency: h.Concurrency, RateLimit: h.RateLimit,
		MaxBatchBytes: h.BatchBytes, MaxBatchMessages: h.BatchMessages, MaxAttempts: h.MaxAttempts,
		MaxElapsed: h.MaxElapsed, RequestTimeout: h.RequestTimeout, BackoffBase: h.RetryBase, UserAgent: "groupimport/" + c.Version,
		AllRefusedLimit: allRefusedLimit,
		OnRefused:       j.refused.add,
		OnDelivered: func(a []sink.MessageAck) {
			if j.counter != nil {
				j.counter.acknowledged(a)
			}
			if j.acks != nil {
				j.acks.delivered(a)
			}
		},
		OnAck: func(seq int64) {
			if j.counter != nil {
				j.counter.resolved(seq)
			}
			if j.acks != nil {
				j.acks.ack(seq)
			}
		}})
	if err != nil {
		// the options of the sink are the user's flags
		return nil, &UsageError{Msg: err.Error()}
	}
	return hs, nil
}
