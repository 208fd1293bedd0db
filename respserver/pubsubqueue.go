package respserver

import "slices"

// enqueue adds an event for the pump to write; false when the client
// already has MaxPubSubPending events waiting.
func (c *client) enqueue(channel, payload string) bool {
	c.qmu.Lock()
	if len(c.queue) >= c.srv.cfg.Limits.MaxPubSubPending {
		c.qmu.Unlock()
		return false
	}
	c.queue = append(c.queue, [2]string{channel, payload})
	c.qmu.Unlock()
	select {
	case c.wake <- struct{}{}:
	default: // already woken
	}
	return true
}

// pumpEvents writes queued messages until the client goes.
func (c *client) pumpEvents() {
	for {
		select {
		case <-c.kill:
			return
		case <-c.wake:
		}
		for {
			// Take the whole queue: the next events go to a new one,
			// so a queue that once grew long is not kept.
			c.qmu.Lock()
			batch := c.queue
			c.queue = nil
			c.qmu.Unlock()
			if len(batch) == 0 {
				break
			}
			for _, ev := range batch {
				if !c.writeEvent(ev[0], ev[1]) {
					c.close()
					return
				}
			}
		}
	}
}

// writeEvent writes one message, once per matching channel and once per
// matching pattern, as redis does; false when the client is gone.
func (c *client) writeEvent(channel, payload string) bool {
	defer func() {
		if c.pending.Add(-eventSize(channel, payload)) < c.srv.cfg.Limits.PubSub.Soft {
			c.softSince.Store(0)
		}
	}()
	c.mu.Lock()
	inChannel := slices.Contains(c.channels, channel)
	var pats []string
	for _, p := range c.patterns {
		if globMatch(p, channel) {
			pats = append(pats, p)
		}
	}
	c.mu.Unlock()
	c.wmu.Lock()
	defer c.wmu.Unlock()
	if c.mute {
		return true
	}
	c.pushing(func() {
		if inChannel {
			c.w.push(3)
			c.w.bulk("message")
			c.w.bulk(channel)
			c.w.bulk(payload)
		}
		for _, p := range pats {
			c.w.push(4)
			c.w.bulk("pmessage")
			c.w.bulk(p)
			c.w.bulk(channel)
			c.w.bulk(payload)
		}
	})
	return c.flushLocked()
}

// startPump makes the queue's wake-up and its writer, once; called by the
// subscribe commands before the client is marked subscribed.
func (c *client) startPump() {
	c.pumpOnce.Do(func() {
		c.wake = make(chan struct{}, 1)
		c.pumpWG.Add(1)
		go func() {
			defer c.pumpWG.Done()
			c.pumpEvents()
		}()
	})
}
