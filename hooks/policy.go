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

// attempted reports an attempt's end to the observer.
func (r *Runner) attempted(run *Run, e procrun.Exit) {
	r.mu.Lock()
	var ran time.Duration
	if !run.started.IsZero() {
		ran = time.Since(run.started)
		run.started = time.Time{}
	}
	r.mu.Unlock()
	r.cfg.Observer.Attempt(run.hookName(), ran, e.OK(), e.Attempt > 1)
}

// started journals the attempt count, so a crash loop cannot retry
// forever without anyone noticing.
func (r *Runner) started(t *procrun.Task, _ int) {
	run := t.Data.(*Run)
	r.mu.Lock()
	run.started = time.Now()
	r.mu.Unlock()
	r.update(t, false)
}

func (r *Runner) done(t *procrun.Task, e procrun.Exit) {
	run := t.Data.(*Run)
	r.logger.Info("hook done", "command", run.hookName(), "event", run.Event, "master", run.Master,
		"attempt", e.Attempt, "id", run.ID)
	r.attempted(run, e)
	r.cfg.Observer.Finished(run.hookName(), false)
	r.update(t, true)
}

func (r *Runner) failed(t *procrun.Task, e procrun.Exit, retryIn time.Duration) {
	run := t.Data.(*Run)
	r.logger.Warn("hook failed, will retry", r.failure(run, e, "retry_in", retryIn)...)
	r.attempted(run, e)
	r.update(t, false)
}

func (r *Runner) gaveUp(t *procrun.Task, e procrun.Exit) {
	run := t.Data.(*Run)
	r.logger.Error("hook failed, given up", r.failure(run, e)...)
	r.attempted(run, e)
	r.cfg.Observer.Finished(run.hookName(), true)
	r.update(t, true)
}

// failure is what a failed attempt's log line says: the command as run
// (with the event's arguments), which event, how it ended, which try.
func (r *Runner) failure(run *Run, e procrun.Exit, extra ...any) []any {
	err := e.Err
	if e.StartErr != nil {
		err = e.StartErr
	}
	attrs := []any{"command", commandLine(run.Argv), "event", run.Event, "master", run.Master,
		"attempt", e.Attempt, "max_attempts", r.cfg.MaxAttempts, "err", err}
	if e.TimedOut {
		attrs = append(attrs, "timed_out", true)
	}
	attrs = append(attrs, extra...)
	return append(attrs, "id", run.ID)
}

func (r *Runner) timedOut(t *procrun.Task, pid int, ran time.Duration) {
	run := t.Data.(*Run)
	r.logger.Warn("hook timed out; killing its process group", "command", commandLine(run.Argv),
		"event", run.Event, "master", run.Master, "pid", pid, "ran", ran, "id", run.ID)
}
