package procrun

import (
	"os/exec"
	"syscall"
	"time"
)

// Task is one command to run until it succeeds or is given up.
type Task struct {
	// Key orders tasks when Config.PerKey is set.
	Key string
	// Command builds the process of one attempt (numbered from 1). The
	// runner puts it in its own process group. It is called with the
	// runner's lock held: it must not call the Runner.
	Command func(attempt int) *exec.Cmd
	// Attempts already made (a task restored from a journal), and the
	// earliest start.
	Attempts  int
	NotBefore time.Time
	// Data is the user's, handed back in callbacks.
	Data any
}

// Exit is how one attempt ended.
type Exit struct {
	Attempt  int
	StartErr error          // the process never started
	Err      error          // from Wait: nil is exit 0
	Code     int            // exit code; -1 when killed by a signal or never started
	Signal   syscall.Signal // the signal that ended it, 0 if none
	TimedOut bool           // the runner killed it for running too long
}

// OK is a clean exit 0.
func (e Exit) OK() bool { return e.StartErr == nil && e.Err == nil }

// Policy is the user's part: whether and when a failed attempt runs
// again, and what to hear about each attempt. Nil functions are skipped;
// a nil Retry never retries.
type Policy struct {
	// Retry returns the delay before the next attempt, or false to give
	// the task up. Like Command it runs under the runner's lock; the
	// other callbacks run without it and may call Add or Snapshot.
	Retry func(t *Task, e Exit) (time.Duration, bool)
	// Timeout, if set, is read at each check instead of Config.Timeout
	// (a limit that can change at run time).
	Timeout func() time.Duration

	Started  func(t *Task, pid int)
	Done     func(t *Task, e Exit) // exit 0
	Failed   func(t *Task, e Exit, retryIn time.Duration)
	GaveUp   func(t *Task, e Exit)                     // failed, not retried
	TimedOut func(t *Task, pid int, ran time.Duration) // before the kill
	Dropped  func(t *Task)                             // pushed out of a full queue
}

// Status is one task as Snapshot sees it.
type Status struct {
	Task      Task
	Running   bool
	PID       int
	Started   time.Time // when running
	NotBefore time.Time // when waiting
}
