package e2e

import (
	"strconv"
	"testing"
	"time"

	"github.com/qsentinel/qsentinel/e2e/cluster"
)

// step is one command of the differential test and how to compare its
// reply.
type step struct {
	args []string
	norm normalizer
}

func steps(norm normalizer, cmds ...[]string) []step {
	out := make([]step, len(cmds))
	for i, c := range cmds {
		out[i] = step{c, norm}
	}
	return out
}

func cmd(args ...string) []string { return args }

// TestDifferential sends the same commands to a real redis-sentinel 7.0 and
// to ours, both watching the same master and replica (and each other), and
// fails on any difference in RESP type, length, field names and order,
// error text or stable values. Volatile values (timers, offsets, run ids and
// ports of the two sentinels) are masked by the normalizers.
func TestDifferential(t *testing.T) {
	c := cluster.New(t)
	master := c.StartRedis("master")
	replica := c.StartReplica("replica", master)
	cluster.WaitReplicaSynced(t, replica)
	mon := []cluster.Monitor{{Name: "mymaster", Redis: master, Quorum: 2, DownAfter: 5 * time.Second}}
	real := c.StartSentinel(cluster.Real, "real", cluster.SentinelConfig{Monitors: mon})
	ours := c.StartSentinel(cluster.Ours, "ours", cluster.SentinelConfig{Monitors: mon})
	for _, s := range []*cluster.Sentinel{real, ours} {
		s.WaitSentinels(t, "mymaster", 1, 30*time.Second)
		s.WaitReplica(t, "mymaster", replica.Addr(), 30*time.Second)
	}
	m := newMasker()
	for _, s := range []*cluster.Sentinel{real, ours} {
		id, err := s.MyID()
		if err != nil {
			t.Fatal(err)
		}
		m.add(id, "<sentinel-id>")
		m.add(strconv.Itoa(s.Port), "<sentinel-port>")
	}
	mp, free := strconv.Itoa(master.Port), strconv.Itoa(cluster.MustFreePort(t))

	var main []step
	main = append(main, steps(exact,
		cmd("PING"), cmd("PING", "hi"), cmd("PING", "a", "b"), cmd("FOO", "bar"), cmd("FOO"),
		cmd("SENTINEL"), cmd("SENTINEL", "FOO"), cmd("SENTINEL", "MASTER"), cmd("SENTINEL", "MASTER", "nosuch"),
		cmd("SENTINEL", "MASTERS", "x"), cmd("SENTINEL", "GET-MASTER-ADDR-BY-NAME", "mymaster"),
		cmd("SENTINEL", "GET-MASTER-ADDR-BY-NAME", "nosuch"), cmd("SENTINEL", "GET-MASTER-ADDR-BY-NAME"),
		cmd("SENTINEL", "CKQUORUM", "mymaster"), cmd("SENTINEL", "CKQUORUM", "nosuch"),
		cmd("SENTINEL", "RESET", "nosuch*"), cmd("SENTINEL", "INFO-CACHE", "nosuch"),
		cmd("SENTINEL", "PENDING-SCRIPTS"), cmd("SENTINEL", "PENDING-SCRIPTS", "x"), cmd("SENTINEL", "FLUSHCONFIG"),
		cmd("SENTINEL", "IS-MASTER-DOWN-BY-ADDR", "127.0.0.1", mp, "0", "*"),
		cmd("SENTINEL", "IS-MASTER-DOWN-BY-ADDR", "127.0.0.1", "x", "0", "*"),
		cmd("SENTINEL", "IS-MASTER-DOWN-BY-ADDR", "127.0.0.1", mp, "y", "*"),
		cmd("SENTINEL", "SIMULATE-FAILURE", "help"), cmd("SENTINEL", "SIMULATE-FAILURE", "nosuch"),
		cmd("SENTINEL", "DEBUG", "nosuch", "1"),
		cmd("SENTINEL", "CONFIG", "GET", "*"), cmd("SENTINEL", "CONFIG", "GET", "resolve-*"),
		cmd("SENTINEL", "CONFIG", "FOO"), cmd("SENTINEL", "CONFIG", "GET"),
		cmd("SENTINEL", "CONFIG", "SET", "resolve-hostnames", "maybe"), cmd("SENTINEL", "CONFIG", "SET", "nosuch", "1"),
		cmd("SENTINEL", "SET", "mymaster", "quorum", "abc"), cmd("SENTINEL", "SET", "mymaster", "nosuchopt", "1"),
		cmd("SENTINEL", "SET", "mymaster", "quorum"), cmd("SENTINEL", "SET", "nosuch", "quorum", "2"),
		cmd("SENTINEL", "SET", "mymaster", "notification-script", "/bin/true"),
		cmd("SENTINEL", "SET", "mymaster", "down-after-milliseconds", "5000", "parallel-syncs", "1"),
		cmd("SENTINEL", "MONITOR", "a", "127.0.0.1", "abc", "2"), cmd("SENTINEL", "MONITOR", "a", "127.0.0.1", "70000", "2"),
		cmd("SENTINEL", "MONITOR", "a", "127.0.0.1", "6000", "0"), cmd("SENTINEL", "MONITOR", "a", "127.0.0.1", "6000", "abc"),
		cmd("SENTINEL", "MONITOR", "a", "not..an..ip", "6000", "2"), cmd("SENTINEL", "MONITOR", "mymaster", "127.0.0.1", "6000", "2"),
		cmd("SENTINEL", "MONITOR", "newname", "127.0.0.1", free, "2"), cmd("SENTINEL", "REMOVE", "newname"),
		cmd("SENTINEL", "REMOVE", "nosuch"), cmd("SENTINEL", "FAILOVER", "nosuch"), cmd("SENTINEL", "HELP"),
		cmd("ROLE"), cmd("ROLE", "x"),
		cmd("CLIENT"), cmd("CLIENT", "FOO"), cmd("CLIENT", "GETNAME"), cmd("CLIENT", "SETNAME", "has space"),
		cmd("CLIENT", "SETNAME", "ok"), cmd("CLIENT", "GETNAME"), cmd("CLIENT", "SETINFO", "lib-name", "x"),
		cmd("CLIENT", "KILL", "1.2.3.4:5"), cmd("CLIENT", "KILL", "ID", "99999"), cmd("CLIENT", "HELP"),
		cmd("AUTH", "x"), cmd("AUTH", "u", "p"), cmd("ACL", "WHOAMI"), cmd("ACL", "FOO"),
		cmd("HELLO", "4"), cmd("HELLO", "x"), cmd("HELLO", "3", "FOO"),
		cmd("COMMAND", "COUNT"), cmd("COMMAND", "INFO", "ping", "sentinel|master", "nosuch"), cmd("COMMAND", "DOCS", "ping"),
		cmd("COMMAND", "FOO"), cmd("COMMAND", "HELP"),
		cmd("PUBLISH", "foo", "bar"), cmd("SHUTDOWN", "NOSAVE", "extra", "x"),
		cmd("GET", "x"), cmd("EXEC"), cmd("QUIT"),
	)...)
	main = append(main,
		step{cmd("SENTINEL", "MASTERS"), instances},
		step{cmd("SENTINEL", "MASTER", "mymaster"), instance},
		step{cmd("SENTINEL", "REPLICAS", "mymaster"), instances},
		step{cmd("SENTINEL", "SLAVES", "mymaster"), instances},
		step{cmd("SENTINEL", "SENTINELS", "mymaster"), instances},
		step{cmd("SENTINEL", "INFO-CACHE", "mymaster"), infoCache},
		step{cmd("SENTINEL", "DEBUG"), pairNames},
		step{cmd("SENTINEL", "MYID"), runID},
		step{cmd("INFO", "sentinel"), info},
		step{cmd("INFO"), info},
		step{cmd("INFO", "nosuchsection"), info},
		step{cmd("CLIENT", "ID"), anyInt},
		step{cmd("CLIENT", "LIST"), clientList},
		step{cmd("HELLO", "2"), pairsMasking("id")},
	)
	resp3 := []step{
		{cmd("HELLO", "3"), pairsMasking("id")},
		{cmd("SENTINEL", "MASTER", "mymaster"), instance},
		{cmd("SENTINEL", "REPLICAS", "mymaster"), instances},
		{cmd("SENTINEL", "DEBUG"), pairNames},
		{cmd("SENTINEL", "CONFIG", "GET", "*"), exact},
		{cmd("SENTINEL", "GET-MASTER-ADDR-BY-NAME", "nosuch"), exact},
		{cmd("SENTINEL", "IS-MASTER-DOWN-BY-ADDR", "127.0.0.1", mp, "0", "*"), exact},
		{cmd("CLIENT", "GETNAME"), exact},
		{cmd("SUBSCRIBE", "a"), exact},
		{cmd("ROLE"), exact},
		{cmd("UNSUBSCRIBE", "a"), exact},
	}
	subscribed := steps(exact,
		cmd("SUBSCRIBE", "a"), cmd("PING"), cmd("PING", "x"), cmd("SENTINEL", "MYID"), cmd("GET", "x"),
		cmd("PSUBSCRIBE", "*"), cmd("UNSUBSCRIBE", "a"), cmd("PUNSUBSCRIBE"), cmd("UNSUBSCRIBE"), cmd("PUNSUBSCRIBE", "x"),
		cmd("PING"),
	)
	n := 0
	for _, list := range [][]step{main, resp3, subscribed} {
		rc, oc := cluster.MustDial(t, real.Addr()), cluster.MustDial(t, ours.Addr())
		for _, st := range list {
			n++
			rv, err1 := rc.Do(st.args...)
			ov, err2 := oc.Do(st.args...)
			if err1 != nil || err2 != nil {
				t.Fatalf("%q: transport: real %v, ours %v", st.args, err1, err2)
			}
			want, got := st.norm(rv, m).Tree(), st.norm(ov, m).Tree()
			if d := cluster.LineDiff(want, got); d != "" {
				t.Errorf("%q differs (- redis-sentinel, + ours):\n%s\nraw redis-sentinel: %s\nraw ours: %s", st.args, d, rv, ov)
			}
		}
	}
	t.Logf("%d commands compared", n)
	if n < 40 {
		t.Fatalf("only %d commands compared", n)
	}
}
