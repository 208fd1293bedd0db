package simredis

import (
	"slices"
	"strconv"
	"time"

	"github.com/qsentinel/qsentinel/sim"
)

// cmdPublish delivers to subscribers here and down the replication
// stream, as redis 7.0 propagates PUBLISH to replicas.
func (s *Server) cmdPublish(now time.Time, args []string) any {
	n := s.publish(now, args[1], args[2])
	if s.IsMaster() {
		// The propagated command is in the stream: the offset grows by
		// its RESP length, which FAILOVER's sync wait sees.
		s.offset += respLen("PUBLISH", args[1], args[2])
	}
	return int64(n)
}

// respLen is the length of args as a RESP array of bulk strings.
func respLen(args ...string) int64 {
	n := 1 + len(strconv.Itoa(len(args))) + 2
	for _, a := range args {
		n += 1 + len(strconv.Itoa(len(a))) + 2 + len(a) + 2
	}
	return int64(n)
}

// publish pushes to this server's subscribers and propagates to its
// replicas; it returns the number of local receivers.
func (s *Server) publish(_ time.Time, channel, payload string) int {
	var subs []connKey
	for k, c := range s.conns {
		if c.subs[channel] {
			subs = append(subs, k)
		}
	}
	slices.SortFunc(subs, compareConnKeys) // map order must not reach the wire
	for _, k := range subs {
		s.ep.Send(k.from, sim.Message{Conn: k.conn, Channel: channel, Payload: payload, Inc: k.inc})
	}
	for _, r := range s.replicas {
		s.ep.Send(r.name, propagate{Channel: channel, Payload: payload})
	}
	return len(subs)
}
