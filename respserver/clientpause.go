package respserver

import (
	"strings"
	"sync"
	"sync/atomic"
	"time"
)

// pauseState is CLIENT PAUSE: while it lasts, commands of every client
// (ALL) or only PUBLISH, the one command of a sentinel's table that may
// replicate (WRITE), wait before they run, as in redis 7.0. The monitor
// itself keeps running; only client commands wait.
type pauseState struct {
	// active is true from a pause until it is seen over: every command
	// looks at it, and most never find it set.
	active  atomic.Bool
	mu      sync.Mutex
	all     bool
	end     time.Time     // zero: not paused
	changed chan struct{} // closed and replaced at every change, to wake waiters
}

func (p *pauseState) notifyLocked() {
	if p.changed != nil {
		close(p.changed)
	}
	p.changed = make(chan struct{})
}

// pause extends the pause as redis's pauseClients does: the later end and
// the stricter mode win.
func (p *pauseState) pause(end time.Time, all bool) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if !p.end.IsZero() && time.Now().After(p.end) {
		p.end, p.all = time.Time{}, false
	}
	if end.After(p.end) {
		p.end = end
	}
	p.all = p.all || all
	p.active.Store(true)
	p.notifyLocked()
}

func (p *pauseState) unpause() {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.end, p.all = time.Time{}, false
	p.active.Store(false)
	p.notifyLocked()
}

// holds says whether a command must wait now, and until when at most.
func (p *pauseState) holds(publish bool) (bool, time.Time, <-chan struct{}) {
	if !p.active.Load() {
		return false, time.Time{}, nil
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.end.IsZero() {
		return false, time.Time{}, nil
	}
	if !time.Now().Before(p.end) {
		p.end, p.all = time.Time{}, false
		p.active.Store(false)
		return false, time.Time{}, nil
	}
	if !p.all && !publish {
		return false, time.Time{}, nil
	}
	if p.changed == nil {
		p.changed = make(chan struct{})
	}
	return true, p.end, p.changed
}

// waitPause blocks c's command while a pause holds it. The caller holds
// c.wmu; the replies already queued go out first, and wmu is released
// while waiting so pub/sub messages still reach the client, as they reach
// a postponed client in redis. It returns false when the client went away.
func (s *Server) waitPause(c *client, publish bool) bool {
	held, _, _ := s.paused.holds(publish)
	if !held {
		return true
	}
	if !c.flushLocked() {
		return false
	}
	c.mu.Lock()
	c.blocked = true
	c.mu.Unlock()
	c.wmu.Unlock()
	defer func() {
		c.wmu.Lock()
		c.mu.Lock()
		c.blocked = false
		c.mu.Unlock()
	}()
	for {
		held, end, changed := s.paused.holds(publish)
		if !held {
			return true
		}
		t := time.NewTimer(time.Until(end))
		select {
		case <-changed:
		case <-t.C:
		case <-c.kill:
			t.Stop()
			return false
		}
		t.Stop()
	}
}

// clientPause is CLIENT PAUSE timeout [WRITE|ALL]; the mode is checked
// before the timeout, as in redis 7.0.
func clientPause(s *Server, c *client, args [][]byte) bool {
	if len(args) > 4 {
		return s.reject(c, subcommandSyntax(args))
	}
	all := true
	if len(args) == 4 {
		switch strings.ToLower(string(args[3])) {
		case "write":
			all = false
		case "all":
		default:
			return s.reject(c, "ERR CLIENT PAUSE mode must be WRITE or ALL")
		}
	}
	ms, ok := string2ll(args[2])
	if !ok {
		return s.reject(c, "ERR timeout is not an integer or out of range")
	}
	if ms < 0 {
		return s.reject(c, "ERR timeout is negative")
	}
	s.paused.pause(time.Now().Add(time.Duration(ms)*time.Millisecond), all)
	c.w.ok()
	return false
}

func clientUnpause(s *Server, c *client, args [][]byte) bool {
	s.paused.unpause()
	c.w.ok()
	return false
}

// subcommandSyntax is redis's addReplySubcommandSyntaxError: the text for
// a known subcommand with an argument count its code does not take.
func subcommandSyntax(args [][]byte) string {
	sub := string(args[1])
	if len(sub) > 128 {
		sub = sub[:128]
	}
	return "ERR unknown subcommand or wrong number of arguments for '" + sanitize(sub) + "'. Try " + strings.ToUpper(string(args[0])) + " HELP."
}
