package agentcheck

import (
	"bufio"
	"context"
	"fmt"
	"net"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"

	"github.com/qsentinel/qsentinel/event"
)

// fakeRuntimeAPI is HAProxy's stats socket: it records each command and
// answers with an empty line, as HAProxy does for a successful "set server".
type fakeRuntimeAPI struct {
	ln    net.Listener
	wg    sync.WaitGroup
	mu    sync.Mutex
	cmds  []string
	lines int // connections, one line each
}

func startRuntimeAPI(t *testing.T) *fakeRuntimeAPI {
	t.Helper()
	ln, err := net.Listen("unix", filepath.Join(t.TempDir(), "haproxy.sock"))
	if err != nil {
		t.Fatal(err)
	}
	f := &fakeRuntimeAPI{ln: ln}
	f.wg.Add(1)
	go func() {
		defer f.wg.Done()
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			line, _ := bufio.NewReader(c).ReadString('\n')
			// Several commands to a line, as HAProxy takes them.
			parts := strings.Split(strings.TrimSuffix(line, "\n"), ";")
			f.mu.Lock()
			f.cmds = append(f.cmds, parts...)
			f.lines++
			f.mu.Unlock()
			for range parts {
				c.Write([]byte("\n"))
			}
			c.Close()
		}
	}()
	t.Cleanup(func() { ln.Close(); f.wg.Wait() })
	return f
}

func (f *fakeRuntimeAPI) take() []string {
	f.mu.Lock()
	defer f.mu.Unlock()
	out := f.cmds
	f.cmds = nil
	return out
}

// The commands come from the events' fields: IPv6 hosts (which have no
// brackets in the payload) and a replica's master name.
func TestApplyPushesFromFields(t *testing.T) {
	api := startRuntimeAPI(t)
	p := &Pusher{Socket: api.ln.Addr().String()}
	m := event.Instance{Role: event.RoleMaster, Name: "mymaster", Addr: event.Addr{Host: "fe80::1", Port: 6379}}
	r := event.Instance{Role: event.RoleSlave, Name: "[fe80::2]:6380", Addr: event.Addr{Host: "fe80::2", Port: 6380},
		MasterName: "mymaster", MasterAddr: m.Addr}
	for _, c := range []struct {
		e    event.Event
		want []string
	}{
		{event.Event{Kind: event.SwitchMaster, Master: "mymaster", From: m.Addr, To: r.Addr},
			[]string{"set server mymaster/fe80__2_6380 agent up", "set server mymaster/fe80__1_6379 agent down"}},
		{event.Event{Kind: event.ODown, Master: "mymaster", Instance: m, Votes: 2, Quorum: 2},
			[]string{"set server mymaster/fe80__1_6379 agent down"}},
		{event.Event{Kind: event.ConvertToSlave, Master: "mymaster", Instance: r},
			[]string{"set server mymaster/fe80__2_6380 agent down"}},
		{event.Event{Kind: event.SDown, Master: "mymaster", Instance: m},
			[]string{"set server mymaster/fe80__1_6379 agent down"}},
		{event.Event{Kind: event.SDown, Master: "mymaster", Instance: r}, nil},
		{event.Event{Kind: event.Tilt, Text: "#tilt mode entered"}, nil},
	} {
		p.Apply(context.Background(), &c.e)
		if got := api.take(); !slices.Equal(got, c.want) {
			t.Errorf("%s: pushed %q, want %q", c.e.Kind, got, c.want)
		}
	}
}

// oracleFunc adapts a function to Oracle.
type oracleFunc func(master, addr string, read bool) Verdict

func (f oracleFunc) AgentVerdict(master, addr string, read bool) Verdict {
	return f(master, addr, read)
}

// The push fails closed like the agent: a new master is pushed up only
// when the oracle vouches for it; the old one is pushed down regardless.
func TestApplyPushUpNeedsVerdict(t *testing.T) {
	api := startRuntimeAPI(t)
	var asked []string
	up := false
	p := &Pusher{Socket: api.ln.Addr().String(), Oracle: oracleFunc(func(master, addr string, read bool) Verdict {
		asked = append(asked, master+" "+addr)
		return Verdict{Up: up, Reason: "no quorum view: 1 of 3 agree, need 2 (2 unreachable)"}
	})}
	e := event.Event{Kind: event.SwitchMaster, Master: "mymaster",
		From: event.Addr{Host: "10.0.0.1", Port: 6379}, To: event.Addr{Host: "fe80::2", Port: 6380}}
	p.Apply(context.Background(), &e)
	if got, want := api.take(), []string{"set server mymaster/10_0_0_1_6379 agent down"}; !slices.Equal(got, want) {
		t.Fatalf("without agreement pushed %q, want %q", got, want)
	}
	if want := []string{"mymaster [fe80::2]:6380"}; !slices.Equal(asked, want) {
		t.Fatalf("asked the oracle about %q, want %q", asked, want)
	}
	up = true
	p.Apply(context.Background(), &e)
	if got := api.take(); len(got) != 2 || got[0] != "set server mymaster/fe80__2_6380 agent up" {
		t.Fatalf("with agreement pushed %q", got)
	}
}

// A new master held back for want of agreement is pushed up by Retry the
// moment the oracle agrees, once, and no longer pending after that.
func TestRetryPushesHeldMasterOnAgreement(t *testing.T) {
	api := startRuntimeAPI(t)
	up := false
	p := &Pusher{Socket: api.ln.Addr().String(), Oracle: oracleFunc(func(master, addr string, read bool) Verdict {
		return Verdict{Up: up, Reason: "1 of 3 agree"}
	})}
	e := event.Event{Kind: event.SwitchMaster, Master: "mymaster",
		From: event.Addr{Host: "10.0.0.1", Port: 6379}, To: event.Addr{Host: "10.0.0.2", Port: 6380}}
	p.Apply(context.Background(), &e)
	api.take()
	if !p.Pending() {
		t.Fatal("new master without agreement not pending")
	}
	p.Retry(context.Background())
	if got := api.take(); len(got) != 0 || !p.Pending() {
		t.Fatalf("retry without agreement pushed %q (pending %v)", got, p.Pending())
	}
	up = true
	p.Retry(context.Background())
	if got, want := api.take(), []string{"set server mymaster/10_0_0_2_6380 agent up"}; !slices.Equal(got, want) {
		t.Fatalf("retry with agreement pushed %q, want %q", got, want)
	}
	if p.Pending() {
		t.Fatal("still pending after the push")
	}
	p.Retry(context.Background())
	if got := api.take(); len(got) != 0 {
		t.Fatalf("pushed again: %q", got)
	}
}

// Fifty masters switching together are pushed in a few runtime API
// connections, not one per command (each a connect and a wait for HAProxy
// to close it: 150 in a row cost ~300 ms of client outage at 50 masters),
// in order, and no line outgrows HAProxy's request buffer.
func TestApplyAllBatchesLines(t *testing.T) {
	api := startRuntimeAPI(t)
	p := &Pusher{Socket: api.ln.Addr().String()}
	var es []*event.Event
	var want []string
	for k := range 50 {
		name := fmt.Sprintf("master-%02d", k)
		from := event.Addr{Host: "10.0.0.1", Port: 7000 + k}
		to := event.Addr{Host: "10.0.0.2", Port: 7000 + k}
		es = append(es, &event.Event{Kind: event.SwitchMaster, Master: name, From: from, To: to})
		want = append(want, setAgent(name, to, "up"), setAgent(name, from, "down"))
	}
	p.ApplyAll(context.Background(), es)
	api.mu.Lock()
	got, lines := api.cmds, api.lines
	api.mu.Unlock()
	if !slices.Equal(got, want) {
		t.Fatalf("commands %q\nwant %q", got, want)
	}
	size := 0
	for _, c := range want {
		size += len(c) + 1
	}
	if most := size/maxPushLine + 1; lines > most {
		t.Fatalf("%d connections for %d commands (%d bytes), want at most %d", lines, len(want), size, most)
	}
}
