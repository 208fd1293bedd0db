package redislink

import (
	"context"
	"errors"
	"fmt"
	"net"
	"strings"
	"sync"
)

// FakeNet is an in-memory Dialer for unit tests of the sentinel and the
// layers above it: each address is a FakeRedis that answers PING, INFO,
// PUBLISH and SLAVEOF like a Redis would. End-to-end tests never use it.
// Addresses are ConnOptions.Addr's "host:port".
type FakeNet struct {
	mu        sync.Mutex
	instances map[string]*FakeRedis
}

// FakeNet and its connections implement the interfaces production code
// uses, so a change to them cannot leave the fake behind unnoticed.
var (
	_ Dialer = (*FakeNet)(nil)
	_ Conn   = (*fakeConn)(nil)
	_ TxConn = (*fakeConn)(nil)
)

// NewFakeNet returns an empty network.
func NewFakeNet() *FakeNet { return &FakeNet{instances: map[string]*FakeRedis{}} }

// FakeRedis is one fake instance. An empty MasterOf means it is a master.
type FakeRedis struct {
	net      *FakeNet
	mu       sync.Mutex
	Addr     string // host:port
	RunID    string
	MasterOf string // host:port of the master it replicates, "" for a master
	Down     bool   // refuses connections
	// FailoverState is reported as master_failover_state when set.
	FailoverState string
	Commands      []string
	subs          map[int]func(string)
	nextSub       int
}

// Add creates an instance at addr.
func (n *FakeNet) Add(addr, runID string) *FakeRedis {
	n.mu.Lock()
	defer n.mu.Unlock()
	r := &FakeRedis{net: n, Addr: addr, RunID: runID, subs: map[int]func(string){}}
	n.instances[addr] = r
	return r
}

func (n *FakeNet) get(a string) *FakeRedis {
	n.mu.Lock()
	defer n.mu.Unlock()
	return n.instances[a]
}

// SetDown makes the instance refuse (or accept again) connections.
func (r *FakeRedis) SetDown(down bool) {
	r.mu.Lock()
	r.Down = down
	r.mu.Unlock()
}

// Publish delivers a message to every subscriber of the instance.
func (r *FakeRedis) Publish(msg string) int {
	r.mu.Lock()
	subs := make([]func(string), 0, len(r.subs))
	for _, f := range r.subs {
		subs = append(subs, f)
	}
	r.mu.Unlock()
	for _, f := range subs {
		f(msg)
	}
	return len(subs)
}

// Received lists the commands the instance got, each upper-cased whole
// ("SLAVEOF NO ONE").
func (r *FakeRedis) Received() []string {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]string(nil), r.Commands...)
}

// info renders INFO; r.mu must not be held (it reads the other instances).
func (r *FakeRedis) info() string {
	var b strings.Builder
	r.mu.Lock()
	runID, masterOf, fo := r.RunID, r.MasterOf, r.FailoverState
	r.mu.Unlock()
	fmt.Fprintf(&b, "# Server\r\nrun_id:%s\r\n# Replication\r\n", runID)

	if masterOf == "" {
		b.WriteString("role:master\r\n")
		n := 0
		for _, o := range r.net.all() {
			if o == r {
				continue
			}
			o.mu.Lock()
			if o.MasterOf == r.Addr {
				host, port := splitAddr(o.Addr)
				fmt.Fprintf(&b, "slave%d:ip=%s,port=%s,state=online,offset=10,lag=0\r\n", n, host, port)
				n++
			}
			o.mu.Unlock()
		}
	} else {
		host, port := splitAddr(masterOf)
		fmt.Fprintf(&b, "role:slave\r\nmaster_host:%s\r\nmaster_port:%s\r\nmaster_link_status:up\r\nslave_repl_offset:10\r\nslave_priority:100\r\n",
			host, port)
	}
	if fo != "" {
		fmt.Fprintf(&b, "master_failover_state:%s\r\n", fo)
	}
	return b.String()
}

// splitAddr is net.SplitHostPort for addresses the fake was given; a
// malformed one shows whole as the host, so a test sees it in INFO.
func splitAddr(addr string) (host, port string) {
	host, port, err := net.SplitHostPort(addr)
	if err != nil {
		return addr, ""
	}
	return host, port
}

func (n *FakeNet) all() []*FakeRedis {
	n.mu.Lock()
	defer n.mu.Unlock()
	out := make([]*FakeRedis, 0, len(n.instances))
	for _, r := range n.instances {
		out = append(out, r)
	}
	return out
}

var errFakeRefused = errors.New("fake: connection refused")

type fakeConn struct {
	net  *FakeNet
	addr string
}

// Dial implements Dialer.
func (n *FakeNet) Dial(o ConnOptions) Conn { return &fakeConn{net: n, addr: o.Addr} }

func (c *fakeConn) Do(ctx context.Context, args ...any) (any, error) {
	r := c.net.get(c.addr)
	if r == nil {
		return nil, errFakeRefused
	}
	r.mu.Lock()
	down := r.Down
	words := make([]string, len(args))
	for i, a := range args {
		words[i] = fmt.Sprint(a)
	}
	if !down {
		r.Commands = append(r.Commands, strings.ToUpper(strings.Join(words, " ")))
	}
	r.mu.Unlock()
	if down {
		return nil, errFakeRefused
	}
	switch strings.ToUpper(words[0]) {
	case "PING":
		return "PONG", nil
	case "INFO":
		return r.info(), nil
	case "PUBLISH":
		return int64(r.Publish(words[2])), nil
	case "SLAVEOF", "REPLICAOF":
		r.mu.Lock()
		if strings.EqualFold(words[1], "NO") {
			r.MasterOf = ""
		} else {
			r.MasterOf = net.JoinHostPort(words[1], words[2])
		}
		r.mu.Unlock()
		return "OK", nil
	}
	return "OK", nil
}

// Tx implements TxConn.
func (c *fakeConn) Tx(ctx context.Context, cmds [][]any) error {
	for _, cmd := range cmds {
		if _, err := c.Do(ctx, cmd...); err != nil {
			return err
		}
	}
	return nil
}

func (c *fakeConn) LocalIP() string { return "127.0.0.1" }
func (c *fakeConn) Close() error    { return nil }

// Subscribe implements Dialer: messages published on the instance reach
// h until stop is called (a down instance delivers nothing).
func (n *FakeNet) Subscribe(o ConnOptions, channel string, h SubHandler) (stop func()) {
	r := n.get(o.Addr)
	if r == nil {
		go h.dropped()
		return func() {}
	}
	r.mu.Lock()
	id := r.nextSub
	r.nextSub++
	r.subs[id] = func(msg string) {
		r.mu.Lock()
		down := r.Down
		r.mu.Unlock()
		if !down {
			h.message([]byte(msg))
		}
	}
	r.mu.Unlock()
	go func() {
		h.connected()
		h.subscribed()
	}()
	return func() {
		r.mu.Lock()
		delete(r.subs, id)
		r.mu.Unlock()
	}
}
