package simredis

import (
	"fmt"

	"github.com/qsentinel/qsentinel/sim"
)

// IsMasterAt returns a function that says whether the server at a
// "host:port" address is running and reports role:master now, for
// invariant.Recorder.CheckSplitBrain.
func IsMasterAt(w *sim.World) func(addr string) bool {
	return func(addr string) bool {
		for _, name := range w.Names() {
			if ep := w.Endpoint(name); ep.Addr().String() == addr {
				s, ok := w.Node(name).(*Server)
				return ok && s.IsMaster()
			}
		}
		return false
	}
}

// CheckSettled checks that the servers named have settled after a
// failover: exactly one running master, and every other one running as
// its replica with the link up and the master's offset. It returns the
// master's name. Scenarios call it after healing, for "the old master is
// demoted" and "every failover that can finish does finish".
func CheckSettled(w *sim.World, names []string) (string, error) {
	var master *Server
	var masterName string
	for _, name := range names {
		s, ok := w.Node(name).(*Server)
		switch {
		case !ok:
			return "", fmt.Errorf("%s is not a running server", name)
		case !s.IsMaster():
		case master != nil:
			return "", fmt.Errorf("two masters: %s and %s", masterName, name)
		default:
			master, masterName = s, name
		}
	}
	if master == nil {
		return "", fmt.Errorf("no master among %v", names)
	}
	for _, name := range names {
		s := w.Node(name).(*Server)
		switch {
		case s == master:
		case s.MasterAddr() != master.ep.Addr():
			return masterName, fmt.Errorf("%s replicates %v, not the master %s (%v)", name, s.MasterAddr(), masterName, master.ep.Addr())
		case !s.LinkUp():
			return masterName, fmt.Errorf("%s's link to %s is down", name, masterName)
		case s.Offset() != master.Offset():
			return masterName, fmt.Errorf("%s is at offset %d, its master %s at %d", name, s.Offset(), masterName, master.Offset())
		}
	}
	return masterName, nil
}
