package failover

import (
	"fmt"
	"strings"
	"testing"
	"time"
)

// rig is one machine under test with a hand-driven clock: the test plays
// the driver, feeding facts and reading the actions.
type rig struct {
	t      *testing.T
	m      *Machine
	now    time.Time
	timing Timing
	acts   []Action // every action so far
}

var t0 = time.Date(2026, 11, 29, 12, 0, 0, 0, time.UTC)

const me = "0000000000000000000000000000000000000000"

func peerID(k int) string { return fmt.Sprintf("%040d", k+1) }

func replicaAddr(k int) Addr { return Addr{Host: "10.0.0.2", Port: 6380 + k} }

var masterAddr = Addr{Host: "10.0.0.1", Port: 6379}

// newRig is a master with replicas and peers, all just answered, the
// master and replicas with fresh INFO, quorum 2.
func newRig(t *testing.T, replicas, peers int) *rig {
	t.Helper()
	tm := DefaultTiming()
	tm.InfoPeriod = time.Second
	env := &Env{MyID: me, Epochs: NewEpochs(0)}
	p := Persisted{Addr: masterAddr}
	for k := 0; k < replicas; k++ {
		p.KnownReplicas = append(p.KnownReplicas, replicaAddr(k))
	}
	for k := 0; k < peers; k++ {
		p.KnownSentinels = append(p.KnownSentinels, KnownPeer{Addr: Addr{Host: "10.0.1.1", Port: 26379 + k}, RunID: peerID(k)})
	}
	r := &rig{t: t, now: t0, timing: tm}
	r.m = New("mymaster", Config{Quorum: 2, DownAfter: time.Second, FailoverTimeout: 10 * time.Second}, p, env, t0)
	for _, n := range r.m.Nodes() {
		r.answer(n)
	}
	r.info(r.m.Master, masterInfoText(r.m))
	for _, n := range r.m.SortedReplicas() {
		r.info(n, replicaInfoText(masterAddr, true, 100))
	}
	r.drain()
	return r
}

func (r *rig) advance(d time.Duration) { r.now = r.now.Add(d) }

// answer makes n connected and answering PINGs now.
func (r *rig) answer(n *Node) {
	n.Disconnected = false
	r.m.PingSent(n, r.now)
	r.m.PingReply(n, r.now, "PONG")
}

// keepAlive answers every node's PING but the ones listed, which are
// pinged and stay silent.
func (r *rig) keepAlive(except ...*Node) {
	for _, n := range r.m.Nodes() {
		skip := false
		for _, x := range except {
			skip = skip || x == n
		}
		if skip {
			r.m.PingSent(n, r.now)
		} else {
			r.answer(n)
		}
	}
}

func (r *rig) info(n *Node, text string) {
	r.m.Info(n, r.now, r.timing, false, text, ParseInfo(text))
}

func (r *rig) tick() { r.m.Tick(r.now, r.timing) }

// drain collects the actions decided since the last call.
func (r *rig) drain() []Action {
	out := append([]Action(nil), r.m.Ready()...)
	r.acts = append(r.acts, out...)
	return out
}

// events lists the event types among acts.
func events(acts []Action) []string {
	var out []string
	for _, a := range acts {
		if a.Kind == Emit {
			out = append(out, string(a.Event.Kind))
		}
	}
	return out
}

func has(acts []Action, typ string) bool {
	for _, e := range events(acts) {
		if e == typ {
			return true
		}
	}
	return false
}

func (r *rig) mustEmit(acts []Action, typ ...string) {
	r.t.Helper()
	for _, ty := range typ {
		if !has(acts, ty) {
			r.t.Fatalf("no %s among %v", ty, events(acts))
		}
	}
}

// ofKind lists the actions of one kind.
func ofKind(acts []Action, k ActionKind) []Action {
	var out []Action
	for _, a := range acts {
		if a.Kind == k {
			out = append(out, a)
		}
	}
	return out
}

// peersSay answers every peer's question: the master is down, and each
// peer voted for leaders[k] in epoch (leader "*" when none).
func (r *rig) peersSay(down bool, epoch uint64, leaders ...string) {
	for k, si := range r.m.SortedPeers() {
		l := "*"
		if k < len(leaders) {
			l = leaders[k]
		}
		r.m.PeerReply(si, r.m.Master.Addr, r.now, r.timing, false, down, l, epoch)
	}
}

func masterInfoText(m *Machine) string {
	var b strings.Builder
	b.WriteString("# Server\r\nrun_id:" + strings.Repeat("a", 40) + "\r\n# Replication\r\nrole:master\r\n")
	for k, rn := range m.SortedReplicas() {
		fmt.Fprintf(&b, "slave%d:ip=%s,port=%d,state=online,offset=100,lag=0\r\n", k, rn.Addr.Host, rn.Addr.Port)
	}
	b.WriteString("master_failover_state:no-failover\r\nmaster_repl_offset:100\r\n")
	return b.String()
}

func replicaInfoText(of Addr, up bool, offset int) string {
	link := "down"
	if up {
		link = "up"
	}
	return fmt.Sprintf("# Replication\r\nrole:slave\r\nmaster_host:%s\r\nmaster_port:%d\r\nmaster_link_status:%s\r\n"+
		"master_link_down_since_seconds:-1\r\nslave_repl_offset:%d\r\nslave_priority:100\r\nreplica_announced:1\r\n",
		of.Host, of.Port, link, offset)
}

func promotedInfoText() string {
	return "# Replication\r\nrole:master\r\nconnected_slaves:0\r\nmaster_failover_state:no-failover\r\nmaster_repl_offset:100\r\n"
}
