package sentinel

import (
	"context"
	"fmt"
	"github.com/qsentinel/qsentinel/failover"
	"net"
	"strconv"
	"strings"
	"time"

	"github.com/qsentinel/qsentinel/glob"
	"github.com/qsentinel/qsentinel/redisnum"
)

// MasterNames lists monitored masters, sorted.
func (s *Sentinel) MasterNames() []string {
	gs := s.groupList()
	out := make([]string, len(gs))
	for i, g := range gs {
		out[i] = g.name
	}
	return out
}

// Masters is SENTINEL MASTERS.
func (s *Sentinel) Masters() []InstanceView {
	now := s.clock.Now()
	var out []InstanceView
	for _, g := range s.groupList() {
		g.mu.Lock()
		out = append(out, g.master.view(g, now))
		g.mu.Unlock()
	}
	return out
}

func (s *Sentinel) withGroup(name string, fn func(g *group)) error {
	g := s.group(name)
	if g == nil {
		return ErrNoSuchMaster
	}
	g.mu.Lock()
	defer g.mu.Unlock()
	fn(g)
	return nil
}

// Master is SENTINEL MASTER <name>.
func (s *Sentinel) Master(name string) (InstanceView, error) {
	var v InstanceView
	err := s.withGroup(name, func(g *group) { v = g.master.view(g, s.clock.Now()) })
	return v, err
}

// Replicas is SENTINEL REPLICAS <name>.
func (s *Sentinel) Replicas(name string) ([]InstanceView, error) {
	var out []InstanceView
	err := s.withGroup(name, func(g *group) {
		now := s.clock.Now()
		for _, r := range g.replicas() {
			if r.listed() {
				out = append(out, r.view(g, now))
			}
		}
	})
	return out, err
}

// Sentinels is SENTINEL SENTINELS <name>.
func (s *Sentinel) Sentinels(name string) ([]InstanceView, error) {
	var out []InstanceView
	err := s.withGroup(name, func(g *group) {
		now := s.clock.Now()
		for _, si := range g.peers() {
			out = append(out, si.view(g, now))
		}
	})
	return out, err
}

// MasterAddr is SENTINEL GET-MASTER-ADDR-BY-NAME.
func (s *Sentinel) MasterAddr(name string) (Addr, bool) {
	var a Addr
	err := s.withGroup(name, func(g *group) { a = s.shown(g.m.CurrentMasterAddr()) })
	return a, err == nil
}

// ClientMasterAddr is the master address get-master-addr-by-name
// answers: none while we are cut off from the group (fail-closed
// discovery, failover/isolation.go), so that a client asks a sentinel
// that can decide.
func (s *Sentinel) ClientMasterAddr(name string) (Addr, bool) {
	var a Addr
	isolated := false
	err := s.withGroup(name, func(g *group) {
		a, isolated = s.shown(g.m.CurrentMasterAddr()), g.m.Isolated
	})
	return a, err == nil && !isolated
}

// validHost checks a monitor address the way SENTINEL MONITOR does: an IP
// literal, or (with resolve-hostnames) a name that resolves.
func (s *Sentinel) validHost(host string) bool {
	if net.ParseIP(host) != nil {
		return true
	}
	s.cfgMu.RLock()
	resolve := s.cfg.ResolveHostnames
	s.cfgMu.RUnlock()
	if !resolve {
		return false
	}
	return s.refreshIP(context.Background(), host)
}

// Monitor is SENTINEL MONITOR; quorum and port are already integers.
func (s *Sentinel) Monitor(name, host string, port, quorum int) error {
	if quorum <= 0 {
		return &ReplyError{"ERR Quorum must be 1 or greater."}
	}
	if !s.validHost(host) {
		return ErrInvalidAddress
	}
	if port < 0 || port > 65535 {
		return ErrInvalidPortRange
	}
	// Valkey refuses control characters; checked only once 7.0 would
	// accept the command, so every 7.0 error stays 7.0's (a host with
	// one is already an invalid address).
	if strings.ContainsFunc(name, isControl) {
		return &ReplyError{"ERR Invalid argument at index 2 for SENTINEL MONITOR: control characters are not allowed"}
	}
	st := MasterState{MasterConfig: MasterConfig{Name: name, Addr: Addr{Host: host, Port: port}, Quorum: quorum}.WithDefaults(s.timing())}
	s.mu.Lock()
	if _, ok := s.groups[name]; ok {
		s.mu.Unlock()
		return ErrDuplicateMaster
	}
	g := newGroup(s, st, s.clock.Now())
	s.groups[name] = g
	s.sorted, s.byAddr = nil, nil
	ctx := s.ctx
	s.mu.Unlock()
	err := s.FlushConfig()
	g.mu.Lock()
	g.emitf(LevelWarning, "+monitor", g.master, "quorum %d", quorum)
	g.mu.Unlock()
	if ctx != nil {
		g.start(ctx)
	}
	return s.saveError(err)
}

// saveError is the reply to a command whose change could not be saved;
// the reason goes to the log, where the reply sends the operator.
func (s *Sentinel) saveError(err error) error {
	if err != nil {
		s.logger.Warn("WARNING: Sentinel was not able to save the new configuration on disk!!!", "err", err)
		return &ReplyError{"ERR Failed to save config file. Check server logs."}
	}
	return nil
}

// Remove is SENTINEL REMOVE, refused while this sentinel leads a
// failover of the master that has sent SLAVEOF NO ONE, or until a peer
// has announced the configuration it ended with (removeMidFailover).
func (s *Sentinel) Remove(name string) error {
	g := s.group(name)
	if g == nil {
		return ErrNoSuchMaster
	}
	// Checked and deleted under g.mu, so the failover cannot move on in
	// between; s.mu inside g.mu is safe because nothing takes g.mu while
	// holding s.mu.
	g.mu.Lock()
	if err := removeMidFailover(g, s.clock.Now()); err != nil {
		g.mu.Unlock()
		return err
	}
	s.mu.Lock()
	gone := s.groups[name] != g
	delete(s.groups, name)
	s.sorted, s.byAddr = nil, nil
	s.mu.Unlock()
	g.mu.Unlock()
	if gone {
		return ErrNoSuchMaster
	}
	g.mu.Lock()
	g.emit(LevelWarning, "-monitor", g.master, "")
	g.mu.Unlock()
	g.stop()
	return s.saveError(s.FlushConfig())
}

// removeMidFailover refuses to forget a master whose failover this
// sentinel leads once the replica was told to become master, or whose
// failover just ended while no peer has announced the new configuration
// yet. redis removes it anyway, and the replica is then a master no
// sentinel names: the others learn of a failover only from the leader's
// hellos, which stop, so they keep naming the old master and start a
// failover of their own only after twice failover-timeout (6 minutes by
// default). If the old master comes back meanwhile they see it sane and
// turn the promoted replica into its replica, dropping whatever it took
// (its whole data set when the old master restarted empty); until then
// both claim master (TestRemoveDuringFailover measured ~10 s of that, and
// the wipe, for redis-sentinel and for ours before this refusal). A
// failover ends within failover-timeout and a peer's hello follows within
// a publish period or two, so the operator's retry succeeds soon; with
// every peer silent, the refusal lasts failover-timeout at most. Under
// g.mu.
func removeMidFailover(g *group, now time.Time) error {
	if g.m.InProgress() && g.m.State >= failover.StateSendSlaveofNoOne {
		return &ReplyError{fmt.Sprintf("ERR failover in progress for this master (%s): removing it now would leave the promoted replica unannounced; retry once the failover has ended", g.m.State)}
	}
	if g.switchedAt.IsZero() || now.Sub(g.switchedAt) >= g.failoverTimeout() || len(g.m.Sentinels) == 0 {
		return nil
	}
	for _, si := range g.m.Sentinels {
		if si.HelloConfigEpoch >= g.m.ConfigEpoch {
			return nil // a peer announces the new configuration: it spreads without us
		}
	}
	return &ReplyError{"ERR the failover of this master has just ended and no other sentinel has announced the new configuration yet; retry shortly"}
}

// Reset is SENTINEL RESET <pattern>; it returns how many masters matched.
func (s *Sentinel) Reset(pattern string) int {
	n := 0
	for _, g := range s.groupList() {
		if !glob.Match(pattern, g.name) {
			continue
		}
		g.mu.Lock()
		g.m.Reset(false, true, s.clock.Now())
		g.apply()
		g.mu.Unlock()
		n++
	}
	if n > 0 {
		s.markDirty()
	}
	return n
}

// CKQuorum is SENTINEL CKQUORUM: the reply text without the RESP prefix,
// and whether it is an error.
func (s *Sentinel) CKQuorum(name string) (string, bool, error) {
	var usable, voters, quorum int
	err := s.withGroup(name, func(g *group) {
		usable, voters = g.ckquorumCounts()
		quorum = g.cfg.Quorum
	})
	if err != nil {
		return "", false, err
	}
	msg, ok := ckquorumReply(usable, voters, quorum)
	return msg, ok, nil
}

// ckquorumCounts are CKQUORUM's usable sentinels (this one and the peers
// neither s_down nor o_down) and voters (this one and every peer); the
// caller holds g.mu.
func (g *group) ckquorumCounts() (usable, voters int) {
	voters = len(g.m.Sentinels) + 1
	usable = 1
	for _, si := range g.m.Sentinels {
		if !down(si) {
			usable++
		}
	}
	return usable, voters
}

// ckquorumReply is CKQUORUM's reply text for the counts, and whether it
// is not an error.
func ckquorumReply(usable, voters, quorum int) (string, bool) {
	noQuorum := usable < quorum
	noAuth := usable < voters/2+1
	if !noQuorum && !noAuth {
		return fmt.Sprintf("OK %d usable Sentinels. Quorum and failover authorization can be reached", usable), true
	}
	msg := fmt.Sprintf("NOQUORUM %d usable Sentinels. ", usable)
	if noQuorum {
		msg += "Not enough available Sentinels to reach the specified quorum for this master"
	}
	if noAuth {
		if noQuorum {
			msg += ". "
		}
		msg += "Not enough available Sentinels to reach the majority and authorize a failover"
	}
	return msg, false
}

// IsMasterDownByAddr answers a peer's question about a master by address.
// A vote (a run id instead of "*") that changed our state comes back with
// Saved: the reply must not leave before it returns. The server goes on
// with the peer's next commands meanwhile, and the saves of votes that
// arrive together coalesce (flushSync), so a peer asking about 1,000
// masters on one connection waits for a couple of saves, not 1,000 in a
// row.
func (s *Sentinel) IsMasterDownByAddr(host string, port int, epoch uint64, runID string) DownReply {
	rep := DownReply{Leader: "*"}
	changed := false
	if g := s.groupByAddr(host, port); g != nil {
		// g's lock is held (groupByAddr).
		now := s.clock.Now()
		rep.Down = !s.updateTilt() && g.master.Flags&failover.FlagSDown != 0
		if runID != "*" {
			b, ch := g.m.Vote(epoch, runID, now)
			g.apply()
			changed = ch
			if b.Leader != "" {
				rep.Leader, rep.LeaderEpoch = b.Leader, b.LeaderEpoch
			}
		}
		g.mu.Unlock()
	}
	if changed {
		// The vote must be on disk before the reply leaves: a restart must
		// never vote again in the same epoch.
		rep.Saved = func() error {
			err := s.flushSync()
			if err != nil {
				s.logger.Warn("WARNING: Sentinel was not able to save the new configuration on disk!!!", "err", err)
			}
			return err
		}
	}
	return rep
}

// groupByAddr finds the group whose master a peer names by host and port
// and returns it locked, or nil. A peer's question names it by address,
// so finding it meant looking at every group: at 1,000 masters failing
// over at once, with every peer asking about every master several times
// a second, that was millions of lock round trips a second. The group
// found last for the same words is tried first; the full search, in
// name order as before, runs when it is gone or names another master now.
func (s *Sentinel) groupByAddr(host string, port int) *group {
	key := net.JoinHostPort(host, strconv.Itoa(port))
	matches := func(g *group) bool {
		// A peer names the master as it announces it: its IP, or with
		// announce-hostnames its name (sentinelAddrEqualsHostname).
		return g.master.Addr.Port == port && s.sameHost(g.master.Addr.Host, host)
	}
	s.mu.RLock()
	g := s.byAddr[key]
	s.mu.RUnlock()
	if g != nil {
		g.mu.Lock()
		if matches(g) {
			return g
		}
		g.mu.Unlock()
	}
	for _, g := range s.groupList() {
		g.mu.Lock()
		if matches(g) {
			s.mu.Lock()
			// Entries for addresses masters left (each failover adds
			// one) are dropped all at once when they outnumber the rest.
			if s.byAddr == nil || len(s.byAddr) >= 2*len(s.groups)+16 {
				s.byAddr = map[string]*group{}
			}
			s.byAddr[key] = g
			s.mu.Unlock()
			return g
		}
		g.mu.Unlock()
	}
	return nil
}

// InfoCache is SENTINEL INFO-CACHE; no names means every master.
func (s *Sentinel) InfoCache(names []string) []InfoCacheEntry {
	var gs []*group
	if len(names) == 0 {
		gs = s.groupList()
	} else {
		seen := map[string]bool{}
		for _, n := range names {
			if g := s.group(n); g != nil && !seen[n] {
				seen[n] = true
				gs = append(gs, g)
			}
		}
	}
	now := s.clock.Now()
	out := make([]InfoCacheEntry, 0, len(gs))
	for _, g := range gs {
		g.mu.Lock()
		e := InfoCacheEntry{Name: g.name}
		add := func(i *instance) {
			c := CachedInfo{Info: i.Info, Has: i.Info != ""}
			if !i.InfoRefresh.IsZero() {
				c.Age = now.Sub(i.At(i.InfoRefresh))
			}
			e.Instances = append(e.Instances, c)
		}
		add(g.master)
		for _, r := range g.replicas() {
			add(r)
		}
		g.mu.Unlock()
		out = append(out, e)
	}
	return out
}

// Info is the data of INFO's # Sentinel section.
func (s *Sentinel) Info() InfoSummary {
	sum := s.infoGlobals()
	for _, g := range s.groupList() {
		g.mu.Lock()
		sum.Masters = append(sum.Masters, MasterSummary{
			Name: g.name, Status: masterStatus(g.master.Flags), Addr: s.shown(g.m.CurrentMasterAddr()),
			Replicas: len(g.m.Replicas), Sentinels: len(g.m.Sentinels) + 1,
		})
		g.mu.Unlock()
	}
	return sum
}

// infoGlobals is Info without the masters.
func (s *Sentinel) infoGlobals() InfoSummary {
	sum := InfoSummary{TiltSince: -1, SimulateFailureFlag: int(s.simFlags.Load()),
		RunningScripts: s.scripts.Running(), ScriptsQueueLength: s.scripts.Queued()}
	s.tiltMu.Lock()
	sum.TotalTilt = s.tiltTotal
	if s.tilt {
		sum.Tilt = true
		sum.TiltSince = s.clock.Now().Sub(s.tiltSince)
	}
	s.tiltMu.Unlock()
	return sum
}

// masterStatus is INFO's status of a master with flags f.
func masterStatus(f failover.Flag) string {
	switch {
	case f&failover.FlagODown != 0:
		return "odown"
	case f&failover.FlagSDown != 0:
		return "sdown"
	}
	return "ok"
}

// Set is SENTINEL SET <name> <option> <value> ...; args starts at the
// option. Each option is read by its MasterOptions entry; as in redis,
// options before a refused one stay changed and are saved.
func (s *Sentinel) Set(name string, args []string) error {
	g := s.group(name)
	if g == nil {
		return ErrNoSuchMaster
	}
	s.cfgMu.RLock()
	denyScripts := s.cfg.DenyScriptsReconfig
	s.cfgMu.RUnlock()
	changes := 0
	var failure error
	g.mu.Lock()
	for j := 0; j < len(args) && failure == nil; j++ {
		opt := args[j]
		oldJ := j
		o := LookupMasterOption(opt)
		if o == nil || !o.Settable || len(args)-1-j < o.Args {
			failure = &ReplyError{fmt.Sprintf("ERR Unknown option or number of arguments for SENTINEL SET '%s'", opt)}
			break
		}
		vals := args[j+1 : j+1+o.Args]
		j += o.Args
		if o.Script && denyScripts {
			failure = ErrScriptsDenied
			break
		}
		bad, err := o.Set(&g.cfg, vals)
		switch {
		case err != nil:
			failure = err
		case bad >= 0:
			failure = &ReplyError{fmt.Sprintf("ERR Invalid argument '%s' for SENTINEL SET '%s'", vals[bad], opt)}
		case o.Relink:
			g.dropDataLinks()
		}
		if failure != nil {
			break
		}
		changes++
		switch n := j - oldJ + 1; {
		case n == 2:
			v := args[oldJ+1]
			if o.Secret {
				v = "******"
			}
			g.emit(LevelWarning, "+set", g.master, opt+" "+v)
		case n == 3:
			g.emit(LevelWarning, "+set", g.master, opt+" "+args[oldJ+1]+" "+args[oldJ+2])
		default:
			g.emit(LevelWarning, "+set", g.master, opt)
		}
	}
	g.configChanged()
	g.mu.Unlock()
	if changes > 0 {
		if err := s.FlushConfig(); err != nil && failure == nil {
			return s.saveError(err)
		}
	}
	return failure
}

// dropDataLinks reconnects to the master and replicas (new credentials).
func (g *group) dropDataLinks() {
	g.closeLink(g.master)
	for _, r := range g.replicas() {
		g.closeLink(r)
	}
}

func yesNo(v string) (bool, bool) {
	switch strings.ToLower(v) {
	case "yes":
		return true, true
	case "no":
		return false, true
	}
	return false, false
}

func boolWord(b bool) string {
	if b {
		return "yes"
	}
	return "no"
}

// debugParams maps SENTINEL DEBUG names to Timing fields, in reply order.
func debugParams(t *Timing) []struct {
	name string
	d    *time.Duration
} {
	return []struct {
		name string
		d    *time.Duration
	}{
		{"INFO-PERIOD", &t.InfoPeriod},
		{"PING-PERIOD", &t.PingPeriod},
		{"ASK-PERIOD", &t.AskPeriod},
		{"PUBLISH-PERIOD", &t.PublishPeriod},
		{"DEFAULT-DOWN-AFTER", &t.DefaultDownAfter},
		{"DEFAULT-FAILOVER-TIMEOUT", &t.DefaultFailoverTimeout},
		{"TILT-TRIGGER", &t.TiltTrigger},
		{"TILT-PERIOD", &t.TiltPeriod},
		{"SLAVE-RECONF-TIMEOUT", &t.SlaveReconfTimeout},
		{"MIN-LINK-RECONNECT-PERIOD", &t.MinLinkReconnectPeriod},
		{"ELECTION-TIMEOUT", &t.ElectionTimeout},
		{"SCRIPT-MAX-RUNTIME", &t.ScriptMaxRuntime},
		{"SCRIPT-RETRY-DELAY", &t.ScriptRetryDelay},
	}
}

// DebugGet is SENTINEL DEBUG with no arguments.
func (s *Sentinel) DebugGet() []Field {
	t := s.timing()
	var out []Field
	for _, p := range debugParams(&t) {
		out = append(out, Field{p.name, strconv.FormatInt(p.d.Milliseconds(), 10)})
	}
	return out
}

// DebugSet is SENTINEL DEBUG <param> <value> ...
func (s *Sentinel) DebugSet(args []string) error {
	s.cfgMu.Lock()
	defer s.cfgMu.Unlock()
	t := s.cfg.Timing
	params := debugParams(&t)
	for j := 0; j < len(args); j++ {
		opt := args[j]
		var target *time.Duration
		for _, p := range params {
			if strings.EqualFold(p.name, opt) {
				target = p.d
			}
		}
		if target == nil || j+1 >= len(args) {
			return &ReplyError{fmt.Sprintf("ERR Unknown option or number of arguments for SENTINEL DEBUG '%s'", opt)}
		}
		j++
		n, ok := redisnum.ParseInt(args[j])
		if !ok || n <= 0 {
			return &ReplyError{fmt.Sprintf("ERR Invalid argument '%s' for SENTINEL DEBUG '%s'", args[j], opt)}
		}
		*target = time.Duration(n) * time.Millisecond
	}
	s.cfg.Timing = t
	s.linkMinAge.Store(int64(t.MinLinkReconnectPeriod))
	return nil
}

// Simulated failures (SENTINEL SIMULATE-FAILURE).
const (
	SimCrashAfterElection  = 1 << 0
	SimCrashAfterPromotion = 1 << 1
)

// SimulateFailure is SENTINEL SIMULATE-FAILURE (HELP is the caller's).
func (s *Sentinel) SimulateFailure(flags []string) error {
	v := int32(0)
	for _, f := range flags {
		switch strings.ToLower(f) {
		case "crash-after-election":
			v |= SimCrashAfterElection
		case "crash-after-promotion":
			v |= SimCrashAfterPromotion
		default:
			s.simFlags.Store(0)
			return &ReplyError{"ERR Unknown failure simulation specified"}
		}
	}
	s.simFlags.Store(v)
	return nil
}

// PendingScripts is SENTINEL PENDING-SCRIPTS.
func (s *Sentinel) PendingScripts() []PendingScript {
	ps := s.scripts.Pending()
	out := make([]PendingScript, 0, len(ps))
	for _, p := range ps {
		flags := "scheduled"
		if p.Running {
			flags = "running"
		}
		out = append(out, PendingScript{Argv: p.Argv, Flags: flags, PID: p.PID,
			RunTime: p.RunTime, RunDelay: p.RunDelay, RetryCount: p.RetryCount})
	}
	return out
}

// isControl is what Valkey refuses in names and values: ASCII control
// characters and DEL.
func isControl(r rune) bool { return r <= 0x1f || r == 0x7f }
