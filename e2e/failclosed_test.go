package e2e

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/qsentinel/qsentinel/e2e/cluster"
)

// askAgent sends one agent-send line to the agent-check at addr, as
// HAProxy does, and returns the reply line without its newline (or the
// error, prefixed "error:").
func askAgent(addr, text string) string {
	c, err := net.DialTimeout("tcp", addr, time.Second)
	if err != nil {
		return "error: " + err.Error()
	}
	defer c.Close()
	c.SetDeadline(time.Now().Add(2 * time.Second))
	if _, err := io.WriteString(c, text+"\n"); err != nil {
		return "error: " + err.Error()
	}
	line, err := bufio.NewReader(c).ReadString('\n')
	if err != nil {
		return "error: " + err.Error()
	}
	return strings.TrimSuffix(line, "\n")
}

// waitAgent waits until the agent at addr answers text with want.
func waitAgent(t *testing.T, addr, text, want string, timeout time.Duration) time.Duration {
	t.Helper()
	start := time.Now()
	last := ""
	cluster.WaitFor(t, timeout, fmt.Sprintf("agent %s to answer %q with %q", addr, text, want), func() error {
		if last = askAgent(addr, text); last != want {
			return fmt.Errorf("answered %q", last)
		}
		return nil
	})
	return time.Since(start)
}

// TestAgentFailsClosedInMinority: the agent's sentinel is cut off from its
// peers and from the replica, but still reaches the old master; the other
// two lose the old master and fail over to the replica. The agent must stop
// vouching for the old master within the ping window (half of down-after) plus
// slack, before the majority has even promoted the replica, and never say
// "up" for anything while the partition lasts; the majority's agent says
// "up" for the new master; once healed, the minority's agent says "up" for
// the new master and "down" for the old one. The majority is one of ours
// and a redis-sentinel: agreement is counted from real hellos too (with
// three of ours the same run measured down 369 ms after the cut, the
// switch at 1.3 s).
func TestAgentFailsClosedInMinority(t *testing.T) {
	agents := []string{"127.0.0.1:" + strconv.Itoa(cluster.MustFreePort(t)), "127.0.0.1:" + strconv.Itoa(cluster.MustFreePort(t))}
	r := newFaultRig(t, []cluster.Impl{cluster.Ours, cluster.Ours, cluster.Real}, time.Second, 6*time.Second, func(k int) []string {
		if k < len(agents) {
			return []string{"--agent-check", agents[k]}
		}
		return nil
	})
	minority, majority := agents[0], agents[1]
	oldM, newM := rigMaster+" "+r.rproxy[0].Addr(), rigMaster+" "+r.rproxy[1].Addr()
	waitAgent(t, minority, oldM, "up ready", 10*time.Second)
	waitAgent(t, majority, oldM, "up ready", 10*time.Second)

	// Watch the minority's agent from the cut to the heal: every answer
	// for either server, every 20 ms.
	type answer struct {
		at    time.Duration
		text  string
		reply string
	}
	var mu sync.Mutex
	var seen []answer
	stop := make(chan struct{})
	var wg sync.WaitGroup
	// A client of the old master (direct: the cut is between sentinels,
	// Redis servers and replication), as one bound to sentinel 0 would be.
	client, err := net.Dial("tcp", r.redis[0].Addr())
	if err != nil {
		t.Fatal(err)
	}
	defer client.Close()
	cut := time.Now()
	r.split([]int{0}, [2]bool{true, false})
	wg.Add(1)
	go func() {
		defer wg.Done()
		for {
			for _, text := range []string{oldM, newM} {
				reply := askAgent(minority, text)
				mu.Lock()
				seen = append(seen, answer{time.Since(cut), text, reply})
				mu.Unlock()
			}
			select {
			case <-stop:
				return
			case <-time.After(20 * time.Millisecond):
			}
		}
	}()
	r.waitSwitch(t, 30*time.Second, 1, 2)
	switched := time.Since(cut)
	waitAgent(t, majority, newM, "up ready", 10*time.Second)
	time.Sleep(time.Second) // the partition lasts on after the switch
	close(stop)
	wg.Wait()

	const bound = 1500 * time.Millisecond // ping window (500 ms) + link timeout, polling and load
	downAt := time.Duration(-1)
	for _, a := range seen {
		if a.text != oldM || a.reply == "up ready" {
			continue
		}
		if downAt < 0 {
			downAt = a.at
			t.Logf("minority agent: %q %v after the cut (majority's +switch-master at %v)", a.reply, a.at.Round(time.Millisecond), switched.Round(time.Millisecond))
			if !strings.HasPrefix(a.reply, "down #no quorum view: 1 of 3 agree") {
				t.Errorf("reason %q, want the quorum count", a.reply)
			}
		}
	}
	switch {
	case downAt < 0:
		t.Fatalf("the minority's agent said up for the old master throughout the partition")
	case downAt > bound:
		t.Errorf("the minority's agent went down %v after the cut, want at most %v", downAt, bound)
	case downAt > switched:
		t.Errorf("the minority's agent went down %v after the cut, after the majority's switch at %v", downAt, switched)
	}
	for _, a := range seen {
		if a.at > downAt && a.reply == "up ready" {
			t.Errorf("minority agent said up for %q at %v, after going down at %v", a.text, a.at, downAt)
		}
	}

	// Fail-closed discovery (failover/isolation.go): the cut-off sentinel
	// published +isolated, names no master to clients, and dropped the
	// old master's clients so that they ask a sentinel that can decide.
	if r.count(0, "+isolated") == 0 {
		t.Errorf("the cut-off sentinel published no +isolated")
	}
	if v, err := r.ss[0].Do("SENTINEL", "GET-MASTER-ADDR-BY-NAME", rigMaster); err != nil || v.Kind != cluster.Null {
		t.Errorf("cut-off sentinel's get-master-addr-by-name: %v %v, want nil", v, err)
	}
	client.SetReadDeadline(time.Now().Add(time.Second))
	if _, err := client.Read(make([]byte, 1)); err == nil || errors.Is(err, os.ErrDeadlineExceeded) {
		t.Errorf("the old master's client was not dropped: read %v", err)
	}

	r.heal()
	back := waitAgent(t, minority, newM, "up ready", 20*time.Second)
	t.Logf("minority agent up for the new master %v after the heal", back.Round(time.Millisecond))
	if reply := askAgent(minority, oldM); !strings.HasPrefix(reply, "down #") {
		t.Errorf("minority agent for the old master after the heal: %q", reply)
	}
	if got := r.converge(t, 30*time.Second); got != 1 {
		t.Errorf("master is redis%d, want redis1", got)
	}
	if r.count(0, "-isolated") == 0 {
		t.Errorf("no -isolated after the heal")
	}
	if v, err := r.ss[0].Do("SENTINEL", "GET-MASTER-ADDR-BY-NAME", rigMaster); err != nil || len(v.Strings()) != 2 ||
		v.Strings()[1] != strconv.Itoa(r.redis[1].Port) && v.Strings()[1] != strings.Split(r.rproxy[1].Addr(), ":")[1] {
		t.Errorf("after the heal sentinel 0 names %v %v, want the new master", v, err)
	}
}

// TestHAProxyDeadAgentFailsClosed: with the generated haproxy.cfg (its
// health check asks the agent too, --agent-liveness), killing or freezing
// the agent's sentinel takes the backend down within fall x (inter +
// timeout check) instead of leaving HAProxy on the agent's last verdict,
// and it comes back once the agent answers again.
func TestHAProxyDeadAgentFailsClosed(t *testing.T) {
	r := cluster.NewHAProxyRig(t, cluster.Ours)
	w, stop := r.StartWriter(t)
	agent := r.Sentinels[0]
	for _, c := range []struct {
		name        string
		kill, start func() error
		bound       time.Duration
	}{
		// Refused connections: two failed checks one inter (1 s) apart.
		{"killed", func() error { agent.Kill(); return nil }, agent.Restart, 3 * time.Second},
		// A hung agent: each failing check also waits timeout check (1 s).
		{"frozen", agent.Freeze, agent.Thaw, 5 * time.Second},
	} {
		time.Sleep(time.Second)
		at := time.Now()
		if err := c.kill(); err != nil {
			t.Fatalf("%s: %v", c.name, err)
		}
		time.Sleep(c.bound + 2*time.Second)
		lastAck := w.LastAck()
		down := lastAck.Sub(at)
		t.Logf("agent %s: last write acknowledged %v after", c.name, down.Round(time.Millisecond))
		if down > c.bound {
			t.Errorf("agent %s: writes still acknowledged %v after, want the backend down within %v", c.name, down, c.bound)
		}
		if time.Since(lastAck) < 2*time.Second {
			t.Errorf("agent %s: writes acknowledged %v ago: the backend is not down", c.name, time.Since(lastAck))
		}
		back := time.Now()
		if err := c.start(); err != nil {
			t.Fatalf("%s: restart: %v", c.name, err)
		}
		cluster.WaitFor(t, 15*time.Second, "writes through HAProxy again", func() error {
			if !w.LastAck().After(back) {
				return fmt.Errorf("no write acknowledged since the agent came back")
			}
			return nil
		})
		t.Logf("agent %s: writes back %v after it answered again", c.name, w.LastAck().Sub(back).Round(time.Millisecond))
	}
	stop()
	lost, acked, err := w.Lost(r.Master.Addr())
	if err != nil {
		t.Fatal(err)
	}
	if lost != 0 {
		t.Errorf("%d of %d acknowledged writes lost", lost, acked)
	}
}
