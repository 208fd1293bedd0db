package e2e

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/qsentinel/qsentinel/e2e/cluster"
)

// forcedFailoverRun is what one sentinel answered in TestForcedFailoverReplies.
type forcedFailoverRun struct {
	replies []string // RESP text of each command, in order
	events  []string // +switch-master and friends seen on the sentinel
}

// runForcedFailover starts a master, a replica and one sentinel of impl,
// and at once (the odd moment: the sentinel has just connected to the
// replica) lowers its periods as the conformance suite does and asks for
// a forced failover twice, 140 ms apart; then again just after the switch.
func runForcedFailover(t *testing.T, c *cluster.Cluster, impl cluster.Impl) forcedFailoverRun {
	master := c.StartRedis(impl.String() + "-master")
	replica := c.StartReplica(impl.String()+"-replica", master)
	cluster.WaitReplicaSynced(t, replica)
	mon := []cluster.Monitor{{Name: "mymaster", Redis: master, Quorum: 1, DownAfter: 5 * time.Second}}
	s := c.StartSentinel(impl, impl.String()+"-sentinel", cluster.SentinelConfig{Monitors: mon})
	sub := cluster.Subscribe(t, s.Addr(), "*")
	defer sub.Close()
	conn := cluster.MustDial(t, s.Addr())
	defer conn.Close()
	var run forcedFailoverRun
	do := func(args ...string) {
		v, err := conn.Do(args...)
		if err != nil {
			t.Fatal(err)
		}
		run.replies = append(run.replies, strings.Join(args, " ")+" -> "+v.String())
	}
	// Go as soon as the sentinel lists the replica as connected and has
	// its INFO (redis queues INFO right behind the first PING; a
	// clean-clone make test once saw the replica connected without it).
	s.WaitReplicaInfo(t, "mymaster", replica.Addr(), 10*time.Second)
	do("SENTINEL", "DEBUG", "info-period", "2000")
	do("SENTINEL", "DEBUG", "default-down-after", "6000")
	do("SENTINEL", "DEBUG", "publish-period", "1000")
	do("SENTINEL", "FAILOVER", "mymaster")
	time.Sleep(140 * time.Millisecond)
	do("SENTINEL", "FAILOVER", "mymaster")
	if _, err := sub.WaitChannel(15*time.Second, "+switch-master", ""); err != nil {
		t.Errorf("%s: no +switch-master: %v", impl, err)
	}
	// Just after the switch the answer depends on timing (INPROG or
	// NOGOODSLAVE on both); within seconds it is OK again on both.
	cluster.WaitFor(t, 5*time.Second, "SENTINEL FAILOVER to be accepted again", func() error {
		v, err := conn.Do("SENTINEL", "FAILOVER", "mymaster")
		if err != nil || v.Text() != "OK" {
			return fmt.Errorf("%v %v", v, err)
		}
		return nil
	})
	// The events of the first failover, up to the switch.
	started := false
	for _, m := range sub.Messages() {
		// From the failover's first event (discovery before it is not
		// this test's business).
		if started = started || m.Channel == "+new-epoch"; !started {
			continue
		}
		run.events = append(run.events, m.Channel)
		if m.Channel == "+switch-master" {
			break
		}
	}
	return run
}

// TestForcedFailoverReplies: SENTINEL FAILOVER right after start and
// again 140 ms later answers what redis-sentinel 7.0 answers (OK, then
// -INPROG), and both fail over with the same events.
func TestForcedFailoverReplies(t *testing.T) {
	c := cluster.New(t)
	runs := make([]forcedFailoverRun, 2)
	for k, impl := range []cluster.Impl{cluster.Real, cluster.Ours} {
		runs[k] = runForcedFailover(t, c, impl)
	}
	real, ours := runs[0], runs[1]
	if d := cluster.LineDiff(strings.Join(real.replies, "\n"), strings.Join(ours.replies, "\n")); d != "" {
		t.Errorf("replies differ (- redis-sentinel, + ours):\n%s", d)
	}
	if d := cluster.LineDiff(strings.Join(real.events, "\n"), strings.Join(ours.events, "\n")); d != "" {
		t.Errorf("events differ (- redis-sentinel, + ours):\n%s", d)
	}
}
