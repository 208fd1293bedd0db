package respserver

import (
	"context"
	"time"

	"golang.org/x/time/rate"
)

// Failed AUTHs (and HELLO ... AUTH) are paced across the whole server:
// AuthFailRate a second after a burst of AuthFailBurst. A failure beyond
// that waits for its turn before its reply goes out, and a client whose
// turn is more than authFailMaxWait away is closed instead. redis has no
// such pacing: a guesser that reads its replies gets some 230,000 answers
// a second from it. Only failures wait, so a client with the right
// password is never slowed, whatever a guesser does, and the replies are
// redis's; a guesser gets AuthFailRate answers a second however many
// connections it opens. Delaying rather than closing at once keeps a
// client that mistyped a password, or a misconfigured one retrying,
// served as by redis.
const authFailMaxWait = 5 * time.Second

// newAuthLimiter is the pacing of failed AUTHs for limits l; nil when
// AuthFailRate is zero (no pacing).
func newAuthLimiter(l Limits) *rate.Limiter {
	if l.AuthFailRate <= 0 {
		return nil
	}
	return rate.NewLimiter(rate.Limit(l.AuthFailRate), max(l.AuthFailBurst, 1))
}

// paceAuthFailure waits for a failed AUTH's turn; false when the client
// must be closed instead (its turn too far off, or it is going anyway).
func (c *client) paceAuthFailure(ctx context.Context) bool {
	lim := c.srv.authFails
	if lim == nil {
		return true
	}
	r := lim.Reserve()
	d := r.Delay()
	if d == 0 {
		return true
	}
	if d > authFailMaxWait {
		r.Cancel()
		c.srv.logger.Warn("closing client: failed AUTHs over the server's pace",
			"id", c.id, "addr", c.conn.RemoteAddr().String())
		return false
	}
	// A guesser that pipelines without reading would otherwise be closed
	// for its unread replies only when the whole batch has been paced
	// (655 guesses in redis's first 16 kB read: 5.5 s); checked here, it
	// goes after 256, where redis closes it.
	c.wmu.Lock()
	over := c.outputExceeded(int64(len(c.out.Buffer())))
	c.wmu.Unlock()
	if over {
		r.Cancel()
		c.logOutputLimit()
		return false
	}
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return true
	case <-ctx.Done():
	case <-c.kill:
	}
	r.Cancel()
	return false
}
