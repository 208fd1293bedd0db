package sentinel

import (
	"github.com/qsentinel/qsentinel/failover"
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
//
// It fails closed: a "yes" also needs a majority of the group (this
// sentinel and the peers it knows for the master) to see the master as we
// do now (failover.Machine.Agreement). A sentinel cut off from its peers
// cannot know that the majority replaced the master; it says no, with
// the count as the reason, rather than vouch for a master that may be
// gone.
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
		if up {
			// The same count as Agreement, under the lock already held.
			if ag := g.m.Agreement(s.clock.Now(), s.timing()); !ag.OK() {
				up, reason = false, ag.String()
			}
		}
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
	cur := g.m.CurrentMasterAddr()
	epoch := " (config epoch " + strconv.FormatUint(g.m.ConfigEpoch, 10) + ")"
	if a == cur {
		m := g.m.Master
		if p := g.m.Promoted(); p != nil && p.Addr == a {
			m = p
		} else if m.Flags&failover.FlagFailoverInProgress != 0 && !g.m.Coordinated {
			// A coordinated switchover keeps the master serving (Redis
			// pauses its writes) until the replica has taken over.
			return false, "failover in progress", true
		}
		if down(m) {
			return false, "master down", true
		}
		return true, "", true
	}
	r := g.m.Replicas[a.String()]
	if r == nil {
		return false, "not a server of " + g.name, false
	}
	curS := cur.String()
	if !read {
		if r.RoleReported == KindMaster {
			return false, "claims master; the quorum's master is " + curS + epoch, true
		}
		return false, "replica of " + curS + epoch, true
	}
	switch {
	case r.Flags&failover.FlagSDown != 0:
		return false, "replica down", true
	case r.RoleReported != KindReplica:
		return false, "not a replica yet; the quorum's master is " + curS + epoch, true
	case r.MasterPort != cur.Port || !g.s.sameHost(cur.Host, r.MasterHost):
		return false, "replicates " + net.JoinHostPort(r.MasterHost, strconv.Itoa(r.MasterPort)) + ", not " + curS, true
	case !r.MasterLinkUp:
		return false, "link to master down", true
	}
	if maxLag > 0 && g.master.MasterReplOffset > 0 && int64(g.master.MasterReplOffset)-int64(r.ReplOffset) > maxLag {
		return false, "lagging " + strconv.FormatInt(int64(g.master.MasterReplOffset)-int64(r.ReplOffset), 10) + " bytes", true
	}
	return true, "", true
}

// Agreement is how much of master name's group sees the master as this
// sentinel does now: what the agent's fail-closed verdict rests on (also
// exported as metrics).
func (s *Sentinel) Agreement(name string) (failover.Agreement, error) {
	var a failover.Agreement
	err := s.withGroup(name, func(g *group) { a = g.m.Agreement(s.clock.Now(), s.timing()) })
	return a, err
}
