package respserver

// unauthReplyLimit is how many bytes of replies a client that must still
// authenticate may leave unread. redis (7.0.15 as Debian ships it, with
// the fix of CVE-2025-21605) closes such a client as soon as its reply
// list holds more than 1 kB; the list is only used once the 16 kB reply
// buffer is full, so in practice more than 16 kB of unwritten replies
// closes it. Ours keeps no second buffer: more than 16 kB waiting is the
// same point. A client that pipelines wrong AUTHs without reading (a
// password guesser) reaches it after some 250 guesses in one read.
const unauthReplyLimit = 16 * 1024

// unauthOutputExceeded reports whether c, not authenticated while the
// default user needs a password, holds more unwritten replies than redis
// allows such a client. Called under wmu after each command.
func (c *client) unauthOutputExceeded() bool {
	if len(c.out.Buffer()) <= unauthReplyLimit {
		return false
	}
	return !c.isAuthed() && !c.srv.defaultOpen()
}
