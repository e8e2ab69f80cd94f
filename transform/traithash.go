package transform

import (
	"encoding/binary"

	"github.com/zeebo/xxh3"
)

// Trait hashes: with Builder.TraitHashes (the delivery pass of an
// incremental run, whose state remembers them), each group payload is also
// described trait by trait, so that a later run can tell which traits of
// a changed key changed: Out.Shape is the hash of the payload's list of
// trait names (objectTypeId left out; a relationship attribute is named
// "relationshipAttributes.<name>"), Out.TraitHashes two bytes of the hash
// of each trait's value (its JSON text, as written) in that list's order.
// The Transformer keeps the lists by their hash (TraitNames), so the state
// stores a list once, not per key: 2 bytes a trait and 8 a record.
//
// Two bytes tell a changed value from an unchanged one but once in 65,536;
// the record's whole content hash still says that the key changed.

// maxTraitShapes bounds the lists of trait names a builder registers: payloads
// of shapes past it still carry their hashes, but their names cannot be
// told (exports whose every row has its own set of fields).
const maxTraitShapes = 10000

// relSeed seeds the hash of a relationship attribute's name, apart from a
// trait's of the same name.
const relSeed = 0x72656c61

// traitNote is one trait of the payload being built.
type traitNote struct {
	nameHash uint64
	name     string // the trait's name; for an attribute without the prefix
	rel      bool   // a relationship attribute
	value    uint16
}

// noteTrait notes a trait written (with trait hashes on): its name, the
// hash of its name, and its value's JSON text.
func (b *Builder) noteTrait(nameHash uint64, name string, rel bool, value []byte) {
	if b.hashTraits {
		b.traitNotes = append(b.traitNotes, traitNote{nameHash: nameHash, name: name, rel: rel, value: uint16(xxh3.Hash(value))})
	}
}

// noteSlot notes the trait or attribute of a slot.
func (b *Builder) noteSlot(s *slot, value []byte) {
	if b.hashTraits {
		b.traitNotes = append(b.traitNotes, traitNote{nameHash: s.traitHash, name: s.name, rel: s.rel, value: uint16(xxh3.Hash(value))})
	}
}

// traitNameHash is the hash of a trait's name (rel: of a relationship
// attribute's).
func traitNameHash(name string, rel bool) uint64 {
	if rel {
		return xxh3.HashStringSeed(name, relSeed)
	}
	return xxh3.HashString(name)
}

// describeTraits fills out's Shape and TraitHashes from the traits noted,
// and registers a shape this builder has not seen.
func (b *Builder) describeTraits(out *Out) {
	h := uint64(0x9e3779b97f4a7c15)
	b.traitBuf = b.traitBuf[:0]
	for _, n := range b.traitNotes {
		h = (h ^ n.nameHash) * 0xbf58476d1ce4e5b9
		h ^= h >> 31
		b.traitBuf = binary.LittleEndian.AppendUint16(b.traitBuf, n.value)
	}
	if h == 0 {
		h = 1
	}
	out.Shape, out.TraitHashes = h, b.traitBuf
	if h == b.lastShape {
		return
	}
	b.lastShape = h
	if _, ok := b.shapes[h]; ok || len(b.shapes) >= maxTraitShapes {
		return
	}
	if b.shapes == nil {
		b.shapes = map[uint64]struct{}{}
	}
	b.shapes[h] = struct{}{}
	names := make([]string, len(b.traitNotes))
	for i, n := range b.traitNotes {
		names[i] = n.name
		if n.rel {
			names[i] = traitRelAttrs + "." + n.name
		}
	}
	b.t.shapes.LoadOrStore(h, names)
}

// TraitNames returns the list of trait names of a shape (Out.Shape) that
// this transformer's builders registered.
func (t *Transformer) TraitNames(shape uint64) ([]string, bool) {
	v, ok := t.shapes.Load(shape)
	if !ok {
		return nil, false
	}
	return v.([]string), true
}
