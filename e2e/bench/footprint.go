package main

import (
	"bufio"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"github.com/qsentinel/qsentinel/e2e/cluster"
)

type usage struct {
	rssKB  int64
	anonKB int64 // RssAnon: heap, stacks; the rest of RSS is file-backed (the executable, libraries)
	cpuPct float64
}

// footprintRow is one implementation at one size.
type footprintRow struct {
	discovery time.Duration // start to every sentinel knowing every replica and both peers
	rssMB     float64       // averaged over the three sentinels
	anonMB    float64       // the anonymous part of rssMB
	cpuPct    float64
	err       error
}

// String is the row for the per-run line on stderr, with the error's text
// (fmt shows an unexported error field as a pointer).
func (r footprintRow) String() string {
	s := fmt.Sprintf("discovery %v, RSS %.1f MB (anonymous %.1f), idle CPU %.2f %%", r.discovery.Round(time.Millisecond), r.rssMB, r.anonMB, r.cpuPct)
	if r.err != nil {
		s += ", error: " + r.err.Error()
	}
	return s
}

// footprint measures, for each size, three sentinels of each
// implementation watching the same masters: time to discover the topology,
// then idle CPU over measure (after settle) and RSS at its end. Sizes up to
// realMax use real redis-servers, each master with one replica; larger ones
// use fake masters without replicas (see fakeredis.go). want says which of
// redis-sentinel and ours run; the other's columns show "-".
func footprint(sizes []int, realMax int, settle, measure time.Duration, bin string, want [2]bool) error {
	rows := map[int][2]footprintRow{}
	for _, n := range sizes {
		var r [2]footprintRow
		var err error
		if n <= realMax {
			r, err = footprintReal(n, settle, measure, bin, want)
		} else {
			r, err = footprintFake(n, settle, measure, bin, want)
		}
		if err != nil {
			return fmt.Errorf("footprint at %d masters: %w", n, err)
		}
		rows[n] = r
		fmt.Fprintf(os.Stderr, "footprint %d masters: redis-sentinel %v; ours %v\n", n, r[0], r[1])
	}
	fmt.Printf("\n### Footprint and discovery: 3 sentinels per implementation (down-after-milliseconds 5000)\n\n")
	fmt.Printf("Per sentinel, averaged over the three: idle CPU over %v after %v of settling, RSS at its end. ", measure, settle)
	fmt.Printf("Discovery: from start until all three report every master's replica and both peers. ")
	fmt.Printf("Up to %d masters: real redis-servers, one replica each; above: fake masters (one process per %d), no replicas.\n\n", realMax, fakeChunk)
	fmt.Println("| masters | backend | RSS MB redis-sentinel | RSS MB ours | ratio | idle CPU % redis-sentinel | idle CPU % ours | ratio | discovery redis-sentinel | discovery ours | ratio |")
	fmt.Println("|---:|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|")
	both := want[0] && want[1]
	num := func(i int, v float64, format string) string {
		if !want[i] {
			return "-"
		}
		return fmt.Sprintf(format, v)
	}
	times := func(a, b float64) string {
		if !both {
			return "-"
		}
		return fmt.Sprintf("%.2fx", b/a)
	}
	for _, n := range sizes {
		r := rows[n]
		backend := "redis-server"
		if n > realMax {
			backend = "fake"
		}
		disc := [2]string{"-", "-"}
		for i := range disc {
			if want[i] {
				disc[i] = discoveryText(r[i])
			}
		}
		discRatio := "-"
		if both {
			discRatio = ratio(r[1].discovery, r[0].discovery)
		}
		fmt.Printf("| %d | %s | %s | %s | %s | %s | %s | %s | %s | %s | %s |\n", n, backend,
			num(0, r[0].rssMB, "%.1f"), num(1, r[1].rssMB, "%.1f"), times(r[0].rssMB, r[1].rssMB),
			num(0, r[0].cpuPct, "%.2f"), num(1, r[1].cpuPct, "%.2f"), times(r[0].cpuPct, r[1].cpuPct),
			disc[0], disc[1], discRatio)
	}
	fmt.Println("\nRSS split: anonymous memory (heap, stacks) against file-backed pages (the executable and its libraries, shared by every instance on a host).")
	fmt.Println("\n| masters | anon MB redis-sentinel | anon MB ours | ratio | file-backed MB redis-sentinel | file-backed MB ours |")
	fmt.Println("|---:|---:|---:|---:|---:|---:|")
	for _, n := range sizes {
		r := rows[n]
		fmt.Printf("| %d | %s | %s | %s | %s | %s |\n", n, num(0, r[0].anonMB, "%.1f"), num(1, r[1].anonMB, "%.1f"),
			times(r[0].anonMB, r[1].anonMB), num(0, r[0].rssMB-r[0].anonMB, "%.1f"), num(1, r[1].rssMB-r[1].anonMB, "%.1f"))
	}
	if len(sizes) > 1 {
		// Cost per added master between the smallest and the largest size:
		// linear growth shows as a per-master figure that stays put.
		a, b := sizes[0], sizes[len(sizes)-1]
		fmt.Printf("\nPer added master from %d to %d masters: ", a, b)
		for i, impl := range []string{"redis-sentinel", "ours"} {
			if !want[i] {
				continue
			}
			dr := (rows[b][i].rssMB - rows[a][i].rssMB) * 1024 / float64(b-a)
			dc := (rows[b][i].cpuPct - rows[a][i].cpuPct) / float64(b-a) * 1000
			fmt.Printf("%s %.1f KB RSS and %.3f %% CPU per 1,000 masters", impl, dr, dc)
			if i == 0 && both {
				fmt.Print("; ")
			}
		}
		fmt.Println(".")
	}
	return nil
}

func discoveryText(r footprintRow) string {
	if r.err != nil {
		return "not reached"
	}
	return r.discovery.Round(10 * time.Millisecond).String()
}

// footprintReal starts n real masters, each with one replica.
func footprintReal(n int, settle, measure time.Duration, bin string, want [2]bool) ([2]footprintRow, error) {
	dir, err := os.MkdirTemp("", "sentinel-bench")
	if err != nil {
		return [2]footprintRow{}, err
	}
	defer os.RemoveAll(dir)
	var all []*proc
	defer func() {
		for _, p := range all {
			p.stop()
		}
	}()
	// Hold every port open until all are chosen: picking them one by one
	// (listen, close) can hand the same port out twice when hundreds of
	// servers start at once, and a lost server means discovery never ends.
	ports, err := distinctPorts(2 * n)
	if err != nil {
		return [2]footprintRow{}, err
	}
	var mports []int
	for k := range n {
		mp, rp := ports[2*k], ports[2*k+1]
		m, err := start(dir, "redis-server", "--port", strconv.Itoa(mp), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no", "--dir", dir)
		if err != nil {
			return [2]footprintRow{}, err
		}
		r, err := start(dir, "redis-server", "--port", strconv.Itoa(rp), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no", "--dir", dir, "--replicaof", "127.0.0.1", strconv.Itoa(mp))
		if err != nil {
			return [2]footprintRow{}, err
		}
		all = append(all, m, r)
		mports = append(mports, mp)
	}
	for _, p := range mports {
		if err := waitPort(p); err != nil {
			return [2]footprintRow{}, err
		}
	}
	// Replicas must be attached before sentinels start, or discovery time
	// would include Redis's own sync.
	time.Sleep(2 * time.Second)
	return footprintBoth(dir, mports, 1, settle, measure, bin, want)
}

// distinctPorts is n ports no other server of this run was given, below
// the ephemeral range (cluster.FreePort).
func distinctPorts(n int) ([]int, error) {
	ports := make([]int, 0, n)
	for range n {
		p, err := cluster.FreePort()
		if err != nil {
			return nil, err
		}
		ports = append(ports, p)
	}
	return ports, nil
}

func footprintFake(n int, settle, measure time.Duration, bin string, want [2]bool) ([2]footprintRow, error) {
	dir, err := os.MkdirTemp("", "sentinel-bench")
	if err != nil {
		return [2]footprintRow{}, err
	}
	defer os.RemoveAll(dir)
	fleet, err := startFakeFleet(n, fakeChunk, false)
	if err != nil {
		return [2]footprintRow{}, err
	}
	defer fleet.stop()
	if err := fleet.setPeers(nil); err != nil {
		return [2]footprintRow{}, err
	}
	return footprintBoth(dir, fleet.ports, 0, settle, measure, bin, want)
}

func footprintBoth(dir string, mports []int, replicas int, settle, measure time.Duration, bin string, want [2]bool) ([2]footprintRow, error) {
	var out [2]footprintRow
	for i, impl := range []string{"redis-sentinel", "ours"} {
		if !want[i] {
			continue
		}
		r, err := footprintOne(dir, impl, mports, replicas, settle, measure, bin)
		if err != nil {
			return out, fmt.Errorf("%s: %w", impl, err)
		}
		out[i] = r
	}
	return out, nil
}

func footprintOne(dir, impl string, mports []int, replicas int, settle, measure time.Duration, bin string) (footprintRow, error) {
	var procs []*proc
	defer func() {
		for _, p := range procs {
			p.stop()
		}
	}()
	var pids, ports []int
	for n := range 3 {
		// cluster.FreePort, not a probe on port 0: that handed two of
		// the three sentinels the same port when the first had not bound
		// it yet, and the third failed to start (seen at 5,000 masters).
		port, err := cluster.FreePort()
		if err != nil {
			return footprintRow{}, err
		}
		sdir := filepath.Join(dir, fmt.Sprintf("%s-%d", impl, n))
		os.MkdirAll(sdir, 0o755)
		var b strings.Builder
		fmt.Fprintf(&b, "port %d\nbind 127.0.0.1\ndir %s\n", port, sdir)
		for i, mp := range mports {
			fmt.Fprintf(&b, "sentinel monitor m%d 127.0.0.1 %d 2\nsentinel down-after-milliseconds m%d 5000\n", i, mp, i)
		}
		conf := filepath.Join(sdir, "sentinel.conf")
		if err := os.WriteFile(conf, []byte(b.String()), 0o644); err != nil {
			return footprintRow{}, err
		}
		exe := "redis-sentinel"
		if impl == "ours" {
			exe = bin
		}
		p, err := start(sdir, exe, conf)
		if err != nil {
			return footprintRow{}, err
		}
		procs = append(procs, p)
		ports = append(ports, port)
		pids = append(pids, p.cmd.Process.Pid)
	}
	t0 := time.Now()
	var row footprintRow
	for _, port := range ports {
		if err := waitPort(port); err != nil {
			return footprintRow{}, err
		}
	}
	row.err = waitDiscovered(ports, len(mports), replicas, 3*time.Minute)
	row.discovery = time.Since(t0)
	if rest := settle - row.discovery; rest > 0 {
		time.Sleep(rest)
	}
	u, err := sample(pids, measure)
	if err != nil {
		return footprintRow{}, err
	}
	for _, x := range u {
		row.rssMB += float64(x.rssKB) / 1024 / float64(len(u))
		row.anonMB += float64(x.anonKB) / 1024 / float64(len(u))
		row.cpuPct += x.cpuPct / float64(len(u))
	}
	return row, nil
}

// waitDiscovered polls SENTINEL MASTERS on every sentinel until each one
// lists masters masters, each with the given number of replicas and two
// other sentinels.
func waitDiscovered(ports []int, masters, replicas int, limit time.Duration) error {
	deadline := time.Now().Add(limit)
	// SENTINEL MASTERS is big at thousands of masters; poll it less often
	// there so the poll does not become the load being measured.
	every := 50*time.Millisecond + time.Duration(masters)*100*time.Microsecond
	for _, port := range ports {
		conn, err := cluster.Dial(fmt.Sprintf("127.0.0.1:%d", port))
		if err != nil {
			return err
		}
		conn.Timeout = 30 * time.Second
		for !discovered(conn, masters, replicas) {
			if time.Now().After(deadline) {
				conn.Close()
				return fmt.Errorf("sentinel on port %d did not discover everything within %v", port, limit)
			}
			time.Sleep(every)
		}
		conn.Close()
	}
	return nil
}

func discovered(conn *cluster.Conn, masters, replicas int) bool {
	v, err := conn.Do("SENTINEL", "MASTERS")
	if err != nil || len(v.Elems) != masters {
		return false
	}
	for _, m := range v.Elems {
		var slaves, others int64 = -1, -1
		for i := 0; i+1 < len(m.Elems); i += 2 {
			switch m.Elems[i].Str {
			case "num-slaves":
				slaves, _ = strconv.ParseInt(m.Elems[i+1].Str, 10, 64)
			case "num-other-sentinels":
				others, _ = strconv.ParseInt(m.Elems[i+1].Str, 10, 64)
			}
		}
		if slaves != int64(replicas) || others != 2 {
			return false
		}
	}
	return true
}

// userHZ is the clock ticks a second of /proc's CPU times (USER_HZ, 100
// on Linux).
const userHZ = 100

// cpuPercent is ticks of CPU time over span in per cent of one CPU.
func cpuPercent(ticks int64, span time.Duration) float64 {
	return float64(ticks) / userHZ / span.Seconds() * 100
}

// procTicks is the CPU time pid has used so far, user and system, in
// clock ticks (userHZ).
func procTicks(pid int) (int64, error) {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return 0, err
	}
	f := strings.Fields(string(b[strings.LastIndexByte(string(b), ')')+2:]))
	u, _ := strconv.ParseInt(f[11], 10, 64)
	s, _ := strconv.ParseInt(f[12], 10, 64)
	return u + s, nil
}

// sample reads RSS now and CPU used over window, for every pid.
func sample(pids []int, window time.Duration) ([]usage, error) {
	ticks := procTicks
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
		out[i].cpuPct = cpuPercent(t-before[i], window)
		out[i].rssKB, out[i].anonKB = rss(p)
	}
	return out, nil
}

// rss reads VmRSS and its anonymous part (RssAnon) in KB.
func rss(pid int) (total, anon int64) {
	f, err := os.Open(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		return 0, 0
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		if v, ok := strings.CutPrefix(sc.Text(), "VmRSS:"); ok {
			total, _ = strconv.ParseInt(strings.Fields(v)[0], 10, 64)
		} else if v, ok := strings.CutPrefix(sc.Text(), "RssAnon:"); ok {
			anon, _ = strconv.ParseInt(strings.Fields(v)[0], 10, 64)
		}
	}
	return total, anon
}
