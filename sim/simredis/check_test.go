package simredis_test

import (
	"strings"
	"testing"
	"time"

	"github.com/qsentinel/qsentinel/sim/simredis"
)

func TestCheckSettled(t *testing.T) {
	r := pair(t, 30, simredis.Options{ReplTimeout: 2 * time.Second})
	names := []string{"redis-6380", "redis-6381"}
	expect := func(wantMaster, wantErr string) {
		t.Helper()
		m, err := simredis.CheckSettled(r.w, names)
		switch {
		case wantErr == "" && err != nil:
			t.Fatalf("unexpected: %v", err)
		case wantErr != "" && (err == nil || !strings.Contains(err.Error(), wantErr)):
			t.Fatalf("got %v, want an error with %q", err, wantErr)
		case m != wantMaster:
			t.Fatalf("master %q, want %q", m, wantMaster)
		}
	}
	expect("redis-6380", "")
	r.srv("redis-6380").Write(10)
	expect("redis-6380", "at offset")
	r.run(time.Second)
	expect("redis-6380", "")
	r.w.Partition([]string{"redis-6380"}, []string{"redis-6381"})
	r.run(3 * time.Second)
	expect("redis-6380", "link to redis-6380 is down")
	r.w.HealAll()
	r.do("redis-6381", "SLAVEOF", "NO", "ONE")
	expect("", "two masters")
	r.do("redis-6381", "SLAVEOF", "10.0.0.1", "6399")
	expect("redis-6380", "replicates 10.0.0.1:6399")
	r.w.Crash("redis-6381")
	expect("", "not a running server")
	r.w.Restart("redis-6381") // comes back as it was started: a replica of 6380
	r.do("redis-6380", "SLAVEOF", "10.0.0.1", "6381")
	expect("", "no master")
}

func TestIsMasterAt(t *testing.T) {
	r := pair(t, 31, simredis.Options{})
	is := simredis.IsMasterAt(r.w)
	if !is("10.0.0.1:6380") || is("10.0.0.1:6381") || is("10.0.0.1:1") {
		t.Fatal("IsMasterAt does not follow the roles")
	}
	r.w.Crash("redis-6380")
	if is("10.0.0.1:6380") {
		t.Fatal("a crashed server counts as a master")
	}
}

// FAILOVER FORCE goes ahead when the target is still behind at the
// timeout (losing what it had not got), and a lost answer to the
// promotion is repeated until it arrives.
func TestFailoverForce(t *testing.T) {
	r := pair(t, 32, simredis.Options{})
	r.w.Cut("redis-6381", "redis-6380") // acks and answers to the promotion are lost
	r.srv("redis-6380").Write(10)
	r.want(r.do("redis-6380", "FAILOVER", "TO", "10.0.0.1", "6381", "FORCE", "TIMEOUT", "300"), "OK")
	r.run(600 * time.Millisecond)
	if !r.srv("redis-6381").IsMaster() || r.info("redis-6380").FailoverState != "failover-in-progress" {
		t.Fatalf("after the timeout: target master %v, old master in %q",
			r.srv("redis-6381").IsMaster(), r.info("redis-6380").FailoverState)
	}
	r.w.HealAll()
	r.run(500 * time.Millisecond)
	old := r.srv("redis-6380")
	if old.IsMaster() || old.MasterAddr() != addr(6381) || r.info("redis-6380").FailoverState != "no-failover" {
		t.Fatalf("old master: replica of %v, state %q", old.MasterAddr(), r.info("redis-6380").FailoverState)
	}
	if _, err := simredis.CheckSettled(r.w, []string{"redis-6380", "redis-6381"}); err != nil {
		t.Fatal(err)
	}
}
