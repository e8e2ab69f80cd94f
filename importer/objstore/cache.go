package objstore

import (
	"errors"
	"io"
	"slices"
	"sync"
)

// blockCache serves ReadAt from aligned blocks of the object fetched by
// ranged requests: the blocks a read misses are fetched in one request,
// and the least recently used blocks are dropped past the cache's size.
// Read-ahead starts once a read follows two blocks in the cache:
// the column chunks a Parquet read needs are read through, the ones it
// skips are not fetched by a read-ahead of their neighbours. Concurrent
// reads of a block being fetched wait for it. A read
// larger than a quarter of the cache goes to the service directly.
type blockCache struct {
	size  int64 // the object's
	bs    int64 // block size
	max   int   // blocks kept
	ahead int   // blocks read ahead
	fetch func(off int64, dsts [][]byte) error

	mu     sync.Mutex
	blocks map[int64]*block
	tick   uint64
	free   [][]byte // buffers of dropped blocks no reader holds
	// hinted is set once the reader said what it needs (Prefetch): a miss
	// then fetches only the blocks it reads, no read-ahead
	hinted bool
}

type block struct {
	data    []byte
	ready   chan struct{} // closed when data or err is set
	err     error
	used    uint64
	readers int // reads copying from it: it is not dropped meanwhile
}

func newBlockCache(size int64, o Options, fetch func(off int64, dsts [][]byte) error) *blockCache {
	return &blockCache{size: size, bs: int64(o.BlockBytes), max: max(4, o.CacheBytes/o.BlockBytes), ahead: o.ReadAhead,
		fetch: fetch, blocks: map[int64]*block{}}
}

var errNegativeOffset = errors.New("negative offset")

func (c *blockCache) ReadAt(p []byte, off int64) (int, error) {
	if off < 0 {
		return 0, errNegativeOffset
	}
	if off >= c.size {
		return 0, io.EOF
	}
	want, eof := p, false
	if rest := c.size - off; int64(len(p)) > rest {
		want, eof = p[:rest], true
	}
	if len(want) == 0 {
		return 0, nil
	}
	if int64(len(want)) > int64(c.max)*c.bs/4 {
		if err := c.fetch(off, [][]byte{want}); err != nil {
			return 0, err
		}
	} else if err := c.read(want, off); err != nil {
		return 0, err
	}
	if eof {
		return len(want), io.EOF
	}
	return len(want), nil
}

// read fills p from the blocks that hold [off, off+len(p)).
func (c *blockCache) read(p []byte, off int64) error {
	first, last := off/c.bs, (off+int64(len(p))-1)/c.bs
	blocks, runs := c.plan(first, last)
	defer c.done(blocks)
	var ferr error
	for _, run := range runs {
		if err := c.fill(run); err != nil && ferr == nil {
			ferr = err
		}
	}
	for i, b := range blocks {
		<-b.ready
		if b.err != nil {
			return b.err
		}
		idx := first + int64(i)
		lo := max(off, idx*c.bs)
		hi := min(off+int64(len(p)), (idx+1)*c.bs)
		copy(p[lo-off:hi-off], b.data[lo-idx*c.bs:hi-idx*c.bs])
	}
	return ferr
}

// done releases the blocks a read held.
func (c *blockCache) done(blocks []*block) {
	c.mu.Lock()
	defer c.mu.Unlock()
	for _, b := range blocks {
		b.readers--
	}
	c.evict()
}

// run is consecutive blocks to fetch in one request.
type run struct {
	first  int64
	blocks []*block
}

// plan returns the blocks first…last (placeholders for those missing)
// and the runs of missing blocks to fetch, read-ahead included.
func (c *blockCache) plan(first, last int64) ([]*block, []run) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.tick++
	n := (c.size + c.bs - 1) / c.bs
	end := last
	_, prev := c.blocks[first-1]
	_, prev2 := c.blocks[first-2]
	if prev && prev2 && !c.hinted {
		for end < min(last+int64(c.ahead), n-1) {
			if _, ok := c.blocks[end+1]; ok {
				break
			}
			end++
		}
	}
	var blocks []*block
	var runs []run
	for i := first; i <= end; i++ {
		b := c.blocks[i]
		if b == nil {
			b = &block{ready: make(chan struct{})}
			c.blocks[i] = b
			if k := len(runs) - 1; k >= 0 && runs[k].first+int64(len(runs[k].blocks)) == i {
				runs[k].blocks = append(runs[k].blocks, b)
			} else {
				runs = append(runs, run{first: i, blocks: []*block{b}})
			}
		}
		b.used = c.tick
		if i <= last {
			b.readers++
			blocks = append(blocks, b)
		}
	}
	c.evict()
	return blocks, runs
}

// maxRun bounds the blocks one request fetches.
const maxRun = 32

// Prefetch fetches the blocks of the byte ranges [start, end) not cached
// yet, consecutive ones in one request (up to maxRun blocks), up to half
// the cache; what does not fit is fetched as it is read. From the first
// hint on, a read that misses fetches only the blocks it needs: the hints
// say what is needed, read-ahead would guess.
func (c *blockCache) Prefetch(ranges [][2]int64) {
	var idx []int64
	for _, r := range ranges {
		end := min(r[1], c.size)
		for i := r[0] / c.bs; r[0] < end && i <= (end-1)/c.bs; i++ {
			idx = append(idx, i)
		}
	}
	slices.Sort(idx)
	idx = slices.Compact(idx)
	c.mu.Lock()
	c.hinted = true
	c.tick++
	if budget := c.max / 2; len(idx) > budget {
		idx = idx[:budget]
	}
	var runs []run
	for _, i := range idx {
		if b := c.blocks[i]; b != nil {
			b.used = c.tick
			continue
		}
		b := &block{ready: make(chan struct{}), used: c.tick}
		c.blocks[i] = b
		if k := len(runs) - 1; k >= 0 && runs[k].first+int64(len(runs[k].blocks)) == i && len(runs[k].blocks) < maxRun {
			runs[k].blocks = append(runs[k].blocks, b)
		} else {
			runs = append(runs, run{first: i, blocks: []*block{b}})
		}
	}
	c.evict()
	c.mu.Unlock()
	for _, r := range runs {
		c.fill(r) // a block that failed is fetched again when read
	}
}

// fill fetches a run of blocks and wakes their readers.
func (c *blockCache) fill(r run) error {
	dsts := make([][]byte, len(r.blocks))
	c.mu.Lock()
	for i := range r.blocks {
		size := min(c.bs, c.size-(r.first+int64(i))*c.bs)
		if k := len(c.free) - 1; k >= 0 {
			dsts[i], c.free = c.free[k][:size], c.free[:k]
		} else {
			dsts[i] = make([]byte, size, c.bs)
		}
	}
	c.mu.Unlock()
	err := c.fetch(r.first*c.bs, dsts)
	c.mu.Lock()
	defer c.mu.Unlock()
	for i, b := range r.blocks {
		if err != nil {
			b.err = err
			if c.blocks[r.first+int64(i)] == b {
				delete(c.blocks, r.first+int64(i)) // a later read tries again
			}
		} else {
			b.data = dsts[i]
		}
		close(b.ready)
	}
	return err
}

// evict drops the least recently used fetched blocks past the cache's
// size (blocks of the read being planned have the current tick and stay).
func (c *blockCache) evict() {
	for len(c.blocks) > c.max {
		var victim int64 = -1
		var oldest uint64
		for i, b := range c.blocks {
			if b.used == c.tick || b.data == nil || b.readers > 0 {
				continue
			}
			if victim < 0 || b.used < oldest {
				victim, oldest = i, b.used
			}
		}
		if victim < 0 {
			return
		}
		// no reader holds it (readers == 0): its buffer can be reused
		c.free = append(c.free, c.blocks[victim].data[:0])
		delete(c.blocks, victim)
	}
}
