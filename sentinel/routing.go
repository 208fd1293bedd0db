package sentinel

import (
	"net"
	"strconv"
)

// ServerVerdict says whether traffic for master name should go to addr
// ("ip:port"): for writes only the master named by the latest config epoch
// we know, and only while it is not down; for reads also a replica linked
// to that master with at most maxLag bytes of replication lag. name "*"
// means whichever master addr belongs to. The reason explains a "no".
//
// This is the quorum's view, not the server's own claim: an old master
// that rebooted empty and reports role:master is a replica here, so it
// gets no traffic until it has been turned into one.
func (s *Sentinel) ServerVerdict(name, addr string, read bool, maxLag int64) (bool, string) {
	host, p, err := net.SplitHostPort(addr)
	if err != nil {
		return false, "bad address"
	}
	port, _ := strconv.Atoi(p)
	a := Addr{Host: host, Port: port}
	for _, g := range s.groupList() {
		if name != "*" && g.name != name {
			continue
		}
		g.mu.Lock()
		up, reason, found := g.verdict(a, read, maxLag)
		g.mu.Unlock()
		if found || name != "*" {
			return up, reason
		}
	}
	if name != "*" {
		return false, "no such master " + name
	}
	return false, "unknown to the sentinels"
}

func (g *group) verdict(a Addr, read bool, maxLag int64) (up bool, reason string, found bool) {
	cur := g.currentMasterAddr()
	epoch := " (config epoch " + strconv.FormatUint(g.configEpoch, 10) + ")"
	if a == cur {
		m := g.master
		if p := g.promotedReplica(); p != nil && p.addr == a {
			m = p
		} else if m.flags&flagFailoverInProgress != 0 && !g.coordinated {
			// A coordinated switchover keeps the master serving (Redis
			// pauses its writes) until the replica has taken over.
			return false, "failover in progress", true
		}
		if m.flags&(flagSDown|flagODown) != 0 {
			return false, "master down", true
		}
		return true, "", true
	}
	r := g.replicas[a.String()]
	if r == nil {
		return false, "not a server of " + g.name, false
	}
	curS := cur.String()
	if !read {
		if r.roleReported == KindMaster {
			return false, "claims master; the quorum's master is " + curS + epoch, true
		}
		return false, "replica of " + curS + epoch, true
	}
	switch {
	case r.flags&flagSDown != 0:
		return false, "replica down", true
	case r.roleReported != KindReplica:
		return false, "not a replica yet; the quorum's master is " + curS + epoch, true
	case r.masterPort != cur.Port || !g.s.sameHost(cur.Host, r.masterHost):
		return false, "replicates " + net.JoinHostPort(r.masterHost, strconv.Itoa(r.masterPort)) + ", not " + curS, true
	case !r.masterLinkUp:
		return false, "link to master down", true
	}
	if maxLag > 0 && g.master.masterReplOffset > 0 && int64(g.master.masterReplOffset)-int64(r.replOffset) > maxLag {
		return false, "lagging " + strconv.FormatInt(int64(g.master.masterReplOffset)-int64(r.replOffset), 10) + " bytes", true
	}
	return true, "", true
}
