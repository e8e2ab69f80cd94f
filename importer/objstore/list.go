package objstore

import (
	"fmt"
	"path"
	"strings"

	"github.com/groupimport/groupimport/importer"
)

// Expand implements importer.Remote: the objects a URL names. A key with
// glob characters (* ? [) matches path segment by segment; a key that is
// an object names it; otherwise the key is a folder (a prefix ending at a
// "/"), and so is an empty key (the whole bucket).
func (s *Store) Expand(pattern string) ([]string, []importer.Ignored, error) {
	l, err := parse(pattern)
	if err != nil {
		return nil, nil, err
	}
	if _, err := s.bucket(l); err != nil {
		return nil, nil, err
	}
	x := &expansion{s: s, l: l, seenIgnored: map[string]bool{}}
	switch {
	case strings.ContainsAny(l.key, "*?["):
		err = x.glob()
	case l.key == "" || strings.HasSuffix(l.key, "/"):
		err = x.folder(l.key)
	default:
		var exact bool
		if exact, err = x.object(); err == nil && !exact {
			err = x.folder(l.key + "/")
		}
	}
	if err != nil {
		return nil, nil, err
	}
	if len(x.files) == 0 {
		what := "no object matches " + l.String()
		if !strings.ContainsAny(l.key, "*?[") {
			what = "no object " + l.String() + ", and no objects below it as a folder"
		}
		if n := len(x.ignored); n > 0 {
			what += fmt.Sprintf(" (%d ignored: hidden, _-prefixed or checksum files)", n)
		}
		return nil, nil, explain("listing "+l.String(), l, true, fmt.Errorf("%s", what))
	}
	importer.SortNatural(x.files)
	return x.files, x.ignored, nil
}

// expansion collects the objects of one pattern.
type expansion struct {
	s           *Store
	l           location
	files       []string
	ignored     []importer.Ignored
	seenIgnored map[string]bool
}

// object says whether the key names an object: the first key listed
// under it as a prefix is the key itself when it exists (it sorts first).
func (x *expansion) object() (bool, error) {
	exact := false
	err := x.list(x.l.key, 1, func(key string, lo listedObject) bool {
		if key == x.l.key {
			exact = true
			x.add(key, lo)
		}
		return false
	})
	return exact, err
}

// folder adds every object below prefix (which ends with "/", or is
// empty), leaving out what the rules of local folders leave out.
func (x *expansion) folder(prefix string) error {
	return x.list(prefix, 0, func(key string, lo listedObject) bool {
		x.below(prefix, key, lo)
		return true
	})
}

// below adds key, an object below the folder prefix, unless it or a
// folder between prefix and it is not data by convention.
func (x *expansion) below(prefix, key string, lo listedObject) {
	if strings.HasSuffix(key, "/") {
		return // a folder marker (an empty object some consoles create)
	}
	segs := strings.Split(key[len(prefix):], "/")
	at := prefix
	for i, seg := range segs {
		dir := i < len(segs)-1
		if why := importer.IgnoredReason(seg, dir); why != "" {
			p := x.l.scheme + "://" + x.l.bucket + "/" + at + seg
			if !x.seenIgnored[p] {
				x.seenIgnored[p] = true
				x.ignored = append(x.ignored, importer.Ignored{Path: p, Reason: why})
			}
			return
		}
		at += seg + "/"
	}
	x.add(key, lo)
}

// glob adds the objects whose key matches the pattern segment by segment,
// and the objects below folders that match it.
func (x *expansion) glob() error {
	pat := x.l.key
	meta := strings.IndexAny(pat, "*?[")
	prefix := pat[:strings.LastIndexByte(pat[:meta], '/')+1]
	segs := strings.Split(pat, "/")
	for _, seg := range segs {
		if _, err := path.Match(seg, ""); err != nil {
			return fmt.Errorf("bad glob %q: %w", x.l.String(), err)
		}
	}
	return x.list(prefix, 0, func(key string, lo listedObject) bool {
		ks := strings.Split(key, "/")
		if len(ks) < len(segs) {
			return true
		}
		for i, seg := range segs {
			if ok, _ := path.Match(seg, ks[i]); !ok {
				return true
			}
		}
		if len(ks) == len(segs) {
			if key != "" && !strings.HasSuffix(key, "/") {
				x.add(key, lo)
			}
			return true
		}
		x.below(strings.Join(ks[:len(segs)], "/")+"/", key, lo)
		return true
	})
}

func (x *expansion) add(key string, lo listedObject) {
	name := location{scheme: x.l.scheme, bucket: x.l.bucket, key: key}.String()
	x.files = append(x.files, name)
	x.s.mu.Lock()
	x.s.listed[name] = lo
	x.s.mu.Unlock()
}

// list pages through the keys under prefix, pageSize at a time (0: the
// Store's), calling fn for each until it returns false. Each page is
// retried on transient errors.
func (x *expansion) list(prefix string, pageSize int, fn func(key string, lo listedObject) bool) error {
	s := x.s
	svc, err := s.bucket(x.l)
	if err != nil {
		return err
	}
	if pageSize == 0 {
		pageSize = s.opts.PageSize
	}
	token := ""
	for {
		var objs []entry
		var next string
		err := s.retry(s.ctx, func() error {
			s.lists.Add(1)
			var err error
			objs, next, err = svc.list(s.ctx, prefix, token, pageSize)
			return err
		})
		if err != nil {
			return explain("listing "+x.l.String(), x.l, true, err)
		}
		for _, o := range objs {
			if !fn(o.key, listedObject{size: o.size, v: o.v}) {
				return nil
			}
		}
		if next == "" {
			return nil
		}
		token = next
	}
}
