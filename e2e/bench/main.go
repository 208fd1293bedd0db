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
// Sizes above -real-max use fake hosts (fakeredis.go): the masters' helper
// processes are SIGKILLed (or, with -fake-kill stop, SIGSTOPped) at once
// and the fake replicas are promoted.
//
// Only ratios are meaningful across machines.
//
//	go run ./e2e/bench [-mode all|footprint|failover] [-masters 50] [-settle 15s] [-measure 30s] [-sizes 1,10,50] [-runs 3]
//	go run ./e2e/bench -mode failover -sizes 200,1000 -runs 1 -run-timeout 120s
package main

import (
	"flag"
	"fmt"
	"log"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/qsentinel/qsentinel/e2e/cluster"
)

func main() {
	fpSizes := flag.String("footprint-sizes", "10,50,200,1000,5000", "footprint: masters per measurement")
	realMax := flag.Int("real-max", 200, "footprint and failover: largest size run with real redis-servers; larger sizes use fake ones")
	masters := flag.Int("masters", 0, "fake-redis mode: instances to serve")
	fakeReplicas := flag.Bool("fake-replicas", false, "fake-redis mode: serve replicas (their masters come on stdin)")
	settle := flag.Duration("settle", 10*time.Second, "footprint: time from start to the CPU window (at least discovery)")
	measure := flag.Duration("measure", 20*time.Second, "footprint: CPU measuring window")
	bin := flag.String("bin", "bin/sentinel", "our sentinel binary")
	mode := flag.String("mode", "all", "footprint, throughput, haproxy, failover or all")
	clients := flag.Int("clients", 50, "throughput: concurrent connections")
	tdur := flag.Duration("throughput-time", 5*time.Second, "throughput: measuring time per implementation and round")
	trounds := flag.Int("throughput-rounds", 3, "throughput: alternating rounds (median reported)")
	sizes := flag.String("sizes", "1,10,50", "failover: masters per run")
	runs := flag.Int("runs", 5, "failover: runs per size and implementation (median reported)")
	hruns := flag.Int("haproxy-runs", 3, "haproxy: runs per size, scenario and implementation")
	hsizes := flag.String("haproxy-sizes", "1,50", "haproxy: masters behind HAProxy per run")
	downAfter := flag.Duration("down-after", foDownAfter, "failover: down-after-milliseconds of every master")
	runTimeout := flag.Duration("run-timeout", 60*time.Second, "failover: kill to the last +switch-master, at most (then: N of M switched)")
	fakeHost := flag.Int("fake-host-size", fakeChunk, "failover: fake instances per fake host process (each one event loop)")
	fakeKill := flag.String("fake-kill", "kill", "failover: what the fake master hosts get: kill (SIGKILL, connections reset) or stop (SIGSTOP, nothing answers)")
	implList := flag.String("impls", "redis-sentinel,ours", "failover, footprint and haproxy: implementations to run")
	hscen := flag.String("haproxy-scenarios", "", "haproxy: scenarios to run, comma-separated (crash, switchover; default both)")
	flag.StringVar(&sentinelLogDir, "sentinel-logs", "", "failover: directory where every sentinel writes its whole log (created if missing; overwritten per size and impl)")
	flag.StringVar(&sentinelLogLevel, "sentinel-loglevel", "", "failover: every sentinel's loglevel (verbose: ours logs what each +sdown rested on)")
	flag.BoolVar(&keepAllLogs, "keep-logs", false, "failover: keep every run's sentinel logs (failed and odd runs' are always kept)")
	short := flag.Bool("short", false, "a few minutes: every table at the sizes that show a regression (footprint 10,1000; failover 1,50 once; haproxy 1 once; throughput 1 round); flags given explicitly win")
	flag.Parse()
	if sentinelLogDir != "" {
		// The sentinels open their logs there: a missing directory
		// made every one of them refuse to start.
		abs, err := filepath.Abs(sentinelLogDir)
		if err == nil {
			err = os.MkdirAll(abs, 0o755)
		}
		if err != nil {
			log.Fatalf("-sentinel-logs: %v", err)
		}
		sentinelLogDir = abs
	}
	if *short {
		set := map[string]bool{}
		flag.Visit(func(f *flag.Flag) { set[f.Name] = true })
		for name, v := range map[string]string{
			"footprint-sizes": "10,1000", "settle": "8s", "measure": "10s",
			"sizes": "1,50", "runs": "1",
			"haproxy-sizes": "1", "haproxy-runs": "1",
			"throughput-rounds": "1", "throughput-time": "3s",
		} {
			if !set[name] {
				flag.Set(name, v)
			}
		}
	}
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
	if *mode == "fake-redis" {
		// BENCH_FAKE_CPUPROFILE ("%p": the process id) profiles a fake
		// host from BENCH_FAKE_PROFILE_AFTER to BENCH_FAKE_PROFILE_SECONDS
		// after its start: how much of the machine the fleet takes, and
		// why, is part of reading a failover run.
		defer profileFake()()
		if err := serveFake(*masters, *fakeReplicas); err != nil {
			log.Fatal(err)
		}
		return
	}
	if *fakeKill != "kill" && *fakeKill != "stop" {
		log.Fatalf("-fake-kill: want kill or stop, not %q", *fakeKill)
	}
	switch *mode {
	case "all", "footprint", "throughput", "failover", "haproxy":
	default:
		log.Fatalf("-mode: want all, footprint, throughput, haproxy or failover, not %q", *mode)
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
		want := [2]bool{slices.Contains(impls, cluster.Real), slices.Contains(impls, cluster.Ours)}
		if err := footprint(parseSizes("-footprint-sizes", *fpSizes), *realMax, *settle, *measure, *bin, want); err != nil {
			log.Fatal(err)
		}
	}
	if *mode == "throughput" || *mode == "all" {
		if err := throughput(*clients, *tdur, *trounds); err != nil {
			log.Fatal(err)
		}
	}
	if *mode == "haproxy" || *mode == "all" {
		var only []string
		if *hscen != "" {
			only = strings.Split(*hscen, ",")
			for _, name := range only {
				if !slices.ContainsFunc(haproxyScenarios, func(sc haproxyScenario) bool { return sc.name == name }) {
					log.Fatalf("-haproxy-scenarios: want crash and/or switchover, not %q", name)
				}
			}
		}
		if err := haproxyOutage(parseSizes("-haproxy-sizes", *hsizes), *hruns, impls, only); err != nil {
			log.Fatal(err)
		}
	}
	if *mode == "failover" || *mode == "all" {
		p := foParams{realMax: *realMax, runTimeout: *runTimeout, fakeSignal: syscall.SIGKILL, downAfter: *downAfter, fakeHost: max(*fakeHost, 1)}
		if *fakeKill == "stop" {
			p.fakeSignal = syscall.SIGSTOP
		}
		if err := failoverTable(parseSizes("-sizes", *sizes), *runs, impls, p); err != nil {
			log.Fatal(err)
		}
	}
}

func parseSizes(flagName, list string) []int {
	var ns []int
	for _, f := range strings.Split(list, ",") {
		n, err := strconv.Atoi(strings.TrimSpace(f))
		if err != nil || n <= 0 {
			log.Fatalf("%s: bad size %q", flagName, f)
		}
		ns = append(ns, n)
	}
	return ns
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
