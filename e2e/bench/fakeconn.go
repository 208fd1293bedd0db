package main

import (
	"net"
	"slices"
	"sync"
	"time"

	"github.com/qsentinel/qsentinel/eventloop"
)

// fakeConn is one client connection of a fake instance: the loop's
// handler for it. Apart from added and conn (see join) it is used on the
// loop goroutine only, so it needs no lock.
type fakeConn struct {
	h      *fakeHost
	m      *fakeInstance
	remote net.Addr // for BENCH_FAKE_SLOW

	added sync.Mutex // held by accept across loop.Add, which sets conn
	conn  *eventloop.Conn

	joined   bool     // conn may be used; c is in m.conns
	in       []byte   // the start of a command whose rest has not come
	out      []byte   // the replies to one Data call, written at its end
	args     [][]byte // the command being run, kept for its capacity
	channels []string // subscribed to
	tx       [][][]byte
	inTx     bool      // between MULTI and EXEC/DISCARD: commands go to tx
	prev     time.Time // BENCH_FAKE_SLOW: when the last command came
}

// Data runs every command that b completes and writes their replies in
// one write, as Redis answers a pipelined batch (a sentinel sends PING,
// INFO and its hello together): a write on loopback carries the
// receiver's TCP work too, and a write per reply made the fake replica
// host of a 1,000-master run take as much CPU as a sentinel.
func (c *fakeConn) Data(b []byte) {
	if !c.joined {
		c.join()
	}
	// BENCH_FAKE_SLOW: when the batch was read, how far the loop had
	// read everything by then (see fakeSlow.reply), its first command.
	var at, caughtUp time.Time
	var first string
	if c.h.slow != nil {
		at, caughtUp = time.Now(), c.h.loop.CaughtUp()
	}
	// Commands are parsed where they lie; only an unfinished one is
	// copied, to wait for its rest.
	buf := b
	if len(c.in) > 0 {
		c.in = append(c.in, b...)
		buf = c.in
	}
	for len(buf) > 0 {
		args, n, err := parseCommand(buf, c.args[:0])
		c.args = args
		if err != nil {
			c.out = append(c.out, "-ERR Protocol error: "+err.Error()+"\r\n"...)
			c.conn.Write(c.out)
			c.conn.Close()
			c.in, c.out = nil, c.out[:0]
			return
		}
		if n == 0 {
			break
		}
		buf = buf[n:]
		if len(args) == 0 {
			continue
		}
		if c.h.slow != nil {
			if len(c.channels) == 0 {
				c.h.slow.gap(c.m.port, c.remote, string(args[0]), c.prev, at)
			}
			c.prev = at
			if first == "" {
				first = string(args[0])
			}
		}
		c.out = c.m.command(c, c.out, args)
	}
	clear(c.args) // they point into b or c.in
	c.in = append(c.in[:0], buf...)
	if len(c.in) == 0 && cap(c.in) > 4<<10 {
		c.in = nil // after a big command, as Redis shrinks its query buffer
	}
	if len(c.out) == 0 {
		return
	}
	c.conn.Write(c.out)
	c.out = c.out[:0]
	if c.h.slow != nil && first != "" {
		c.h.slow.reply(c.m.port, c.remote, first, at, caughtUp)
	}
}

// join makes c one of its instance's connections on its first data. Add
// may not have returned when the loop first calls c: taking c.added waits
// for it and makes c.conn, set under it, visible here. From then on the
// loop goroutine alone uses c.
func (c *fakeConn) join() {
	c.added.Lock()
	c.added.Unlock()
	c.joined = true
	c.m.conns[c] = struct{}{}
}

// Closed forgets c: its subscriptions, and its place among the
// connections CLIENT KILL looks at.
func (c *fakeConn) Closed(error) {
	c.m.leave(c)
	c.in, c.out, c.args, c.tx = nil, nil, nil, nil
}

// leave takes c out of m's connections and subscribers (again: it is also
// called when c is killed, before its Closed).
func (m *fakeInstance) leave(c *fakeConn) {
	delete(m.conns, c)
	for _, ch := range c.channels {
		m.subs[ch] = slices.DeleteFunc(m.subs[ch], func(s *fakeConn) bool { return s == c })
		if len(m.subs[ch]) == 0 {
			delete(m.subs, ch)
		}
	}
	c.channels = nil
}
