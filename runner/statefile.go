package runner

import (
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"os"

	"github.com/groupimport/groupimport/state"
)

// openState opens --state for a run. A path that does not exist is a first
// run (said on stderr: a mistyped path would otherwise resend everything
// every night); a dry run then plans against an empty state and creates no
// file. A dry run opens an existing state read-only and changes nothing. A
// damaged state is an error that says what to do, except that a run with
// --full (not a dry run) moves it aside and starts a new state.
func (o *Options) openState() (*state.Store, error) {
	path := o.StateFile
	if _, err := os.Lstat(path); errors.Is(err, fs.ErrNotExist) {
		if o.DryRun {
			o.notice(fmt.Sprintf("no state at %s yet: first run, everything would be sent (a dry run creates no state)", path))
			return state.Empty(path), nil
		}
		o.notice(fmt.Sprintf("no state at %s yet: first run, everything is sent", path))
		return state.Open(path)
	}
	if o.DryRun {
		s, err := state.OpenReadOnly(path)
		return s, o.stateError(err)
	}
	s, err := state.Open(path)
	if err == nil && o.Full {
		// --full may start over: find damage now, not half-way
		if err = s.Check(); err != nil {
			s.Close()
		}
	}
	if errors.Is(err, state.ErrDamaged) && o.Full {
		to, merr := state.MoveAside(path, o.Now())
		if merr != nil {
			return nil, fmt.Errorf("%v; %w", err, merr)
		}
		o.notice(fmt.Sprintf("%v\n  --full: the damaged file was moved aside to %s; a new state starts at %s and everything is sent "+
			"(no deletes of missing keys on this run: the new state knows no keys yet)", err, to, path))
		return state.Open(path)
	}
	return s, o.stateError(err)
}

// stateError adds to a damaged state's error what the user can do.
func (o *Options) stateError(err error) error {
	if !errors.Is(err, state.ErrDamaged) {
		return err
	}
	if o.DryRun {
		return fmt.Errorf("%w\n  a dry run changes nothing: restore the file from a backup, or start over with a run with --full "+
			"(it moves the damaged file aside and sends everything again)", err)
	}
	return fmt.Errorf("%w\n  restore the file from a backup, or start over with --full: the damaged file is then moved aside "+
		"(to %s.damaged-TIME), a new state begins and everything is sent again", err, o.StateFile)
}

// notice tells the user something that matters even with --quiet (as a
// JSON line with --log-format json).
func (o *Options) notice(msg string) {
	if o.LogFormat == "json" {
		slog.New(slog.NewJSONHandler(o.Stderr, nil)).Warn(msg)
		return
	}
	fmt.Fprintf(o.Stderr, "groupimport: %s\n", msg)
}
