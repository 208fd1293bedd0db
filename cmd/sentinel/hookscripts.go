package main

import (
	"github.com/qsentinel/qsentinel/hooks"
	"github.com/qsentinel/qsentinel/respserver"
	"github.com/qsentinel/qsentinel/sentinel"
)

// withHooks is the monitor as the RESP face sees it, with the hooks' runs
// after redis's script jobs in SENTINEL PENDING-SCRIPTS: an operator asks
// one place what is waiting to run.
type withHooks struct {
	respserver.Backend
	hooks *hooks.Runner // nil until build made it, or when none is configured
}

func (b *withHooks) PendingScripts() []sentinel.PendingScript {
	out := b.Backend.PendingScripts()
	if b.hooks == nil {
		return out
	}
	return append(out, hookScripts(b.hooks.Scheduled())...)
}

// hookScripts shapes hook runs as redis's script jobs, flagged ",hook"
// so that a reader can tell them apart and one that compares flags with
// "running" or "scheduled" does not take them for scripts.
func hookScripts(runs []hooks.Scheduled) []sentinel.PendingScript {
	out := make([]sentinel.PendingScript, 0, len(runs))
	for _, r := range runs {
		flags := "scheduled,hook"
		if r.Running {
			flags = "running,hook"
		}
		out = append(out, sentinel.PendingScript{Argv: r.Argv, Flags: flags, PID: r.PID,
			RunTime: r.RunTime, RunDelay: r.RunDelay, RetryCount: r.Retries})
	}
	return out
}
