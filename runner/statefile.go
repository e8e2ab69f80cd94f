package runner

import (
	"errors"
	"fmt"
	"io/fs"
	"os"

	"github.com/groupimport/groupimport/state"
)

// openState opens --state for a run. A path that does not exist is a first
// run (said on stderr: a mistyped path would otherwise resend everything
// every night); a dry run then plans against an empty state and creates no
// file. A dry run opens an existing state read-only and changes nothing. A
// damaged state is an error that says what to do, except that a run with
// --full (not a dry run) moves it aside and starts a new state.
func (c *config) openState() (*state.Store, error) {
	path := c.StateFile
	if _, err := os.Lstat(path); errors.Is(err, fs.ErrNotExist) {
		if c.DryRun {
			c.notice(fmt.Sprintf("no state at %s yet: first run, everything would be sent (a dry run creates no state)", path), "state", path, "first_run", true)
			return state.Empty(path), nil
		}
		c.notice(fmt.Sprintf("no state at %s yet: first run, everything is sent (check the path if this is not the first run)", path), "state", path, "first_run", true)
		return state.Open(path)
	}
	if c.DryRun {
		s, err := state.OpenReadOnly(path)
		return s, c.stateError(err)
	}
	s, err := state.Open(path)
	if err == nil && c.Full {
		// --full may start over: find damage now, not half-way
		if err = s.Check(); err != nil {
			s.Close()
		}
	}
	if errors.Is(err, state.ErrDamaged) && c.Full {
		to, merr := state.MoveAside(path, c.Now())
		if merr != nil {
			return nil, fmt.Errorf("%v; %w", err, merr)
		}
		c.notice(fmt.Sprintf("%v\n  --full: the damaged file was moved aside to %s; a new state starts at %s and everything is sent "+
			"(no deletes of missing keys on this run: the new state knows no keys yet)", err, to, path))
		return state.Open(path)
	}
	return s, c.stateError(err)
}

// stateError adds to a damaged state's error what the user can do.
func (c *config) stateError(err error) error {
	if !errors.Is(err, state.ErrDamaged) {
		return err
	}
	if c.DryRun {
		return fmt.Errorf("%w\n  a dry run changes nothing: restore the file from a backup, or start over with a run with --full "+
			"(it moves the damaged file aside and sends everything again)", err)
	}
	return fmt.Errorf("%w\n  restore the file from a backup, or start over with --full: the damaged file is then moved aside "+
		"(to %s.damaged-TIME), a new state begins and everything is sent again", err, c.StateFile)
}

// notice tells the user something that matters even with --quiet (as a
// JSON record with args with --log-format json).
func (c *config) notice(msg string, args ...any) { c.con.notice(msg, args...) }
