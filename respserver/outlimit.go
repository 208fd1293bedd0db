package respserver

import (
	"errors"
	"io"
	"strings"

	"github.com/tidwall/redcon"
)

// unauthReplyLimit is how many bytes of replies a client that must still
// authenticate may leave unread. redis (7.0.15 as Debian ships it, with
// the fix of CVE-2025-21605) closes such a client as soon as its reply
// list holds more than 1 kB; the list is only used once the 16 kB reply
// buffer is full, so in practice more than 16 kB of unwritten replies
// closes it. Ours keeps no second buffer: more than 16 kB waiting is the
// same point. A client that pipelines wrong AUTHs without reading (a
// password guesser) reaches it after some 250 guesses in one read.
const unauthReplyLimit = 16 * 1024

// errOutputLimit ends a client whose unwritten replies are over its
// class's limit; none of them is written.
var errOutputLimit = errors.New("output buffer limit reached")

// limitedWriter is what a client's reply writer flushes into: each write
// is everything that waits to go out, so that is where the limits are
// checked, once per flush and without copying anything.
type limitedWriter struct {
	c *client
	w io.Writer
}

func (lw limitedWriter) Write(p []byte) (int, error) {
	lw.c.flushed = len(p)
	if lw.c.outputExceeded(int64(len(p))) {
		lw.c.logOutputLimit()
		return 0, errOutputLimit
	}
	return lw.w.Write(p)
}

// outputExceeded reports whether n bytes of unwritten replies are over
// what redis lets c's class hold: client-output-buffer-limit normal
// (pubsub for a subscribed client, with its queued events), or
// unauthReplyLimit for a client that must still authenticate. Called
// under wmu when the replies are flushed.
//
// Replies go out before the next read of the socket, so what waits is
// what one read's requests answered, the same batch after which redis
// writes; while a write blocks nothing is read and nothing more is added.
// redis checks as it adds each reply and so closes within the batch;
// closing at its end instead writes nothing more either. redis leaves its
// first 16 kB reply buffer out of the count; we count every byte, which
// closes a client at most 16 kB earlier than redis would.
func (c *client) outputExceeded(n int64) bool {
	if n == 0 {
		return false
	}
	if n > unauthReplyLimit && !c.isAuthed() && !c.srv.defaultOpen() {
		return true
	}
	if c.subscribed.Load() {
		return overLimit(n+c.pending.Load(), c.srv.cfg.Limits.PubSub, &c.softSince)
	}
	return overLimit(n, c.srv.cfg.Limits.Normal, &c.normalSoftSince)
}

// logOutputLimit logs a client closed for its output as redis logs it,
// with its CLIENT LIST line, so that existing log alerts keep matching.
func (c *client) logOutputLimit() {
	c.srv.logger.Warn("Client " + strings.TrimSuffix(c.srv.describeClient(c), "\n") +
		" scheduled to be closed ASAP for overcoming of output buffer limits.")
}

// renewWriterAbove is the size of a flush after which the reply writer is
// replaced: redcon keeps its buffer's capacity (up to 256 kB) after a
// flush, and an idle client would hold what its largest batch of replies
// took. redis shrinks an idle client's reply buffer too.
const renewWriterAbove = 16 * 1024

// newOut makes the writer of c's replies to the socket.
func (c *client) newOut() *redcon.Writer {
	return redcon.NewWriter(limitedWriter{c: c, w: countingWriter{c.conn, &c.srv.stats.netOut}})
}

// renewWriter replaces the reply writer (empty, just flushed) with a new
// one, so that the large buffer of the old one is garbage. Under wmu.
func (c *client) renewWriter() {
	old := c.out
	c.out = c.newOut()
	if c.w.w == old {
		c.w.w = c.out
	}
	c.flushed = 0
}
