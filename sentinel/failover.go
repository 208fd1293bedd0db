package sentinel

import (
	"errors"

	"github.com/qsentinel/qsentinel/failover"
)

// Failover is SENTINEL FAILOVER <name>: a failover without agreement.
func (s *Sentinel) Failover(name string) error { return s.userFailover(name, false) }

// Switchover is SENTINEL FAILOVER <name> COORDINATED (failover.Machine.Switchover).
func (s *Sentinel) Switchover(name string) error { return s.userFailover(name, true) }

// userFailover starts an operator's failover of master name, plain or
// coordinated, and takes its first steps at once once the group runs.
func (s *Sentinel) userFailover(name string, coordinated bool) error {
	var err error
	if e := s.withGroup(name, func(g *group) {
		now, t := s.clock.Now(), s.timing()
		if coordinated && g.m.Master.FailoverReported == "" {
			err = ErrNoFailoverCommand
			return
		}
		if err = machineErr(g.m.CanFailover(now, t)); err != nil {
			return
		}
		start, log := g.m.UserFailover, s.logger.Warn
		if coordinated {
			start, log = g.m.Switchover, s.logger.Info
		}
		log("Executing user requested FAILOVER of '" + g.name + "'")
		err = machineErr(start(now, t, g.ctx != nil))
		g.apply()
	}); e != nil {
		return e
	}
	return err
}

// machineErr turns the machine's refusals into redis-sentinel's replies.
func machineErr(err error) error {
	switch {
	case err == nil:
		return nil
	case errors.Is(err, failover.ErrInProgress):
		return ErrInProgress
	case errors.Is(err, failover.ErrNoGoodReplica):
		return ErrNoGoodSlave
	}
	return err
}

// ErrNoFailoverCommand is Valkey 9's answer when the master's INFO has no
// master_failover_state: it has no FAILOVER command.
var ErrNoFailoverCommand = &ReplyError{"NOGOODPRIMARY Primary does not support FAILOVER command"}
