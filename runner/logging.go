package runner

import (
	"context"
	"fmt"
	"io"
	"log/slog"
)

// LogTimeLayout is the time of every log record: RFC 3339 in UTC, to the
// millisecond (a nightly job's lines compare across machines and zones).
const LogTimeLayout = "2006-01-02T15:04:05.000Z07:00"

// console is how a run speaks on standard error. As text, people read it:
// log records (progress, resuming, a key file others can read) are
// slog's key=value lines with their time; what is written for people (the
// mapping chosen, the plan, the summary, notices, the final error) is plain
// lines. With --log-format json every line on standard error is one JSON
// object with time, level and msg, those included. --quiet leaves out what
// is only informative: warnings and errors always appear, and a failed run
// always ends with its error.
type console struct {
	w     io.Writer
	json  bool
	quiet bool
	log   *slog.Logger
}

// newConsole makes the console of a run writing to w in format (text or
// json).
func newConsole(w io.Writer, format string, quiet bool) *console {
	level := slog.LevelInfo
	if quiet {
		level = slog.LevelWarn
	}
	opts := &slog.HandlerOptions{Level: level, ReplaceAttr: func(groups []string, a slog.Attr) slog.Attr {
		if a.Key == slog.TimeKey && len(groups) == 0 && a.Value.Kind() == slog.KindTime {
			return slog.String(slog.TimeKey, a.Value.Time().UTC().Format(LogTimeLayout))
		}
		return a
	}}
	c := &console{w: w, json: format == "json", quiet: quiet}
	if c.json {
		c.log = slog.New(slog.NewJSONHandler(w, opts))
	} else {
		c.log = slog.New(slog.NewTextHandler(w, opts))
	}
	return c
}

// shows says whether a message of this level is shown.
func (c *console) shows(level slog.Level) bool { return !c.quiet || level >= slog.LevelWarn }

// say tells people something: with JSON logs a record of msg and args;
// as text, text writes it (nil: "groupimport: msg" on a line of its own).
func (c *console) say(level slog.Level, msg string, args []any, text func(w io.Writer)) {
	if !c.shows(level) {
		return
	}
	if c.json {
		c.log.Log(context.Background(), level, msg, args...)
		return
	}
	if text == nil {
		fmt.Fprintf(c.w, "groupimport: %s\n", msg)
		return
	}
	text(c.w)
}

// notice says msg as a warning: shown with --quiet too, as a JSON record
// with args with JSON logs, else as a plain line.
func (c *console) notice(msg string, args ...any) { c.say(slog.LevelWarn, msg, args, nil) }

// fail says the error that ended a run, with its exit code: always shown
// (--quiet too), a record at level ERROR with JSON logs (WARN for a lock
// refusal: nothing was done, another run is doing the work).
func (c *console) fail(err error, code int, args ...any) {
	level := slog.LevelError
	if code == ExitLocked {
		level = slog.LevelWarn
	}
	msg := "failed"
	if code == ExitUsage {
		msg = "usage error"
	}
	c.say(level, msg, append([]any{"error", err.Error(), "exit_code", code}, args...), func(w io.Writer) {
		fmt.Fprintf(w, "groupimport: %v\n", err)
	})
}

// LogFailure says err, which ended a command with code, on w as a run
// with the log format (text or json) would: for the errors the command
// line reports itself (a flag it cannot read).
func LogFailure(w io.Writer, format string, err error, code int) {
	newConsole(w, format, false).fail(err, code)
}
