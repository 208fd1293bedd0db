package simredis_test

import (
	"github.com/qsentinel/qsentinel/redislink"
	"testing"
	"time"

	"github.com/qsentinel/qsentinel/sentinel"
	"github.com/qsentinel/qsentinel/sim"
	"github.com/qsentinel/qsentinel/sim/simredis"
)

// The coordinated switchover as coordinated.go sends it: CLIENT PAUSE and
// FAILOVER TO in one MULTI, then CONFIG REWRITE, CLIENT KILL, UNPAUSE.
func TestCoordinatedFailoverSwapsRoles(t *testing.T) {
	r := pair(t, 20, simredis.Options{})
	r.srv("redis-6380").Write(100)
	r.do("redis-6380", "MULTI")
	r.do("redis-6380", "CLIENT", "PAUSE", "5000", "WRITE")
	r.do("redis-6380", "FAILOVER", "TO", "10.0.0.1", "6381", "TIMEOUT", "5000")
	r.want(r.do("redis-6380", "EXEC"), []any{"OK", "OK"})
	if fs := r.info("redis-6380").FailoverState; fs != "waiting-for-sync" && fs != "failover-in-progress" {
		t.Fatalf("master_failover_state right after FAILOVER: %q", fs)
	}
	if err := r.srv("redis-6380").Write(1); err == nil {
		t.Fatal("a master in FAILOVER took a write")
	}
	r.run(time.Second)
	oldM, newM := r.info("redis-6380"), r.info("redis-6381")
	if newM.Role != sentinel.KindMaster || oldM.Role != sentinel.KindReplica || oldM.MasterPort != 6381 ||
		!oldM.MasterLinkUp || oldM.FailoverState != "no-failover" {
		t.Fatalf("after FAILOVER: old %+v new %+v", oldM, newM)
	}
	if len(oldM.Replicas) != 0 || len(newM.Replicas) != 1 || newM.Replicas[0].Port != 6380 {
		t.Fatalf("replicas after FAILOVER: old master lists %v, new master %v", oldM.Replicas, newM.Replicas)
	}
	if r.srv("redis-6381").Offset() < 100 {
		t.Fatal("the promoted replica lost the write it had before FAILOVER")
	}
	r.want(r.do("redis-6380", "FAILOVER"), sim.RedisError("ERR FAILOVER is not valid when server is a replica."))
	if err := r.srv("redis-6381").Write(1); err != nil {
		t.Fatalf("the new master refuses writes: %v", err)
	}
}

func TestFailoverErrors(t *testing.T) {
	r := pair(t, 21, simredis.Options{})
	for _, c := range []struct {
		args []string
		want any
	}{
		{[]string{"FAILOVER", "ABORT"}, sim.RedisError("ERR No failover in progress.")},
		{[]string{"FAILOVER", "TO", "10.0.0.1", "9999"}, sim.RedisError("ERR FAILOVER target HOST and PORT is not a replica.")},
		{[]string{"FAILOVER", "TO", "10.0.0.1", "6381", "TIMEOUT", "abc"}, sim.RedisError("ERR value is not an integer or out of range")},
		{[]string{"FAILOVER", "TO", "10.0.0.1", "6381", "FORCE"}, sim.RedisError("ERR FAILOVER with force option requires both a timeout and target HOST and IP.")},
		{[]string{"FAILOVER", "BOGUS"}, sim.RedisError("ERR syntax error")},
	} {
		r.want(r.do("redis-6380", c.args...), c.want)
	}
	r.want(r.do("redis-6381", "FAILOVER"), sim.RedisError("ERR FAILOVER is not valid when server is a replica."))
}

func TestFailoverTimesOutWhenTheTargetCannotSync(t *testing.T) {
	r := pair(t, 22, simredis.Options{ReplTimeout: 30 * time.Second})
	// The replica's acknowledgements no longer arrive: it never shows the
	// master's offset, so FAILOVER waits for sync until its timeout.
	r.w.Cut("redis-6381", "redis-6380")
	r.srv("redis-6380").Write(10)
	r.want(r.do("redis-6380", "FAILOVER", "TO", "10.0.0.1", "6381", "TIMEOUT", "500"), "OK")
	r.want(r.do("redis-6380", "SLAVEOF", "NO", "ONE"), sim.RedisError("ERR REPLICAOF not allowed while failing over."))
	r.want(r.do("redis-6380", "FAILOVER", "TO", "10.0.0.1", "6381"), sim.RedisError("ERR FAILOVER already in progress."))
	r.run(time.Second)
	if m := r.info("redis-6380"); m.Role != sentinel.KindMaster || m.FailoverState != "no-failover" {
		t.Fatalf("after the timeout: %+v", m)
	}
	if err := r.srv("redis-6380").Write(1); err != nil {
		t.Fatalf("writes still paused after the abort: %v", err)
	}
	// FAILOVER ABORT ends one early, as the sentinel sends before SLAVEOF.
	r.want(r.do("redis-6380", "FAILOVER", "TIMEOUT", "60000"), "OK")
	r.want(r.do("redis-6380", "FAILOVER", "ABORT"), "OK")
	r.want(r.do("redis-6380", "SLAVEOF", "NO", "ONE"), "OK")
}

func TestLoadingAfterRestart(t *testing.T) {
	r := pair(t, 23, simredis.Options{LoadTime: 2 * time.Second})
	r.want(r.do("redis-6380", "PING"), "PONG") // the first start loads nothing
	r.w.Restart("redis-6380")
	r.want(r.do("redis-6380", "PING"), sim.RedisError("LOADING Redis is loading the dataset in memory"))
	r.want(r.do("redis-6380", "SLAVEOF", "NO", "ONE"), sim.RedisError("LOADING Redis is loading the dataset in memory"))
	if r.info("redis-6380").Role != sentinel.KindMaster {
		t.Fatal("INFO is not served while loading")
	}
	r.run(2 * time.Second)
	r.want(r.do("redis-6380", "PING"), "PONG")
}

func TestBusyScriptAndScriptKill(t *testing.T) {
	r := pair(t, 24, simredis.Options{})
	r.want(r.do("redis-6380", "SCRIPT", "KILL"), sim.RedisError("NOTBUSY No scripts in execution right now."))
	r.srv("redis-6380").RunScript(time.Minute)
	r.want(r.do("redis-6380", "PING"), sim.RedisError("BUSY Redis is busy running a script. You can only call SCRIPT KILL or SHUTDOWN NOSAVE."))
	r.want(r.do("redis-6380", "SCRIPT", "KILL"), "OK")
	r.want(r.do("redis-6380", "PING"), "PONG")
}

func TestClientKillClosesConnectionsOfTheType(t *testing.T) {
	r := pair(t, 25, simredis.Options{})
	r.doOn("redis-6380", "pubsub", "SUBSCRIBE", "__sentinel__:hello")
	r.doOn("redis-6380", "cmd2", "PING")
	r.want(r.do("redis-6380", "CLIENT", "KILL", "TYPE", "pubsub"), int64(1))
	r.run(10 * time.Millisecond)
	if len(r.cli.closed) != 1 || r.cli.closed[0].Conn != "pubsub" {
		t.Fatalf("closed %+v, want the pubsub connection", r.cli.closed)
	}
	r.want(r.do("redis-6380", "PUBLISH", "__sentinel__:hello", "x"), int64(0))
	r.want(r.do("redis-6380", "CLIENT", "KILL", "TYPE", "normal"), int64(1)) // cmd2, not the caller
	r.want(r.do("redis-6380", "CLIENT", "KILL", "TYPE", "bogus"), sim.RedisError("ERR Unknown client type 'bogus'"))
	r.want(r.do("redis-6380", "CLIENT", "SETNAME", "sentinel-1-cmd"), "OK")
	r.want(r.do("redis-6380", "CLIENT", "GETNAME"), "sentinel-1-cmd")
}

func TestErrorRepliesAreReplyErrorsToTheSentinel(t *testing.T) {
	if !redislink.IsReplyError(sim.RedisError("ERR x")) {
		t.Fatal("redislink.IsReplyError does not recognise sim.RedisError")
	}
}
