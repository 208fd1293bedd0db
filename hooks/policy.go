package hooks

import (
	"time"

	"github.com/qsentinel/qsentinel/procrun"
)

// The procrun callbacks: the retry policy, the journal's bookkeeping,
// the log lines and the observer's reports of each attempt.

// retry: every failure runs again, after Backoff doubled per earlier
// attempt (at most BackoffMax), until MaxAttempts.
func (r *Runner) retry(t *procrun.Task, _ procrun.Exit) (time.Duration, bool) {
	if t.Attempts >= r.cfg.MaxAttempts {
		return 0, false
	}
	return procrun.Doubling(r.cfg.Backoff, t.Attempts, r.cfg.BackoffMax), true
}

// update copies the runner's view of a run into the journal and saves it.
func (r *Runner) update(t *procrun.Task, remove bool) {
	run := t.Data.(*Run)
	r.mu.Lock()
	defer r.mu.Unlock()
	run.Attempts, run.NotBefore = t.Attempts, t.NotBefore
	if remove {
		for i, x := range r.runs {
			if x == run {
				r.runs = append(r.runs[:i], r.runs[i+1:]...)
				break
			}
		}
	}
	if err := r.saveLocked(); err != nil {
		r.logger.Warn("hooks journal", "err", err)
	}
	_, running := r.procs.Counts()
	r.cfg.Observer.Queue(len(r.runs), running)
}

// attempt is what the runner keeps of a run's current attempt.
type attempt struct {
	started time.Time   // for the duration metric
	stderr  *stderrTail // for the failure's log line
}

// beginAttempt is called as the attempt's process is made (under
// procrun's lock: it takes only amu).
func (r *Runner) beginAttempt(run *Run, stderr *stderrTail) {
	r.amu.Lock()
	r.attempts[run] = &attempt{stderr: stderr}
	r.amu.Unlock()
}

// started journals the attempt count, so a crash loop cannot retry
// forever without anyone noticing.
func (r *Runner) started(t *procrun.Task, _ int) {
	run := t.Data.(*Run)
	r.amu.Lock()
	if a := r.attempts[run]; a != nil {
		a.started = time.Now()
	}
	r.amu.Unlock()
	r.update(t, false)
}

// endAttempt reports the attempt to the observer and returns what its
// process wrote on stderr (the end of it).
func (r *Runner) endAttempt(run *Run, e procrun.Exit) (stderr string) {
	r.amu.Lock()
	a := r.attempts[run]
	delete(r.attempts, run)
	r.amu.Unlock()
	var ran time.Duration
	if a != nil {
		if !a.started.IsZero() {
			ran = time.Since(a.started)
		}
		stderr = a.stderr.String()
	}
	r.cfg.Observer.Attempt(run.hookName(), ran, e.OK(), e.Attempt > 1)
	return stderr
}

func (r *Runner) done(t *procrun.Task, e procrun.Exit) {
	run := t.Data.(*Run)
	r.endAttempt(run, e)
	r.logger.Info("hook done", "command", run.hookName(), "event", run.Event, "master", run.Master,
		"attempt", e.Attempt, "id", run.ID)
	r.cfg.Observer.Finished(run.hookName(), false)
	r.update(t, true)
}

func (r *Runner) failed(t *procrun.Task, e procrun.Exit, retryIn time.Duration) {
	run := t.Data.(*Run)
	stderr := r.endAttempt(run, e)
	r.logger.Warn("hook failed, will retry", r.failure(run, e, stderr, "retry_in", retryIn)...)
	r.update(t, false)
}

func (r *Runner) gaveUp(t *procrun.Task, e procrun.Exit) {
	run := t.Data.(*Run)
	stderr := r.endAttempt(run, e)
	r.logger.Error("hook failed, given up", r.failure(run, e, stderr)...)
	r.cfg.Observer.Finished(run.hookName(), true)
	r.update(t, true)
}

// failure is what a failed attempt's log line says: the command as run
// (with the event's arguments), which event, how it ended, which try.
func (r *Runner) failure(run *Run, e procrun.Exit, stderr string, extra ...any) []any {
	err := e.Err
	if e.StartErr != nil {
		err = e.StartErr
	}
	attrs := []any{"command", commandLine(run.Argv), "event", run.Event, "master", run.Master,
		"attempt", e.Attempt, "max_attempts", r.cfg.MaxAttempts, "err", err}
	if e.TimedOut {
		attrs = append(attrs, "timed_out", true)
	}
	if stderr != "" {
		attrs = append(attrs, "stderr", stderr)
	}
	attrs = append(attrs, extra...)
	return append(attrs, "id", run.ID)
}

func (r *Runner) timedOut(t *procrun.Task, pid int, ran time.Duration) {
	run := t.Data.(*Run)
	r.logger.Warn("hook timed out; killing its process group", "command", commandLine(run.Argv),
		"event", run.Event, "master", run.Master, "pid", pid, "ran", ran, "id", run.ID)
}
