// Command bench compares our sentinel with redis-sentinel in the same run on
// the same machine, and prints Markdown tables.
//
// footprint: the same Redis topology is watched first by three real
// redis-sentinels, then by three of ours, and each side's RSS and idle CPU
// are measured from /proc.
//
// failover: for each size N, N masters with one replica each and three
// sentinels of one implementation; every master is SIGKILLed at once and
// the time to each master's first +switch-master (on any sentinel) is
// measured. A fresh cluster per run; medians over runs (see failover.go).
//
// Only ratios are meaningful across machines.
//
//	go run ./e2e/bench [-mode all|footprint|failover] [-masters 50] [-settle 15s] [-measure 30s] [-sizes 1,10,50] [-runs 3]
package main

import (
	"bufio"
	"flag"
	"fmt"
	"log"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/qsentinel/qsentinel/e2e/cluster"
)

func main() {
	masters := flag.Int("masters", 50, "masters to monitor, each with one replica")
	settle := flag.Duration("settle", 15*time.Second, "wait after start before measuring (discovery)")
	measure := flag.Duration("measure", 30*time.Second, "CPU measuring window")
	bin := flag.String("bin", "bin/sentinel", "our sentinel binary")
	mode := flag.String("mode", "all", "footprint, throughput, failover or all")
	clients := flag.Int("clients", 50, "throughput: concurrent connections")
	tdur := flag.Duration("throughput-time", 5*time.Second, "throughput: measuring time per implementation")
	sizes := flag.String("sizes", "1,10,50", "failover: masters per run")
	runs := flag.Int("runs", 3, "failover: runs per size and implementation (median reported)")
	implList := flag.String("impls", "redis-sentinel,ours", "failover: implementations to run")
	flag.BoolVar(&keepAllLogs, "keep-logs", false, "failover: keep every run's sentinel logs (failed and odd runs' are always kept)")
	flag.Parse()
	var impls []cluster.Impl
	for _, f := range strings.Split(*implList, ",") {
		switch strings.TrimSpace(f) {
		case "redis-sentinel", "real":
			impls = append(impls, cluster.Real)
		case "ours":
			impls = append(impls, cluster.Ours)
		default:
			log.Fatalf("-impls: want redis-sentinel and/or ours, not %q", f)
		}
	}
	switch *mode {
	case "all", "footprint", "throughput", "failover":
	default:
		log.Fatalf("-mode: want all, footprint, throughput or failover, not %q", *mode)
	}
	if *runs < 1 {
		log.Fatalf("-runs: want at least 1")
	}
	// Both measurements use the same binary: the failover harness takes
	// ours from $SENTINEL_BIN (it would otherwise build its own copy).
	abs, err := filepath.Abs(*bin)
	if err != nil {
		log.Fatal(err)
	}
	if _, err := os.Stat(abs); err != nil {
		log.Fatalf("our sentinel binary: %v (run `make build` or pass -bin)", err)
	}
	*bin = abs
	os.Setenv(cluster.SentinelBinEnv, abs)
	fmt.Printf("machine: %s/%s, %d CPUs; %s\n", runtime.GOOS, runtime.GOARCH, runtime.NumCPU(), time.Now().Format(time.RFC3339))
	if *mode == "footprint" || *mode == "all" {
		if err := run(*masters, *settle, *measure, *bin); err != nil {
			log.Fatal(err)
		}
	}
	if *mode == "throughput" || *mode == "all" {
		if err := throughput(*clients, *tdur); err != nil {
			log.Fatal(err)
		}
	}
	if *mode == "failover" || *mode == "all" {
		var ns []int
		for _, f := range strings.Split(*sizes, ",") {
			n, err := strconv.Atoi(strings.TrimSpace(f))
			if err != nil || n <= 0 {
				log.Fatalf("-sizes: bad size %q", f)
			}
			ns = append(ns, n)
		}
		if err := failoverTable(ns, *runs, impls); err != nil {
			log.Fatal(err)
		}
	}
}

type proc struct {
	cmd *exec.Cmd
}

func (p *proc) stop() {
	if p.cmd.Process != nil {
		syscall.Kill(-p.cmd.Process.Pid, syscall.SIGKILL)
		p.cmd.Wait()
	}
}

func start(dir, name string, args ...string) (*proc, error) {
	cmd := exec.Command(name, args...)
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	out, err := os.Create(filepath.Join(dir, filepath.Base(name)+"-"+strconv.Itoa(time.Now().Nanosecond())+".log"))
	if err != nil {
		return nil, err
	}
	cmd.Stdout, cmd.Stderr = out, out
	if err := cmd.Start(); err != nil {
		return nil, fmt.Errorf("start %s: %w", name, err)
	}
	return &proc{cmd: cmd}, nil
}

func freePort() (int, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, err
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port, nil
}

func waitPort(port int) error {
	deadline := time.Now().Add(10 * time.Second)
	for time.Now().Before(deadline) {
		c, err := net.DialTimeout("tcp", fmt.Sprintf("127.0.0.1:%d", port), 200*time.Millisecond)
		if err == nil {
			c.Close()
			return nil
		}
		time.Sleep(50 * time.Millisecond)
	}
	return fmt.Errorf("port %d never answered", port)
}

type usage struct {
	rssKB  int64
	cpuPct float64
}

// sample reads RSS now and CPU used over window, for every pid.
func sample(pids []int, window time.Duration) ([]usage, error) {
	ticks := func(pid int) (int64, error) {
		b, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
		if err != nil {
			return 0, err
		}
		f := strings.Fields(string(b[strings.LastIndexByte(string(b), ')')+2:]))
		u, _ := strconv.ParseInt(f[11], 10, 64)
		s, _ := strconv.ParseInt(f[12], 10, 64)
		return u + s, nil
	}
	before := make([]int64, len(pids))
	for i, p := range pids {
		t, err := ticks(p)
		if err != nil {
			return nil, err
		}
		before[i] = t
	}
	time.Sleep(window)
	out := make([]usage, len(pids))
	for i, p := range pids {
		t, err := ticks(p)
		if err != nil {
			return nil, err
		}
		const hz = 100 // USER_HZ on Linux
		out[i].cpuPct = float64(t-before[i]) / hz / window.Seconds() * 100
		out[i].rssKB = rss(p)
	}
	return out, nil
}

func rss(pid int) int64 {
	f, err := os.Open(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		return 0
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		if v, ok := strings.CutPrefix(sc.Text(), "VmRSS:"); ok {
			n, _ := strconv.ParseInt(strings.Fields(v)[0], 10, 64)
			return n
		}
	}
	return 0
}

func run(masters int, settle, measure time.Duration, bin string) error {
	dir, err := os.MkdirTemp("", "sentinel-bench")
	if err != nil {
		return err
	}
	defer os.RemoveAll(dir)
	var all []*proc
	defer func() {
		for _, p := range all {
			p.stop()
		}
	}()
	var mports []int
	for i := 0; i < masters; i++ {
		mp, _ := freePort()
		rp, _ := freePort()
		m, err := start(dir, "redis-server", "--port", strconv.Itoa(mp), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no", "--dir", dir)
		if err != nil {
			return err
		}
		r, err := start(dir, "redis-server", "--port", strconv.Itoa(rp), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no", "--dir", dir, "--replicaof", "127.0.0.1", strconv.Itoa(mp))
		if err != nil {
			return err
		}
		all = append(all, m, r)
		mports = append(mports, mp)
	}
	for _, p := range mports {
		if err := waitPort(p); err != nil {
			return err
		}
	}

	results := map[string][]usage{}
	for _, impl := range []string{"redis-sentinel", "ours"} {
		var procs []*proc
		var pids []int
		for n := 0; n < 3; n++ {
			port, _ := freePort()
			sdir := filepath.Join(dir, fmt.Sprintf("%s-%d", impl, n))
			os.MkdirAll(sdir, 0o755)
			var b strings.Builder
			fmt.Fprintf(&b, "port %d\nbind 127.0.0.1\ndir %s\n", port, sdir)
			for i, mp := range mports {
				fmt.Fprintf(&b, "sentinel monitor m%d 127.0.0.1 %d 2\nsentinel down-after-milliseconds m%d 5000\n", i, mp, i)
			}
			conf := filepath.Join(sdir, "sentinel.conf")
			if err := os.WriteFile(conf, []byte(b.String()), 0o644); err != nil {
				return err
			}
			exe := "redis-sentinel"
			if impl == "ours" {
				exe = bin
			}
			p, err := start(sdir, exe, conf)
			if err != nil {
				return err
			}
			procs = append(procs, p)
			all = append(all, p)
			if err := waitPort(port); err != nil {
				return fmt.Errorf("%s: %w", impl, err)
			}
			pids = append(pids, p.cmd.Process.Pid)
		}
		time.Sleep(settle)
		u, err := sample(pids, measure)
		if err != nil {
			return fmt.Errorf("%s: %w", impl, err)
		}
		results[impl] = u
		for _, p := range procs {
			p.stop()
		}
	}
	avg := func(u []usage) (float64, float64) {
		var r, c float64
		for _, x := range u {
			r += float64(x.rssKB)
			c += x.cpuPct
		}
		return r / float64(len(u)) / 1024, c / float64(len(u))
	}
	rr, rc := avg(results["redis-sentinel"])
	or, oc := avg(results["ours"])
	fmt.Printf("\n### Footprint: %d masters with one replica each, 3 sentinels (down-after-milliseconds 5000)\n\n", masters)
	fmt.Printf("Per sentinel, averaged over the three: CPU over a %[2]v window after %[1]v of settling, RSS at its end.\n\n", settle, measure)
	fmt.Println("| | RSS MB (avg) | idle CPU % (avg) |")
	fmt.Println("|---|---:|---:|")
	fmt.Printf("| redis-sentinel | %.1f | %.2f |\n", rr, rc)
	fmt.Printf("| ours | %.1f | %.2f |\n", or, oc)
	fmt.Printf("| ratio ours/redis-sentinel | %.2fx | %.2fx |\n", or/rr, oc/rc)
	return nil
}
