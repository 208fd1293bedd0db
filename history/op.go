package history

import (
	"fmt"
	"strings"
	"time"
)

// Kind is the command an operation ran.
type Kind uint8

// The operations the workload runs. Writes carry a value no other write
// uses, so every value in the final state names the write that put it
// there.
const (
	Set    Kind = iota + 1 // SET key value
	Get                    // GET key (of a register or a counter)
	Incr                   // INCR key
	RPush                  // RPUSH key value
	LRange                 // LRANGE key 0 -1
)

func (k Kind) String() string {
	switch k {
	case Set:
		return "SET"
	case Get:
		return "GET"
	case Incr:
		return "INCR"
	case RPush:
		return "RPUSH"
	case LRange:
		return "LRANGE"
	}
	return fmt.Sprintf("Kind(%d)", uint8(k))
}

// IsWrite reports whether the operation changes the key.
func (k Kind) IsWrite() bool { return k == Set || k == Incr || k == RPush }

// Outcome is what the client learned about an operation.
type Outcome uint8

// OK: acknowledged with a result. Failed: refused, certainly not applied.
// Maybe: no answer (timeout, connection lost); it may or may not have
// been applied.
const (
	OK Outcome = iota + 1
	Failed
	Maybe
)

func (o Outcome) String() string {
	switch o {
	case OK:
		return "ok"
	case Failed:
		return "failed"
	case Maybe:
		return "maybe"
	}
	return fmt.Sprintf("Outcome(%d)", uint8(o))
}

// FinalClient is the client id of the reads of the final state, made
// after healing and after every other client stopped.
const FinalClient = -1

// Op is one operation as a client saw it.
type Op struct {
	Client  int
	Key     string
	Kind    Kind
	Value   string // SET, RPUSH: the value written
	Call    time.Time
	Return  time.Time // when the reply or the error came back
	Outcome Outcome

	// Results of an OK operation.
	Found bool     // GET: the key existed
	Text  string   // GET: its value
	N     int64    // INCR: the new value; RPUSH: the new length
	List  []string // LRANGE: the elements
	Err   string   // Failed, Maybe: the error

	// Executed, on a Maybe write: the server answered the write itself,
	// so it took effect there between Call and Return; only whether it
	// survives is unknown (a WAIT that did not confirm it). Unlike a
	// write without an answer, it cannot take effect after Return.
	Executed bool
}

// String is one line for reports: times are relative to t0.
func (o Op) String() string { return o.Format(time.Time{}) }

// Format is String with times relative to t0 (absolute if t0 is zero).
func (o Op) Format(t0 time.Time) string {
	when := func(t time.Time) string {
		if t0.IsZero() {
			return t.Format("15:04:05.000000")
		}
		return fmt.Sprintf("%+.3fs", t.Sub(t0).Seconds())
	}
	client := fmt.Sprintf("client %d", o.Client)
	if o.Client == FinalClient {
		client = "final read"
	}
	var b strings.Builder
	fmt.Fprintf(&b, "[%s .. %s] %s: %s %s", when(o.Call), when(o.Return), client, o.Kind, o.Key)
	if o.Kind == Set || o.Kind == RPush {
		fmt.Fprintf(&b, " %s", o.Value)
	}
	b.WriteString(" -> ")
	switch {
	case o.Outcome != OK:
		fmt.Fprintf(&b, "%s (%s)", o.Outcome, o.Err)
	case o.Kind == Get && !o.Found:
		b.WriteString("nil")
	case o.Kind == Get:
		fmt.Fprintf(&b, "%q", o.Text)
	case o.Kind == Set:
		b.WriteString("OK")
	case o.Kind == Incr || o.Kind == RPush:
		fmt.Fprintf(&b, "%d", o.N)
	case o.Kind == LRange:
		b.WriteString(abbrevList(o.List))
	}
	return b.String()
}

// abbrevList prints a list, eliding the middle of a long one.
func abbrevList(l []string) string {
	if len(l) <= 8 {
		return "[" + strings.Join(l, " ") + "]"
	}
	return fmt.Sprintf("[%s ... (%d more) ... %s]", strings.Join(l[:4], " "), len(l)-8, strings.Join(l[len(l)-4:], " "))
}
