package event

import (
	"strconv"
	"strings"
)

// Parse rebuilds an event of kind k from its payload: the inverse of
// Payload, for event text that was stored or received as text (a hooks
// journal written before events were typed). Consumers of live events
// read the fields instead. Text that does not have the kind's form is
// kept whole in Text, and ok is false.
func Parse(k Kind, payload string) (e Event, ok bool) {
	e.Kind = k
	if k == SwitchMaster {
		// <name> <old-host> <old-port> <new-host> <new-port>
		f := strings.Fields(payload)
		if len(f) != 5 {
			e.Text = payload
			return e, false
		}
		from, ok1 := parseAddr(f[1], f[2])
		to, ok2 := parseAddr(f[3], f[4])
		if !ok1 || !ok2 {
			e.Text = payload
			return e, false
		}
		e.Master, e.From, e.To = f[0], from, to
		return e, true
	}
	rest := payload
	if in, n, found := parseInstance(payload); found {
		e.Instance, rest = in, payload[n:]
		if in.Role == RoleMaster {
			e.Master = in.Name
		} else {
			e.Master = in.MasterName
		}
	}
	f := strings.Fields(rest)
	switch k {
	case NewEpoch:
		if len(f) == 1 {
			if n, err := strconv.ParseUint(f[0], 10, 64); err == nil {
				e.Epoch = n
				return e, true
			}
		}
	case VoteForLeader:
		if len(f) == 2 {
			if n, err := strconv.ParseUint(f[1], 10, 64); err == nil {
				e.Leader, e.Epoch = f[0], n
				return e, true
			}
		}
	case ODown:
		if len(f) == 2 && f[0] == "#quorum" {
			v, q, found := strings.Cut(f[1], "/")
			nv, err1 := strconv.Atoi(v)
			nq, err2 := strconv.Atoi(q)
			if found && err1 == nil && err2 == nil {
				e.Votes, e.Quorum = nv, nq
				return e, true
			}
		}
	default:
		e.Text = rest
		return e, true
	}
	e.Text = rest
	return e, false
}

// parseInstance reads a leading "%@" from payload: the instance and how
// many bytes it took (with the space after it). It is found only when
// formatting it again gives the same bytes, so what follows is kept as
// it was.
func parseInstance(payload string) (Instance, int, bool) {
	f := strings.Fields(payload)
	if len(f) < 4 {
		return Instance{}, 0, false
	}
	var in Instance
	switch r := Role(f[0]); r {
	case RoleMaster, RoleSlave, RoleSentinel:
		in.Role = r
	default:
		return Instance{}, 0, false
	}
	a, ok := parseAddr(f[2], f[3])
	if !ok {
		return Instance{}, 0, false
	}
	in.Name, in.Addr = f[1], a
	if in.Role != RoleMaster {
		if len(f) < 8 || f[4] != "@" {
			return Instance{}, 0, false
		}
		if in.MasterAddr, ok = parseAddr(f[6], f[7]); !ok {
			return Instance{}, 0, false
		}
		in.MasterName = f[5]
	}
	s := string(in.appendTo(nil))
	switch {
	case payload == s:
		return in, len(s), true
	case strings.HasPrefix(payload, s+" "):
		return in, len(s) + 1, true
	}
	return Instance{}, 0, false
}

func parseAddr(host, port string) (Addr, bool) {
	p, err := strconv.Atoi(port)
	if err != nil {
		return Addr{}, false
	}
	return Addr{Host: host, Port: p}, true
}
