package transform

import (
	"fmt"
	"strconv"
	"sync"
	"sync/atomic"

	"github.com/zeebo/xxh3"
)

// ObjectTypes is a run's view of its companies input: the object types
// each groupId was sent with. A membership that names a groupId of the
// companies input with another objectTypeId relates the person to another
// object of that id — one the companies input does not fill — and is
// warned (Config.ObjectTypes).
//
// Companies are added as they are built and memberships looked up later
// (a run builds every company before the first membership); both are safe
// for concurrent use. Memory is bounded: each company takes one 8-byte
// slot (a 48-bit hash of its groupId and its 16-bit type; open addressing
// at most three quarters full), and past MaxObjectTypes companies no more
// are added. A groupId that is not in the table, or a type over 65,534, is
// not checked: the table never warns about a membership it cannot judge,
// and a false match of 48-bit hashes (odds of n/2⁴⁸) only hides a warning.
type ObjectTypes struct {
	shards [otShards]otShard
	n      atomic.Int64
	max    int64
}

// MaxObjectTypes is how many companies an ObjectTypes keeps (measured:
// 16.7 MB of heap for a million companies, 134 MB for 8 M).
const MaxObjectTypes = 8 << 20

const (
	otShards    = 64
	otTypeBits  = 16
	otTypeMask  = 1<<otTypeBits - 1
	otLargeType = otTypeMask // types this large or larger are not checked
)

type otShard struct {
	mu    sync.RWMutex
	slots []uint64 // hash<<16 | type, 0 when free
	n     int
}

// NewObjectTypes returns an empty table.
func NewObjectTypes() *ObjectTypes { return &ObjectTypes{max: MaxObjectTypes} }

// otKey splits the hash of groupID into its shard and the 48 bits kept.
func otKey(groupID []byte) (int, uint64) {
	h := xxh3.Hash(groupID)
	return int(h % otShards), h >> otTypeBits
}

func otType(objectType []byte) uint64 {
	n, err := strconv.ParseUint(string(objectType), 10, 64)
	if err != nil || n >= otLargeType {
		return otLargeType
	}
	return n
}

// Add notes that the companies input sends groupID with objectType.
func (o *ObjectTypes) Add(groupID, objectType []byte) {
	shard, key := otKey(groupID)
	typ := otType(objectType)
	s := &o.shards[shard]
	s.mu.Lock()
	defer s.mu.Unlock()
	if len(s.slots) == 0 || (s.n+1)*4 > len(s.slots)*3 {
		if o.n.Load() >= o.max {
			return
		}
		s.grow()
	}
	entry := key<<otTypeBits | typ
	mask := len(s.slots) - 1
	for i := int(key) & mask; ; i = (i + 1) & mask {
		switch s.slots[i] {
		case entry:
			return // known
		case 0:
			if o.n.Add(1) > o.max {
				o.n.Add(-1)
				return
			}
			s.slots[i] = entry
			s.n++
			return
		}
	}
}

// grow doubles the shard's slots (holding its lock).
func (s *otShard) grow() {
	old := s.slots
	s.slots = make([]uint64, max(1024, 2*len(old)))
	mask := len(s.slots) - 1
	for _, e := range old {
		if e == 0 {
			continue
		}
		i := int(e>>otTypeBits) & mask
		for s.slots[i] != 0 {
			i = (i + 1) & mask
		}
		s.slots[i] = e
	}
}

// Other reports whether the companies input sends groupID with object
// types but not with objectType, and one of them (for messages).
func (o *ObjectTypes) Other(groupID, objectType []byte) (other uint64, differs bool) {
	typ := otType(objectType)
	if typ == otLargeType {
		return 0, false
	}
	shard, key := otKey(groupID)
	s := &o.shards[shard]
	s.mu.RLock()
	defer s.mu.RUnlock()
	if len(s.slots) == 0 {
		return 0, false
	}
	mask := len(s.slots) - 1
	for i := int(key) & mask; s.slots[i] != 0; i = (i + 1) & mask {
		e := s.slots[i]
		if e>>otTypeBits != key {
			continue
		}
		t := e & otTypeMask
		if t == typ || t == otLargeType {
			return 0, false
		}
		other = t
	}
	return other, other != 0
}

// checkObjectType adds a company's object type to the run's table, or
// looks a membership's up in it.
func (b *Builder) checkObjectType(id *identity) {
	ot := b.t.cfg.ObjectTypes
	switch {
	case ot == nil:
	case b.t.cfg.Kind == Companies:
		ot.Add(id.groupID, id.objectType)
	case b.t.cfg.Kind == Memberships:
		other, differs := ot.Other(id.groupID, id.objectType)
		if !differs {
			return
		}
		r := b.noted("objecttype", func() string {
			return fmt.Sprintf("groupId %q: objectTypeId %s here, %d in companies", id.groupID, id.objectType, other)
		}, func(ex string) string {
			return fmt.Sprintf("memberships: objectTypeId differs from the companies input's for the same groupId (e.g. %s): "+
				"such a membership relates the person to another object of that id, one the companies input does not fill", ex)
		})
		b.Warnings[r.msg]++
	}
}
