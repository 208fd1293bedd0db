package failover

import (
	"strconv"
	"strings"
	"time"
)

// InfoReport is what sentinel reads from an INFO reply.
type InfoReport struct {
	RunID              string
	Role               Kind // KindMaster, KindReplica, or KindSentinel when absent
	Replicas           []Addr
	MasterHost         string
	MasterPort         int
	MasterLinkUp       bool
	MasterLinkDownTime time.Duration
	SlavePriority      int // -1 when absent
	SlaveReplOffset    uint64
	HasReplOffset      bool
	ReplicaAnnounced   int // -1 when absent
	MasterReplOffset   uint64
	// FailoverState is master_failover_state (Redis 6.2+, Valkey): ""
	// when the instance does not report it, and so has no FAILOVER.
	FailoverState string
}

// ParseInfo extracts the replication facts from an INFO reply, reading the
// same lines redis-sentinel reads and ignoring everything else.
func ParseInfo(info string) InfoReport {
	r := InfoReport{Role: KindSentinel, SlavePriority: -1, ReplicaAnnounced: -1}
	for _, l := range strings.Split(info, "\r\n") {
		switch {
		case strings.HasPrefix(l, "run_id:") && len(l) >= 47:
			r.RunID = l[7:47]
		case len(l) >= 7 && strings.HasPrefix(l, "slave") && l[5] >= '0' && l[5] <= '9':
			if a, ok := parseReplicaLine(l); ok {
				r.Replicas = append(r.Replicas, a)
			}
		case strings.HasPrefix(l, "master_link_down_since_seconds:"):
			// -1 ("never up") stays -1000 ms, as redis-sentinel reports it.
			r.MasterLinkDownTime = time.Duration(atoiPrefix(l[31:])) * time.Second
		case strings.HasPrefix(l, "master_failover_state:"):
			r.FailoverState = l[len("master_failover_state:"):]
		case strings.HasPrefix(l, "role:master"):
			r.Role = KindMaster
		case strings.HasPrefix(l, "role:slave"):
			r.Role = KindReplica
		}
		// Like redis-sentinel, replica fields only count after role:slave.
		if r.Role != KindReplica {
			continue
		}
		switch {
		case strings.HasPrefix(l, "master_host:"):
			r.MasterHost = l[12:]
		case strings.HasPrefix(l, "master_port:"):
			r.MasterPort = atoiPrefix(l[12:])
		case strings.HasPrefix(l, "master_link_status:"):
			r.MasterLinkUp = strings.EqualFold(l[19:], "up")
		case strings.HasPrefix(l, "master_repl_offset:"):
			r.MasterReplOffset, _ = strconv.ParseUint(l[len("master_repl_offset:"):], 10, 64)
		case strings.HasPrefix(l, "slave_priority:"):
			r.SlavePriority = atoiPrefix(l[15:])
		case strings.HasPrefix(l, "slave_repl_offset:"):
			r.SlaveReplOffset, _ = strconv.ParseUint(l[18:], 10, 64)
			r.HasReplOffset = true
		case strings.HasPrefix(l, "replica_announced:"):
			r.ReplicaAnnounced = atoiPrefix(l[18:])
		}
	}
	return r
}

// parseReplicaLine reads "slave0:ip=1.2.3.4,port=6379,state=online,..." and
// the pre-2.8 form "slave0:1.2.3.4,6379,online".
func parseReplicaLine(l string) (Addr, bool) {
	colon := strings.IndexByte(l, ':')
	if colon < 0 {
		return Addr{}, false
	}
	body := l[colon+1:]
	var ip, port string
	if !strings.Contains(body, "ip=") {
		parts := strings.Split(body, ",")
		if len(parts) < 3 {
			return Addr{}, false
		}
		ip, port = parts[0], parts[1]
	} else {
		for _, kv := range strings.Split(body, ",") {
			if v, ok := strings.CutPrefix(kv, "ip="); ok {
				ip = v
			} else if v, ok := strings.CutPrefix(kv, "port="); ok {
				port = v
			} else if kv == "type=rdb-channel" {
				// Dual-channel replication (Valkey 8, redis 8): the
				// second connection of a syncing replica, listed with
				// the replica's own address. It is not a replica.
				return Addr{}, false
			}
		}
	}
	p := atoiPrefix(port)
	if ip == "" || p <= 0 || p > 65535 {
		return Addr{}, false
	}
	return Addr{Host: ip, Port: p}, true
}

// atoiPrefix parses leading digits like C's atoi, 0 when there are none.
func atoiPrefix(s string) int {
	n, i := 0, 0
	neg := false
	if i < len(s) && (s[i] == '-' || s[i] == '+') {
		neg = s[i] == '-'
		i++
	}
	for ; i < len(s) && s[i] >= '0' && s[i] <= '9'; i++ {
		n = n*10 + int(s[i]-'0')
		if n > 1<<31 {
			break
		}
	}
	if neg {
		return -n
	}
	return n
}
