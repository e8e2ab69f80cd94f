// Package state is the memory of incremental and resumable runs: for every
// object and relationship this tool delivered, its key, the hash of the
// content delivered, and the ids a delete needs; plus the record of the run
// in progress.
//
// It is one bbolt file (a single-writer B+tree with ACID transactions, and a
// file lock that keeps two runs off the same state). The records of a
// generation live in one bucket sorted by key, in blocks of about 2 KB
// (blocks.go), so a run compares its rows with the state in one sequential
// merge, never a lookup per row.
// Acknowledged deliveries are appended to a journal bucket as they happen
// (cheap, sequential, durable) and folded into a new generation at the end
// of the run, again sequentially; a crash at any moment leaves the previous
// generation plus a journal that the next run folds in first.
//
// While a run collects records, Sorter (package internal/extsort) and
// RecordFile (package internal/spill) hold them in temporary files.
package state

import (
	"encoding/binary"
	"errors"
	"fmt"
	"io"

	"github.com/groupimport/groupimport/internal/spill"
)

// Record is what the state keeps of one object or relationship. Its fields
// are those of pipeline.Delivery, so what the pipeline delivered converts to
// it.
type Record struct {
	Key [16]byte
	// Hash is the hash of the content delivered last (type, ids, traits;
	// not the timestamp, messageId or sentAt).
	Hash uint64
	// Deleted is set when the last delivery was a delete.
	Deleted      bool
	Relationship bool
	ObjType      string
	GroupID      string
	UserID       string
	AnonymousID  string
	// Shape and TraitHashes say what each trait of the content delivered
	// was, so that a later run can tell which traits of a changed key
	// changed: Shape is the hash of the list of the payload's trait names
	// (the state keeps the lists by their hash, see SaveShapes), and
	// TraitHashes holds two bytes of the hash of each trait's value, in
	// that list's order. Shape 0 means the record has none (written by an
	// older version, or a delete).
	Shape       uint64
	TraitHashes []byte
}

const (
	flagDeleted      = 1
	flagRelationship = 2
	// flagTraits marks a record with Shape and TraitHashes after its ids.
	// Versions before it read the ids and ignore what follows, and records
	// without it are read as before: old and new state files open with
	// either version.
	flagTraits = 4
)

// appendValue encodes everything but the key.
func (r *Record) appendValue(dst []byte) []byte {
	var flags byte
	if r.Deleted {
		flags |= flagDeleted
	}
	if r.Relationship {
		flags |= flagRelationship
	}
	if r.Shape != 0 {
		flags |= flagTraits
	}
	dst = append(dst, flags)
	dst = binary.LittleEndian.AppendUint64(dst, r.Hash)
	for _, s := range []string{r.ObjType, r.GroupID, r.UserID, r.AnonymousID} {
		dst = binary.AppendUvarint(dst, uint64(len(s)))
		dst = append(dst, s...)
	}
	if r.Shape != 0 {
		dst = binary.LittleEndian.AppendUint64(dst, r.Shape)
		dst = binary.AppendUvarint(dst, uint64(len(r.TraitHashes)))
		dst = append(dst, r.TraitHashes...)
	}
	return dst
}

var errCorrupt = errors.New("state: a record is corrupt")

// decodeRecord decodes a record, its trait hashes copied.
func decodeRecord(key, val []byte) (Record, error) { return decodeRecordTraits(key, val, true) }

// decodeRecordTraits decodes a record; without traits its Shape and
// TraitHashes are left empty (a comparison of whole hashes needs neither,
// and saves their copy).
func decodeRecordTraits(key, val []byte, traits bool) (Record, error) {
	var r Record
	fields, rest, err := splitRecord(key, val, &r.Key, &r.Hash, &r.Deleted, &r.Relationship)
	if err != nil {
		return r, err
	}
	r.ObjType, r.GroupID, r.UserID, r.AnonymousID = string(fields[0]), string(fields[1]), string(fields[2]), string(fields[3])
	if val[0]&flagTraits == 0 {
		return r, nil
	}
	if len(rest) < 8 {
		return r, fmt.Errorf("%w (shape)", errCorrupt)
	}
	shape := binary.LittleEndian.Uint64(rest)
	n, k := binary.Uvarint(rest[8:])
	if k <= 0 || uint64(len(rest)-8-k) < n {
		return r, fmt.Errorf("%w (trait hashes)", errCorrupt)
	}
	if traits {
		r.Shape = shape
		r.TraitHashes = append([]byte(nil), rest[8+k:8+k+int(n)]...)
	}
	return r, nil
}

// splitRecord reads a record's key, hash and flags into the pointers and
// returns its four ids (object type, groupId, userId, anonymousId: slices
// of val) and the bytes after them.
func splitRecord(key, val []byte, k16 *[16]byte, hash *uint64, deleted, rel *bool) (fields [4][]byte, rest []byte, err error) {
	if len(key) != 16 || len(val) < 9 {
		return fields, nil, errCorrupt
	}
	copy(k16[:], key)
	*deleted = val[0]&flagDeleted != 0
	*rel = val[0]&flagRelationship != 0
	*hash = binary.LittleEndian.Uint64(val[1:])
	rest = val[9:]
	for i := range fields {
		n, k := binary.Uvarint(rest)
		if k <= 0 || uint64(len(rest)-k) < n {
			return fields, nil, fmt.Errorf("%w (field %d)", errCorrupt, i)
		}
		fields[i] = rest[k : k+int(n)]
		rest = rest[k+int(n):]
	}
	return fields, rest, nil
}

// RecordFile is a temporary file of records, written then read back in
// order (the keys an incremental run will delete, which may be many).
type RecordFile struct {
	f   *spill.File
	r   *spill.Reader
	buf []byte
}

// NewRecordFile creates an unnamed temporary file in dir ("" for the
// system's).
func NewRecordFile(dir string) (*RecordFile, error) {
	f, err := spill.Create(dir, "groupimport-records-*")
	if err != nil {
		return nil, fmt.Errorf("state: %w", err)
	}
	return &RecordFile{f: f}, nil
}

// Len is the number of records added.
func (rf *RecordFile) Len() int64 { return rf.f.Len() }

// Add appends a record.
func (rf *RecordFile) Add(r *Record) error {
	rf.buf = r.appendValue(append(rf.buf[:0], r.Key[:]...))
	if err := rf.f.Append(rf.buf); err != nil {
		return fmt.Errorf("state: %w", err)
	}
	return nil
}

// Next reads the records back, from the first; false at the end. A file
// cut short or damaged is an error.
func (rf *RecordFile) Next() (Record, bool, error) {
	if rf.r == nil {
		r, err := rf.f.Records()
		if err != nil {
			return Record{}, false, fmt.Errorf("state: %w", err)
		}
		rf.r = r
	}
	buf, err := rf.r.Next()
	if err == io.EOF {
		return Record{}, false, nil
	}
	if err != nil {
		return Record{}, false, fmt.Errorf("state: reading back records: %w", err)
	}
	if len(buf) < 16 {
		return Record{}, false, errCorrupt
	}
	r, err := decodeRecord(buf[:16], buf[16:])
	return r, err == nil, err
}

// Close removes the file.
func (rf *RecordFile) Close() error { return rf.f.Close() }
