package event

import (
	"strconv"
	"strings"
)

// MaxLen is how much of an event redis-sentinel keeps: sentinelEvent
// formats it into a LOG_MAX_LEN (1024) buffer, so subscribers, the log and
// the notification script get at most 1023 bytes (a long SENTINEL SET
// value, say).
const MaxLen = 1023

// Payload is the message redis-sentinel publishes on the kind's channel:
// the instance ("%@"), then the kind's details, cut at MaxLen bytes.
func (e Event) Payload() string {
	b := make([]byte, 0, 96)
	if e.Instance.Role != "" {
		b = e.Instance.appendTo(b)
	}
	n := len(b)
	switch e.Kind {
	case SwitchMaster:
		b = appendSep(b, n)
		b = append(b, e.Master...)
		b = appendAddr(append(b, ' '), e.From)
		b = appendAddr(append(b, ' '), e.To)
	case NewEpoch:
		b = strconv.AppendUint(appendSep(b, n), e.Epoch, 10)
	case VoteForLeader:
		b = append(appendSep(b, n), e.Leader...)
		b = strconv.AppendUint(append(b, ' '), e.Epoch, 10)
	case ODown:
		b = append(appendSep(b, n), "#quorum "...)
		b = strconv.AppendInt(b, int64(e.Votes), 10)
		b = strconv.AppendInt(append(b, '/'), int64(e.Quorum), 10)
	default:
		if e.Text != "" {
			b = append(appendSep(b, n), e.Text...)
		}
	}
	if len(b) > MaxLen {
		b = b[:MaxLen]
	}
	return string(b)
}

// String is the log form operators grep redis-sentinel logs for:
// "<kind> <payload>".
func (e Event) String() string { return string(e.Kind) + " " + e.Payload() }

// Words are the payload's words, as a shell would split it: the
// arguments a hook gets after the kind.
func (e Event) Words() []string { return strings.Fields(e.Payload()) }

// appendSep adds the space between the instance and the details when
// there is an instance (n is its length).
func appendSep(b []byte, n int) []byte {
	if n > 0 {
		return append(b, ' ')
	}
	return b
}

// appendTo formats redis-sentinel's "%@": role, name, address, then for a
// replica or sentinel "@" and its master.
func (i Instance) appendTo(b []byte) []byte {
	b = append(b, i.Role...)
	b = append(append(b, ' '), i.Name...)
	b = appendAddr(append(b, ' '), i.Addr)
	if i.Role != RoleMaster {
		b = append(b, " @ "...)
		b = append(b, i.MasterName...)
		b = appendAddr(append(b, ' '), i.MasterAddr)
	}
	return b
}

// appendAddr writes "host port", redis's form in events (no brackets
// around IPv6 hosts).
func appendAddr(b []byte, a Addr) []byte {
	b = append(b, a.Host...)
	return strconv.AppendInt(append(b, ' '), int64(a.Port), 10)
}
