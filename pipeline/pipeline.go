// Package pipeline turns input files into payloads delivered in input
// order: it reads, builds in parallel and hands the payloads to a sink,
// accounting for every row.
//
//	files ──reader──▶ batches ──workers (transform, compress)──▶ chunks ──writer──▶ sink
//	                  (numbered)                                 (in order)         rejects
//
// The reader reads the files in order and numbers each batch of rows; the
// workers build payloads (and compress them, when the sink wants)
// in parallel; the writer hands the chunks to the sink in number order, so
// output order is input order (package internal/ordered). A fixed number of
// batches is in flight, which bounds memory whatever the input size.
//
// A run goes through its phases in order: object upserts; the join table
// built; relationship upserts; relationship deletes; object deletes (see
// Run). What the run needs from elsewhere — the key log of duplicate
// detection, the rows not to send, what an incremental run remembers, the
// join table — plugs in through the small interfaces of Config.
package pipeline

import (
	"context"
	"errors"
	"time"

	"github.com/groupimport/groupimport/importer"
	"github.com/groupimport/groupimport/internal/shard"
	"github.com/groupimport/groupimport/record"
	"github.com/groupimport/groupimport/sink"
	"github.com/groupimport/groupimport/transform"
)

// Input is one kind of input: its files, how to read them, how to map them.
type Input struct {
	Kind        transform.Kind
	Files       []string
	Read        importer.Options
	Transformer *transform.Transformer
	// Open, when set, supplies the reader for each of Files instead of
	// opening them as files (rows that come from elsewhere, such as the
	// keys an incremental run found missing).
	Open func(name string) (importer.Reader, error)
}

// Config configures a run.
type Config struct {
	Inputs  []Input
	Sink    sink.Sink
	Rejects *sink.RejectsWriter
	// Workers building payloads (default: the number of CPUs).
	Workers int
	// BatchRows is the number of rows per batch (default 4096).
	BatchRows int
	// MaxRejects stops the run when more rows are rejected (< 0: no limit).
	MaxRejects int64
	// Progress, when set, is called from the writer about every interval.
	Progress         func(Progress)
	ProgressInterval time.Duration
	// FirstRejects is how many rejects the result keeps in full (default 20).
	FirstRejects int
	// Superseded holds the ordinals of rows not to send: earlier rows of a
	// key that a later row of the run supersedes. Unchanged holds those the
	// destination already has (an incremental run's state says so).
	Superseded, Unchanged RowSet
	// Keys, when set, logs every payload delivered (for duplicate detection).
	Keys KeyLog
	// RejectedKeys, when set, logs the key of every rejected row whose ids
	// could be read (Msg -1, Hash 0): the export holds that object or
	// relationship even though this row of it could not be sent. Rejected
	// rows whose key could not be read are counted (Result.Unkeyed).
	RejectedKeys KeyLog
	// TempDir holds the spill of deletes waiting for the end of the
	// upserts ("" for the system's).
	TempDir string
	// Tracker, when set, is told what each chunk handed to the sink holds,
	// so that an incremental run can remember it once acknowledged.
	Tracker Tracker
	// Scope, when set, makes the result list the object types seen per
	// class of key (Result.Scope).
	Scope bool
	// Join, when set, collects the traits of every company payload; it is
	// built after the last company and before the first membership is
	// read, for memberships that join object traits in.
	Join JoinTable
	// HashOnly builds each row's content only (transform's HashRow): the
	// key, the content hash and the rejections are Append's, but the
	// chunks hold each payload's content, not the call. For a pass that
	// only looks (an incremental run's plan), into a sink that only counts.
	HashOnly bool
	// Shard, when on, is this run's share of the objects (the
	// transformers leave out the rows of other shards' objects): a
	// rejected row whose key could not be read is reported by one shard
	// only, chosen by its position. Such rows of other shards are counted
	// (Result.UnkeyedElsewhere) as well as skipped.
	Shard shard.Spec
}

// RowSet is a set of row ordinals (dedup.Set).
type RowSet interface {
	Has(ordinal int64) bool
}

// KeyLog receives an entry per payload delivered (dedup.Log,
// dedup.Detector, through a conversion to dedup.Entry).
type KeyLog interface {
	Add(KeyEntry) error
}

// KeyEntry is one payload delivered, or one rejected row, as a KeyLog sees
// it. Its fields are those of dedup.Entry, so one converts to the other.
type KeyEntry struct {
	Key    [16]byte
	Row    int64  // the row's ordinal in the run
	Msg    int64  // the payload's index in the output, or -1
	Hash   uint64 // the hash of the payload's content (for incremental runs)
	Delete bool   // the payload is a delete event
}

// Tracker follows deliveries for the state of incremental runs.
type Tracker interface {
	// Delivered is called in order for each chunk just before it is
	// handed to the sink (chunk.Seq numbers them from 0), with what each
	// payload is about and its source position. The slices are valid
	// only during the call.
	Delivered(seq int64, ds []Delivery, pos []record.Position) error
}

// Delivery is what a Tracker is told of one payload: its key, the hash of
// its content, and the ids a later delete needs. Its fields are those of
// state.Record, so one converts to the other.
type Delivery struct {
	Key          [16]byte
	Hash         uint64
	Deleted      bool // the payload is a delete event
	Relationship bool
	ObjType      string
	GroupID      string
	UserID       string
	AnonymousID  string
	// Shape and TraitHashes describe a group payload's traits one by one
	// (transform.Out): the builders of a run with a Tracker make them.
	Shape       uint64
	TraitHashes []byte
}

// JoinTable collects the traits of company payloads for memberships that
// join them in (objtraits.Table): Add for every company, then Build once,
// before the first membership is built.
type JoinTable interface {
	Add(key [16]byte, traits []byte) error
	Build() error
}

// Class says what a key is about: an object or a relationship (a person
// and an object).
type Class byte

// The classes of keys.
const (
	Objects       Class = 'o'
	Relationships Class = 'r'
)

// ClassOf returns the class of a key, given whether it is a relationship.
func ClassOf(relationship bool) Class {
	if relationship {
		return Relationships
	}
	return Objects
}

func (c Class) String() string {
	if c == Relationships {
		return "relationships"
	}
	return "objects"
}

// Progress is a snapshot for progress displays.
type Progress struct {
	Read, Emitted, Rejected int64
	BytesDone, BytesTotal   int64
	File                    string
	Elapsed                 time.Duration
}

// ErrTooManyRejects stops a run that rejects more rows than allowed.
var ErrTooManyRejects = errors.New("too many rejected rows")

// Run reads every input and delivers the payloads to cfg.Sink in input
// order. It returns the result even with an error (a failed sink, a
// cancelled context, too many rejects); file errors do not stop the run and
// are counted in Result.FileErrors.
//
// The inputs are read kind by kind, in the order of the phases, each
// kind's inputs in the order given:
//
//  1. object upserts (transform.Companies);
//  2. the join table is built (with cfg.Join);
//  3. relationship upserts (transform.Memberships);
//  4. relationship deletes: the delete rows among the memberships, kept
//     aside until now, then the transform.RelationshipDeletes inputs;
//  5. object deletes: the delete rows among the companies, then the
//     transform.ObjectDeletes inputs.
//
// Each phase ends when its last payload reached the sink.
func Run(ctx context.Context, cfg Config) (*Result, error) {
	r := newRun(&cfg)
	defer r.close()
	err := r.phases(ctx)
	r.mergeBuilders()
	if err != nil {
		switch {
		case errors.Is(err, ErrTooManyRejects):
			r.res.Stopped = err.Error()
		case errors.Is(err, context.Canceled), errors.Is(err, context.DeadlineExceeded):
			r.res.Stopped = "interrupted"
		default:
			r.res.Stopped = err.Error()
		}
	}
	return r.res, err
}

// phases runs the phases of Run's comment, in order.
func (r *run) phases(ctx context.Context) error {
	if err := r.stream(ctx, transform.Companies); err != nil {
		return err
	}
	if r.cfg.Join != nil && r.has(transform.Memberships) {
		if err := r.cfg.Join.Build(); err != nil {
			return err
		}
	}
	if err := r.stream(ctx, transform.Memberships); err != nil {
		return err
	}
	for _, d := range []struct {
		class Class
		kind  transform.Kind
	}{{Relationships, transform.RelationshipDeletes}, {Objects, transform.ObjectDeletes}} {
		if err := r.w.sendKept(ctx, d.class); err != nil {
			return err
		}
		if err := r.stream(ctx, d.kind); err != nil {
			return err
		}
	}
	r.progress("", true)
	return nil
}
