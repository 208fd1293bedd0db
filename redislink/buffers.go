package redislink

import "sync"

// Buffers lends command links the buffer a write's commands are encoded
// in. A link encodes what it has to send when it writes and gives the
// buffer back at once (the transport copies what the socket does not
// take), so the links of a sentinel share a few buffers instead of
// holding one each between ticks. The zero value is ready.
type Buffers struct{ pool sync.Pool }

// encodeBuf is pooled by pointer: a slice put in a sync.Pool would be
// boxed, an allocation per write.
type encodeBuf struct{ b []byte }

// maxPooledBuffer bounds a buffer kept for reuse: a peer link shared by
// thousands of masters writes tens of kilobytes a tick; a larger write
// was a burst, and its buffer goes to the collector.
const maxPooledBuffer = 64 << 10

func (p *Buffers) get() *encodeBuf {
	if b, ok := p.pool.Get().(*encodeBuf); ok {
		return b
	}
	return &encodeBuf{b: make([]byte, 0, 512)}
}

func (p *Buffers) put(b *encodeBuf) {
	if cap(b.b) > maxPooledBuffer {
		return
	}
	b.b = b.b[:0]
	p.pool.Put(b)
}
