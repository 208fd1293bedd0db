// Command demo runs the setup qsentinel was built for, on loopback: two
// "machines" (two groups of redis-server), N ports each a master on one
// machine and a replica on the other (masters alternating), three of our
// sentinels, two HAProxies configured by `sentinel haproxy-config`, and a
// writer per port through HAProxy. It kills one whole machine, shows a live
// table (old -> new master, ms to +switch-master, client outage, writes
// lost), brings the machine back, shows its old masters rejoining as
// replicas, prints a summary and stops everything, Ctrl-C included.
//
//	go run ./e2e/demo [-ports 10]
package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"os"
	"os/exec"
	"os/signal"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"text/tabwriter"
	"time"

	"github.com/qsentinel/qsentinel/e2e/cluster"
)

func main() {
	ports := flag.Int("ports", 10, "Redis ports (each a master with a replica on the other machine)")
	flag.Parse()
	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGINT, syscall.SIGTERM)
	defer stop()
	if err := run(ctx, *ports, os.Stdout); err != nil {
		fmt.Fprintln(os.Stderr, "demo:", err)
		os.Exit(1)
	}
}

// port is one Redis port of the demo: its two servers and its writer.
type port struct {
	name       string
	master     *cluster.Redis // at start
	replica    *cluster.Redis
	onA        bool // master on machine A
	front      string
	w          *cluster.Writer
	switchedMS int64
	newMaster  string
	lost       int
	acked      int
	rejoined   bool
}

func run(ctx context.Context, n int, out io.Writer) error {
	scope := cluster.NewScope("demo")
	defer scope.Close()
	c := cluster.New(scope)
	start := time.Now()
	var ps []*port
	var machineA []*cluster.Redis
	fmt.Fprintf(out, "starting %d Redis ports on two machines (A and B), masters alternating...\n", n)
	for k := range n {
		p := &port{name: fmt.Sprintf("port%02d", k+1), onA: k%2 == 0}
		p.master = c.StartRedis(p.name+"-master", "--repl-diskless-sync-delay", "0")
		p.replica = c.StartReplica(p.name+"-replica", p.master)
		if p.onA {
			machineA = append(machineA, p.master)
		} else {
			machineA = append(machineA, p.replica)
		}
		ps = append(ps, p)
	}
	for _, p := range ps {
		cluster.WaitReplicaSynced(scope, p.replica)
	}
	var mons []cluster.Monitor
	for _, p := range ps {
		mons = append(mons, cluster.Monitor{Name: p.name, Redis: p.master, Quorum: 2, DownAfter: time.Second, FailoverTimeout: 10 * time.Second})
	}
	agents := []int{cluster.MustFreePort(scope), cluster.MustFreePort(scope)}
	socks := []string{
		filepath.Join(os.TempDir(), fmt.Sprintf("qs-demo-%d-1.sock", os.Getpid())),
		filepath.Join(os.TempDir(), fmt.Sprintf("qs-demo-%d-2.sock", os.Getpid())),
	}
	defer os.Remove(socks[0])
	defer os.Remove(socks[1])
	var ss []*cluster.Sentinel
	for k := range 3 {
		var args []string
		if k < 2 {
			// Sentinel k answers HAProxy k's agent checks and pushes
			// switches to its runtime API.
			args = []string{"--agent-check", "127.0.0.1:" + strconv.Itoa(agents[k]), "--haproxy-socket", socks[k]}
		}
		ss = append(ss, c.StartSentinel(cluster.Ours, fmt.Sprintf("sentinel%d", k+1), cluster.SentinelConfig{Monitors: mons, Args: args}))
	}
	fmt.Fprintf(out, "three sentinels on %s, %s, %s; waiting for discovery...\n", ss[0].Addr(), ss[1].Addr(), ss[2].Addr())
	for _, s := range ss {
		for _, p := range ps {
			s.WaitSentinels(scope, p.name, 2, 30*time.Second)
			s.WaitReplica(scope, p.name, p.replica.Addr(), 30*time.Second)
		}
	}
	fmt.Fprintf(out, "discovery done after %v\n", time.Since(start).Round(100*time.Millisecond))

	// Two HAProxies, each checked by its own sentinel's agent.
	bases := []int{}
	for k := range 2 {
		ss[k].Do("SENTINEL", "FLUSHCONFIG")
		base := cluster.MustFreePort(scope)
		for cluster.PortRangeFree(base, n) != nil {
			base = cluster.MustFreePort(scope)
		}
		bases = append(bases, base)
		cfg, err := exec.Command(cluster.OurBinary(scope), "haproxy-config", ss[k].ConfPath,
			"--agent-addr", "127.0.0.1:"+strconv.Itoa(agents[k]), "--frontend-port-base", strconv.Itoa(base),
			"--stats-socket", socks[k], "--maxconn", "256").Output()
		if err != nil {
			return fmt.Errorf("haproxy-config: %w", err)
		}
		dir := c.NewDir(fmt.Sprintf("haproxy%d", k+1))
		path := filepath.Join(dir, "haproxy.cfg")
		if err := os.WriteFile(path, cfg, 0o644); err != nil {
			return err
		}
		hp := cluster.NewProcess(fmt.Sprintf("haproxy%d", k+1), cluster.LookBinary(scope, "haproxy"), dir, "-db", "-f", path)
		c.Adopt(hp)
		if err := hp.Start(); err != nil {
			return err
		}
		if err := cluster.WaitReady(hp, base, 10*time.Second); err != nil {
			return fmt.Errorf("haproxy%d: %w", k+1, err)
		}
	}
	fmt.Fprintf(out, "two HAProxies: frontends 127.0.0.1:%d.. and 127.0.0.1:%d.. (one per port), agent-check from the sentinels, switches pushed to their runtime API\n", bases[0], bases[1])

	// Masters in name order get base, base+1, ... in haproxy-config.
	sort.Slice(ps, func(i, j int) bool { return ps[i].name < ps[j].name })
	wctx, stopWriters := context.WithCancel(ctx)
	var wg sync.WaitGroup
	for k, p := range ps {
		p.front = "127.0.0.1:" + strconv.Itoa(bases[k%2]+k)
		p.w = &cluster.Writer{Addr: p.front, Prefix: p.name, Interval: 10 * time.Millisecond}
		wg.Add(1)
		go func() { defer wg.Done(); p.w.Run(wctx) }()
	}
	defer func() { stopWriters(); wg.Wait() }()
	for _, p := range ps {
		if err := waitUntil(ctx, 10*time.Second, func() bool { return p.w.Acked() > 0 }); err != nil {
			return fmt.Errorf("%s: no write through HAProxy", p.name)
		}
	}
	fmt.Fprintf(out, "a writer per port through HAProxy (fresh connection every 10 writes)\n\n")
	sub := cluster.Subscribe(scope, ss[2].Addr(), "+switch-master")
	time.Sleep(time.Second)

	fmt.Fprintf(out, "killing machine A: SIGKILL to its %d redis-servers (%d masters)...\n\n", len(machineA), (n+1)/2)
	killed := time.Now()
	for _, r := range machineA {
		r.Kill()
	}
	table := func(final bool) {
		tw := tabwriter.NewWriter(out, 2, 4, 2, ' ', 0)
		fmt.Fprintln(tw, "PORT\tMASTER WAS\tMASTER NOW\tms TO +switch-master\tCLIENT OUTAGE ms\tWRITES ACKED\tLOST\tOLD MASTER")
		for _, p := range ps {
			was := "B " + p.master.Addr()
			if p.onA {
				was = "A " + p.master.Addr()
			}
			now, sw := p.master.Addr(), "-"
			if p.switchedMS > 0 {
				now, sw = p.newMaster, strconv.FormatInt(p.switchedMS, 10)
			}
			outage := p.w.Outage(killed).Milliseconds()
			lost, old := "-", "-"
			if final {
				lost = strconv.Itoa(p.lost)
			}
			if p.onA {
				old = "down"
				if p.rejoined {
					old = "rejoined as replica"
				}
			}
			fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%d\t%d\t%s\t%s\n", p.name, was, now, sw, outage, p.w.Acked(), lost, old)
		}
		tw.Flush()
	}
	deadline := time.Now().Add(30 * time.Second)
	for {
		for _, m := range sub.Messages() {
			f := strings.Fields(m.Payload)
			for _, p := range ps {
				if len(f) == 5 && f[0] == p.name && p.switchedMS == 0 {
					p.switchedMS = m.At.Sub(killed).Milliseconds()
					p.newMaster = f[3] + ":" + f[4]
				}
			}
		}
		done := true
		for _, p := range ps {
			if p.onA && p.switchedMS == 0 {
				done = false
			}
		}
		k := 0
		for _, p := range ps {
			if p.switchedMS > 0 {
				k++
			}
		}
		fmt.Fprintf(out, "\r  %5d ms after the kill: %d of %d ports of machine A switched", time.Since(killed).Milliseconds(), k, (n+1)/2)
		if done || time.Now().After(deadline) || ctx.Err() != nil {
			break
		}
		time.Sleep(200 * time.Millisecond)
	}
	fmt.Fprintln(out)
	fmt.Fprintln(out)
	time.Sleep(1500 * time.Millisecond)
	table(false)
	if ctx.Err() != nil {
		return ctx.Err()
	}

	fmt.Fprintf(out, "\nbringing machine A back (empty Redis, no persistence); the sentinels turn its old masters into replicas...\n")
	back := time.Now()
	for _, r := range machineA {
		if err := r.Restart(); err != nil {
			return err
		}
	}
	for _, p := range ps {
		if !p.onA {
			continue
		}
		waitUntil(ctx, 30*time.Second, func() bool {
			info, err := p.master.Info("replication")
			return err == nil && info["role"] == "slave" && "127.0.0.1:"+info["master_port"] == p.newMaster
		})
		p.rejoined = true
	}
	fmt.Fprintf(out, "machine A's old masters are replicas again after %v (redis-sentinel's rule: wait 4 hello periods first)\n\n",
		time.Since(back).Round(100*time.Millisecond))
	stopWriters()
	wg.Wait()
	total, lost := 0, 0
	for _, p := range ps {
		cur := p.master
		if p.switchedMS > 0 {
			cur = p.replica
		}
		var err error
		if p.lost, p.acked, err = p.w.Lost(cur.Addr()); err != nil {
			return fmt.Errorf("%s: reading back: %w", p.name, err)
		}
		total += p.acked
		lost += p.lost
	}
	table(true)
	switched, maxMS := 0, int64(0)
	for _, p := range ps {
		if p.switchedMS > 0 {
			switched++
			maxMS = max(maxMS, p.switchedMS)
		}
	}
	fmt.Fprintf(out, "\nsummary: %d of %d ports of machine A failed over (all within %d ms of the kill, down-after 1000 ms); "+
		"%d acknowledged writes, %d lost; demo took %v.\n", switched, (n+1)/2, maxMS, total, lost, time.Since(start).Round(time.Second))
	if switched != (n+1)/2 {
		return fmt.Errorf("%d of %d ports did not fail over", (n+1)/2-switched, (n+1)/2)
	}
	return nil
}

func waitUntil(ctx context.Context, d time.Duration, cond func() bool) error {
	end := time.Now().Add(d)
	for time.Now().Before(end) && ctx.Err() == nil {
		if cond() {
			return nil
		}
		time.Sleep(50 * time.Millisecond)
	}
	return fmt.Errorf("timed out")
}
