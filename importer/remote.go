package importer

import (
	"errors"
	"io"
)

// Remote opens inputs that are not local files: objects in object storage,
// named by URLs (package importer/objstore implements it for s3://, gs://
// and azblob://). Options.Remote and ExpandWith take one; without it every
// name is a local path.
type Remote interface {
	// Handles reports whether name is one of its (a URL of its schemes).
	Handles(name string) bool
	// Expand lists the objects pattern names — an object, a prefix read as
	// a folder, or a glob — with the rules of local inputs: a folder's
	// objects in natural order, what is not data by convention (see
	// IgnoredReason) left out and listed. Nothing found is an error.
	Expand(pattern string) (files []string, ignored []Ignored, err error)
	// Open opens an object for reading.
	Open(name string) (RemoteObject, error)
	// Size is an object's size as the listing gave it (false: unknown).
	Size(name string) (int64, bool)
}

// RemoteObject is an opened object.
type RemoteObject interface {
	// ReadAt reads by ranged requests (Parquet), through a small cache.
	io.ReaderAt
	Size() int64
	// Stream returns a reader of the object from its start: one request,
	// resumed where it broke on transient errors. A stream that cannot be
	// read to the object's end returns an error, never a short read.
	Stream() io.ReadCloser
	// Unchanged returns an error wrapping ErrChanged when the object is not
	// the one opened any more (another ETag or generation).
	Unchanged() error
	Close() error
}

// ErrUnavailable is wrapped by the errors of a storage service that did
// not answer after retries (5xx, throttling, broken connections): a
// failure of the run, not of its configuration.
var ErrUnavailable = errors.New("the storage service is unavailable")

// StdinName is the name standard input ("-" as a path) goes by: in
// messages, the report and the rejects file (stdin:LINE).
const StdinName = "stdin"

// IgnoredReason says why a folder walk leaves out an entry called name (a
// folder when dir), or "" when it is an input: hidden entries, names
// starting with "_" (Spark's _SUCCESS, _committed_*, _temporary/,
// Parquet's _metadata) and checksums (.crc). Object storage listings apply
// the same rules.
func IgnoredReason(name string, dir bool) string { return ignoredReason(name, dir) }

// SortNatural sorts paths so that runs of digits compare by value
// (part-2 before part-10).
func SortNatural(s []string) { sortNatural(s) }

// ExpandWith is ExpandInputs with the patterns remote handles listed by
// remote (nil: none), and "-" read as standard input (named StdinName).
func ExpandWith(patterns []string, remote Remote) (*Inputs, error) {
	res := &Inputs{}
	seen := map[string]bool{}
	var local []string
	flush := func() error {
		if len(local) == 0 {
			return nil
		}
		in, err := ExpandInputs(local)
		local = local[:0]
		if err != nil {
			return err
		}
		for _, f := range in.Files {
			if !seen[f] {
				seen[f] = true
				res.Files = append(res.Files, f)
			}
		}
		res.Ignored = append(res.Ignored, in.Ignored...)
		return nil
	}
	for _, p := range patterns {
		switch {
		case p == "-":
			if err := flush(); err != nil {
				return nil, err
			}
			if !seen[StdinName] {
				seen[StdinName] = true
				res.Files = append(res.Files, StdinName)
			}
		case remote != nil && remote.Handles(p):
			if err := flush(); err != nil {
				return nil, err
			}
			files, ignored, err := remote.Expand(p)
			if err != nil {
				return nil, err
			}
			for _, f := range files {
				if !seen[f] {
					seen[f] = true
					res.Files = append(res.Files, f)
				}
			}
			res.Ignored = append(res.Ignored, ignored...)
		default:
			local = append(local, p)
		}
	}
	if err := flush(); err != nil {
		return nil, err
	}
	return res, nil
}

// remoteSource opens the object name through remote. A name that says
// Parquet is probed with a ranged read of its first bytes, so that no
// stream of the whole object starts; any other is streamed (and dropped
// for ranged reads when its content turns out to be Parquet).
func remoteSource(name string, remote Remote, opts Options) (*Source, error) {
	obj, err := remote.Open(name)
	if err != nil {
		return nil, &FileError{File: name, Err: err}
	}
	if detectByName(name) == Parquet {
		head := make([]byte, len(magicParquet))
		n, err := obj.ReadAt(head, 0)
		if err != nil && err != io.EOF {
			obj.Close()
			return nil, &FileError{File: name, Err: err}
		}
		if string(head[:n]) == string(magicParquet) {
			if opts.Format != "" && opts.Format != Parquet {
				obj.Close()
				return nil, &FileError{File: name, Err: errors.New("the file is Parquet, not " + string(opts.Format))}
			}
			return &Source{Path: name, Format: Parquet, Size: obj.Size(), ra: obj, in: obj, unchanged: obj.Unchanged,
				counter: &countingReader{r: eofReader{}}}, nil
		}
	}
	return newSource(name, &lazyStream{obj: obj}, obj, obj.Unchanged, obj.Size(), opts)
}

// lazyStream starts the object's stream at the first Read; Close closes
// the stream and the object.
type lazyStream struct {
	obj RemoteObject
	rc  io.ReadCloser
}

func (l *lazyStream) Read(p []byte) (int, error) {
	if l.rc == nil {
		l.rc = l.obj.Stream()
	}
	return l.rc.Read(p)
}

func (l *lazyStream) Close() error {
	if l.rc != nil {
		l.rc.Close()
	}
	return l.obj.Close()
}

type eofReader struct{}

func (eofReader) Read([]byte) (int, error) { return 0, io.EOF }
