package main

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"strconv"
	"strings"
	"testing"
	"time"
)

// startFakeHost serves a master and its replica in-process, as a fake
// host would (the replica at ports[1] follows the master at ports[0]),
// until the test ends.
func startFakeHost(t *testing.T) (ports [2]int) {
	t.Helper()
	var lns []net.Listener
	var insts []*fakeInstance
	for k := range ports {
		l, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		ports[k] = l.Addr().(*net.TCPAddr).Port
		lns, insts = append(lns, l), append(insts, newFakeInstance(ports[k]))
	}
	insts[0].replicaPort, insts[1].masterPort = ports[1], ports[0]
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- serveFakeHost(ctx, lns, insts, nil) }()
	t.Cleanup(func() {
		cancel()
		select {
		case err := <-done:
			if err != nil {
				t.Errorf("serveFakeHost: %v", err)
			}
		case <-time.After(5 * time.Second):
			t.Error("serveFakeHost did not stop")
		}
	})
	return ports
}

// fakeClient is a plain connection to a fake instance, reading RESP.
type fakeClient struct {
	t  *testing.T
	nc net.Conn
	r  *bufio.Reader
}

func dialFake(t *testing.T, port int) *fakeClient {
	t.Helper()
	nc, err := net.Dial("tcp", "127.0.0.1:"+strconv.Itoa(port))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { nc.Close() })
	return &fakeClient{t: t, nc: nc, r: bufio.NewReader(nc)}
}

func (c *fakeClient) send(s string) {
	c.t.Helper()
	if _, err := io.WriteString(c.nc, s); err != nil {
		c.t.Fatal(err)
	}
}

// do sends one command and returns its reply.
func (c *fakeClient) do(args ...string) any {
	c.t.Helper()
	c.send(multibulk(args...))
	return c.reply()
}

func multibulk(args ...string) string {
	s := fmt.Sprintf("*%d\r\n", len(args))
	for _, a := range args {
		s += fmt.Sprintf("$%d\r\n%s\r\n", len(a), a)
	}
	return s
}

// reply reads one reply: a string (simple or bulk), an int, an error or
// a []any.
func (c *fakeClient) reply() any {
	c.t.Helper()
	c.nc.SetReadDeadline(time.Now().Add(5 * time.Second))
	v, err := readFakeReply(c.r)
	if err != nil {
		c.t.Fatalf("reading a reply: %v", err)
	}
	return v
}

func readFakeReply(r *bufio.Reader) (any, error) {
	line, err := r.ReadString('\n')
	if err != nil {
		return nil, err
	}
	line = strings.TrimSuffix(line, "\r\n")
	if line == "" {
		return nil, errors.New("empty line")
	}
	switch line[0] {
	case '+':
		return line[1:], nil
	case '-':
		return errors.New(line[1:]), nil
	case ':':
		return strconv.Atoi(line[1:])
	case '$':
		n, err := strconv.Atoi(line[1:])
		if err != nil {
			return nil, err
		}
		b := make([]byte, n+2)
		if _, err := io.ReadFull(r, b); err != nil {
			return nil, err
		}
		return string(b[:n]), nil
	case '*':
		n, err := strconv.Atoi(line[1:])
		if err != nil {
			return nil, err
		}
		var list []any
		for range n {
			v, err := readFakeReply(r)
			if err != nil {
				return nil, err
			}
			list = append(list, v)
		}
		return list, nil
	}
	return nil, fmt.Errorf("bad reply line %q", line)
}

// infoField returns one field of INFO.
func (c *fakeClient) infoField(name string) string {
	c.t.Helper()
	info, ok := c.do("INFO").(string)
	if !ok {
		c.t.Fatalf("INFO: not a bulk string")
	}
	for _, l := range strings.Split(info, "\r\n") {
		if v, ok := strings.CutPrefix(l, name+":"); ok {
			return v
		}
	}
	c.t.Fatalf("INFO has no %s:\n%s", name, info)
	return ""
}

// expectClosed fails unless the server closes c.
func (c *fakeClient) expectClosed() {
	c.t.Helper()
	c.nc.SetReadDeadline(time.Now().Add(5 * time.Second))
	if b, err := c.r.ReadByte(); err != io.EOF {
		c.t.Fatalf("connection not closed: read %q, %v", b, err)
	}
}

func equalReply(a, b any) bool { return fmt.Sprint(a) == fmt.Sprint(b) }

// A sentinel pipelines PING, INFO and its hello: the replies come, and
// come in one write (one read of the client gets them all, on loopback).
func TestFakePipelinedOneWrite(t *testing.T) {
	ports := startFakeHost(t)
	c := dialFake(t, ports[0])
	c.send(multibulk("PING") + multibulk("INFO") + multibulk("PUBLISH", "__sentinel__:hello", "hi"))
	buf := make([]byte, 64<<10)
	c.nc.SetReadDeadline(time.Now().Add(5 * time.Second))
	n, err := c.nc.Read(buf)
	if err != nil {
		t.Fatal(err)
	}
	r := bufio.NewReader(strings.NewReader(string(buf[:n])))
	for i, want := range []func(any) bool{
		func(v any) bool { return v == "PONG" },
		func(v any) bool { s, _ := v.(string); return strings.Contains(s, "role:master") },
		func(v any) bool { return v == 0 },
	} {
		v, err := readFakeReply(r)
		if err != nil {
			t.Fatalf("reply %d not in the first read (%q): %v", i, buf[:n], err)
		}
		if !want(v) {
			t.Fatalf("reply %d: %v", i, v)
		}
	}
	if r.Buffered() != 0 {
		t.Fatalf("more than three replies: %q", buf[:n])
	}
}

// A command that comes a byte at a time is answered once, when complete;
// so is an inline one.
func TestFakeSplitCommand(t *testing.T) {
	ports := startFakeHost(t)
	c := dialFake(t, ports[0])
	for _, cmd := range []string{multibulk("ECHO", "x"), multibulk("PING"), "PING\r\n"} {
		for i := range len(cmd) - 1 {
			c.send(cmd[i : i+1])
			time.Sleep(time.Millisecond) // a read each, as far as timing goes
		}
		c.nc.SetReadDeadline(time.Now().Add(20 * time.Millisecond))
		if b, err := c.r.ReadByte(); err == nil {
			t.Fatalf("%q: answered before it was complete: %q", cmd, b)
		}
		c.send(cmd[len(cmd)-1:])
		want := "PONG"
		if strings.Contains(cmd, "ECHO") {
			want = "OK" // what the fake answers commands it does not know
		}
		if v := c.reply(); v != want {
			t.Fatalf("%q: reply %v, want %s", cmd, v, want)
		}
	}
	if v := c.do("PING"); v != "PONG" {
		t.Fatalf("PING after the split commands: %v", v)
	}
}

func TestFakeSubscribePublish(t *testing.T) {
	ports := startFakeHost(t)
	sub, pub := dialFake(t, ports[0]), dialFake(t, ports[0])
	if v := sub.do("SUBSCRIBE", "__sentinel__:hello"); !equalReply(v, []any{"subscribe", "__sentinel__:hello", 1}) {
		t.Fatalf("SUBSCRIBE: %v", v)
	}
	if v := pub.do("PUBLISH", "__sentinel__:hello", "127.0.0.1,26379,x,0"); v != 1 {
		t.Fatalf("PUBLISH: %v subscribers, want 1", v)
	}
	if v := sub.reply(); !equalReply(v, []any{"message", "__sentinel__:hello", "127.0.0.1,26379,x,0"}) {
		t.Fatalf("message: %v", v)
	}
	// The other instance of the host has its own channels.
	if v := dialFake(t, ports[1]).do("PUBLISH", "__sentinel__:hello", "x"); v != 0 {
		t.Fatalf("PUBLISH on the other instance: %v subscribers, want 0", v)
	}
}

// A sentinel promotes a replica with MULTI, REPLICAOF NO ONE, CONFIG
// REWRITE, CLIENT KILL TYPE normal, EXEC.
func TestFakePromotion(t *testing.T) {
	ports := startFakeHost(t)
	c := dialFake(t, ports[1])
	if role := c.infoField("role"); role != "slave" {
		t.Fatalf("replica's role: %s", role)
	}
	if p := c.infoField("master_port"); p != strconv.Itoa(ports[0]) {
		t.Fatalf("replica's master_port: %s, want %d", p, ports[0])
	}
	old := c.infoField("master_replid")
	if v := c.do("MULTI"); v != "OK" {
		t.Fatalf("MULTI: %v", v)
	}
	for _, cmd := range [][]string{{"REPLICAOF", "NO", "ONE"}, {"CONFIG", "REWRITE"}, {"CLIENT", "KILL", "TYPE", "normal"}} {
		if v := c.do(cmd...); v != "QUEUED" {
			t.Fatalf("%v in MULTI: %v", cmd, v)
		}
	}
	if v := c.do("EXEC"); !equalReply(v, []any{"OK", "OK", 0}) {
		t.Fatalf("EXEC: %v", v)
	}
	if role := c.infoField("role"); role != "master" {
		t.Fatalf("role after REPLICAOF NO ONE: %s", role)
	}
	if id := c.infoField("master_replid"); id == old || len(id) != 40 {
		t.Fatalf("master_replid after promotion: %s (before: %s)", id, old)
	}
	if id := c.infoField("master_replid2"); id != old {
		t.Fatalf("master_replid2 after promotion: %s, want the old %s", id, old)
	}
	if v := c.do("ROLE"); !equalReply(v, []any{"master", fakeOffset, []any{}}) {
		t.Fatalf("ROLE after promotion: %v", v)
	}
	if v := c.do("EXEC"); !equalReply(v, errors.New("ERR EXEC without MULTI")) {
		t.Fatalf("EXEC without MULTI: %v", v)
	}
	c.do("MULTI")
	c.do("REPLICAOF", "127.0.0.1", strconv.Itoa(ports[0]))
	if v := c.do("DISCARD"); v != "OK" {
		t.Fatalf("DISCARD: %v", v)
	}
	if role := c.infoField("role"); role != "master" {
		t.Fatalf("role after a discarded REPLICAOF: %s", role)
	}
}

// CLIENT KILL TYPE pubsub closes the subscribers, not the other links and
// not the caller's own; TYPE normal closes the others.
func TestFakeClientKill(t *testing.T) {
	ports := startFakeHost(t)
	subs := []*fakeClient{dialFake(t, ports[0]), dialFake(t, ports[0])}
	for _, s := range subs {
		s.do("SUBSCRIBE", "__sentinel__:hello")
	}
	other, self := dialFake(t, ports[0]), dialFake(t, ports[0])
	other.do("PING")
	if v := self.do("CLIENT", "KILL", "TYPE", "pubsub"); v != 2 {
		t.Fatalf("CLIENT KILL TYPE pubsub: %v, want 2", v)
	}
	for _, s := range subs {
		s.expectClosed()
	}
	for _, c := range []*fakeClient{other, self} {
		if v := c.do("PING"); v != "PONG" {
			t.Fatalf("PING after killing the subscribers: %v", v)
		}
	}
	if v := self.do("PUBLISH", "__sentinel__:hello", "x"); v != 0 {
		t.Fatalf("PUBLISH after killing the subscribers: %v, want 0", v)
	}
	if v := self.do("CLIENT", "KILL", "TYPE", "normal"); v != 1 {
		t.Fatalf("CLIENT KILL TYPE normal: %v, want 1", v)
	}
	other.expectClosed()
	if v := self.do("PING"); v != "PONG" {
		t.Fatalf("PING after CLIENT KILL TYPE normal: %v", v)
	}
}

func TestFakeHelloAndErrors(t *testing.T) {
	ports := startFakeHost(t)
	c := dialFake(t, ports[0])
	if v := c.do("HELLO", "3"); !equalReply(v, errors.New("ERR unknown command 'HELLO'")) {
		t.Fatalf("HELLO: %v", v)
	}
	for _, cmd := range []string{"AUTH", "CONFIG", "SCRIPT"} {
		if v := c.do(cmd, "x"); v != "OK" {
			t.Fatalf("%s: %v", cmd, v)
		}
	}
	// Beyond the limits the connection is dropped, as before.
	c.send("*2000\r\n")
	c.reply() // the protocol error
	c.expectClosed()
}
