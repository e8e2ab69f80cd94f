package runner

// projection collects the columns a mapping reads across the files of one
// input (importer.Options.Columns): nil until a file was checked, so a
// run whose files could not be opened beforehand still reads everything.
type projection struct {
	cols []string
	seen map[string]bool
}

func (p *projection) add(cols []string) {
	if p.seen == nil {
		p.seen = map[string]bool{}
		p.cols = []string{}
	}
	for _, c := range cols {
		if !p.seen[c] {
			p.seen[c] = true
			p.cols = append(p.cols, c)
		}
	}
}
