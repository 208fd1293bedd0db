package hooks

import "time"

// Scheduled is one run as SENTINEL PENDING-SCRIPTS shows it, in the
// fields redis gives its script jobs.
type Scheduled struct {
	Argv     []string
	Running  bool
	PID      int
	RunTime  time.Duration // when running
	RunDelay time.Duration // until the next start, when waiting
	Retries  int           // failed attempts before this one
}

// Scheduled lists the journaled runs in order, running or waiting.
func (r *Runner) Scheduled() []Scheduled {
	now := time.Now()
	snap := r.procs.Snapshot()
	out := make([]Scheduled, 0, len(snap))
	for _, s := range snap {
		run := s.Task.Data.(*Run)
		p := Scheduled{Argv: append([]string(nil), run.Argv...), Running: s.Running, PID: s.PID, Retries: s.Task.Attempts}
		if s.Running {
			p.RunTime = now.Sub(s.Started)
			p.Retries = max(s.Task.Attempts-1, 0)
		} else {
			p.RunDelay = max(s.NotBefore.Sub(now), 0)
		}
		out = append(out, p)
	}
	return out
}
