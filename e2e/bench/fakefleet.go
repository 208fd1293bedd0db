package main

import (
	"bufio"
	"fmt"
	"io"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"syscall"
)

// fakeChunk is how many fake instances one helper process (one fake host)
// serves by default: every instance holds a listener and two links per
// sentinel, and a process may only open so many files. The failover
// benchmark takes another with -fake-host-size.
const fakeChunk = 1000

// fakeFleet is a set of helper processes serving fake instances.
type fakeFleet struct {
	procs  []*exec.Cmd
	stdin  []io.WriteCloser
	ports  []int
	counts []int // instances per process, in the order of ports
}

// startFakeFleet starts ceil(n/chunk) copies of this program in
// fake-redis mode (replicas: serving replicas, which setPeers points at
// their masters) and collects the ports they serve. Nothing is served
// until setPeers.
func startFakeFleet(n, chunk int, replicas bool) (*fakeFleet, error) {
	exe, err := os.Executable()
	if err != nil {
		return nil, err
	}
	f := &fakeFleet{}
	for left := n; left > 0; left -= chunk {
		k := min(left, chunk)
		cmd := exec.Command(exe, "-mode", "fake-redis", "-masters", strconv.Itoa(k), "-fake-replicas="+strconv.FormatBool(replicas))
		cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
		cmd.Stderr = os.Stderr
		in, err := cmd.StdinPipe()
		if err != nil {
			f.stop()
			return nil, err
		}
		out, err := cmd.StdoutPipe()
		if err != nil {
			f.stop()
			return nil, err
		}
		if err := cmd.Start(); err != nil {
			f.stop()
			return nil, err
		}
		f.procs = append(f.procs, cmd)
		f.stdin = append(f.stdin, in)
		line, err := bufio.NewReaderSize(out, 64<<10).ReadString('\n')
		if err != nil {
			f.stop()
			return nil, fmt.Errorf("fake redis helper: %w", err)
		}
		for _, p := range strings.Fields(line) {
			port, _ := strconv.Atoi(p)
			f.ports = append(f.ports, port)
		}
		f.counts = append(f.counts, k)
	}
	return f, nil
}

// setPeers tells every instance its peer (peers[i] for ports[i]; nil for
// none): the replica a master lists, or the master a replica follows.
// The helpers start serving then.
func (f *fakeFleet) setPeers(peers []int) error {
	at := 0
	for i, in := range f.stdin {
		var b strings.Builder
		for k := range f.counts[i] {
			if at+k < len(peers) {
				fmt.Fprintf(&b, "%d ", peers[at+k])
			}
		}
		at += f.counts[i]
		b.WriteByte('\n')
		if _, err := io.WriteString(in, b.String()); err != nil {
			return err
		}
	}
	return nil
}

// signal sends sig to every helper at once (SIGKILL: the hosts die;
// SIGSTOP: they stop answering but their connections stay open).
func (f *fakeFleet) signal(sig syscall.Signal) error {
	for _, p := range f.procs {
		if err := syscall.Kill(-p.Process.Pid, sig); err != nil {
			return err
		}
	}
	return nil
}

func (f *fakeFleet) stop() {
	for _, in := range f.stdin {
		in.Close()
	}
	for _, p := range f.procs {
		syscall.Kill(-p.Process.Pid, syscall.SIGKILL)
		p.Wait()
	}
}
