package quorum

import (
	"fmt"
	"net"
	"sync"
	"testing"
	"time"
)

func freeAddr(t *testing.T) string {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	return l.Addr().String()
}

type node struct {
	g    *Gossip
	mu   sync.Mutex
	seen map[string]View
}

func startNode(t *testing.T, name string, key []byte, join []string) (*node, string) {
	t.Helper()
	n := &node{seen: map[string]View{}}
	addr := freeAddr(t)
	local := func() View {
		return View{RunID: name, IP: "127.0.0.1", Port: 26379, Masters: []MasterView{{Name: "m", Host: "127.0.0.1", Port: 6379, Down: true}}}
	}
	g, err := StartGossip(GossipConfig{Name: name, Bind: addr, Join: join, SecretKey: key}, local, func(v View) {
		n.mu.Lock()
		n.seen[v.RunID] = v
		n.mu.Unlock()
	})
	if err != nil {
		t.Fatal(err)
	}
	n.g = g
	t.Cleanup(func() { g.Leave(100 * time.Millisecond) })
	return n, addr
}

func waitUntil(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for time.Now().Before(deadline) {
		if cond() {
			return
		}
		time.Sleep(20 * time.Millisecond)
	}
	t.Fatalf("timed out waiting for %s", what)
}

func TestGossipSpreadsViewsAndRefusesWrongKey(t *testing.T) {
	key := []byte("0123456789abcdef0123456789abcdef")
	a, addrA := startNode(t, "a", key, nil)
	b, _ := startNode(t, "b", key, []string{addrA})
	c, _ := startNode(t, "c", key, []string{addrA})
	waitUntil(t, "three members", func() bool { return a.g.Members() == 3 && b.g.Members() == 3 && c.g.Members() == 3 })
	a.g.Broadcast()
	for _, n := range []*node{b, c} {
		waitUntil(t, "a's view", func() bool {
			n.mu.Lock()
			defer n.mu.Unlock()
			v, ok := n.seen["a"]
			return ok && len(v.Masters) == 1 && v.Masters[0].Down
		})
	}
	if alive, known := b.g.Alive("c"); !alive || !known {
		t.Errorf("b does not see c alive: %v %v", alive, known)
	}

	// A node without the key cannot join, and sees nothing.
	intruder, _ := startNode(t, "x", []byte("ffffffffffffffffffffffffffffffff"), []string{addrA})
	time.Sleep(500 * time.Millisecond)
	if intruder.g.Members() != 1 || a.g.Members() != 3 {
		t.Fatalf("node with a wrong key joined: intruder sees %d, a sees %d", intruder.g.Members(), a.g.Members())
	}
	a.g.Broadcast()
	time.Sleep(200 * time.Millisecond)
	intruder.mu.Lock()
	defer intruder.mu.Unlock()
	if len(intruder.seen) != 0 {
		t.Fatalf("intruder received views: %v", fmt.Sprint(intruder.seen))
	}
}
