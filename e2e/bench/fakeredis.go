package main

// A stand-in for thousands of Redis instances: one process listens on many
// loopback ports and answers what a sentinel needs to watch and fail over
// a master (PING, INFO, ROLE, SUBSCRIBE/PUBLISH for hello messages,
// MULTI/EXEC, SLAVEOF/REPLICAOF, CLIENT KILL TYPE). Real redis-server
// processes cost about 8 MB each, which caps real topologies here at a few
// hundred; this lets both implementations be measured at 1,000 and 5,000
// masters to see how their cost grows per master.
//
// One helper process is one fake host: SIGKILL it and every instance it
// serves dies at once, as on a machine that went away. A master's replica
// lives in another process (see fakefleet.go), so that killing the
// masters' hosts leaves the replicas to be promoted.

import (
	"bufio"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"strconv"
	"strings"
	"sync"
	"time"
)

// fakeOffset is every instance's replication offset: nothing writes to
// the fake masters, so master and replica agree, as after a full sync.
const fakeOffset = 1000

// fakeInstance is one fake redis-server.
type fakeInstance struct {
	port  int
	runID string

	mu sync.Mutex
	// masterPort is the master this instance replicates (on 127.0.0.1),
	// 0 while it is a master.
	masterPort int
	// replicaPort is the replica a master lists in INFO (0: none). It is
	// not checked against the replica's own view: the replica lives in
	// another process, and the fleet only promotes replicas of dead
	// masters.
	replicaPort int
	replid      string
	replid2     string
	second      int64 // second_repl_offset
	subs        map[string][]*fakeConn
	conns       map[*fakeConn]bool
	slow        *fakeSlow // BENCH_FAKE_SLOW, nil when off
}

type fakeConn struct {
	nc     net.Conn
	mu     sync.Mutex // writes come from the reader and from publishers
	w      *bufio.Writer
	pubsub bool       // subscribed to a channel; guarded by the instance's mu
	tx     [][]string // commands queued after MULTI, nil outside one
	inTx   bool
}

func (c *fakeConn) write(b []byte) {
	c.mu.Lock()
	c.w.Write(b)
	c.w.Flush()
	c.mu.Unlock()
}

// queue adds a reply to what flush writes.
func (c *fakeConn) queue(b []byte) {
	c.mu.Lock()
	c.w.Write(b)
	c.mu.Unlock()
}

func (c *fakeConn) flush() {
	c.mu.Lock()
	c.w.Flush()
	c.mu.Unlock()
}

func randomID() string {
	id := make([]byte, 20)
	rand.Read(id)
	return hex.EncodeToString(id)
}

// serveFake listens on n fresh loopback ports and prints them on one line
// of stdout; then it reads one line of peer ports from stdin (one per
// instance, 0 for none): the replica each master lists, or, with
// replicas, the master each instance replicates. It serves until stdin
// closes (its parent went away).
func serveFake(n int, replicas bool) error {
	var lns []net.Listener
	var insts []*fakeInstance
	var ports []string
	slow := newFakeSlow()
	for range n {
		l, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			return err
		}
		m := &fakeInstance{port: l.Addr().(*net.TCPAddr).Port, runID: randomID(), replid: randomID(),
			replid2: strings.Repeat("0", 40), second: -1, subs: map[string][]*fakeConn{}, conns: map[*fakeConn]bool{}, slow: slow}
		lns, insts = append(lns, l), append(insts, m)
		ports = append(ports, strconv.Itoa(m.port))
	}
	fmt.Println(strings.Join(ports, " "))
	in := bufio.NewReader(os.Stdin)
	line, err := in.ReadString('\n')
	if err != nil {
		return nil // the parent went away before the topology was ready
	}
	peers := strings.Fields(line)
	for k, m := range insts {
		if k < len(peers) {
			p, _ := strconv.Atoi(peers[k])
			if replicas {
				m.masterPort = p
			} else {
				m.replicaPort = p
			}
		}
		go m.accept(lns[k])
	}
	io.Copy(io.Discard, in)
	return nil
}

func (m *fakeInstance) accept(l net.Listener) {
	for {
		nc, err := l.Accept()
		if err != nil {
			return
		}
		go m.serve(nc)
	}
}

func (m *fakeInstance) serve(nc net.Conn) {
	c := &fakeConn{nc: nc, w: bufio.NewWriterSize(nc, 2048)}
	m.mu.Lock()
	m.conns[c] = true
	m.mu.Unlock()
	defer func() {
		m.mu.Lock()
		delete(m.conns, c)
		for ch, list := range m.subs {
			for i, s := range list {
				if s == c {
					m.subs[ch] = append(list[:i:i], list[i+1:]...)
					break
				}
			}
		}
		m.mu.Unlock()
		nc.Close()
	}()
	r := bufio.NewReaderSize(nc, 1024)
	var asked, prev time.Time // BENCH_FAKE_SLOW: the unflushed batch's first read, the last command's
	var askedName string
	for {
		args, err := readCommand(r)
		if err != nil {
			return
		}
		if m.slow != nil && len(args) > 0 {
			now := time.Now()
			if !c.pubsub {
				m.slow.gap(m.port, nc, args[0], prev, now)
			}
			prev = now
			if asked.IsZero() {
				asked, askedName = now, args[0]
			}
		}
		if len(args) > 0 {
			if reply := m.command(c, args); reply != nil {
				c.queue(reply)
			}
		}
		if r.Buffered() == 0 {
			// As Redis: the replies to what one read brought go out in
			// one write (a sentinel pipelines its PING, INFO and hello),
			// not one write each. A write on loopback carries the
			// receiver's TCP work too: a write per reply made the fake
			// replica host of the 1,000-master run take as much CPU as a
			// sentinel, on a machine the sentinels need.
			var flushStart time.Time
			if m.slow != nil {
				flushStart = time.Now()
			}
			c.flush()
			if m.slow != nil && !asked.IsZero() {
				m.slow.reply(m.port, nc, askedName, asked, flushStart)
				asked = time.Time{}
			}
		}
	}
}

// command runs one command from c and returns its reply (nil when it was
// written already, as SUBSCRIBE's are).
func (m *fakeInstance) command(c *fakeConn, args []string) []byte {
	name := strings.ToUpper(args[0])
	if c.inTx {
		switch name {
		case "EXEC":
			// Queued commands run now, in order, as one reply.
			queued := c.tx
			c.tx, c.inTx = nil, false
			out := fmt.Appendf(nil, "*%d\r\n", len(queued))
			for _, q := range queued {
				out = append(out, m.command(c, q)...)
			}
			return out
		case "DISCARD":
			c.tx, c.inTx = nil, false
			return []byte("+OK\r\n")
		}
		c.tx = append(c.tx, args)
		return []byte("+QUEUED\r\n")
	}
	switch name {
	case "PING":
		return []byte("+PONG\r\n")
	case "INFO":
		return bulk(m.info())
	case "ROLE":
		return m.role()
	case "SUBSCRIBE":
		for i, ch := range args[1:] {
			m.mu.Lock()
			m.subs[ch] = append(m.subs[ch], c)
			c.pubsub = true
			m.mu.Unlock()
			c.write(fmt.Appendf(nil, "*3\r\n$9\r\nsubscribe\r\n%s:%d\r\n", bulk(ch), i+1))
		}
		return nil
	case "PUBLISH":
		if len(args) != 3 {
			return []byte("-ERR wrong number of arguments for 'publish' command\r\n")
		}
		msg := fmt.Appendf(nil, "*3\r\n$7\r\nmessage\r\n%s%s", bulk(args[1]), bulk(args[2]))
		m.mu.Lock()
		subs := append([]*fakeConn(nil), m.subs[args[1]]...)
		m.mu.Unlock()
		for _, s := range subs {
			s.write(msg)
		}
		return fmt.Appendf(nil, ":%d\r\n", len(subs))
	case "HELLO":
		// As a pre-6 server would: clients fall back to AUTH and
		// CLIENT SETNAME (go-redis sends HELLO first).
		return []byte("-ERR unknown command 'HELLO'\r\n")
	case "MULTI":
		c.inTx = true
		return []byte("+OK\r\n")
	case "EXEC":
		return []byte("-ERR EXEC without MULTI\r\n")
	case "SLAVEOF", "REPLICAOF":
		return m.replicaOf(args)
	case "CLIENT":
		if len(args) == 4 && strings.EqualFold(args[1], "KILL") && strings.EqualFold(args[2], "TYPE") {
			return fmt.Appendf(nil, ":%d\r\n", m.kill(c, strings.ToLower(args[3])))
		}
		return []byte("+OK\r\n")
	}
	// AUTH, SCRIPT, CONFIG SET and REWRITE (as with a config file), ...
	return []byte("+OK\r\n")
}

// replicaOf carries out SLAVEOF/REPLICAOF: NO ONE promotes (a new
// replication ID, the old one kept as replid2, as Redis does); host port
// makes the instance a replica of that port. The replica is always
// shown linked and in sync: nothing is written, so there is nothing to
// sync.
func (m *fakeInstance) replicaOf(args []string) []byte {
	if len(args) != 3 {
		return []byte("-ERR wrong number of arguments for 'replicaof' command\r\n")
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	if strings.EqualFold(args[1], "NO") && strings.EqualFold(args[2], "ONE") {
		if m.masterPort != 0 {
			m.masterPort, m.replicaPort = 0, 0
			m.replid2, m.replid = m.replid, randomID()
			m.second = fakeOffset + 1
		}
		return []byte("+OK\r\n")
	}
	port, err := strconv.Atoi(args[2])
	if err != nil || port <= 0 || port > 65535 {
		return []byte("-ERR Invalid master port\r\n")
	}
	if port == m.masterPort {
		return []byte("+OK Already connected to specified master\r\n")
	}
	m.masterPort, m.replicaPort = port, 0
	return []byte("+OK\r\n")
}

// kill closes the other connections of one CLIENT KILL TYPE (normal:
// not subscribed; pubsub: subscribed), as Redis does with its default
// SKIPME yes, and returns how many.
func (m *fakeInstance) kill(self *fakeConn, typ string) int {
	if typ != "normal" && typ != "pubsub" {
		return 0
	}
	var victims []*fakeConn
	m.mu.Lock()
	for c := range m.conns {
		if c != self && c.pubsub == (typ == "pubsub") {
			victims = append(victims, c)
		}
	}
	m.mu.Unlock()
	for _, c := range victims {
		c.nc.Close()
	}
	return len(victims)
}

// info renders INFO's Server and Replication sections as redis-server
// 7.0 does (the fields a sentinel reads, and their neighbours).
func (m *fakeInstance) info() string {
	m.mu.Lock()
	defer m.mu.Unlock()
	var b strings.Builder
	fmt.Fprintf(&b, "# Server\r\nredis_version:7.0.15\r\nredis_mode:standalone\r\nrun_id:%s\r\ntcp_port:%d\r\n\r\n# Replication\r\n",
		m.runID, m.port)
	if m.masterPort != 0 {
		fmt.Fprintf(&b, "role:slave\r\nmaster_host:127.0.0.1\r\nmaster_port:%d\r\nmaster_link_status:up\r\n"+
			"master_last_io_seconds_ago:0\r\nmaster_sync_in_progress:0\r\nslave_read_repl_offset:%d\r\n"+
			"slave_repl_offset:%d\r\nslave_priority:100\r\nslave_read_only:1\r\nreplica_announced:1\r\nconnected_slaves:0\r\n",
			m.masterPort, fakeOffset, fakeOffset)
	} else if m.replicaPort != 0 {
		fmt.Fprintf(&b, "role:master\r\nconnected_slaves:1\r\nslave0:ip=127.0.0.1,port=%d,state=online,offset=%d,lag=0\r\n",
			m.replicaPort, fakeOffset)
	} else {
		b.WriteString("role:master\r\nconnected_slaves:0\r\n")
	}
	fmt.Fprintf(&b, "master_failover_state:no-failover\r\nmaster_replid:%s\r\nmaster_replid2:%s\r\n"+
		"master_repl_offset:%d\r\nsecond_repl_offset:%d\r\n", m.replid, m.replid2, fakeOffset, m.second)
	return b.String()
}

// role renders ROLE: ["master", offset, [[ip, port, offset]...]] or
// ["slave", ip, port, "connected", offset].
func (m *fakeInstance) role() []byte {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.masterPort != 0 {
		return fmt.Appendf(nil, "*5\r\n$5\r\nslave\r\n$9\r\n127.0.0.1\r\n:%d\r\n$9\r\nconnected\r\n:%d\r\n", m.masterPort, fakeOffset)
	}
	if m.replicaPort == 0 {
		return fmt.Appendf(nil, "*3\r\n$6\r\nmaster\r\n:%d\r\n*0\r\n", fakeOffset)
	}
	p, off := strconv.Itoa(m.replicaPort), strconv.Itoa(fakeOffset)
	return fmt.Appendf(nil, "*3\r\n$6\r\nmaster\r\n:%d\r\n*1\r\n*3\r\n$9\r\n127.0.0.1\r\n%s%s", fakeOffset, bulk(p), bulk(off))
}

func bulk(s string) []byte {
	return fmt.Appendf(nil, "$%d\r\n%s\r\n", len(s), s)
}

// readCommand reads one RESP array of bulk strings or one inline command.
func readCommand(r *bufio.Reader) ([]string, error) {
	line, err := r.ReadString('\n')
	if err != nil {
		return nil, err
	}
	line = strings.TrimRight(line, "\r\n")
	if !strings.HasPrefix(line, "*") {
		return strings.Fields(line), nil
	}
	n, err := strconv.Atoi(line[1:])
	if err != nil || n > 1024 {
		return nil, errors.New("bad multibulk length")
	}
	args := make([]string, 0, n)
	for range n {
		h, err := r.ReadString('\n')
		if err != nil {
			return nil, err
		}
		if !strings.HasPrefix(h, "$") {
			return nil, errors.New("expected bulk")
		}
		l, err := strconv.Atoi(strings.TrimRight(h[1:], "\r\n"))
		if err != nil || l < 0 || l > 1<<20 {
			return nil, errors.New("bad bulk length")
		}
		b := make([]byte, l+2)
		if _, err := io.ReadFull(r, b); err != nil {
			return nil, err
		}
		args = append(args, string(b[:l]))
	}
	return args, nil
}
