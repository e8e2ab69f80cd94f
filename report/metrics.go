package report

import (
	"fmt"
	"strings"
	"time"
)

// Prometheus renders the run's figures in the Prometheus text format, for
// node_exporter's textfile collector (a cron import can be alerted on):
// rows by kind and outcome and for the whole run, API requests and
// retries, the exit code, success, duration, when it finished, and the
// input files that could not be read completely. A run that ended before
// reading has no rows by kind, but every other figure.
func (r *Report) Prometheus() []byte {
	var b strings.Builder
	metric := func(name, help, typ string) {
		fmt.Fprintf(&b, "# HELP %s %s\n# TYPE %s %s\n", name, help, name, typ)
	}
	metric("groupimport_rows", "Rows of the last run, by kind and outcome.", "gauge")
	for _, k := range sortedKinds(r.Kinds) {
		for _, o := range outcomes(r.Kinds[k]) {
			fmt.Fprintf(&b, "groupimport_rows{kind=%q,outcome=%q} %d\n", k, o.name, o.n)
		}
	}
	metric("groupimport_run_rows", "Rows of the last run, all kinds together, by outcome.", "gauge")
	for _, o := range outcomes(&r.Totals) {
		fmt.Fprintf(&b, "groupimport_run_rows{outcome=%q} %d\n", o.name, o.n)
	}
	var h HTTP
	if r.HTTP != nil {
		h = *r.HTTP
	}
	metric("groupimport_requests", "Requests the last run made to the API, every attempt (0 without the API).", "gauge")
	fmt.Fprintf(&b, "groupimport_requests %d\n", h.Requests)
	metric("groupimport_retries", "Requests of the last run that were retried, by cause.", "gauge")
	for _, c := range []struct {
		cause string
		n     int64
	}{{"429", h.Retries.TooManyRequests}, {"5xx", h.Retries.ServerError}, {"timeout", h.Retries.Timeout},
		{"connection", h.Retries.Connection}, {"unexpected_answer", h.Retries.Unexpected}} {
		fmt.Fprintf(&b, "groupimport_retries{cause=%q} %d\n", c.cause, c.n)
	}
	metric("groupimport_last_run_exit_code", "Exit code of the last run (0 ok, 1 failed, 3 rejected rows, 4 locked: nothing done).", "gauge")
	fmt.Fprintf(&b, "groupimport_last_run_exit_code %d\n", r.ExitCode)
	metric("groupimport_last_run_success", "1 when the last run delivered every row (exit 0), else 0.", "gauge")
	ok := 0
	if r.ExitCode == 0 {
		ok = 1
	}
	fmt.Fprintf(&b, "groupimport_last_run_success %d\n", ok)
	metric("groupimport_last_run_duration_seconds", "Duration of the last run.", "gauge")
	fmt.Fprintf(&b, "groupimport_last_run_duration_seconds %.3f\n", float64(r.DurationMS)/1000)
	if t, err := time.Parse(time.RFC3339Nano, r.FinishedAt); err == nil {
		metric("groupimport_last_run_finished_timestamp_seconds", "When the last run finished (Unix time).", "gauge")
		fmt.Fprintf(&b, "groupimport_last_run_finished_timestamp_seconds %d\n", t.Unix())
	}
	metric("groupimport_file_errors", "Input files of the last run that could not be read completely.", "gauge")
	fmt.Fprintf(&b, "groupimport_file_errors %d\n", r.fileErrors())
	return []byte(b.String())
}

// outcome is one figure of groupimport_rows.
type outcome struct {
	name string
	n    int64
}

// outcomes are a kind's (or the run's) rows by outcome; delivered and
// undelivered only where they are known.
func outcomes(c *Counts) []outcome {
	out := []outcome{{"read", c.Read}, {"emitted", c.Emitted}}
	if c.Delivered != nil && c.Undelivered != nil {
		out = append(out, outcome{"delivered", *c.Delivered}, outcome{"undelivered", *c.Undelivered})
	}
	return append(out, outcome{"refused", c.Refused}, outcome{"rejected", c.Rejected}, outcome{"superseded", c.Superseded},
		outcome{"unchanged", c.SkippedUnchanged}, outcome{"deleted", c.Deleted})
}

// fileErrors counts the input files with an error.
func (r *Report) fileErrors() int {
	n := 0
	for _, f := range r.Files {
		if f.Error != "" {
			n++
		}
	}
	return n
}
