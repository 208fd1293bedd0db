package e2e

import (
	"fmt"
	"testing"
	"time"

	"github.com/qsentinel/qsentinel/e2e/cluster"
)

// TestPeersStayUpAfterDiscovery: with many masters, one connection to each
// peer serves every master's view of it. A peer found through the hellos
// of twenty masters must be shown (and treated) as up in all twenty once
// its replies come in: before the fix, the views that had not had a reply
// of their own stayed "disconnected", turned s_down a second after
// discovery and were never asked for their opinion, so objective down
// waited seconds for them (50 masters killed right after discovery took
// ~7 s to switch instead of ~1.4 s).
func TestPeersStayUpAfterDiscovery(t *testing.T) {
	c := cluster.New(t)
	var mons []cluster.Monitor
	for k := range 20 {
		m := c.StartRedis(fmt.Sprintf("m%d", k))
		mons = append(mons, cluster.Monitor{Name: fmt.Sprintf("m%d", k), Redis: m, Quorum: 2, DownAfter: 2 * time.Second})
	}
	g := startGroup(t, c, []cluster.Impl{cluster.Ours, cluster.Ours, cluster.Ours}, mons)
	// For two and a half down-after periods every view of every peer stays
	// up.
	deadline := time.Now().Add(5 * time.Second)
	for time.Now().Before(deadline) {
		for _, s := range g.ss {
			for _, m := range mons {
				if err := s.CheckSentinels(m.Name, 2); err != nil {
					t.Fatalf("%s, master %s: %v", s.Name, m.Name, err)
				}
			}
		}
		time.Sleep(100 * time.Millisecond)
	}
}
