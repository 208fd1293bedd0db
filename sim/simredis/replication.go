package simredis

import (
	"fmt"
	"slices"
	"time"

	"github.com/qsentinel/qsentinel/sim"
)

// The replication protocol of the model: internal messages, not RESP.
type (
	// ack is a replica's REPLCONF ACK with the address it announces.
	ack struct {
		Offset int64
		Addr   sim.Addr
	}
	// sync is the master's answer: the stream up to its offset.
	sync struct {
		ReplID string
		Offset int64
	}
	// propagate is a PUBLISH travelling down the replication stream.
	propagate struct{ Channel, Payload string }
	// promote is the PSYNC ... FAILOVER a master in failover-in-progress
	// sends its target; promoted is the target's answer once master.
	promote  struct{}
	promoted struct{}
	// unlink is a replica closing its replication link (it was promoted
	// or follows another master): the master drops it at once.
	unlink struct{}
)

func (m ack) String() string       { return fmt.Sprintf("repl ack offset=%d addr=%s", m.Offset, m.Addr) }
func (m sync) String() string      { return fmt.Sprintf("repl sync offset=%d", m.Offset) }
func (m propagate) String() string { return fmt.Sprintf("repl publish %s %s", m.Channel, m.Payload) }
func (promote) String() string     { return "repl psync failover" }
func (promoted) String() string    { return "repl failover accepted" }
func (unlink) String() string      { return "repl link closed" }

// replLink is a replica's view of its link to its master.
type replLink struct {
	up        bool
	lastIO    time.Time
	downSince time.Time // zero: never up since it became a replica (-1 in INFO)
	// name is the endpoint its master resolved to when the last sync came.
	name string
}

// replica is a master's view of one of its replicas.
type replica struct {
	name    string
	addr    sim.Addr
	offset  int64
	lastAck time.Time
}

// tickReplica sends the acknowledgement and notices a silent master.
func (s *Server) tickReplica(now time.Time) {
	if s.IsMaster() {
		return
	}
	if s.link.up && now.Sub(s.link.lastIO) > s.opts.ReplTimeout {
		s.linkDown(now, "timeout")
	}
	if name, ok := s.ep.Lookup(s.master); ok {
		s.ep.Send(name, ack{Offset: s.offset, Addr: s.ep.Addr()})
	}
}

func (s *Server) linkDown(now time.Time, why string) {
	s.link.up = false
	s.link.downSince = now
	s.ep.Tracef("master link down (%s)", why)
}

// gotAck registers or refreshes a replica and sends it the stream.
func (s *Server) gotAck(now time.Time, from string, m ack) {
	r := s.findReplica(from)
	if r == nil {
		r = &replica{name: from}
		s.replicas = append(s.replicas, r)
		s.ep.Tracef("replica %s attached", from)
	}
	r.addr, r.offset, r.lastAck = m.Addr, m.Offset, now
	s.ep.Send(from, sync{ReplID: s.replID, Offset: s.offset})
}

func (s *Server) findReplica(name string) *replica {
	for _, r := range s.replicas {
		if r.name == name {
			return r
		}
	}
	return nil
}

// forgetSilentReplicas drops replicas that stopped acknowledging, as a
// master closes a replica connection after repl-timeout.
func (s *Server) forgetSilentReplicas(now time.Time) {
	kept := s.replicas[:0]
	for _, r := range s.replicas {
		if now.Sub(r.lastAck) <= s.opts.ReplTimeout {
			kept = append(kept, r)
		} else {
			s.ep.Tracef("replica %s timed out", r.name)
		}
	}
	clear(s.replicas[len(kept):])
	s.replicas = kept
}

// gotSync takes the master's offset, if the sender is still our master.
func (s *Server) gotSync(now time.Time, from string, m sync) {
	if s.IsMaster() {
		return
	}
	if name, ok := s.ep.Lookup(s.master); !ok || name != from {
		return // an answer from a master we left
	}
	if !s.link.up {
		s.ep.Tracef("master link up (%s)", from)
	}
	s.link = replLink{up: true, lastIO: now, name: from}
	s.offset, s.replID = m.Offset, m.ReplID
}

// gotClosed is a peer process gone (sim.World.Kill): as with a closed
// socket, our master's link is down at once, a replica is dropped, and its
// client connections here are gone.
func (s *Server) gotClosed(now time.Time, from string) {
	if !s.IsMaster() && s.link.up && s.link.name == from {
		s.linkDown(now, "connection closed")
	}
	s.gotUnlink(from)
	for k := range s.conns {
		if k.from == from {
			delete(s.conns, k)
		}
	}
}

// gotPropagate delivers a PUBLISH from our master to our subscribers and
// passes it down to our own replicas.
func (s *Server) gotPropagate(now time.Time, from string, m propagate) {
	if s.IsMaster() || from != s.link.name {
		return
	}
	s.publish(now, m.Channel, m.Payload)
}

// gotUnlink drops a replica that closed its link.
func (s *Server) gotUnlink(from string) {
	if i := slices.IndexFunc(s.replicas, func(r *replica) bool { return r.name == from }); i >= 0 {
		s.replicas = slices.Delete(s.replicas, i, i+1)
		s.ep.Tracef("replica %s left", from)
	}
}

// leaveMaster closes the link to the current master, if any.
func (s *Server) leaveMaster() {
	if name, ok := s.ep.Lookup(s.master); ok && !s.IsMaster() {
		s.ep.Send(name, unlink{})
	}
}

// dropReplicas is redis's disconnectSlaves when it starts following a
// master: its replicas reconnect (and reappear with their next ack).
func (s *Server) dropReplicas() {
	if len(s.replicas) > 0 {
		s.ep.Tracef("replicas disconnected")
	}
	clear(s.replicas)
	s.replicas = s.replicas[:0]
}

// becomeMaster is SLAVEOF NO ONE: a new replication id, the old one kept
// as replid2 so that former siblings could continue partially.
func (s *Server) becomeMaster(now time.Time) {
	if s.IsMaster() {
		return
	}
	s.leaveMaster()
	s.master = sim.Addr{}
	s.link = replLink{}
	s.replID2, s.replID = s.replID, hexID(s.ep)
	s.secondOff = s.offset + 1
	s.ep.Tracef("role master")
}

// becomeReplica is SLAVEOF host port: the link is down until the first
// answer from the new master.
func (s *Server) becomeReplica(now time.Time, addr sim.Addr) {
	s.leaveMaster()
	s.dropReplicas()
	s.master = addr
	s.followed = now
	s.link = replLink{}
	s.ep.Tracef("role replica of %s", addr)
	s.tickReplica(now) // redis connects at once, not at the next cron
}

// replicaState is the word ROLE shows for a replica's link.
func (s *Server) replicaState() string {
	if s.link.up {
		return "connected"
	}
	return "connect"
}
