// Package suggest finds the known name nearest to a mistyped one, for the
// "did you mean" of unknown flags, commands, mapping keys and columns.
package suggest

import (
	"strings"
	"unicode/utf8"
)

// Closest returns the candidate nearest to word, or "" when none is near
// enough to be the word mistyped. Nearness is the edit distance (insert,
// delete, replace, swap two neighbours) between the names folded to lower
// case with '-' and '_' alike, at most 1 for a word of up to 4 letters, 2
// up to 8, else a quarter of its letters; a candidate that contains the
// word or is contained in it (timestamp / timestamp_utc) is near too, when
// the word has 4 letters or more. Ties go to the first candidate.
func Closest(word string, candidates []string) string {
	w := fold(word)
	n := utf8.RuneCountInString(w)
	limit := 1
	switch {
	case n > 8:
		limit = n / 4
	case n > 4:
		limit = 2
	}
	best, bestD := "", limit+1
	for _, c := range candidates {
		f := fold(c)
		if f == w {
			return c
		}
		d := distance(w, f)
		if d > limit && n >= 4 && (strings.Contains(f, w) || strings.Contains(w, f) && utf8.RuneCountInString(f) >= 4) {
			d = limit
		}
		if d < bestD {
			best, bestD = c, d
		}
	}
	return best
}

func fold(s string) string {
	return strings.ReplaceAll(strings.ToLower(strings.TrimLeft(s, "-")), "_", "-")
}

// distance is the optimal-string-alignment distance between a and b.
func distance(a, b string) int {
	ra, rb := []rune(a), []rune(b)
	prev2 := make([]int, len(rb)+1)
	prev := make([]int, len(rb)+1)
	cur := make([]int, len(rb)+1)
	for j := range prev {
		prev[j] = j
	}
	for i := 1; i <= len(ra); i++ {
		cur[0] = i
		for j := 1; j <= len(rb); j++ {
			cost := 1
			if ra[i-1] == rb[j-1] {
				cost = 0
			}
			cur[j] = min(prev[j]+1, cur[j-1]+1, prev[j-1]+cost)
			if i > 1 && j > 1 && ra[i-1] == rb[j-2] && ra[i-2] == rb[j-1] {
				cur[j] = min(cur[j], prev2[j-2]+1)
			}
		}
		prev2, prev, cur = prev, cur, prev2
	}
	return prev[len(rb)]
}
