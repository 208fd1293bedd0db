package e2e

import (
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/qsentinel/qsentinel/e2e/cluster"
)

// scenarios is what TestScenarios runs, in order. Each one is bounded to a
// few seconds of waiting: short down-after and SENTINEL DEBUG periods.
var scenarios = []*scenario{
	passwordChange,
	authUserSet,
	replicaAnnounced,
	hostnamesToggled,
	debugPeriods,
	removeMonitor,
	replicaPriorityZero,
	ipv6Failover,
	hostnamesFailover,
	replicaNameUnresolved,
	noChannelPermission,
}

func flagsContain(s string) func(string) bool {
	return func(flags string) bool { return strings.Contains(flags, s) }
}

func flagsEqual(s string) func(string) bool {
	return func(flags string) bool { return flags == s }
}

// failoverChance are events a failover may or may not bring, in
// redis-sentinel as in ours: a peer that marked the old master down just
// before the new configuration reached it may publish -sdown for it, and
// a peer that started its own attempt at the same time as the leader may
// find no replica left to promote.
var failoverChance = []string{"-sdown master", "-failover-abort-no-good-slave master"}

// passwordChange: the master's and replica's password changes and their
// clients are dropped. Sentinels still using the old password, and one
// restarted with it, show the master "disconnected" (the pub/sub link's
// SUBSCRIBE is refused); SENTINEL SET auth-pass reconnects them.
var passwordChange = &scenario{
	name:       "password-change",
	replicas:   1,
	masterArgs: []string{"--requirepass", "pw1"},
	// The replica has no password: AUTH to it fails, which both
	// implementations ignore, and the link works.
	replicaArgs: func(*topo, int) []string { return []string{"--masterauth", "pw1"} },
	logins:      [][]string{{"pw1"}, {"pw2"}},
	downAfter:   30 * time.Second, // no SDOWN: the flags are what is compared
	conf:        func(*topo) []string { return []string{"sentinel auth-pass mymaster pw1"} },
	script: func(g *topo) {
		old, pw2 := []string{"pw1"}, []string{"pw2"}
		g.checkpoint("old password")
		g.redisDo(g.replicas[0], nil, "CONFIG", "SET", "masterauth", "pw2")
		g.redisDo(g.master, old, "ACL", "SETUSER", "default", "resetpass", ">pw2")
		g.redisDo(g.master, pw2, "CLIENT", "KILL", "TYPE", "pubsub")
		g.redisDo(g.master, pw2, "CLIENT", "KILL", "TYPE", "normal")
		// redis-sentinel shows it at once and keeps it: every reconnect's
		// SUBSCRIBE is refused.
		g.waitMasterFlags(2*time.Second, "disconnected", flagsContain("disconnected"))
		g.holdMasterFlags(2*time.Second, "disconnected", flagsContain("disconnected"))
		g.checkpointWhen("password changed", flagsContain("disconnected"))
		if err := g.sentinels[2].Restart(); err != nil {
			g.fail("restart: %v", err)
		}
		g.waitMasterFlags(2*time.Second, "disconnected after a restart", flagsContain("disconnected"))
		g.holdMasterFlags(2*time.Second, "disconnected after a restart", flagsContain("disconnected"))
		g.waitReplicaFlags(5*time.Second, g.replicas[0], "slave")
		g.waitAll(5*time.Second, "peers after a restart", func(s *cluster.Sentinel) error { return s.CheckSentinels("mymaster", 2) })
		g.checkpointWhen("restarted with the old password", flagsContain("disconnected"))
		g.sentinelDo("SENTINEL", "SET", "mymaster", "auth-pass", "pw2")
		g.waitReconnected()
		g.waitReplicaFlags(5*time.Second, g.replicas[0], "slave")
		g.checkpoint("new password")
	},
}

// authUserSet: the ACL user the sentinels log in as is deleted (which
// drops its connections); SENTINEL SET auth-user/auth-pass at run time
// moves them to another user.
var authUserSet = &scenario{
	name:       "auth-user-set",
	replicas:   1,
	masterArgs: []string{"--user", "sen", "on", ">pw", "~*", "&*", "+@all", "--user", "default", "off"},
	replicaArgs: func(*topo, int) []string {
		return []string{"--user", "sen", "on", ">pw", "~*", "&*", "+@all", "--masteruser", "sen", "--masterauth", "pw"}
	},
	downAfter: 30 * time.Second,
	logins:    [][]string{{"sen", "pw"}, {"other", "pw2"}},
	conf: func(*topo) []string {
		return []string{"sentinel auth-user mymaster sen", "sentinel auth-pass mymaster pw"}
	},
	script: func(g *topo) {
		sen := []string{"sen", "pw"}
		for _, r := range append([]*cluster.Redis{g.master}, g.replicas...) {
			g.redisDo(r, sen, "ACL", "SETUSER", "other", "on", ">pw2", "~*", "&*", "+@all")
		}
		g.redisDo(g.replicas[0], sen, "CONFIG", "SET", "masteruser", "other")
		g.redisDo(g.replicas[0], sen, "CONFIG", "SET", "masterauth", "pw2")
		g.redisDo(g.master, sen, "ACL", "DELUSER", "sen")
		g.redisDo(g.replicas[0], []string{"other", "pw2"}, "ACL", "DELUSER", "sen")
		g.waitMasterFlags(2*time.Second, "disconnected", flagsContain("disconnected"))
		g.holdMasterFlags(2*time.Second, "disconnected", flagsContain("disconnected"))
		g.checkpointWhen("user deleted", flagsContain("disconnected"))
		g.sentinelDo("SENTINEL", "SET", "mymaster", "auth-user", "other", "auth-pass", "pw2")
		g.waitReconnected()
		g.waitReplicaFlags(5*time.Second, g.replicas[0], "slave")
		g.checkpoint("new user")
	},
}

// replicaAnnounced: a replica with replica-announced no is monitored
// (num-slaves counts it) but SENTINEL REPLICAS does not list it; it can
// still be promoted (here it is the only candidate: the other replica has
// replica-priority 0).
var replicaAnnounced = &scenario{
	name:      "replica-announced",
	replicas:  2,
	downAfter: time.Second,
	replicaArgs: func(_ *topo, k int) []string {
		if k == 1 {
			return []string{"--replica-announced", "no"}
		}
		return []string{"--replica-priority", "0"}
	},
	ignoreEvents: failoverChance,
	knownDiffs: map[string]string{
		"voted-leader":       "as in replica-priority-0",
		"voted-leader-epoch": "same",
	},
	script: func(g *topo) {
		g.waitAll(5*time.Second, "one replica listed", func(s *cluster.Sentinel) error {
			reps, err := s.Replicas("mymaster")
			if err != nil {
				return err
			}
			if len(reps) != 1 {
				return fmt.Errorf("%d replicas listed", len(reps))
			}
			return nil
		})
		g.checkpoint("one announced, one not")
		g.master.Kill()
		g.waitFailedOver("the unannounced replica promoted", g.replicas[1], g.replicas[0], "")
		g.checkpoint("unannounced replica promoted")
	},
}

// hostnamesToggled: the master is monitored as "localhost" and the
// replica announces itself as "localhost"; announce-hostnames and
// resolve-hostnames are switched at run time, and what the sentinels
// report follows.
var hostnamesToggled = &scenario{
	name:        "hostnames-toggled",
	replicas:    1,
	hostname:    "localhost",
	compareConf: true,
	replicaArgs: func(*topo, int) []string {
		return []string{"--replica-announce-ip", "localhost"}
	},
	conf: func(*topo) []string {
		return []string{"sentinel resolve-hostnames yes", "sentinel announce-hostnames yes"}
	},
	script: func(g *topo) {
		g.checkpoint("announce-hostnames yes")
		g.sentinelDo("SENTINEL", "CONFIG", "SET", "announce-hostnames", "no")
		g.checkpoint("announce-hostnames no")
		g.sentinelDo("SENTINEL", "CONFIG", "SET", "resolve-hostnames", "no")
		g.checkpoint("resolve-hostnames no")
		g.sentinelDo("SENTINEL", "CONFIG", "SET", "resolve-hostnames", "yes")
		g.sentinelDo("SENTINEL", "CONFIG", "SET", "announce-hostnames", "yes")
		g.checkpoint("both yes again")
	},
}

// debugPeriods: SENTINEL DEBUG shortens the periods; a frozen replica goes
// SDOWN and comes back.
var debugPeriods = &scenario{
	name:      "debug-periods",
	replicas:  1,
	downAfter: time.Second,
	script: func(g *topo) {
		g.sentinelDo("SENTINEL", "DEBUG", "ping-period", "200", "info-period", "500", "publish-period", "500", "ask-period", "200")
		g.checkpoint("periods set")
		r := g.replicas[0]
		if err := r.Freeze(); err != nil {
			g.fail("freeze: %v", err)
		}
		g.waitReplicaFlags(5*time.Second, r, "s_down,slave")
		g.checkpoint("replica frozen")
		if err := r.Thaw(); err != nil {
			g.fail("thaw: %v", err)
		}
		g.waitReplicaFlags(5*time.Second, r, "slave")
		g.checkpoint("replica back")
	},
}

// removeMonitor: SENTINEL REMOVE then MONITOR again; the peers and the
// replica are found again.
var removeMonitor = &scenario{
	name:     "remove-monitor",
	replicas: 1,
	script: func(g *topo) {
		g.sentinelDo("SENTINEL", "REMOVE", "mymaster")
		g.sentinelDo("SENTINEL", "MONITOR", "mymaster", "127.0.0.1", strconv.Itoa(g.master.Port), "2")
		g.sentinelDo("SENTINEL", "SET", "mymaster", "down-after-milliseconds", "5000")
		g.waitAll(10*time.Second, "peers and replica found again", func(s *cluster.Sentinel) error {
			if err := s.CheckSentinels("mymaster", 2); err != nil {
				return err
			}
			reps, err := s.Replicas("mymaster")
			if err != nil {
				return err
			}
			if len(reps) != 1 || reps[0]["flags"] != "slave" || reps[0]["runid"] == "" {
				return fmt.Errorf("replicas %v", reps)
			}
			return nil
		})
		g.checkpoint("monitored again")
	},
}

// replicaPriorityZero: the master dies; of two replicas, the one with
// replica-priority 0 is never chosen.
var replicaPriorityZero = &scenario{
	name:      "replica-priority-0",
	replicas:  2,
	downAfter: time.Second,
	replicaArgs: func(_ *topo, k int) []string {
		if k == 0 {
			return []string{"--replica-priority", "0"}
		}
		return nil
	},
	ignoreEvents: failoverChance,
	knownDiffs: map[string]string{
		"voted-leader":       "ours records a peer's vote from is-master-down-by-addr replies differently (failover area)",
		"voted-leader-epoch": "same",
	},
	script: func(g *topo) {
		g.master.Kill()
		g.waitFailedOver("switch to the second replica", g.replicas[1], g.replicas[0], "")
		g.checkpoint("failed over")
	},
}

// waitFailedOver waits until every sentinel names promoted as the master
// (at ip, when not empty), shows the old master down as a replica and
// other following promoted, and no longer counts its peers' master_down
// flags (they go when their answers are older than five ask periods).
func (g *topo) waitFailedOver(what string, promoted, other *cluster.Redis, ip string) {
	want := strconv.Itoa(promoted.Port)
	g.waitAll(15*time.Second, what, func(s *cluster.Sentinel) error {
		m, err := s.Master("mymaster")
		if err != nil {
			return err
		}
		if (ip != "" && m["ip"] != ip) || m["port"] != want || m["flags"] != "master" || m["runid"] == "" {
			return fmt.Errorf("master %s port %s flags %s", m["ip"], m["port"], m["flags"])
		}
		return nil
	})
	g.waitReplicaFlags(5*time.Second, g.master, "s_down,slave,disconnected")
	g.waitReplicaFollows(other, promoted)
	g.waitAll(8*time.Second, "peers without master_down", func(s *cluster.Sentinel) error { return s.CheckSentinels("mymaster", 2) })
}

// waitReconnected waits until every sentinel has the master connected
// and has read its INFO (the run id of a sentinel restarted while the
// password was wrong comes from the first INFO that works).
func (g *topo) waitReconnected() {
	g.waitAll(5*time.Second, "master reconnected", func(s *cluster.Sentinel) error {
		m, err := s.Master("mymaster")
		if err != nil {
			return err
		}
		if m["flags"] != "master" || m["runid"] == "" {
			return fmt.Errorf("flags %q runid %q", m["flags"], m["runid"])
		}
		return nil
	})
}

// waitReplicaFollows waits until every sentinel lists r as a connected
// replica of master with its link up: after a failover, the replicas
// being reconfigured are otherwise caught at different steps.
func (g *topo) waitReplicaFollows(r, master *cluster.Redis) {
	g.waitAll(10*time.Second, r.Name+" following "+master.Name, func(s *cluster.Sentinel) error {
		reps, err := s.Replicas("mymaster")
		if err != nil {
			return err
		}
		for _, x := range reps {
			if x["port"] == strconv.Itoa(r.Port) {
				if x["flags"] != "slave" || x["master-link-status"] != "ok" || x["master-port"] != strconv.Itoa(master.Port) {
					return fmt.Errorf("flags %q link %s master port %s", x["flags"], x["master-link-status"], x["master-port"])
				}
				return nil
			}
		}
		return fmt.Errorf("not listed")
	})
}

// waitReplicaFlags waits until every sentinel lists r with exactly flags.
func (g *topo) waitReplicaFlags(timeout time.Duration, r *cluster.Redis, flags string) {
	g.waitAll(timeout, r.Name+" "+flags, func(s *cluster.Sentinel) error {
		reps, err := s.Replicas("mymaster")
		if err != nil {
			return err
		}
		for _, x := range reps {
			if x["port"] == strconv.Itoa(r.Port) {
				if x["flags"] != flags {
					return fmt.Errorf("flags %q", x["flags"])
				}
				return nil
			}
		}
		return fmt.Errorf("not listed")
	})
}

// ipv6Failover: the whole topology talks over ::1 (the servers also listen
// on 127.0.0.1, which only the harness uses): replicas replicate from
// [::1], sentinels monitor ::1, discover the replicas and each other at
// ::1 and fail over.
var ipv6Failover = &scenario{
	name:       "ipv6-failover",
	replicas:   2,
	hostname:   "::1",
	downAfter:  time.Second,
	masterArgs: []string{"--bind", "::1", "127.0.0.1"},
	replicaArgs: func(g *topo, k int) []string {
		args := []string{"--bind", "::1", "127.0.0.1", "--replicaof", "::1", strconv.Itoa(g.master.Port)}
		if k == 1 {
			// Never chosen: the same replica is promoted in both groups.
			args = append(args, "--replica-priority", "0")
		}
		return args
	},
	conf:         func(*topo) []string { return []string{"bind ::1 127.0.0.1"} },
	ignoreEvents: failoverChance,
	knownDiffs: map[string]string{
		"voted-leader":       "as in replica-priority-0",
		"voted-leader-epoch": "same",
	},
	script: func(g *topo) {
		g.checkpoint("on ::1")
		g.master.Kill()
		g.waitFailedOver("switch to the first replica", g.replicas[0], g.replicas[1], "::1")
		g.checkpoint("failed over on ::1")
	},
}

// hostnamesFailover: master and replicas known by name (resolve-hostnames
// and announce-hostnames on, replicas announcing "localhost"); the master
// dies, and the switch is announced and reported by name; with
// announce-hostnames off, by IP again.
var hostnamesFailover = &scenario{
	name:      "hostnames-failover",
	replicas:  2,
	hostname:  "localhost",
	downAfter: time.Second,
	replicaArgs: func(_ *topo, k int) []string {
		args := []string{"--replica-announce-ip", "localhost"}
		if k == 1 {
			args = append(args, "--replica-priority", "0")
		}
		return args
	},
	conf: func(*topo) []string {
		return []string{"sentinel resolve-hostnames yes", "sentinel announce-hostnames yes"}
	},
	ignoreEvents: failoverChance,
	knownDiffs: map[string]string{
		"voted-leader":       "as in replica-priority-0",
		"voted-leader-epoch": "same",
	},
	script: func(g *topo) {
		g.master.Kill()
		g.waitFailedOver("switch to the first replica", g.replicas[0], g.replicas[1], "")
		g.checkpoint("failed over, by name")
		g.sentinelDo("SENTINEL", "CONFIG", "SET", "announce-hostnames", "no")
		g.checkpoint("failed over, by IP")
	},
}

// replicaNameUnresolved: with resolve-hostnames off, a replica announcing
// a name (replica-announce-ip localhost) is not monitored; the config
// file keeps addresses as IPs.
var replicaNameUnresolved = &scenario{
	name:            "replica-name-unresolved",
	replicas:        2,
	unknownReplicas: 1,
	compareConf:     true,
	replicaArgs: func(_ *topo, k int) []string {
		if k == 1 {
			return []string{"--replica-announce-ip", "localhost"}
		}
		return nil
	},
	script: func(g *topo) {
		// Several INFO periods would not change it; one is enough to
		// see that the named replica stays out.
		time.Sleep(time.Second)
		g.checkpoint("named replica left out")
	},
}

// noChannelPermission: the ACL user the sentinels log in as on the master
// may run every command but use no pub/sub channel. The SUBSCRIBE to the
// hello channel is refused with -NOPERM, which drops the pub/sub link at
// once (hiredis closes on an error reply nobody waits for): the master
// shows "disconnected" for as long as that lasts. Peers still find each
// other through the replica's hello channel.
var noChannelPermission = &scenario{
	name:       "no-channel-permission",
	replicas:   1,
	downAfter:  30 * time.Second,
	masterArgs: []string{"--user", "sen", "on", ">pw", "~*", "resetchannels", "+@all", "--user", "default", "off"},
	replicaArgs: func(*topo, int) []string {
		return []string{"--masteruser", "sen", "--masterauth", "pw"}
	},
	logins: [][]string{{"sen", "pw"}},
	conf: func(*topo) []string {
		return []string{"sentinel auth-user mymaster sen", "sentinel auth-pass mymaster pw"}
	},
	script: func(g *topo) {
		g.waitMasterFlags(2*time.Second, "disconnected", flagsContain("disconnected"))
		g.holdMasterFlags(2*time.Second, "disconnected", flagsContain("disconnected"))
		g.checkpointWhen("SUBSCRIBE refused", flagsContain("disconnected"))
	},
}
