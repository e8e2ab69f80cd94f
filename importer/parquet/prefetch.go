package parquet

// Prefetcher is implemented by an io.ReaderAt that reads over a network
// (package importer/objstore): told the byte ranges about to be read, it
// fetches them at once, in as few requests as they allow, instead of block
// by block as the reads come.
type Prefetcher interface {
	Prefetch(ranges [][2]int64) // [start, end) offsets
}

// prefetch tells a Prefetcher the column chunks of row group rg that are
// decoded, before their pages are checked and read.
func (r *Reader) prefetch(rg int) {
	p, ok := r.ra.(Prefetcher)
	if !ok {
		return
	}
	var ranges [][2]int64
	for j := range r.sch.leaves {
		if !r.wantLeaf[j] || j >= len(r.meta.RowGroups[rg].Columns) {
			continue
		}
		md := &r.meta.RowGroups[rg].Columns[j].MetaData
		start := md.DataPageOffset
		if md.DictionaryPageOffset != 0 && md.DictionaryPageOffset < start {
			start = md.DictionaryPageOffset
		}
		end := start + md.TotalCompressedSize
		if start < 4 || end <= start || end > r.dataEnd {
			continue // the checks name what is wrong with it
		}
		ranges = append(ranges, [2]int64{start, end})
	}
	if len(ranges) > 0 {
		p.Prefetch(ranges)
	}
}
