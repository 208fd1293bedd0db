package main

import (
	"os"
	"os/signal"
	"syscall"
)

// handledSignals are the signals redis-sentinel 7.0 gives a meaning to, or
// whose default action Go would change: SIGTERM and SIGINT shut down
// cleanly, SIGHUP and SIGPIPE are ignored (redis sets SIG_IGN: a closed
// terminal, a "reload" or a log reader gone from stdout, journald
// restarting say, must not stop a sentinel; a write then fails with EPIPE,
// where Go would die of SIGPIPE for stdout and stderr), SIGUSR1 and
// SIGUSR2 end the process by the signal, as their default action ends
// redis (Go would ignore them). Caught rather than ignored (SIG_IGN), so
// that the scripts we run get the default actions.
var handledSignals = []os.Signal{syscall.SIGTERM, syscall.SIGINT, syscall.SIGHUP, syscall.SIGPIPE, syscall.SIGUSR1, syscall.SIGUSR2}

// catchSignals starts receiving the signals run handles; the caller stops
// it with signal.Stop. It comes first in run, so that a signal during the
// start is not lost nor, for SIGHUP, fatal.
func catchSignals() chan os.Signal {
	c := make(chan os.Signal, 8)
	signal.Notify(c, handledSignals...)
	return c
}

// handleSignals acts on signals until done is closed. shutdown starts a
// clean shutdown (the same as the SHUTDOWN command).
func (a *app) handleSignals(sigs <-chan os.Signal, done <-chan struct{}, shutdown func()) {
	asked := false
	for {
		select {
		case <-done:
			return
		case sig := <-sigs:
			switch sig {
			case syscall.SIGHUP, syscall.SIGPIPE:
				// Ignored, like redis-sentinel, and not logged either.
			case syscall.SIGUSR1, syscall.SIGUSR2:
				a.logOut.Async(false) // what was logged before the signal
				dieBySignal(sig.(syscall.Signal))
			case syscall.SIGINT, syscall.SIGTERM:
				if asked && sig == syscall.SIGINT {
					// sigShutdownHandler: a second Ctrl-C means now.
					a.logger.Warn("You insist... exiting now.")
					a.logOut.Async(false)
					os.Exit(1)
				}
				name := "SIGTERM"
				if sig == syscall.SIGINT {
					name = "SIGINT"
				}
				a.logger.Warn("Received " + name + " scheduling shutdown...")
				asked = true
				shutdown()
			}
		}
	}
}
