package redislink

import (
	"context"
	"strings"
	"testing"
	"time"
)

// The sentinel's unit tests trust FakeNet's INFO for discovery and its
// SLAVEOF for failovers; addresses are strings here, so check that they
// come out as host and port, IPv6 included.
func TestFakeInfoAndSlaveOf(t *testing.T) {
	n := NewFakeNet()
	n.Add("127.0.0.1:6379", "m")
	r := n.Add("[::1]:6380", "r")
	r.MasterOf = "127.0.0.1:6379"
	ctx := context.Background()
	do := func(addr string, args ...any) string {
		t.Helper()
		v, err := n.Dial(ConnOptions{Addr: addr}).Do(ctx, args...)
		if err != nil {
			t.Fatalf("%s %v: %v", addr, args, err)
		}
		return ReplyString(v)
	}
	if info := do("127.0.0.1:6379", "INFO"); !strings.Contains(info, "role:master\r\nslave0:ip=::1,port=6380,") {
		t.Errorf("master INFO:\n%s", info)
	}
	if info := do("[::1]:6380", "INFO"); !strings.Contains(info, "role:slave\r\nmaster_host:127.0.0.1\r\nmaster_port:6379\r\n") {
		t.Errorf("replica INFO:\n%s", info)
	}

	do("[::1]:6380", "SLAVEOF", "NO", "ONE")
	if info := do("[::1]:6380", "INFO"); !strings.Contains(info, "role:master") {
		t.Errorf("after SLAVEOF NO ONE:\n%s", info)
	}
	do("127.0.0.1:6379", "SLAVEOF", "::1", 6380)
	if info := do("127.0.0.1:6379", "INFO"); !strings.Contains(info, "master_host:::1\r\nmaster_port:6380\r\n") {
		t.Errorf("after SLAVEOF ::1 6380:\n%s", info)
	}
	if info := do("[::1]:6380", "INFO"); !strings.Contains(info, "slave0:ip=127.0.0.1,port=6379,") {
		t.Errorf("new master's INFO:\n%s", info)
	}
}

func TestFakeDownAndSubscribe(t *testing.T) {
	n := NewFakeNet()
	m := n.Add("127.0.0.1:6379", "m")
	got := make(chan string, 4)
	stop := n.Subscribe(ConnOptions{Addr: m.Addr}, "__sentinel__:hello", chanHandler(got))
	ctx := context.Background()
	select {
	case g := <-got:
		if g != "<subscribed>" {
			t.Fatalf("first on the link: %q", g)
		}
	case <-time.After(time.Second):
		t.Fatal("never subscribed")
	}
	// Publish calls subscribers before it returns.
	if k := m.Publish("hello"); k != 1 || len(got) != 1 || <-got != "hello" {
		t.Fatalf("Publish reached %d subscribers", k)
	}

	m.SetDown(true)
	if _, err := n.Dial(ConnOptions{Addr: m.Addr}).Do(ctx, "PING"); err == nil || IsReplyError(err) {
		t.Fatalf("PING to a down instance: %v, want a transport error", err)
	}
	if m.Publish("lost"); len(got) != 0 {
		t.Fatalf("a down instance delivered %q", <-got)
	}
	if cmds := m.Received(); len(cmds) != 0 {
		t.Errorf("a down instance recorded %q", cmds)
	}
	m.SetDown(false)

	stop()
	deadline := time.Now().Add(time.Second)
	for m.Publish("late") != 0 {
		<-got // delivered before the context's end reached the fake
		if time.Now().After(deadline) {
			t.Fatal("the subscription outlived its context")
		}
		time.Sleep(time.Millisecond)
	}
	if _, err := n.Dial(ConnOptions{Addr: "127.0.0.1:1"}).Do(context.Background(), "PING"); err == nil {
		t.Error("PING to an unknown address succeeded")
	}
}
