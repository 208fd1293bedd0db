package simredis

import (
	"fmt"
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
		s.offset += int64(len(fmt.Sprintf("*3\r\n$7\r\nPUBLISH\r\n$%d\r\n%s\r\n$%d\r\n%s\r\n",
			len(args[1]), args[1], len(args[2]), args[2])))
	}
	return int64(n)
}

// publish pushes to this server's subscribers and propagates to its
// replicas; it returns the number of local receivers.
func (s *Server) publish(_ time.Time, channel, payload string) int {
	n := 0
	for _, k := range s.sortedConns() {
		if c := s.conns[k]; c.subs[channel] {
			s.ep.Send(k.from, sim.Message{Conn: k.conn, Channel: channel, Payload: payload, Inc: k.inc})
			n++
		}
	}
	for _, r := range s.replicas {
		s.ep.Send(r.name, propagate{Channel: channel, Payload: payload})
	}
	return n
}
