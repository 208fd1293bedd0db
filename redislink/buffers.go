package redislink

import "sync"

// Buffers lends command links the buffer a write's commands are encoded
// in. A link encodes what it has to send when it writes and gives the
// buffer back at once (the transport copies what the socket does not
// take), so the links of a sentinel share a few buffers instead of
// holding one each between ticks. The zero value is ready.
type Buffers struct {
	pool sync.Pool
	// cmds holds arrays of smallPending commands in flight: a master's
	// or replica's link needs one from its tick's write to the replies
	// (a PING and a hello), so the links share them rather than keep one
	// each (288 bytes a link) or allocate one each tick.
	cmds sync.Pool
}

// smallPending is the size of the shared arrays of commands in flight.
const smallPending = 4

// getCmds returns an empty array for commands in flight.
func (p *Buffers) getCmds() []linkCmd {
	if a, ok := p.cmds.Get().(*[smallPending]linkCmd); ok {
		return a[:0]
	}
	return make([]linkCmd, 0, smallPending)
}

// putCmds takes back an array getCmds gave (others are left to the
// collector), emptied of references.
func (p *Buffers) putCmds(s []linkCmd) {
	if cap(s) != smallPending {
		return
	}
	s = s[:smallPending]
	clear(s)
	p.cmds.Put((*[smallPending]linkCmd)(s))
}

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
