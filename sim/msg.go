package sim

import (
	"fmt"
	"strconv"
	"strings"
)

// Msg is anything that travels between endpoints. String is its trace
// form, one line.
type Msg interface {
	String() string
}

// Command is one RESP command sent on the sender's connection Conn (for a
// sentinel "cmd" or "pubsub", as its two links to each instance). Redis
// keeps per-connection state (MULTI, subscriptions) under (sender, Inc,
// Conn). Seq is chosen by the sender and echoed in the Reply, so a reply
// can be matched even when the network lost an earlier one.
type Command struct {
	Conn string
	Seq  uint64
	Args []string
	// Inc is the sender's incarnation, stamped by the world: a process
	// restarted has new connections, even under the same names.
	Inc uint64
}

// Answer is the Reply to c carrying v: a node serving commands (a
// sentinel answering its peers) replies with it, so that the reply is on
// c's connection.
func (c Command) Answer(v any) Reply { return Reply{Conn: c.Conn, Seq: c.Seq, Value: v, Inc: c.Inc} }

// Reply answers the Command with the same Conn, Seq and Inc (Answer). Value has
// the shapes a sentinel's links deliver: string (simple or bulk), int64,
// nil (null), []any (array) or RedisError (an error reply).
type Reply struct {
	Conn  string
	Seq   uint64
	Value any
	// Inc is the incarnation of the client whose connection this is: the
	// world drops a reply to an earlier one, as the peer's RST would.
	Inc uint64
}

// Message is a pub/sub message pushed to a subscribed connection; Inc as
// in Reply.
type Message struct {
	Conn    string
	Channel string
	Payload string
	Inc     uint64
}

// Closed tells a client that the server closed its connection Conn
// (CLIENT KILL): its MULTI state and subscriptions are gone. An empty Conn
// means every connection between the two endpoints: the world sends that
// from a process that was killed (World.Kill) or restarted. Inc as in
// Reply (0: whatever the incarnation).
type Closed struct {
	Conn   string
	Reason string
	Inc    uint64
	// Refused: the connection was never made; the server's host answered
	// that nothing listens (World.RefuseWhileDown). Its calls end with
	// ErrRefused.
	Refused bool
}

// connIncarnation is the client incarnation a server-to-client message
// belongs to, 0 for other messages.
func connIncarnation(m Msg) uint64 {
	switch m := m.(type) {
	case Reply:
		return m.Inc
	case Message:
		return m.Inc
	case Closed:
		return m.Inc
	}
	return 0
}

// RedisError is an error reply ("ERR ...", "LOADING ...", without the
// leading '-'). It has the RedisError method go-redis's and sentinel's
// reply errors have, so redislink.IsReplyError recognises it.
type RedisError string

func (e RedisError) Error() string { return string(e) }

// RedisError marks e as an error reply rather than a transport failure.
func (e RedisError) RedisError() {}

func (c Command) String() string {
	return fmt.Sprintf("cmd[%s] %d: %s", c.Conn, c.Seq, clip(strings.Join(c.Args, " ")))
}

func (r Reply) String() string {
	return fmt.Sprintf("reply[%s] %d: %s", r.Conn, r.Seq, formatValue(r.Value, true))
}

func (m Message) String() string {
	return fmt.Sprintf("message[%s] %s %s", m.Conn, m.Channel, clip(m.Payload))
}

func (c Closed) String() string { return fmt.Sprintf("closed[%s] %s", c.Conn, c.Reason) }

// FormatValue renders a reply value in one line, as redis-cli would
// roughly show it: errors with '-', arrays in brackets.
func FormatValue(v any) string { return formatValue(v, false) }

// formatValue with short set cuts strings before quoting them: quoting a
// whole INFO reply for a trace line that keeps 120 bytes of it was most
// of a simulation's time.
func formatValue(v any, short bool) string {
	switch v := v.(type) {
	case nil:
		return "(nil)"
	case RedisError:
		return "-" + string(v)
	case string:
		if short {
			if sum, ok := infoSummary(v); ok {
				return sum
			}
			v = clip(v)
		}
		return strconv.Quote(v)
	case int64:
		return fmt.Sprintf(":%d", v)
	case []any:
		parts := make([]string, len(v))
		for i, e := range v {
			parts[i] = formatValue(e, short)
		}
		return "[" + strings.Join(parts, " ") + "]"
	default:
		return fmt.Sprintf("%T(%v)", v, v)
	}
}

// infoFields are the INFO lines a trace line shows of an INFO reply: what
// a sentinel acts on.
var infoFields = []string{"role", "master_host", "master_port", "master_link_status",
	"connected_slaves", "master_failover_state", "master_repl_offset"}

// infoSummary shortens an INFO reply to its replication facts.
func infoSummary(s string) (string, bool) {
	if !strings.HasPrefix(s, "# ") || !strings.Contains(s, "\r\nrole:") {
		return "", false
	}
	var b strings.Builder
	b.WriteString("INFO{")
	for _, f := range infoFields {
		i := strings.Index(s, "\r\n"+f+":")
		if i < 0 {
			continue
		}
		line := s[i+2:]
		if j := strings.Index(line, "\r\n"); j >= 0 {
			line = line[:j]
		}
		if b.Len() > len("INFO{") {
			b.WriteByte(' ')
		}
		b.WriteString(line)
	}
	b.WriteByte('}')
	return b.String(), true
}

// clip keeps trace lines short: INFO replies are kilobytes.
func clip(s string) string {
	const max = 120
	if len(s) <= max {
		return s
	}
	return s[:max] + "…"
}
