package simredis

import (
	"strconv"
	"strings"
	"time"

	"github.com/qsentinel/qsentinel/sim"
)

// failover is a FAILOVER in progress on a master (redis 6.2+).
type failover struct {
	target   sim.Addr // zero: the first replica in sync
	name     string   // endpoint of the target once chosen
	deadline time.Time
	force    bool
	// inProgress: the master has demoted itself and asks the target to
	// take over (failover-in-progress); before it waits for the target
	// to catch up (waiting-for-sync).
	inProgress bool
}

func (f *failover) state() string {
	switch {
	case f == nil:
		return "no-failover"
	case f.inProgress:
		return "failover-in-progress"
	default:
		return "waiting-for-sync"
	}
}

// cmdFailover is FAILOVER [TO host port [FORCE]] [ABORT] [TIMEOUT ms] with
// redis 7.0's checks and texts.
func (s *Server) cmdFailover(now time.Time, args []string) any {
	var f failover
	var timeout int64
	abort := false
	for i := 1; i < len(args); i++ {
		switch strings.ToUpper(args[i]) {
		case "TO":
			if i+2 >= len(args) {
				return errSyntax
			}
			p, err := strconv.Atoi(args[i+2])
			if err != nil || p < 0 || p > 65535 {
				return sim.RedisError("ERR Invalid port")
			}
			f.target = sim.Addr{Host: args[i+1], Port: p}
			i += 2
		case "FORCE":
			f.force = true
		case "ABORT":
			abort = true
		case "TIMEOUT":
			if i+1 >= len(args) {
				return errSyntax
			}
			n, err := strconv.ParseInt(args[i+1], 10, 64)
			if err != nil {
				return errNotInteger
			}
			if n <= 0 {
				return sim.RedisError("ERR FAILOVER timeout must be greater than 0")
			}
			timeout = n
			i++
		default:
			return errSyntax
		}
	}
	if abort {
		if f.target != (sim.Addr{}) || f.force || timeout > 0 {
			return errSyntax
		}
		if s.fo == nil {
			return sim.RedisError("ERR No failover in progress.")
		}
		s.abortFailover(now, "FAILOVER ABORT")
		return "OK"
	}
	if f.force && (timeout == 0 || f.target == (sim.Addr{})) {
		return sim.RedisError("ERR FAILOVER with force option requires both a timeout and target HOST and IP.")
	}
	if !s.IsMaster() {
		return sim.RedisError("ERR FAILOVER is not valid when server is a replica.")
	}
	if len(s.replicas) == 0 {
		return sim.RedisError("ERR FAILOVER requires connected replicas.")
	}
	if s.fo != nil {
		return sim.RedisError("ERR FAILOVER already in progress.")
	}
	if f.target != (sim.Addr{}) {
		r := s.replicaAt(f.target)
		if r == nil {
			return sim.RedisError("ERR FAILOVER target HOST and PORT is not a replica.")
		}
		f.name = r.name
	}
	if timeout > 0 {
		f.deadline = now.Add(time.Duration(timeout) * time.Millisecond)
	}
	s.fo = &f
	s.ep.Tracef("failover waiting-for-sync to %s", f.target)
	return "OK"
}

func (s *Server) replicaAt(a sim.Addr) *replica {
	for _, r := range s.replicas {
		if r.addr == a {
			return r
		}
	}
	return nil
}

// tickFailover moves a FAILOVER on: once the target has our offset, demote
// ourselves and ask it to take over; on timeout abort (or, with FORCE,
// go ahead without the sync).
func (s *Server) tickFailover(now time.Time) {
	f := s.fo
	if f == nil {
		return
	}
	expired := !f.deadline.IsZero() && !now.Before(f.deadline)
	if !f.inProgress {
		r := s.syncedTarget()
		switch {
		case r != nil:
		case expired && f.force:
			r = s.findReplica(f.name)
		case expired:
			s.abortFailover(now, "timeout waiting for sync")
			return
		}
		if r == nil {
			return
		}
		f.name, f.target, f.inProgress = r.name, r.addr, true
		f.deadline = now.Add(max(f.deadline.Sub(now), 0) + s.opts.ReplTimeout)
		s.dropReplicas()
		s.master = f.target
		s.followed = now
		s.link = replLink{}
		s.ep.Tracef("failover-in-progress to %s", f.target)
	} else if expired {
		s.abortFailover(now, "timeout in progress")
		return
	}
	s.ep.Send(f.name, promote{})
}

// syncedTarget is the replica to hand over to, once it has our offset.
func (s *Server) syncedTarget() *replica {
	for _, r := range s.replicas {
		if (s.fo.name == "" || r.name == s.fo.name) && r.offset >= s.offset {
			return r
		}
	}
	return nil
}

// abortFailover returns a master in failover to plain master service.
func (s *Server) abortFailover(now time.Time, why string) {
	if s.fo.inProgress {
		s.master = sim.Addr{}
		s.link = replLink{}
	}
	s.fo = nil
	s.pauseUntil = time.Time{}
	s.ep.Tracef("failover aborted: %s", why)
}

// gotPromote is the target's side: a PSYNC FAILOVER from its master makes
// it a master.
func (s *Server) gotPromote(now time.Time, from string) {
	if s.IsMaster() {
		s.ep.Send(from, promoted{}) // already done: the first answer was lost
		return
	}
	if name, ok := s.ep.Lookup(s.master); !ok || name != from {
		return
	}
	s.becomeMaster(now)
	s.ep.Send(from, promoted{})
}

// gotPromoted ends our FAILOVER: we stay the target's replica.
func (s *Server) gotPromoted(now time.Time, from string) {
	if s.fo == nil || !s.fo.inProgress || from != s.fo.name {
		return
	}
	s.fo = nil
	s.pauseUntil = time.Time{}
	s.ep.Tracef("failover complete, replica of %s", s.master)
}
