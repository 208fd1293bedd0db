package cluster

import (
	"bytes"
	"net"
	"regexp"
	"sync"
	"time"
)

// FaultProxy forwards one loopback port to a target and lets a test break
// the link: hold traffic (a partition: nothing is lost, nothing arrives,
// peers time out on their own as they would on a real network), hold one
// direction only, add latency, or reset every connection.
//
// Sentinels name their connections (CLIENT SETNAME sentinel-<8 hex>-...),
// both redis-sentinel and ours, so the proxy tags each connection with
// the run-id prefix of the sentinel that opened it and faults can target
// one sentinel's traffic while everyone else's flows; a replica's link is
// tagged ReplicationTag.
type FaultProxy struct {
	ln     net.Listener
	target string
	net.Listener
	mu    sync.Mutex
	cond  *sync.Cond
	rules map[string]Fault // by tag; "" applies to every connection
	links map[*proxyLink]struct{}
	lat   time.Duration
	done  bool
}

// Fault says which directions a rule holds.
type Fault struct {
	HoldUp   bool // client to target
	HoldDown bool // target to client
}

// Cut holds both directions.
var Cut = Fault{HoldUp: true, HoldDown: true}

type proxyLink struct {
	client, server net.Conn
	tag            string
}

var sentinelTag = regexp.MustCompile(`sentinel-([0-9a-f]{8})-`)

// ReplicationTag tags a replica's link to its master (its first commands
// include REPLCONF), so a fault can cut replication while clients,
// HAProxy and sentinels still reach the master through the same proxy.
const ReplicationTag = "replication"

// StartProxy listens on a free loopback port and forwards to target until
// the cluster shuts down.
func (c *Cluster) StartProxy(target string) *FaultProxy {
	c.t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		c.t.Fatalf("proxy listen: %v", err)
	}
	p := &FaultProxy{target: target, ln: ln, rules: map[string]Fault{}, links: map[*proxyLink]struct{}{}}
	p.cond = sync.NewCond(&p.mu)
	go p.accept()
	c.t.Cleanup(p.Close)
	return p
}

// SetTarget points new connections elsewhere (a proxy made before the
// process it fronts has its port).
func (p *FaultProxy) SetTarget(addr string) {
	p.mu.Lock()
	p.target = addr
	p.mu.Unlock()
}

// Addr is the proxy's host:port; Port its port.
func (p *FaultProxy) Addr() string { return p.ln.Addr().String() }
func (p *FaultProxy) Port() int    { return p.ln.Addr().(*net.TCPAddr).Port }

// Set installs a fault for connections tagged tag ("" for all of them).
func (p *FaultProxy) Set(tag string, f Fault) {
	p.mu.Lock()
	p.rules[tag] = f
	p.mu.Unlock()
	p.cond.Broadcast()
}

// Heal removes every fault and latency; held traffic flows again, in order.
func (p *FaultProxy) Heal() {
	p.mu.Lock()
	p.rules = map[string]Fault{}
	p.lat = 0
	p.mu.Unlock()
	p.cond.Broadcast()
}

// SetLatency delays every chunk by d in both directions.
func (p *FaultProxy) SetLatency(d time.Duration) {
	p.mu.Lock()
	p.lat = d
	p.mu.Unlock()
}

// Reset closes every open connection (the target restarting, a NAT
// timing out); new ones are accepted as usual.
func (p *FaultProxy) Reset() {
	p.mu.Lock()
	for l := range p.links {
		l.client.Close()
		l.server.Close()
	}
	p.mu.Unlock()
}

// Close stops the proxy and every connection through it.
func (p *FaultProxy) Close() {
	p.mu.Lock()
	p.done = true
	p.mu.Unlock()
	p.cond.Broadcast()
	p.ln.Close()
	p.Reset()
}

func (p *FaultProxy) accept() {
	for {
		c, err := p.ln.Accept()
		if err != nil {
			return
		}
		p.mu.Lock()
		target := p.target
		p.mu.Unlock()
		s, err := net.DialTimeout("tcp", target, time.Second)
		if err != nil {
			c.Close()
			continue
		}
		l := &proxyLink{client: c, server: s}
		p.mu.Lock()
		p.links[l] = struct{}{}
		p.mu.Unlock()
		go p.pipe(l, true)
		go p.pipe(l, false)
	}
}

// held reports whether a chunk for l in direction up must wait.
func (p *FaultProxy) held(l *proxyLink, up bool) bool {
	for _, tag := range []string{"", l.tag} {
		if f, ok := p.rules[tag]; ok && (up && f.HoldUp || !up && f.HoldDown) {
			return true
		}
		if l.tag == "" {
			break
		}
	}
	return false
}

func (p *FaultProxy) pipe(l *proxyLink, up bool) {
	src, dst := l.server, l.client
	if up {
		src, dst = l.client, l.server
	}
	defer func() {
		l.client.Close()
		l.server.Close()
		p.mu.Lock()
		delete(p.links, l)
		p.mu.Unlock()
	}()
	// Chunks are delivered by a second goroutine at read time + latency,
	// so latency delays traffic without also throttling it.
	type timed struct {
		at   time.Time
		data []byte
	}
	out := make(chan timed, 1024)
	wdone := make(chan struct{})
	go func() {
		defer close(wdone)
		for c := range out {
			time.Sleep(time.Until(c.at))
			if _, err := dst.Write(c.data); err != nil {
				src.Close()
				for range out {
				}
				return
			}
		}
	}()
	defer func() { close(out); <-wdone }()
	buf := make([]byte, 32<<10)
	var head []byte // the first bytes from the client, until tagged
	for {
		n, err := src.Read(buf)
		if n > 0 {
			chunk := bytes.Clone(buf[:n])
			p.mu.Lock()
			if up && l.tag == "" && len(head) < 4096 {
				head = append(head, chunk...)
				if m := sentinelTag.FindSubmatch(head); m != nil {
					l.tag = string(bytes.Clone(m[1]))
				} else if bytes.Contains(bytes.ToUpper(head), []byte("REPLCONF")) {
					l.tag = ReplicationTag
				}
			}
			for p.held(l, up) && !p.done {
				p.cond.Wait()
			}
			lat := p.lat
			p.mu.Unlock()
			out <- timed{at: time.Now().Add(lat), data: chunk}
		}
		if err != nil {
			return
		}
	}
}

// Tags lists the tags of the open connections, for test diagnostics.
func (p *FaultProxy) Tags() []string {
	p.mu.Lock()
	defer p.mu.Unlock()
	var out []string
	for l := range p.links {
		out = append(out, l.tag)
	}
	return out
}
