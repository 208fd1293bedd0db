package respserver

import "slices"

// Pub/sub of sentinel events: every event type is a channel ("+sdown",
// "+switch-master", ...), as in redis-sentinel. Replies follow redis:
// one confirmation per channel with the running subscription count.

func cmdSubscribe(s *Server, c *client, args [][]byte) bool {
	subscribe(c, "subscribe", args[1:], func(c *client) *[]string { return &c.channels })
	return false
}

func cmdPsubscribe(s *Server, c *client, args [][]byte) bool {
	subscribe(c, "psubscribe", args[1:], func(c *client) *[]string { return &c.patterns })
	return false
}

// subscribe adds channels or patterns (list picks which), confirming each.
func subscribe(c *client, kind string, names [][]byte, list func(*client) *[]string) {
	for _, a := range names {
		name := string(a)
		c.mu.Lock()
		l := list(c)
		if !slices.Contains(*l, name) {
			*l = append(*l, name)
		}
		n := len(c.channels) + len(c.patterns)
		c.mu.Unlock()
		c.startPump()
		c.subscribed.Store(true)
		writeSubReply(c, kind, name, n, true)
	}
}

func cmdUnsubscribe(s *Server, c *client, args [][]byte) bool {
	unsubscribe(c, "unsubscribe", args[1:], func(c *client) *[]string { return &c.channels })
	return false
}

func cmdPunsubscribe(s *Server, c *client, args [][]byte) bool {
	unsubscribe(c, "punsubscribe", args[1:], func(c *client) *[]string { return &c.patterns })
	return false
}

// unsubscribe removes the named entries, or all of them when none is
// named; with nothing to remove redis still answers once, with a null name.
func unsubscribe(c *client, kind string, names [][]byte, list func(*client) *[]string) {
	c.mu.Lock()
	l := list(c)
	var targets []string
	if len(names) == 0 {
		targets = append(targets, *l...)
	} else {
		for _, n := range names {
			targets = append(targets, string(n))
		}
	}
	c.mu.Unlock()
	if len(targets) == 0 {
		c.mu.Lock()
		n := len(c.channels) + len(c.patterns)
		c.mu.Unlock()
		writeSubReply(c, kind, "", n, false)
		return
	}
	for _, t := range targets {
		c.mu.Lock()
		if i := slices.Index(*l, t); i >= 0 {
			*l = slices.Delete(*l, i, i+1)
		}
		n := len(c.channels) + len(c.patterns)
		c.mu.Unlock()
		if n == 0 {
			c.subscribed.Store(false)
		}
		writeSubReply(c, kind, t, n, true)
	}
}

func writeSubReply(c *client, kind, name string, n int, hasName bool) {
	c.pushing(func() {
		c.w.push(3)
		c.w.bulk(kind)
		if hasName {
			c.w.bulk(name)
		} else {
			c.w.nullBulk()
		}
		c.w.integer(int64(n))
	})
}
