package e2e

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/qsentinel/qsentinel/e2e/cluster"
)

// TestHoldFailover is issue 18's maintenance switch and pre-failover veto
// with three of our sentinels and real Redis: with every sentinel in
// maintenance a dead master is +odown and +failover-held, shows the
// maintenance flag, and is not failed over; out of maintenance, a
// pre-failover-script that fails vetoes the attempt
// (-failover-abort-vetoed, nothing promoted); once it passes, the
// failover goes through. The settings survive the config rewrite.
func TestHoldFailover(t *testing.T) {
	c := cluster.New(t)
	master := c.StartRedis("master")
	replica := c.StartReplica("replica", master)
	cluster.WaitReplicaSynced(t, replica)
	dir := t.TempDir()
	verdict := filepath.Join(dir, "verdict")
	if err := os.WriteFile(verdict, []byte("1"), 0o644); err != nil {
		t.Fatal(err)
	}
	script := filepath.Join(dir, "pre.sh")
	// The check says no while the verdict file says 1; it logs its args.
	body := fmt.Sprintf("#!/bin/sh\necho \"$@\" >> %s/args\nexit $(cat %s)\n", dir, verdict)
	if err := os.WriteFile(script, []byte(body), 0o755); err != nil {
		t.Fatal(err)
	}
	mon := []cluster.Monitor{{Name: "mymaster", Redis: master, Quorum: 2, DownAfter: time.Second, FailoverTimeout: 2 * time.Second}}
	var ss []*cluster.Sentinel
	for k := range 3 {
		s := c.StartSentinel(cluster.Ours, fmt.Sprintf("sentinel%d", k), cluster.SentinelConfig{Monitors: mon,
			Extra: []string{"sentinel maintenance mymaster yes", "sentinel pre-failover-script mymaster " + script}})
		ss = append(ss, s)
	}
	for _, s := range ss {
		s.WaitSentinels(t, "mymaster", 2, 30*time.Second)
		s.WaitReplica(t, "mymaster", replica.Addr(), 30*time.Second)
	}
	sub := cluster.Subscribe(t, ss[0].Addr(), "*")
	defer sub.Close()
	// The veto is the leader's event, and any of the three may lead.
	var subs []*cluster.Subscription
	for _, s := range ss {
		x := cluster.Subscribe(t, s.Addr(), "-failover-abort-vetoed")
		defer x.Close()
		subs = append(subs, x)
	}

	master.Kill()
	if _, err := sub.WaitChannel(10*time.Second, "+failover-held", "maintenance"); err != nil {
		t.Fatalf("no +failover-held: %v", err)
	}
	m, err := ss[0].Master("mymaster")
	if err != nil || !strings.Contains(m["flags"], "o_down") || !strings.Contains(m["flags"], "maintenance") {
		t.Fatalf("flags %q (%v)", m["flags"], err)
	}
	time.Sleep(3 * time.Second)
	for _, msg := range sub.Messages() {
		if msg.Channel == "+try-failover" || msg.Channel == "+switch-master" {
			t.Fatalf("%s in maintenance: %s", msg.Channel, msg.Payload)
		}
	}
	conf, err := ss[0].Conf()
	if err != nil || !strings.Contains(conf.Text, "sentinel maintenance mymaster yes") {
		t.Fatalf("maintenance not in the rewritten config (%v)", err)
	}

	for _, s := range ss {
		if v, err := s.Do("SENTINEL", "SET", "mymaster", "maintenance", "no"); err != nil || v.Text() != "OK" {
			t.Fatalf("%s: SET maintenance no: %v %v", s.Name, v, err)
		}
	}
	cluster.WaitFor(t, 15*time.Second, "a veto on any sentinel", func() error {
		for _, x := range subs {
			if len(x.Messages()) > 0 {
				return nil
			}
		}
		return errors.New("no -failover-abort-vetoed yet")
	})
	if role, err := replica.Do("ROLE"); err != nil || role.Strings()[0] != "slave" {
		t.Fatalf("replica after a veto: %v %v", role, err)
	}
	args, _ := os.ReadFile(filepath.Join(dir, "args"))
	if want := fmt.Sprintf("mymaster 127.0.0.1 %d ", master.Port); !strings.HasPrefix(string(args), want) {
		t.Fatalf("script args %q, want %q...", args, want)
	}
	if err := os.WriteFile(verdict, []byte("0"), 0o644); err != nil {
		t.Fatal(err)
	}
	if _, err := sub.WaitChannel(30*time.Second, "+switch-master", ""); err != nil {
		t.Fatalf("no failover once the check passes: %v", err)
	}
}

// TestMaintenanceHoldsMixedGroup: with two of our three sentinels in
// maintenance, the third — a real redis-sentinel, which knows nothing of
// it — sees the dead master objectively down and tries, but cannot be
// elected (ours give no vote), so nobody fails the master over; once
// maintenance is lifted the group fails over as usual. Nothing new on the
// wire: the redis-sentinel just loses its elections.
func TestMaintenanceHoldsMixedGroup(t *testing.T) {
	c := cluster.New(t)
	master := c.StartRedis("master")
	replica := c.StartReplica("replica", master)
	cluster.WaitReplicaSynced(t, replica)
	mon := []cluster.Monitor{{Name: "mymaster", Redis: master, Quorum: 2, DownAfter: time.Second, FailoverTimeout: 2 * time.Second}}
	var ss []*cluster.Sentinel
	for k, impl := range []cluster.Impl{cluster.Ours, cluster.Ours, cluster.Real} {
		sc := cluster.SentinelConfig{Monitors: mon}
		if impl == cluster.Ours {
			sc.Extra = []string{"sentinel maintenance mymaster yes"}
		}
		ss = append(ss, c.StartSentinel(impl, fmt.Sprintf("sentinel%d-%s", k, impl), sc))
	}
	for _, s := range ss {
		s.WaitSentinels(t, "mymaster", 2, 30*time.Second)
		s.WaitReplica(t, "mymaster", replica.Addr(), 30*time.Second)
	}
	real := cluster.Subscribe(t, ss[2].Addr(), "*")
	defer real.Close()
	master.Kill()
	if _, err := real.WaitChannel(15*time.Second, "+try-failover", ""); err != nil {
		t.Fatalf("the redis-sentinel never tried: %v", err)
	}
	// Its attempts fail for want of votes (failover-timeout 2 s: it
	// retries every 4 s); nobody switches.
	time.Sleep(6 * time.Second)
	for _, m := range real.Messages() {
		if m.Channel == "+switch-master" || m.Channel == "+elected-leader" {
			t.Fatalf("%s %s while two of three sentinels are in maintenance", m.Channel, m.Payload)
		}
	}
	if role, err := replica.Do("ROLE"); err != nil || role.Strings()[0] != "slave" {
		t.Fatalf("replica promoted in maintenance: %v %v", role, err)
	}
	for _, s := range ss[:2] {
		if v, err := s.Do("SENTINEL", "SET", "mymaster", "maintenance", "no"); err != nil || v.Text() != "OK" {
			t.Fatalf("%s: %v %v", s.Name, v, err)
		}
	}
	if _, err := real.WaitChannel(30*time.Second, "+switch-master", ""); err != nil {
		t.Fatalf("no failover after maintenance was lifted: %v", err)
	}
}
