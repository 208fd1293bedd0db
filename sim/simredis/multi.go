package simredis

import (
	"strings"
	"time"

	"github.com/qsentinel/qsentinel/sim"
)

// exec runs a MULTI's queue; a queue with an error at queueing time is
// discarded whole, as redis does.
func (s *Server) exec(now time.Time, c *conn) any {
	if !c.multi {
		return sim.RedisError("ERR EXEC without MULTI")
	}
	queued, dirty := c.queued, c.dirty
	c.multi, c.dirty, c.queued = false, false, nil
	if dirty {
		return errExecAbort
	}
	out := make([]any, 0, len(queued))
	for _, args := range queued {
		sp := table[strings.ToUpper(args[0])]
		if sp.run == nil { // SUBSCRIBE inside MULTI: redis refuses it too
			out = append(out, sim.RedisError("ERR Command not allowed inside a transaction"))
			continue
		}
		out = append(out, sp.run(s, now, c, args))
	}
	return out
}
