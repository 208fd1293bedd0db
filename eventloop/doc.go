// Package eventloop reads many TCP connections on one goroutine, the way
// redis-sentinel's ae event loop does: one epoll set holds every
// connection, and the epoll descriptor itself sits in Go's network poller,
// so the loop goroutine parks like any other and wakes once for a batch of
// ready connections.
//
// It exists for the sentinel's links to Redis instances and peers: with a
// reader goroutine per connection each reply cost a read, a second read
// that returned EAGAIN, a park and a wake-up, and each connection kept a
// goroutine stack and a read buffer. Here a reply costs one read into a
// buffer shared by all connections.
package eventloop

import (
	"errors"
	"os"
)

// Handler receives what happens on one connection. Both methods run on the
// loop goroutine and must not block on other connections of the same loop.
type Handler interface {
	// Data gets bytes as they arrive; b is only valid during the call.
	Data(b []byte)
	// Closed is called once, after the connection is gone: closed by the
	// peer, by an error, by Close, by its read deadline or by the loop's
	// end.
	Closed(err error)
}

// Connecter is a Handler that hears when Connect's connect completes,
// before anything is read from the connection and without the
// connection's lock held. Its read deadline counted from the Connect; a
// handler whose deadlines are for replies moves them here, so that a slow
// connect (a loop busy with a thousand of them) does not eat the time of
// the replies behind it.
type Connecter interface {
	Handler
	Connected()
}

var (
	// ErrClosed is what Close and the loop's end give Closed, and what
	// Write returns after either.
	ErrClosed = errors.New("eventloop: connection closed")
	// ErrDeadline is what Closed gets when the read deadline passed; it
	// is os.ErrDeadlineExceeded, a net.Error whose Timeout() is true.
	ErrDeadline = os.ErrDeadlineExceeded
)

// maxOut bounds what may wait for a socket that does not drain.
const maxOut = 4 << 20
