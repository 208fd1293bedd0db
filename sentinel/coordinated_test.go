package sentinel

import (
	"context"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/qsentinel/qsentinel/redislink"
)

// TestSlaveOfAbortsOwnFailover: an instance that reports a FAILOVER of
// its own in progress gets FAILOVER ABORT before SLAVEOF, in the same
// transaction, as Valkey sends it (SLAVEOF fails during a FAILOVER).
func TestSlaveOfAbortsOwnFailover(t *testing.T) {
	fnet := redislink.NewFakeNet()
	m := Addr{Host: "127.0.0.1", Port: 6379}
	r := Addr{Host: "127.0.0.1", Port: 6380}
	fnet.Add(m.String(), strings.Repeat("a", 40))
	rep := fnet.Add(r.String(), strings.Repeat("b", 40))
	rep.MasterOf = m.String()
	rep.FailoverState = "failover-in-progress"
	s, err := New(fastConfig(26379, m), Options{Dialer: fnet, Logger: quiet})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { defer close(done); s.Run(ctx) }()
	defer func() { cancel(); <-done }()
	waitFor(t, "a forced failover to be accepted", 5*time.Second, func() bool { return s.Failover("mymaster") == nil })
	waitFor(t, "SLAVEOF NO ONE", 5*time.Second, func() bool {
		return slices.Contains(rep.Received(), "SLAVEOF NO ONE")
	})
	cmds := rep.Received()
	k := slices.Index(cmds, "SLAVEOF NO ONE")
	if k < 2 || cmds[k-1] != "FAILOVER ABORT" || cmds[k-2] != "MULTI" {
		t.Errorf("commands before SLAVEOF NO ONE: %q", cmds[max(0, k-3):k+1])
	}
}
