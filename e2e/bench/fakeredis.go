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
// masters' hosts leaves the replicas to be promoted. How a host serves its
// connections is in fakehost.go, what it answers in fakecommand.go.

import (
	"bufio"
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"io"
	"net"
	"os"
	"strconv"
	"strings"
)

// fakeOffset is every instance's replication offset: nothing writes to
// the fake masters, so master and replica agree, as after a full sync.
const fakeOffset = 1000

// fakeInstance is one fake redis-server. Everything but port and runID
// changes on its host's loop goroutine only, once serving has begun.
type fakeInstance struct {
	port  int
	runID string

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
	conns       map[*fakeConn]struct{}

	// INFO's and ROLE's replies, rendered when first asked after a
	// change (nil until then): a sentinel asks INFO every 10 s and a
	// fake host has a thousand instances, but they change only on a
	// failover.
	infoReply, roleReply []byte
}

func newFakeInstance(port int) *fakeInstance {
	return &fakeInstance{port: port, runID: randomID(), replid: randomID(), replid2: strings.Repeat("0", 40),
		second: -1, subs: map[string][]*fakeConn{}, conns: map[*fakeConn]struct{}{}}
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
	for range n {
		l, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			return err
		}
		m := newFakeInstance(l.Addr().(*net.TCPAddr).Port)
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
	}
	ctx, cancel := context.WithCancel(context.Background())
	go func() {
		io.Copy(io.Discard, in)
		cancel()
	}()
	return serveFakeHost(ctx, lns, insts, newFakeSlow())
}
