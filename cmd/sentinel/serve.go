package main

import (
	"context"
	"fmt"
	"os"
	"runtime/debug"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	"github.com/qsentinel/qsentinel/agentcheck"
	"github.com/qsentinel/qsentinel/event"
)

// defaultPidfile is redis's CONFIG_DEFAULT_PID_FILE, used when a
// daemonized sentinel has no pidfile line.
const defaultPidfile = "/var/run/redis.pid"

// serve runs the sentinel until a signal, SHUTDOWN or an error stops it,
// in redis-sentinel's start-up order: listen first (a port in use ends
// the start before anything is written: no new myid, no rewritten
// config, no pidfile), then the pidfile, then the monitor (whose first
// flush saves a new myid), then READY=1 for systemd. It returns the exit
// code.
func (a *app) serve(sigs <-chan os.Signal, background bool) int {
	a.startBanner()
	if err := a.server.Listen(); err != nil {
		// No err attribute: the message is already redis's whole line
		// (or err's own text where redis has no words for it), and an
		// attribute after it would only repeat it in Go's words, past the
		// end of the line redis writes and operators grep for.
		a.fail(listenFailure(err, a.srv.Port), nil)
		a.fail(fmt.Sprintf("Failed listening on port %d (TCP), aborting.", a.srv.Port), nil)
		return 1
	}
	a.listeningBanner()
	if background && a.pidfile == "" {
		a.pidfile = defaultPidfile
	}
	if a.pidfile != "" {
		// Best effort, as createPidFile.
		if err := os.WriteFile(a.pidfile, []byte(strconv.Itoa(os.Getpid())+"\n"), 0o644); err != nil {
			a.logger.Warn("cannot write pidfile", "path", a.pidfile, "err", err)
		}
	}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	var requested atomic.Bool
	shutdown := func() {
		requested.Store(true)
		cancel()
	}
	a.server.OnShutdown(shutdown)
	done := make(chan struct{})
	defer close(done)
	go a.handleSignals(sigs, done, shutdown)

	errc, n := a.start(ctx)
	// From here the log is written behind the caller (logbatch.go), and
	// on time again for the stop's last lines.
	a.logOut.Async(true)
	defer a.logOut.Async(false)
	if a.notifier != nil {
		a.notifier.send("STATUS=Ready to accept connections\n")
		a.notifier.send("READY=1\n")
	}
	if msg := a.setOOMScoreAdj(); msg != "" {
		a.logger.Warn(msg)
	}
	// Wait for the first part to end (an error) or for a shutdown, then
	// for every part: the monitor's last act is the final config flush.
	var first error
	got := 0
	select {
	case first = <-errc:
		got++
	case <-ctx.Done():
	}
	if requested.Load() {
		a.logger.Warn("User requested shutdown...")
		if a.notifier != nil {
			a.notifier.send("STOPPING=1\n")
		}
	}
	cancel()
	for ; got < n; got++ {
		if err := <-errc; err != nil && first == nil {
			first = err
		}
	}
	if a.pidfile != "" {
		a.logger.Info("Removing the pid file.")
		os.Remove(a.pidfile)
	}
	if first != nil {
		a.fail("sentinel stopped", first)
		return 1
	}
	a.logger.Warn("Sentinel is now ready to exit, bye bye...")
	return 0
}

// start runs every part in its own goroutine; each sends one result on
// the returned channel when ctx ends (or it fails), n of them in all.
func (a *app) start(ctx context.Context) (<-chan error, int) {
	n := 2
	errc := make(chan error, 10) // a slot for each part, so that none waits to report
	go func() { errc <- a.server.Serve(ctx) }()
	if a.agent != nil {
		n++
		go func() { errc <- a.agent.Serve(ctx) }()
	}
	if a.metrics != nil {
		n++
		go func() { errc <- a.metrics.Serve(ctx) }()
	}
	if tuneGC() {
		n++
		sub := a.mon.Events().Subscribe(256)
		go func() {
			defer sub.Close()
			gcPacer{busy: busyGCPercent, idle: func() int { return idleGCPercentFor(liveHeap()) },
				calm: gcCalm, recheck: gcRecheck, set: debug.SetGCPercent,
				lowered: debug.FreeOSMemory, lowerEvery: releaseEvery}.run(ctx, sub)
			errc <- nil
		}()
	}
	// Once the start's one-off code has run (package inits, the config,
	// the COMMAND table, the first discovery) and after each later burst,
	// give back the executable pages and heap pages it left (release.go).
	n++
	relSub := a.mon.Events().Subscribe(64)
	go func() {
		defer relSub.Close()
		releaser{calm: releaseCalm, every: releaseEvery, release: func() {
			releaseExecPages()
			debug.FreeOSMemory()
		}}.run(ctx, relSub)
		errc <- nil
	}()
	if a.hooks != nil {
		n++
		sub := a.mon.Events().Subscribe(4096)
		go func() {
			defer sub.Close()
			var wg sync.WaitGroup
			wg.Add(1)
			go func() { defer wg.Done(); a.hooks.Run(ctx) }()
			for {
				select {
				case <-ctx.Done():
					wg.Wait()
					errc <- nil
					return
				case e := <-sub.C:
					if err := a.hooks.Handle(e); err != nil {
						a.logger.Error("hook not journaled", "event", string(e.Kind), "err", err)
					}
				}
			}
		}()
	}
	if a.pusher != nil {
		n++
		sub := a.mon.Events().Subscribe(1024)
		go func() {
			defer sub.Close()
			for {
				var retry <-chan time.Time
				if a.pusher.Pending() {
					retry = time.After(agentcheck.RetryEvery)
				}
				select {
				case <-ctx.Done():
					errc <- nil
					return
				case e := <-sub.C:
					// Events that arrived together (a machine's masters
					// failing over at once) are pushed together: a few
					// runtime API connections instead of one per command.
					batch := []*event.Event{e}
				drain:
					for len(batch) < 256 {
						select {
						case e := <-sub.C:
							batch = append(batch, e)
						default:
							break drain
						}
					}
					a.pusher.ApplyAll(ctx, batch)
				case <-retry:
					a.pusher.Retry(ctx)
				}
			}
		}()
	}
	// Last: everything that follows events has subscribed by now (the
	// metrics since New), so the events of the start (+monitor) reach
	// every consumer.
	go func() { errc <- a.mon.Run(ctx) }()
	return errc, n
}
