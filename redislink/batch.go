package redislink

// WriteBatch collects the links a tick left unflushed, to flush each once
// after every master has ticked: a peer that watches fifty masters with us
// gets one write per tick, not fifty. Only the tick's goroutine may use
// it; the zero value is ready.
type WriteBatch struct {
	links []BufferedConn
	seen  map[BufferedConn]struct{}
}

// Add remembers c for the next Flush (once, however often it is added).
func (b *WriteBatch) Add(c BufferedConn) {
	if _, ok := b.seen[c]; ok {
		return
	}
	if b.seen == nil {
		b.seen = map[BufferedConn]struct{}{}
	}
	b.seen[c] = struct{}{}
	b.links = append(b.links, c)
}

// Flush writes every collected link and empties the batch for reuse.
func (b *WriteBatch) Flush() {
	for _, c := range b.links {
		c.Flush()
	}
	clear(b.links)
	b.links = b.links[:0]
	clear(b.seen)
}
