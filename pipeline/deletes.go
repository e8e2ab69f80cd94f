package pipeline

import (
	"context"
	"encoding/binary"
	"fmt"
	"io"

	"github.com/groupimport/groupimport/internal/spill"
	"github.com/groupimport/groupimport/record"
	"github.com/groupimport/groupimport/sink"
)

// The delete rows of upsert inputs (a deleted flag among companies or
// memberships) are sent in the deletes phase, after every upsert: the
// writer keeps them in a spill file per class meanwhile, in input order.

// keptDeletes holds the delete payloads of one batch.
type keptDeletes struct {
	data []byte
	recs []keptDelete
}

type keptDelete struct {
	class      Class
	start, end int // the payload in data
	pos        record.Position
	key        keyInfo
}

func (d *keptDeletes) add(class Class, payload []byte, pos record.Position, key keyInfo) {
	start := len(d.data)
	d.data = append(d.data, payload...)
	d.recs = append(d.recs, keptDelete{class: class, start: start, end: len(d.data), pos: pos, key: key})
}

// A kept delete in its spill file: file(4) line(8) row(8) row group(4)
// key(16) ordinal(8), then the payload.
const keptHeader = 4 + 8 + 8 + 4 + 16 + 8

func appendKept(dst []byte, file int, d *keptDelete, payload []byte) []byte {
	dst = binary.LittleEndian.AppendUint32(dst, uint32(file))
	dst = binary.LittleEndian.AppendUint64(dst, uint64(d.pos.Line))
	dst = binary.LittleEndian.AppendUint64(dst, uint64(d.pos.Row))
	dst = binary.LittleEndian.AppendUint32(dst, uint32(d.pos.RowGroup))
	dst = append(dst, d.key.key[:]...)
	dst = binary.LittleEndian.AppendUint64(dst, uint64(d.key.row))
	return append(dst, payload...)
}

// decodeKept reads a kept delete back; the payload is what follows the
// header.
func decodeKept(rec []byte) (file int, pos record.Position, key keyInfo) {
	file = int(binary.LittleEndian.Uint32(rec[0:]))
	pos = record.Position{Line: int64(binary.LittleEndian.Uint64(rec[4:])), Row: int64(binary.LittleEndian.Uint64(rec[12:])),
		RowGroup: int(binary.LittleEndian.Uint32(rec[20:]))}
	copy(key.key[:], rec[24:40])
	key.row = int64(binary.LittleEndian.Uint64(rec[40:]))
	key.delete = true
	return file, pos, key
}

// keep appends a batch's delete rows to the spill file of their class.
func (w *writer) keep(file int, d *keptDeletes) error {
	var buf []byte
	for i := range d.recs {
		rec := &d.recs[i]
		f := w.kept[rec.class]
		if f == nil {
			var err error
			if f, err = spill.Create(w.cfg.TempDir, "groupimport-deletes-*.spill"); err != nil {
				return fmt.Errorf("keeping deletes for the end of the run: %w", err)
			}
			if w.kept == nil {
				w.kept = map[Class]*spill.File{}
			}
			w.kept[rec.class] = f
		}
		buf = appendKept(buf[:0], file, rec, d.data[rec.start:rec.end])
		if err := f.Append(buf); err != nil {
			return fmt.Errorf("keeping deletes for the end of the run: %w", err)
		}
	}
	return nil
}

// sendKept sends the kept delete rows of a class, in the order they were
// read, in chunks of up to 4096 payloads or 4 MiB.
func (w *writer) sendKept(ctx context.Context, class Class) error {
	f := w.kept[class]
	if f == nil {
		return nil
	}
	delete(w.kept, class)
	defer f.Close()
	rd, err := f.Records()
	if err != nil {
		return fmt.Errorf("reading back the deletes kept for the end of the run: %w", err)
	}
	k := &keptChunk{class: class, c: w.chunks.get()}
	defer w.chunks.put(k.c)
	for {
		rec, err := rd.Next()
		if err == io.EOF {
			break
		}
		if err == nil && (len(rec) < keptHeader || int(binary.LittleEndian.Uint32(rec)) >= len(w.res.Files)) {
			err = fmt.Errorf("%w: a record of %d bytes", spill.ErrCorrupt, len(rec))
		}
		if err != nil {
			return fmt.Errorf("reading back the deletes kept for the end of the run: %w", err)
		}
		file, pos, key := decodeKept(rec)
		pos.File = w.res.Files[file].Path
		k.add(rec[keptHeader:], pos, key, file)
		if k.c.Count() >= 4096 || len(k.c.Data) >= 4<<20 {
			if err := w.sendKeptChunk(ctx, k); err != nil {
				return err
			}
		}
	}
	return w.sendKeptChunk(ctx, k)
}

// keptChunk is a chunk of kept deletes being filled.
type keptChunk struct {
	class Class
	c     *sink.Chunk
	keys  []keyInfo
	files []int // the index of each one's file in Result.Files
	ds    []Delivery
}

func (k *keptChunk) add(payload []byte, pos record.Position, key keyInfo, file int) {
	k.c.Data = append(k.c.Data, payload...)
	k.c.Ends = append(k.c.Ends, len(k.c.Data))
	k.c.Pos = append(k.c.Pos, pos)
	k.keys = append(k.keys, key)
	k.files = append(k.files, file)
}

// sendKeptChunk prepares and writes a chunk of kept deletes, counts them,
// logs their keys, and empties the chunk.
func (w *writer) sendKeptChunk(ctx context.Context, k *keptChunk) error {
	c := k.c
	if c.Count() == 0 {
		return nil
	}
	if err := w.cfg.Sink.Prepare(c); err != nil {
		return err
	}
	if w.cfg.Tracker != nil {
		k.ds = k.ds[:0]
		for _, key := range k.keys {
			k.ds = append(k.ds, Delivery{Key: key.key, Deleted: true, Relationship: k.class == Relationships})
		}
	}
	if err := w.write(ctx, c, k.ds); err != nil {
		return err
	}
	for _, f := range k.files {
		w.res.Files[f].Emitted++
		w.res.Files[f].Deleted++
	}
	w.res.Emitted += int64(c.Count())
	w.res.Deleted += int64(c.Count())
	if err := w.logKeys(k.keys, true); err != nil {
		return err
	}
	c.Reset()
	k.keys, k.files = k.keys[:0], k.files[:0]
	return nil
}
