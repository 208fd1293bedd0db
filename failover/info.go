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
	// Fenced: the master enforces min-replicas-to-write (it prints
	// min_slaves_good_slaves only while min-replicas-to-write and
	// min-replicas-max-lag are both set).
	Fenced bool
	// ReplicaLags are the lags in seconds of the replicas listed online
	// (state=online), for fencing: how many are "good" for a given
	// min-replicas-max-lag.
	ReplicaLags []int
}

// GoodReplicas is how many online replicas lag at most maxLag seconds:
// what redis counts for min-replicas-to-write (refreshGoodSlavesCount).
func (r InfoReport) GoodReplicas(maxLag int) int {
	n := 0
	for _, l := range r.ReplicaLags {
		if l <= maxLag {
			n++
		}
	}
	return n
}

// ParseInfo extracts the replication facts from an INFO reply, reading the
// same lines redis-sentinel reads and ignoring everything else.
func ParseInfo(info string) InfoReport {
	r := InfoReport{Role: KindSentinel, SlavePriority: -1, ReplicaAnnounced: -1}
	// SplitSeq, not Split: an INFO of ~100 lines arrives every 10 s
	// from every instance, and the slice of lines was a fifth of what an
	// idle sentinel allocates.
	for l := range strings.SplitSeq(info, "\r\n") {
		switch {
		case strings.HasPrefix(l, "run_id:") && len(l) >= 47:
			r.RunID = l[7:47]
		case len(l) >= 7 && strings.HasPrefix(l, "slave") && l[5] >= '0' && l[5] <= '9':
			if a, lag, ok := parseReplicaLine(l); ok {
				r.Replicas = append(r.Replicas, a)
				if lag >= 0 {
					r.ReplicaLags = append(r.ReplicaLags, lag)
				}
			}
		case strings.HasPrefix(l, "min_slaves_good_slaves:"):
			r.Fenced = true
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

// parseReplicaLine reads "slave0:ip=1.2.3.4,port=6379,state=online,...,lag=0"
// and the pre-2.8 form "slave0:1.2.3.4,6379,online". lag is the replica's
// lag in seconds when it is online and reports one, else -1.
func parseReplicaLine(l string) (a Addr, lag int, ok bool) {
	colon := strings.IndexByte(l, ':')
	if colon < 0 {
		return Addr{}, -1, false
	}
	body := l[colon+1:]
	var ip, port, lagText string
	online := false
	if !strings.Contains(body, "ip=") {
		parts := strings.Split(body, ",")
		if len(parts) < 3 {
			return Addr{}, -1, false
		}
		ip, port = parts[0], parts[1]
	} else {
		for kv := range strings.SplitSeq(body, ",") {
			if v, ok := strings.CutPrefix(kv, "ip="); ok {
				ip = v
			} else if v, ok := strings.CutPrefix(kv, "port="); ok {
				port = v
			} else if v, ok := strings.CutPrefix(kv, "lag="); ok {
				lagText = v
			} else if kv == "state=online" {
				online = true
			} else if kv == "type=rdb-channel" {
				// Dual-channel replication (Valkey 8, redis 8): the
				// second connection of a syncing replica, listed with
				// the replica's own address. It is not a replica.
				return Addr{}, -1, false
			}
		}
	}
	p := atoiPrefix(port)
	if ip == "" || p <= 0 || p > 65535 {
		return Addr{}, -1, false
	}
	lag = -1
	if online && lagText != "" {
		lag = max(atoiPrefix(lagText), 0)
	}
	return Addr{Host: ip, Port: p}, lag, true
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
