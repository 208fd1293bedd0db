package respserver

import (
	"io"
	"sync"
)

// ioBufLen is redis's PROTO_IOBUF_LEN: the size of a read into an empty
// query buffer, and the least room a read leaves.
const ioBufLen = 16 * 1024

// queryBuf is a client's input buffer, read the way redis 7.0 fills its
// query buffer: the first read takes at most 16 KiB; later reads take all
// the room the buffer has, growing it greedily ((length + 16 KiB) * 2,
// rounded up to jemalloc's size class) when less than 16 KiB is left.
// The size of each read matters to clients: redis applies its 64 KiB
// limit on an unfinished line after each read, so a 70 KiB line is
// answered when its end comes in the same read that crosses 64 KiB, and
// refused when it does not. A read returns what has arrived, up to the
// size asked, so reading with redis's sizes takes the same bytes redis
// would at that moment.
type queryBuf struct {
	r     io.Reader
	buf   []byte
	start int // buf[start:] is not yet consumed
	alloc int // what sdsalloc(c->querybuf) would be
	// idle, when set, waits until there is something to read; then an
	// empty buffer is given back to pool before waiting and taken from it
	// after (idleread.go). nil: reads block holding the buffer.
	idle   func() error
	pool   *sync.Pool
	pooled bool // buf came from pool
}

// bytes returns what has been read and not consumed.
func (q *queryBuf) bytes() []byte { return q.buf[q.start:] }

// held is the memory the buffer holds.
func (q *queryBuf) held() int { return cap(q.buf) }

// discard consumes n bytes.
func (q *queryBuf) discard(n int) {
	q.start += n
	if q.start == len(q.buf) {
		q.buf, q.start = q.buf[:0], 0
		if cap(q.buf) > 4*ioBufLen {
			q.buf = nil // a long line's memory goes back once it is consumed
		}
		if q.idle != nil {
			q.release()
		}
	}
}

// release gives an empty buffer back to the pool (or to the collector).
func (q *queryBuf) release() {
	if q.pooled {
		b := q.buf[:0]
		q.pool.Put(&b)
	}
	q.buf, q.pooled = nil, false
}

// fill does one read of the size redis would use; it returns an error
// only when nothing was read.
func (q *queryBuf) fill() error {
	if q.start > 0 { // sdsrange: consumed bytes leave the buffer
		n := copy(q.buf, q.buf[q.start:])
		q.buf, q.start = q.buf[:n], 0
	}
	n := len(q.buf)
	readlen := ioBufLen
	if q.alloc < ioBufLen {
		q.alloc = sdsUsable(n + ioBufLen) // the first allocation is not greedy
	} else {
		if q.alloc-n < ioBufLen {
			grow := n + ioBufLen
			if grow < 1<<20 {
				grow *= 2
			} else {
				grow += 1 << 20
			}
			q.alloc = sdsUsable(grow)
		}
		readlen = q.alloc - n
	}
	if n == 0 && q.idle != nil {
		q.release()
		if err := q.idle(); err != nil {
			return err
		}
	}
	if cap(q.buf) < n+readlen {
		var nb []byte
		if n == 0 && q.idle != nil && readlen <= pooledBufCap {
			nb, q.pooled = (*q.pool.Get().(*[]byte))[:0], true
		} else {
			nb = make([]byte, n, n+readlen)
			copy(nb, q.buf)
			if q.pooled {
				q.release()
			}
		}
		q.buf = nb
	}
	m, err := q.r.Read(q.buf[n : n+readlen])
	q.buf = q.buf[:n+m]
	if m > 0 {
		return nil
	}
	if err == nil {
		err = io.ErrNoProgress
	}
	return err
}

// sdsUsable is the alloc redis records for an sds of length n: the size
// jemalloc gives for the header, n bytes and the NUL, less header and NUL.
func sdsUsable(n int) int {
	hdr := 5 // sdshdr16
	if n >= 1<<16 {
		hdr = 9 // sdshdr32
	}
	usable := jemallocClass(n+hdr+1) - hdr - 1
	if hdr == 5 && usable > 1<<16-1 {
		usable = 1<<16 - 1 // sdsTypeMaxSize
	}
	return usable
}

// jemallocClass rounds a request above a page up to jemalloc's size
// class: four classes per doubling.
func jemallocClass(n int) int {
	if n <= 4096 {
		return 4096
	}
	k := 1
	for k<<1 < n {
		k <<= 1
	}
	step := k / 4
	return (n + step - 1) / step * step
}
