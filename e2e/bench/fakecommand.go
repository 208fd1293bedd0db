package main

import (
	"bytes"
	"fmt"
	"slices"
	"strconv"
)

// command runs one command from c and appends its reply to out. It runs
// on the loop goroutine, as every command of the host does, so nothing it
// touches needs a lock.
func (m *fakeInstance) command(c *fakeConn, out []byte, args [][]byte) []byte {
	var nameBuf [16]byte
	name := upperName(nameBuf[:0], args[0])
	if c.inTx {
		switch string(name) {
		case "EXEC":
			// Queued commands run now, in order, as one reply.
			queued := c.tx
			c.tx, c.inTx = nil, false
			out = appendArrayLen(out, len(queued))
			for _, q := range queued {
				out = m.command(c, out, q)
			}
			return out
		case "DISCARD":
			c.tx, c.inTx = nil, false
			return append(out, "+OK\r\n"...)
		}
		// args lie in the read buffer, which the next read overwrites.
		q := make([][]byte, len(args))
		for i, a := range args {
			q[i] = bytes.Clone(a)
		}
		c.tx = append(c.tx, q)
		return append(out, "+QUEUED\r\n"...)
	}
	switch string(name) {
	case "PING":
		return append(out, "+PONG\r\n"...)
	case "INFO":
		if m.infoReply == nil {
			m.infoReply = appendBulk(nil, m.info())
		}
		return append(out, m.infoReply...)
	case "ROLE":
		if m.roleReply == nil {
			m.roleReply = m.role()
		}
		return append(out, m.roleReply...)
	case "SUBSCRIBE":
		return m.subscribe(c, out, args[1:])
	case "PUBLISH":
		if len(args) != 3 {
			return append(out, "-ERR wrong number of arguments for 'publish' command\r\n"...)
		}
		return m.publish(c, out, args[1], args[2])
	case "HELLO":
		// As a pre-6 server would: clients fall back to AUTH and
		// CLIENT SETNAME (go-redis sends HELLO first).
		return append(out, "-ERR unknown command 'HELLO'\r\n"...)
	case "MULTI":
		c.inTx = true
		return append(out, "+OK\r\n"...)
	case "EXEC":
		return append(out, "-ERR EXEC without MULTI\r\n"...)
	case "SLAVEOF", "REPLICAOF":
		return append(out, m.replicaOf(args)...)
	case "CLIENT":
		if len(args) == 4 && bytes.EqualFold(args[1], []byte("KILL")) && bytes.EqualFold(args[2], []byte("TYPE")) {
			return appendInt(out, m.kill(c, string(bytes.ToLower(args[3]))))
		}
	}
	// AUTH, SCRIPT, CONFIG SET and REWRITE (as with a config file), ...
	return append(out, "+OK\r\n"...)
}

// upperName appends the command name b in upper case to dst, or nothing
// when it is longer than any name command knows (it is none of them).
func upperName(dst, b []byte) []byte {
	if len(b) > cap(dst) {
		return dst
	}
	for _, ch := range b {
		if 'a' <= ch && ch <= 'z' {
			ch -= 'a' - 'A'
		}
		dst = append(dst, ch)
	}
	return dst
}

// subscribe adds c to channels' subscribers and appends the
// confirmations, counting c's channels as Redis does.
func (m *fakeInstance) subscribe(c *fakeConn, out []byte, channels [][]byte) []byte {
	for _, b := range channels {
		ch := string(b)
		if !slices.Contains(c.channels, ch) {
			c.channels = append(c.channels, ch)
			m.subs[ch] = append(m.subs[ch], c)
		}
		out = append(out, "*3\r\n$9\r\nsubscribe\r\n"...)
		out = appendBulk(out, ch)
		out = appendInt(out, len(c.channels))
	}
	return out
}

// publish writes the message to every subscriber of ch at once, one write
// each, and appends the count to out; a publisher subscribed itself gets
// the message in out, so that it comes in order with its other replies.
func (m *fakeInstance) publish(c *fakeConn, out, ch, msg []byte) []byte {
	subs := m.subs[string(ch)]
	if len(subs) > 0 {
		b := make([]byte, 0, 32+len(ch)+len(msg))
		b = append(b, "*3\r\n$7\r\nmessage\r\n"...)
		b = appendBulk(b, ch)
		b = appendBulk(b, msg)
		for _, s := range subs {
			if s == c {
				out = append(out, b...)
			} else {
				s.conn.Write(b)
			}
		}
	}
	return appendInt(out, len(subs))
}

// replicaOf carries out SLAVEOF/REPLICAOF: NO ONE promotes (a new
// replication ID, the old one kept as replid2, as Redis does); host port
// makes the instance a replica of that port. The replica is always
// shown linked and in sync: nothing is written, so there is nothing to
// sync.
func (m *fakeInstance) replicaOf(args [][]byte) string {
	if len(args) != 3 {
		return "-ERR wrong number of arguments for 'replicaof' command\r\n"
	}
	if bytes.EqualFold(args[1], []byte("NO")) && bytes.EqualFold(args[2], []byte("ONE")) {
		if m.masterPort != 0 {
			m.masterPort, m.replicaPort = 0, 0
			m.replid2, m.replid = m.replid, randomID()
			m.second = fakeOffset + 1
			m.infoReply, m.roleReply = nil, nil
		}
		return "+OK\r\n"
	}
	port, err := strconv.Atoi(string(args[2]))
	if err != nil || port <= 0 || port > 65535 {
		return "-ERR Invalid master port\r\n"
	}
	if port == m.masterPort {
		return "+OK Already connected to specified master\r\n"
	}
	m.masterPort, m.replicaPort = port, 0
	m.infoReply, m.roleReply = nil, nil
	return "+OK\r\n"
}

// kill closes the other connections of one CLIENT KILL TYPE (normal:
// not subscribed; pubsub: subscribed), as Redis does with its default
// SKIPME yes, and returns how many. A connection that has sent nothing
// yet is not among them (it joins m.conns on its first data); a
// sentinel's always has.
func (m *fakeInstance) kill(self *fakeConn, typ string) int {
	if typ != "normal" && typ != "pubsub" {
		return 0
	}
	n := 0
	for c := range m.conns {
		if c != self && (len(c.channels) > 0) == (typ == "pubsub") {
			c.conn.Close() // its Closed comes later, on this goroutine
			m.leave(c)
			n++
		}
	}
	return n
}

// info renders INFO's Server and Replication sections as redis-server
// 7.0 does (the fields a sentinel reads, and their neighbours).
func (m *fakeInstance) info() []byte {
	var b bytes.Buffer
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
	return b.Bytes()
}

// role renders ROLE: ["master", offset, [[ip, port, offset]...]] or
// ["slave", ip, port, "connected", offset].
func (m *fakeInstance) role() []byte {
	if m.masterPort != 0 {
		return fmt.Appendf(nil, "*5\r\n$5\r\nslave\r\n$9\r\n127.0.0.1\r\n:%d\r\n$9\r\nconnected\r\n:%d\r\n", m.masterPort, fakeOffset)
	}
	if m.replicaPort == 0 {
		return fmt.Appendf(nil, "*3\r\n$6\r\nmaster\r\n:%d\r\n*0\r\n", fakeOffset)
	}
	out := fmt.Appendf(nil, "*3\r\n$6\r\nmaster\r\n:%d\r\n*1\r\n*3\r\n$9\r\n127.0.0.1\r\n", fakeOffset)
	out = appendBulk(out, strconv.Itoa(m.replicaPort))
	return appendBulk(out, strconv.Itoa(fakeOffset))
}
