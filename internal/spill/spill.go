// Package spill keeps records in a temporary file: append them, then read
// them back in the order they were appended. It is the one format of every
// spill of a run (deletes waiting for the end of the upserts, the key log
// of duplicate detection, the runs of the external sort, the records of an
// incremental run).
//
// The file is a sequence of blocks, each [u32 length][u32 CRC-32C][body],
// the body holding records as [uvarint length][bytes]. A reader checks
// each block's checksum before it hands out a record of it, and knows how
// many records and bytes were written: a file cut short, a block that does
// not match its checksum or a failed read is an error, never an early end.
package spill

import (
	"encoding/binary"
	"errors"
	"fmt"
	"hash/crc32"
	"io"
	"os"
	"path/filepath"
)

// ErrCorrupt is the error (wrapped) of a spill file whose content is not
// what was written.
var ErrCorrupt = errors.New("the temporary file is corrupt")

const (
	blockHeader = 8
	// blockSize is the body a block is written at (unless one record is
	// larger, or the file was made with a smaller one: CreateBlocks); it
	// is also the size of the write and read buffers.
	blockSize = 256 << 10
	maxRecord = 1<<31 - 1
)

var castagnoli = crc32.MakeTable(crc32.Castagnoli)

// Storage is where a File's blocks go: an *os.File, or a stand-in (tests
// inject failures with one).
type Storage interface {
	io.Writer
	io.ReaderAt
	io.Closer
}

// File is a spill file being written. Not safe for concurrent use, except
// that Readers may be used concurrently with each other.
type File struct {
	name string
	st   Storage
	buf  []byte // the block being filled: room for the header, then records
	size int64  // bytes written to st
	n    int64  // records appended
	err  error  // the first write error, returned by every later Append
	// block is the file's block size, blockSize when 0
	block int
}

// Create returns an empty File in an unnamed temporary file in dir ("" for
// the system's), created with os.CreateTemp's pattern and removed at once:
// it is gone with the process whatever happens.
func Create(dir, pattern string) (*File, error) {
	f, err := os.CreateTemp(dir, pattern)
	if err != nil {
		return nil, fmt.Errorf("creating a temporary file: %w", err)
	}
	os.Remove(f.Name())
	return New(f, filepath.Base(f.Name())), nil
}

// CreateBlocks is Create with blocks of up to block bytes rather than
// blockSize: a reader holds one block, so a merge reading many files at
// once holds one per file.
func CreateBlocks(dir, pattern string, block int) (*File, error) {
	f, err := Create(dir, pattern)
	if err == nil && block > 0 {
		f.block = min(block, blockSize)
	}
	return f, err
}

// New returns an empty File writing to st; name is for error messages.
func New(st Storage, name string) *File { return &File{name: name, st: st} }

// Len is the number of records appended.
func (f *File) Len() int64 { return f.n }

// Append adds a record; rec is copied.
func (f *File) Append(rec []byte) error {
	if f.err != nil {
		return f.err
	}
	if len(rec) > maxRecord {
		return fmt.Errorf("%s: a record of %d bytes is too large", f.name, len(rec))
	}
	if len(f.buf)+binary.MaxVarintLen32+len(rec) > blockHeader+f.blockSize() {
		if err := f.writeBlock(); err != nil {
			return err
		}
	}
	if f.buf == nil {
		f.buf = make([]byte, blockHeader, blockHeader+f.blockSize())
	}
	f.buf = binary.AppendUvarint(f.buf, uint64(len(rec)))
	f.buf = append(f.buf, rec...)
	f.n++
	return nil
}

func (f *File) blockSize() int {
	if f.block > 0 {
		return f.block
	}
	return blockSize
}

// writeBlock writes the block being filled, if it holds any record.
func (f *File) writeBlock() error {
	if len(f.buf) <= blockHeader {
		return nil
	}
	body := f.buf[blockHeader:]
	binary.LittleEndian.PutUint32(f.buf[0:], uint32(len(body)))
	binary.LittleEndian.PutUint32(f.buf[4:], crc32.Checksum(body, castagnoli))
	if _, err := f.st.Write(f.buf); err != nil {
		f.err = fmt.Errorf("%s: writing: %w", f.name, err)
		return f.err
	}
	f.size += int64(len(f.buf))
	f.buf = f.buf[:blockHeader]
	if cap(f.buf) > 2*f.blockSize() {
		f.buf = nil // grown for one large record: not kept
	}
	return nil
}

// Flush writes what is buffered and lets the buffer go: call it when done
// appending for a while (a file kept for later holds no buffer).
func (f *File) Flush() error {
	if f.err != nil {
		return f.err
	}
	if err := f.writeBlock(); err != nil {
		return err
	}
	f.buf = nil
	return nil
}

// Records flushes the file and returns a reader of every record appended
// so far, from the first. A file may be read any number of times, and
// appended to between reads.
func (f *File) Records() (*Reader, error) {
	if err := f.Flush(); err != nil {
		return nil, err
	}
	return &Reader{name: f.name, st: f.st, size: f.size, n: f.n}, nil
}

// Close releases the file.
func (f *File) Close() error {
	if f.st == nil {
		return nil
	}
	err := f.st.Close()
	f.st, f.buf = nil, nil
	return err
}

// Reader reads a File's records back in order.
type Reader struct {
	name    string
	st      io.ReaderAt
	off     int64 // where the next block starts
	size    int64 // bytes written
	n, read int64 // records written, records read
	block   []byte
	pos     int   // the next record in block
	err     error // the first error, returned by every later Next
}

// Next returns the next record, valid until the next call, or io.EOF
// after the last. Anything else than the records written is an error
// wrapping ErrCorrupt or io.ErrUnexpectedEOF (or the read's own error).
func (r *Reader) Next() ([]byte, error) {
	if r.err != nil {
		return nil, r.err
	}
	rec, err := r.next()
	if err != nil && err != io.EOF {
		r.err = err
	}
	return rec, err
}

func (r *Reader) next() ([]byte, error) {
	if r.read == r.n {
		if r.pos != len(r.block) || r.off != r.size {
			return nil, r.corrupt("more data after the last of %d records", r.n)
		}
		return nil, io.EOF
	}
	if r.pos == len(r.block) {
		if err := r.load(); err != nil {
			return nil, err
		}
	}
	n, k := binary.Uvarint(r.block[r.pos:])
	if k <= 0 || n > uint64(len(r.block)-r.pos-k) {
		return nil, r.corrupt("record %d overruns its block", r.read+1)
	}
	start := r.pos + k
	r.pos = start + int(n)
	r.read++
	return r.block[start:r.pos:r.pos], nil
}

// load reads and checks the next block.
func (r *Reader) load() error {
	if r.off >= r.size {
		return fmt.Errorf("%s: %w: the file ends after %d of %d records", r.name, io.ErrUnexpectedEOF, r.read, r.n)
	}
	var hdr [blockHeader]byte
	if err := r.readAt(hdr[:], r.off); err != nil {
		return err
	}
	length := int64(binary.LittleEndian.Uint32(hdr[0:]))
	if length == 0 || length > r.size-r.off-blockHeader {
		return r.corrupt("a block of %d bytes at offset %d of %d", length, r.off, r.size)
	}
	if int64(cap(r.block)) < length {
		r.block = make([]byte, length)
	}
	r.block, r.pos = r.block[:length], 0
	if err := r.readAt(r.block, r.off+blockHeader); err != nil {
		return err
	}
	if crc32.Checksum(r.block, castagnoli) != binary.LittleEndian.Uint32(hdr[4:]) {
		return r.corrupt("the block at offset %d does not match its checksum", r.off)
	}
	r.off += blockHeader + length
	return nil
}

func (r *Reader) readAt(p []byte, off int64) error {
	n, err := r.st.ReadAt(p, off)
	if n == len(p) {
		return nil // ReadAt may say io.EOF with a full read at the end
	}
	if err == nil || err == io.EOF {
		err = io.ErrUnexpectedEOF
	}
	return fmt.Errorf("%s: reading %d bytes at offset %d: %w", r.name, len(p), off, err)
}

func (r *Reader) corrupt(format string, args ...any) error {
	return fmt.Errorf("%s: %w: %s", r.name, ErrCorrupt, fmt.Sprintf(format, args...))
}
