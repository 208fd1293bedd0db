package respserver

import (
	"strconv"
	"strings"

	"github.com/tidwall/redcon"
)

// writer encodes replies for one client in the protocol it negotiated with
// HELLO. RESP2 encoding is redcon's; RESP3 adds maps, sets, pushes and the
// "_" null, which redcon does not know, so those are written raw.
type writer struct {
	w     *redcon.Writer
	proto int
}

func (w *writer) resp3() bool { return w.proto == 3 }

func (w *writer) simple(s string) { w.w.WriteString(s) }
func (w *writer) bulk(s string)   { w.w.WriteBulkString(s) }
func (w *writer) bulkBytes(b []byte) {
	w.w.WriteBulk(b)
}
func (w *writer) integer(n int64) { w.w.WriteInt64(n) }
func (w *writer) array(n int)     { w.w.WriteArray(n) }

// err writes an error reply; like redis's addReplyError it turns newlines
// into spaces so one reply never spans lines.
func (w *writer) err(msg string) {
	if strings.ContainsAny(msg, "\r\n") {
		msg = strings.NewReplacer("\r", " ", "\n", " ").Replace(msg)
	}
	w.w.WriteError(msg)
}

// mapLen starts a map of n pairs: "%n" in RESP3, an array of 2n in RESP2.
func (w *writer) mapLen(n int) {
	if w.resp3() {
		w.raw("%", n)
		return
	}
	w.w.WriteArray(2 * n)
}

// setLen starts a set: "~n" in RESP3, an array in RESP2.
func (w *writer) setLen(n int) {
	if w.resp3() {
		w.raw("~", n)
		return
	}
	w.w.WriteArray(n)
}

// push starts an out-of-band message (pub/sub): ">n" in RESP3.
func (w *writer) push(n int) {
	if w.resp3() {
		w.raw(">", n)
		return
	}
	w.w.WriteArray(n)
}

// verbatim is redis's addReplyVerbatim with format "txt": "=" in RESP3,
// a plain bulk string in RESP2.
func (w *writer) verbatim(s string) {
	if w.resp3() {
		w.w.WriteRaw([]byte("=" + strconv.Itoa(len(s)+4) + "\r\ntxt:" + s + "\r\n"))
		return
	}
	w.w.WriteBulkString(s)
}

// nullBulk is a missing string: "$-1" in RESP2, "_" in RESP3.
func (w *writer) nullBulk() {
	if w.resp3() {
		w.w.WriteRaw([]byte("_\r\n"))
		return
	}
	w.w.WriteRaw([]byte("$-1\r\n"))
}

// nullArray is a missing array: "*-1" in RESP2, "_" in RESP3.
func (w *writer) nullArray() {
	if w.resp3() {
		w.w.WriteRaw([]byte("_\r\n"))
		return
	}
	w.w.WriteRaw([]byte("*-1\r\n"))
}

func (w *writer) raw(prefix string, n int) {
	w.w.WriteRaw([]byte(prefix + strconv.Itoa(n) + "\r\n"))
}

func (w *writer) ok() { w.simple("OK") }

// fields writes key/value pairs as a map (RESP3) or a flat array (RESP2),
// every value a bulk string, as redis-sentinel does.
func (w *writer) fields(keys, values []string) {
	w.mapLen(len(keys))
	for i := range keys {
		w.bulk(keys[i])
		w.bulk(values[i])
	}
}

// status writes a list of status lines, the shape of every HELP reply.
func (w *writer) statusLines(lines []string) {
	w.array(len(lines))
	for _, l := range lines {
		w.simple(l)
	}
}
