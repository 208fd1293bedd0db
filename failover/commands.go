package failover

import "strconv"

// Tx is the body of the MULTI/EXEC transaction a SlaveOf, FailoverTo,
// KillClients, DropClients or Fence action is carried out with (nil for other actions), one
// command per element. host is how the driver names a.To's host on the
// wire (an IP, or a name with announce-hostnames). Both drivers (package
// sentinel over real links, the simulator) send exactly these, so the
// simulator tests the commands production sends; the driver only applies
// rename-command.
func (a Action) Tx(host string) [][]string {
	switch a.Kind {
	case SlaveOf:
		to, port := "NO", "ONE"
		if a.To.Host != "" {
			to, port = host, strconv.Itoa(a.To.Port)
		}
		var cmds [][]string
		if f := a.Node.FailoverReported; f != "" && f != "no-failover" {
			// As Valkey does: a FAILOVER of the instance's own (maybe
			// stuck) would make SLAVEOF fail.
			cmds = append(cmds, []string{"FAILOVER", "ABORT"})
		}
		cmds = append(cmds, []string{"SLAVEOF", to, port})
		if a.Unfence {
			cmds = append(cmds, []string{"CONFIG", "SET", "min-replicas-to-write", "0"})
		}
		return append(cmds, []string{"CONFIG", "REWRITE"},
			[]string{"CLIENT", "KILL", "TYPE", "normal"}, []string{"CLIENT", "KILL", "TYPE", "pubsub"})
	case FailoverTo:
		// CLIENT PAUSE WRITE keeps the old master's clients paused after
		// the switch, until KillClients; both with what is left of the
		// failover timeout.
		ms := strconv.FormatInt(a.TimeoutMs, 10)
		return [][]string{{"CLIENT", "PAUSE", ms, "WRITE"},
			{"FAILOVER", "TO", host, strconv.Itoa(a.To.Port), "TIMEOUT", ms}}
	case Fence:
		// The lag first: the moment min-replicas-to-write takes effect it
		// counts replicas with the lag we mean.
		var cmds [][]string
		if a.Replicas > 0 {
			cmds = append(cmds, []string{"CONFIG", "SET", "min-replicas-max-lag", strconv.Itoa(a.MaxLag)})
		}
		return append(cmds, []string{"CONFIG", "SET", "min-replicas-to-write", strconv.Itoa(a.Replicas)},
			[]string{"CONFIG", "REWRITE"})
	case KillClients:
		return [][]string{{"CONFIG", "REWRITE"}, {"CLIENT", "KILL", "TYPE", "normal"},
			{"CLIENT", "KILL", "TYPE", "pubsub"}, {"CLIENT", "UNPAUSE"}}
	case DropClients:
		return [][]string{{"CLIENT", "KILL", "TYPE", "normal"}}
	}
	return nil
}

// AskArgs is the SENTINEL is-master-down-by-addr command of an Ask action,
// with the master's host as the driver names it.
func (a Action) AskArgs(host string) []string {
	return []string{"SENTINEL", "is-master-down-by-addr", host, strconv.Itoa(a.To.Port),
		strconv.FormatUint(a.Epoch, 10), a.RunID}
}

// DownReply is a peer's answer to is-master-down-by-addr.
type DownReply struct {
	Down   bool
	Leader string // "*" when the peer did not vote
	Epoch  uint64
}

// ParseDownReply reads an is-master-down-by-addr reply as the links
// deliver it ([integer, bulk, integer]); ok is false for anything else.
func ParseDownReply(v any) (DownReply, bool) {
	arr, ok := v.([]any)
	if !ok || len(arr) != 3 {
		return DownReply{}, false
	}
	down, ok1 := arr[0].(int64)
	leader, ok2 := arr[1].(string)
	epoch, ok3 := arr[2].(int64)
	if !ok1 || !ok2 || !ok3 {
		return DownReply{}, false
	}
	return DownReply{Down: down == 1, Leader: leader, Epoch: uint64(epoch)}, true
}
