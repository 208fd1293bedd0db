package respserver

import "strings"

// unauthReplyLimit is how many bytes of replies a client that must still
// authenticate may leave unread. redis (7.0.15 as Debian ships it, with
// the fix of CVE-2025-21605) closes such a client as soon as its reply
// list holds more than 1 kB; the list is only used once the 16 kB reply
// buffer is full, so in practice more than 16 kB of unwritten replies
// closes it. Ours keeps no second buffer: more than 16 kB waiting is the
// same point. A client that pipelines wrong AUTHs without reading (a
// password guesser) reaches it after some 250 guesses in one read.
const unauthReplyLimit = 16 * 1024

// outputExceeded reports whether c's unwritten replies are over what
// redis lets its class hold: client-output-buffer-limit normal (pubsub
// for a subscribed client, whose events are counted by deliver), or
// unauthReplyLimit for a client that must still authenticate. Called
// under wmu after each command, where redis checks when it adds a reply.
//
// Replies go out before the next read of the socket, so what one read's
// requests answered is what waits here; while a write blocks, nothing is
// read and nothing more is added. redis leaves its first 16 kB reply
// buffer out of the count; we count every byte, which closes a client at
// most 16 kB earlier than redis would.
func (c *client) outputExceeded() bool {
	n := int64(len(c.out.Buffer()))
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
