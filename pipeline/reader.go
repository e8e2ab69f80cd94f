package pipeline

import (
	"context"
	"fmt"
	"io"
	"time"

	"github.com/groupimport/groupimport/importer"
	"github.com/groupimport/groupimport/internal/ordered"
	"github.com/groupimport/groupimport/record"
	"github.com/groupimport/groupimport/transform"
)

// work is a batch of rows to build: what the reader hands the workers.
type work struct {
	input *Input
	file  int // the index of the file in Result.Files
	batch *record.Batch
	first int64 // the ordinal of the batch's first row in the run
	done  bool  // the last batch of the file
	err   error // the file's fatal error, with done
}

// read reads the files of the inputs of one kind, in order, into batches.
func (r *run) read(ctx context.Context, kind transform.Kind, emit ordered.Emit[*work]) error {
	for i := range r.cfg.Inputs {
		in := &r.cfg.Inputs[i]
		if in.Kind != kind {
			continue
		}
		for j, path := range in.Files {
			file := r.firstFile[i] + j
			r.res.Files[file].started = time.Now()
			if err := r.readFile(ctx, in, file, emit); err != nil {
				return err // the run is stopping
			}
			r.bytesBefore += inputSize(in, path)
		}
	}
	return nil
}

// readFile reads one file into batches. A file that cannot be opened or
// read ends with a batch that carries the error (done, err): the run goes
// on with the next file.
func (r *run) readFile(ctx context.Context, in *Input, file int, emit ordered.Emit[*work]) error {
	path := r.res.Files[file].Path
	// Rows of inputs that are not files (Input.Open: the keys an
	// incremental run found missing) are numbered apart, so that the
	// files' rows keep the ordinals an earlier pass over the same files
	// gave them (Config.Superseded and Unchanged are sets of those).
	ord := &r.ordinal
	if in.Open != nil {
		ord = &r.internalOrdinal
	}
	send := func(b *record.Batch, done bool, err error) error {
		w := &work{input: in, file: file, batch: b, first: *ord, done: done, err: err}
		*ord += int64(len(b.Rows))
		return emit(w)
	}
	rd, err := r.open(in, file)
	if err == nil {
		defer rd.Close()
	}
	for {
		b, gerr := r.freeBatch(ctx, path)
		if gerr != nil {
			return gerr
		}
		if err != nil {
			return send(b, true, err)
		}
		rerr := nextSafely(rd, b, r.cfg.BatchRows)
		b.Offset += r.bytesBefore
		if wr, ok := rd.(importer.Warner); ok && rerr != nil {
			r.res.Files[file].warnings = wr.Warnings()
		}
		switch {
		case rerr == io.EOF:
			return send(b, true, nil)
		case rerr != nil:
			return send(b, true, rerr)
		}
		if err := send(b, false, nil); err != nil {
			return err
		}
	}
}

// open opens a file of an input and checks its columns.
func (r *run) open(in *Input, file int) (importer.Reader, error) {
	fr := r.res.Files[file]
	if in.Open != nil {
		rd, err := in.Open(fr.Path)
		if err == nil {
			fr.Format = "internal"
		}
		return rd, err
	}
	rd, src, err := openSafely(fr.Path, in.Read)
	if err != nil {
		return nil, err
	}
	fr.Format, fr.Compression = string(src.Format), string(src.Compression)
	if err := in.Transformer.Check(rd.Columns()); err != nil && src.Format != importer.NDJSON {
		rd.Close()
		return nil, fmt.Errorf("%s: %w", fr.Path, err)
	}
	return rd, nil
}

// freeBatch waits for a batch no worker holds.
func (r *run) freeBatch(ctx context.Context, path string) (*record.Batch, error) {
	select {
	case b := <-r.batches:
		b.Reset()
		b.File = path
		return b, nil
	case <-ctx.Done():
		return nil, ctx.Err()
	}
}

// openSafely and nextSafely turn a panic inside a reader (a third-party
// decoder meeting a file it did not expect) into an error for that file.
func openSafely(path string, opts importer.Options) (r importer.Reader, src *importer.Source, err error) {
	defer func() {
		if p := recover(); p != nil {
			err = &importer.FileError{File: path, Err: fmt.Errorf("the reader failed on this file: %v", p)}
		}
	}()
	return importer.Open(path, opts)
}

func nextSafely(r importer.Reader, b *record.Batch, max int) (err error) {
	defer func() {
		if p := recover(); p != nil {
			err = &importer.FileError{File: b.File, Err: fmt.Errorf("the reader failed on this file: %v", p)}
		}
	}()
	return r.Next(b, max)
}
