package speccheck

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"io"
	"strings"
)

// Problem is a violation found at a line of a stream.
type Problem struct {
	Source string // the name given to Stream.Add; "" for CheckStream
	Line   int    // 1-based line number
	Err    error  // a *Violation, or the error that stopped reading
}

func (p Problem) Error() string {
	if p.Source == "" {
		return fmt.Sprintf("line %d: %v", p.Line, p.Err)
	}
	return fmt.Sprintf("%s:%d: %v", p.Source, p.Line, p.Err)
}

func (p Problem) Unwrap() error { return p.Err }

// Report is the outcome of checking a stream.
type Report struct {
	Lines    int          // lines read
	Messages int          // lines checked as messages (blank lines are not)
	Kinds    map[Kind]int // messages by kind
	Problems []Problem    // in stream order; at most Options.MaxProblems when that is set
	Count    int          // problems found, kept or not
}

// OK reports whether the stream broke no rule and was read to its end.
func (r Report) OK() bool { return r.Count == 0 }

// Err returns nil when the report is OK, else an error listing the first
// problems (up to 20).
func (r Report) Err() error {
	if r.OK() {
		return nil
	}
	const show = 20
	errs := []error{fmt.Errorf("speccheck: %d problem(s) in %d message(s)", r.Count, r.Messages)}
	for i, p := range r.Problems {
		if i == show {
			break
		}
		errs = append(errs, p)
	}
	if r.Count > min(show, len(r.Problems)) {
		errs = append(errs, fmt.Errorf("… and %d more", r.Count-min(show, len(r.Problems))))
	}
	return errors.Join(errs...)
}

// CheckStream checks every line of an NDJSON stream with Check, plus the
// rules that span messages: messageIds are unique, and with
// Options.CheckOrder, object calls come before relationship calls and
// deletes after all group calls. A read error is reported as a problem.
func CheckStream(r io.Reader, opts Options) Report {
	s := NewStream(opts)
	_ = s.Add("", r) // recorded in the report
	return s.Report()
}

// Stream checks several inputs as one stream (the parts of one --out
// directory, in order), so that cross-message rules span them. It is not
// safe for concurrent use.
type Stream struct {
	opts Options
	ids  map[string]where
	// the furthest phase reached (object calls, relationship calls,
	// deletes) and where it was first reached
	phase   int
	phaseAt where
	phaseOf Kind
	rep     Report
}

type where struct {
	source string
	line   int
}

func (w where) String() string {
	if w.source == "" {
		return fmt.Sprintf("line %d", w.line)
	}
	return fmt.Sprintf("%s:%d", w.source, w.line)
}

// NewStream returns an empty Stream.
func NewStream(opts Options) *Stream {
	return &Stream{opts: opts, ids: map[string]where{}, phase: -1, rep: Report{Kinds: map[Kind]int{}}}
}

// Report returns the problems found so far.
func (s *Stream) Report() Report { return s.rep }

func (s *Stream) problem(at where, err error) {
	s.rep.Count++
	if s.opts.MaxProblems > 0 && len(s.rep.Problems) >= s.opts.MaxProblems {
		return
	}
	s.rep.Problems = append(s.rep.Problems, Problem{Source: at.source, Line: at.line, Err: err})
}

func (s *Stream) violation(at where, rule Rule, format string, args ...any) {
	s.problem(at, &Violation{Rule: rule, Msg: fmt.Sprintf(format, args...)})
}

// Add checks every line of r, naming them source:line. It returns the
// error that stopped reading, if any (also recorded as a problem).
func (s *Stream) Add(source string, r io.Reader) error {
	br := bufio.NewReaderSize(r, 64<<10)
	at := where{source: source}
	for {
		line, err := br.ReadBytes('\n')
		if len(line) > 0 {
			at.line++
			s.rep.Lines++
			s.line(at, line, err == nil)
		}
		if err == io.EOF {
			return nil
		}
		if err != nil {
			err = fmt.Errorf("reading: %w", err)
			s.problem(where{source, at.line + 1}, err)
			return err
		}
	}
}

// phases of an ordered stream
func phase(k Kind) int {
	switch k {
	case KindObject:
		return 0
	case KindRelationship:
		return 1
	case KindObjectDeleted, KindRelationshipDeleted:
		return 2
	}
	return -1
}

func (s *Stream) line(at where, line []byte, terminated bool) {
	if !terminated {
		s.violation(at, RuleNDJSON, "the last line has no terminating newline (a truncated write?)")
	}
	body := bytes.TrimSuffix(line, []byte("\n"))
	if bytes.HasSuffix(body, []byte("\r")) {
		s.violation(at, RuleNDJSON, "CR LF line ending; NDJSON lines end with LF")
	}
	if len(trimJSONSpace(body)) == 0 {
		s.violation(at, RuleNDJSON, "blank line")
		return
	}
	s.rep.Messages++
	res := CheckMessage(body, s.opts)
	s.rep.Kinds[res.Kind]++
	for _, e := range res.Errors {
		s.problem(at, e)
	}

	if res.MessageID != "" {
		if first, dup := s.ids[res.MessageID]; dup {
			s.violation(at, RuleDuplicateMessageID, "messageId %q was already used at %s (the API de-duplicates on it: one of the two would be dropped)", res.MessageID, first)
		} else {
			s.ids[res.MessageID] = at
		}
	}

	if !s.opts.CheckOrder {
		return
	}
	ph := phase(res.Kind)
	switch {
	case ph < 0:
	case ph < s.phase:
		s.violation(at, RuleOrder, "%s after %s %s (the first at %s): object calls come first, then relationship calls, then deletes", res.Kind, article(s.phaseOf.String()), s.phaseOf, s.phaseAt)
	case ph > s.phase:
		s.phase, s.phaseAt, s.phaseOf = ph, at, res.Kind
	}
}

func article(noun string) string {
	if noun != "" && strings.ContainsRune("aeiou", rune(noun[0])) {
		return "an"
	}
	return "a"
}
