package sentinel

import "strconv"

// preFailover runs the master's pre-failover-script for our attempt in
// epoch (failover/hold.go): <script> <master-name> <ip> <port> <epoch>.
// Exit 0 lets the failover go on; anything else vetoes it.
func (g *group) preFailover(epoch uint64) {
	script := g.cfg.PreFailoverScript
	if script == "" {
		g.m.PreFailoverDone(epoch, true, "", g.s.clock.Now(), g.s.timing())
		return
	}
	a := g.master.Addr
	argv := []string{script, g.name, g.s.shownHost(a.Host), strconv.Itoa(a.Port), strconv.FormatUint(epoch, 10)}
	g.s.checks.Start(argv, func(ok bool, why string) {
		g.mu.Lock()
		defer g.mu.Unlock()
		g.m.PreFailoverDone(epoch, ok, why, g.s.clock.Now(), g.s.timing())
		g.apply()
	})
}
