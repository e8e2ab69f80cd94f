package runner

import (
	"encoding/json"
	"fmt"
	"log/slog"

	"github.com/zeebo/xxh3"

	"github.com/groupimport/groupimport/report"
)

// What keeps a nightly job honest besides the state itself: a warning
// when it delivers to the API without one, the plan said as a log record,
// and the mapping's fingerprint, so that a night on which most rows change
// because the mapping did says so.

// warnWithoutState warns, once, that delivering to the API without
// --state sends every row again on every run.
func (c *config) warnWithoutState() {
	if !c.sendsToAPI() || c.StateFile != "" {
		return
	}
	c.con.notice("delivering to the API without --state: nothing remembers what was delivered, so every run sends every row " +
		"again; add --state FILE (e.g. --state /var/lib/groupimport/crm.state) to send only what changed")
}

// mappingFingerprint identifies the mapping the run uses, per kind: the
// file's or the one inferred, as the report describes it (the fields and
// what fills them, and the notes).
func (j *job) mappingFingerprint() string {
	if j.rep == nil || len(j.rep.Mapping) == 0 {
		return ""
	}
	data, err := json.Marshal(j.rep.Mapping) // map keys sorted
	if err != nil {
		return ""
	}
	return fmt.Sprintf("%016x", xxh3.Hash(data))
}

// noteMappingChange marks the plan when most rows the state knows changed
// and the mapping is not the last run's.
func (j *job) noteMappingChange(p *report.Plan) error {
	last, err := j.store.LastRun()
	if err != nil || last == nil || last.Mapping == "" {
		return err
	}
	cur := j.mappingFingerprint()
	p.MappingChanged = cur != "" && last.Mapping != cur && p.Updates > 0 && 2*p.Updates > p.Updates+p.Unchanged
	return nil
}

// sayPlan tells the plan: as text lines, or a JSON record "plan".
func (j *job) sayPlan(p *report.Plan) {
	j.c.con.say(slog.LevelInfo, "plan", []any{"plan", p}, p.Write)
}
