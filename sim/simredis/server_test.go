package simredis_test

import (
	"github.com/qsentinel/qsentinel/failover"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/qsentinel/qsentinel/sentinel"
	"github.com/qsentinel/qsentinel/sim"
	"github.com/qsentinel/qsentinel/sim/simredis"
)

// Field names of INFO replication, in order, from a real redis-server
// 7.0.15 (Debian) on loopback, 2026-11-29: a master with one online
// replica, that replica with its link up, and a replica whose master had
// gone (link down).
var (
	realMasterFields = []string{"role", "connected_slaves", "slave0", "master_failover_state",
		"master_replid", "master_replid2", "master_repl_offset", "second_repl_offset",
		"repl_backlog_active", "repl_backlog_size", "repl_backlog_first_byte_offset", "repl_backlog_histlen"}
	realReplicaUpFields = []string{"role", "master_host", "master_port", "master_link_status",
		"master_last_io_seconds_ago", "master_sync_in_progress", "slave_read_repl_offset",
		"slave_repl_offset", "slave_priority", "slave_read_only", "replica_announced",
		"connected_slaves", "master_failover_state", "master_replid", "master_replid2",
		"master_repl_offset", "second_repl_offset", "repl_backlog_active", "repl_backlog_size",
		"repl_backlog_first_byte_offset", "repl_backlog_histlen"}
	realReplicaDownFields = slices.Insert(slices.Clone(realReplicaUpFields), 8, "master_link_down_since_seconds")
)

// fields returns the field names of an INFO section, and fails on a line
// that is not "# Section", "name:value" or the blank line between sections.
func fields(t *testing.T, info string) []string {
	t.Helper()
	if !strings.HasSuffix(info, "\r\n") {
		t.Fatalf("INFO does not end in CRLF: %q", info)
	}
	var out []string
	for _, l := range strings.Split(strings.TrimSuffix(info, "\r\n"), "\r\n") {
		if strings.HasPrefix(l, "#") || l == "" {
			continue
		}
		k, _, ok := strings.Cut(l, ":")
		if !ok {
			t.Fatalf("INFO line %q has no colon", l)
		}
		out = append(out, k)
	}
	return out
}

func TestInfoReplicationHasRealRedisFieldsInOrder(t *testing.T) {
	r := pair(t, 1, simredis.Options{ReplTimeout: 5 * time.Second})
	check := func(name string, want []string) {
		t.Helper()
		info := r.do(name, "INFO", "replication").(string)
		if got := fields(t, info); !slices.Equal(got, want) {
			t.Fatalf("%s INFO replication fields\n got %v\nwant %v\n%s", name, got, want, info)
		}
	}
	check("redis-6380", realMasterFields)
	check("redis-6381", realReplicaUpFields)
	master := r.do("redis-6380", "INFO", "replication").(string)
	if !regexp.MustCompile(`\r\nslave0:ip=10\.0\.0\.1,port=6381,state=online,offset=\d+,lag=\d+\r\n`).MatchString(master) {
		t.Fatalf("replica line not as redis writes it:\n%s", master)
	}
	r.w.Crash("redis-6380")
	r.run(6 * time.Second)
	check("redis-6381", realReplicaDownFields)
	if all := r.do("redis-6381", "INFO").(string); !strings.Contains(all, "\r\n\r\n# Replication\r\n") ||
		!strings.HasPrefix(all, "# Server\r\nredis_version:7.0.15\r\n") {
		t.Fatalf("INFO sections not joined as redis joins them:\n%q", all)
	}
	r.want(r.do("redis-6381", "INFO", "nosuchsection"), "")
}

func TestSentinelParsesTheModelsInfoAsARealServers(t *testing.T) {
	r := pair(t, 2, simredis.Options{})
	m, rep := r.info("redis-6380"), r.info("redis-6381")
	if m.Role != failover.KindMaster || m.RunID != r.srv("redis-6380").RunID() ||
		!slices.Equal(m.Replicas, []sentinel.Addr{{Host: "10.0.0.1", Port: 6381}}) || m.FailoverState != "no-failover" {
		t.Fatalf("master as the sentinel reads it: %+v", m)
	}
	if rep.Role != failover.KindReplica || rep.MasterHost != "10.0.0.1" || rep.MasterPort != 6380 ||
		!rep.MasterLinkUp || rep.SlavePriority != 100 || rep.ReplicaAnnounced != 1 || !rep.HasReplOffset ||
		len(rep.RunID) != 40 || rep.RunID == m.RunID {
		t.Fatalf("replica as the sentinel reads it: %+v", rep)
	}
	r.w.Crash("redis-6380")
	r.w.Restart("redis-6380")
	if again := r.info("redis-6380"); again.RunID == m.RunID {
		t.Fatal("run_id unchanged after a restart: the sentinel would miss the +reboot")
	}
}

func TestPriorityAndAnnouncedOptions(t *testing.T) {
	r := pair(t, 3, simredis.Options{Priority: simredis.NoPriority, NotAnnounced: true})
	if rep := r.info("redis-6381"); rep.SlavePriority != 0 || rep.ReplicaAnnounced != 0 {
		t.Fatalf("priority %d announced %d, want 0 and 0", rep.SlavePriority, rep.ReplicaAnnounced)
	}
}

func TestReplicaFollowsTheMastersWrites(t *testing.T) {
	r := pair(t, 4, simredis.Options{})
	if err := r.srv("redis-6380").Write(1000); err != nil {
		t.Fatal(err)
	}
	r.run(300 * time.Millisecond)
	m, rep := r.srv("redis-6380"), r.srv("redis-6381")
	if m.Offset() < 1000 || rep.Offset() != m.Offset() {
		t.Fatalf("master offset %d, replica %d", m.Offset(), rep.Offset())
	}
	if err := rep.Write(1); err == nil {
		t.Fatal("a replica took a write")
	}
}

func TestSlaveOfNoOneMakesAMaster(t *testing.T) {
	r := pair(t, 5, simredis.Options{})
	before := r.info("redis-6381")
	r.want(r.do("redis-6381", "SLAVEOF", "NO", "ONE"), "OK")
	after := r.info("redis-6381")
	if after.Role != failover.KindMaster {
		t.Fatalf("role after SLAVEOF NO ONE: %v", after.Role)
	}
	info := r.do("redis-6381", "INFO", "replication").(string)
	if !strings.Contains(info, "\r\nrole:master\r\n") || !strings.Contains(info, "\r\nsecond_repl_offset:") ||
		strings.Contains(info, "second_repl_offset:-1") {
		t.Fatalf("INFO after promotion:\n%s", info)
	}
	if before.RunID != after.RunID {
		t.Fatal("run_id changed without a restart")
	}
	// The promoted replica closed its link: its old master drops it at
	// once (within a message's delay), not after repl-timeout.
	r.run(10 * time.Millisecond)
	if m := r.info("redis-6380"); len(m.Replicas) != 0 {
		t.Fatalf("the old master still lists %v", m.Replicas)
	}
	r.want(r.do("redis-6381", "REPLICAOF", "NO", "ONE"), "OK")
}

func TestSlaveOfRepliesAsRedis(t *testing.T) {
	r := pair(t, 6, simredis.Options{})
	r.want(r.do("redis-6381", "SLAVEOF", "10.0.0.1", "6380"), "OK Already connected to specified master")
	r.want(r.do("redis-6381", "SLAVEOF", "10.0.0.1", "x"), sim.RedisError("ERR Invalid master port"))
	r.want(r.do("redis-6381", "SLAVEOF", "10.0.0.1"), sim.RedisError("ERR wrong number of arguments for 'slaveof' command"))
	r.want(r.do("redis-6381", "NOSUCH", "a"), sim.RedisError("ERR unknown command 'NOSUCH', with args beginning with: 'a' "))
	// The old master follows its former replica once told to.
	r.want(r.do("redis-6381", "SLAVEOF", "NO", "ONE"), "OK")
	r.want(r.do("redis-6380", "SLAVEOF", "10.0.0.1", "6381"), "OK")
	r.run(time.Second)
	if m := r.info("redis-6380"); m.Role != failover.KindReplica || !m.MasterLinkUp || m.MasterPort != 6381 {
		t.Fatalf("old master: %+v", m)
	}
	if m := r.info("redis-6381"); len(m.Replicas) != 1 || m.Replicas[0].Port != 6380 {
		t.Fatalf("new master's replicas: %+v", m.Replicas)
	}
}

func TestReplicaLinkGoesDownWhenPartitionedFromItsMaster(t *testing.T) {
	r := pair(t, 7, simredis.Options{ReplTimeout: 5 * time.Second})
	r.w.Partition([]string{"redis-6380"}, []string{"redis-6381"})
	r.run(3 * time.Second)
	if !r.info("redis-6381").MasterLinkUp {
		t.Fatal("link down before repl-timeout")
	}
	if m := r.info("redis-6380"); len(m.Replicas) != 1 {
		t.Fatal("the master forgot its replica before repl-timeout")
	}
	r.srv("redis-6380").Write(500)
	r.run(3 * time.Second)
	rep := r.info("redis-6381")
	if rep.MasterLinkUp || rep.MasterLinkDownTime < 0 {
		t.Fatalf("after repl-timeout: link up %v, down for %v", rep.MasterLinkUp, rep.MasterLinkDownTime)
	}
	r.want(r.do("redis-6381", "ROLE").([]any)[3], "connect")
	if r.srv("redis-6381").Offset() >= r.srv("redis-6380").Offset() {
		t.Fatal("a partitioned replica followed a write")
	}
	if m := r.info("redis-6380"); len(m.Replicas) != 0 {
		t.Fatalf("the master still lists a replica silent for 6s: %+v", m.Replicas)
	}
	r.w.HealAll()
	r.run(time.Second)
	if rep := r.info("redis-6381"); !rep.MasterLinkUp || r.srv("redis-6381").Offset() != r.srv("redis-6380").Offset() {
		t.Fatal("after healing the replica did not catch up")
	}
}

func TestNeverLinkedReplicaReportsMinusOne(t *testing.T) {
	r := newRig(t, 8)
	r.server("redis-6381", 6381, simredis.Options{ReplicaOf: addr(6399)}) // nobody there
	r.run(2 * time.Second)
	info := r.do("redis-6381", "INFO", "replication").(string)
	if !strings.Contains(info, "\r\nmaster_link_down_since_seconds:-1\r\n") {
		t.Fatalf("never-linked replica:\n%s", info)
	}
	r.want(r.do("redis-6381", "ROLE"), []any{"slave", "10.0.0.1", int64(6399), "connect", int64(-1)})
}

func TestRoleReplies(t *testing.T) {
	r := pair(t, 9, simredis.Options{})
	off := r.srv("redis-6380").Offset()
	r.want(r.do("redis-6380", "ROLE"), []any{"master", off, []any{[]any{"10.0.0.1", "6381", strconv.FormatInt(r.srv("redis-6381").Offset(), 10)}}})
	r.want(r.do("redis-6381", "ROLE"), []any{"slave", "10.0.0.1", int64(6380), "connected", off})
}

func TestRestartKeepsTheRewrittenRoleOnly(t *testing.T) {
	r := pair(t, 10, simredis.Options{})
	// Promoted without CONFIG REWRITE: a restart forgets it.
	r.do("redis-6381", "SLAVEOF", "NO", "ONE")
	r.w.Restart("redis-6381")
	r.run(time.Second)
	if r.srv("redis-6381").IsMaster() {
		t.Fatal("a promotion that was not rewritten survived a restart")
	}
	// Promoted and rewritten: it comes back a master, with a new run_id.
	r.do("redis-6381", "SLAVEOF", "NO", "ONE")
	r.want(r.do("redis-6381", "CONFIG", "REWRITE"), "OK")
	old := r.srv("redis-6381").RunID()
	r.w.Restart("redis-6381")
	r.run(time.Second)
	if s := r.srv("redis-6381"); !s.IsMaster() || s.RunID() == old {
		t.Fatalf("after restart: master %v, run_id changed %v", s.IsMaster(), s.RunID() != old)
	}
	// The old master, demoted and rewritten, restarts as a replica.
	r.do("redis-6380", "SLAVEOF", "10.0.0.1", "6381")
	r.do("redis-6380", "CONFIG", "REWRITE")
	r.w.Restart("redis-6380")
	r.run(time.Second)
	if s := r.srv("redis-6380"); s.MasterAddr() != addr(6381) || !s.LinkUp() {
		t.Fatalf("demoted master after restart: replica of %v, link up %v", s.MasterAddr(), s.LinkUp())
	}
}

func TestMultiExecQueuesAndRunsAtExec(t *testing.T) {
	r := pair(t, 11, simredis.Options{})
	r.want(r.do("redis-6381", "MULTI"), "OK")
	r.want(r.do("redis-6381", "SLAVEOF", "NO", "ONE"), "QUEUED")
	r.want(r.do("redis-6381", "CONFIG", "REWRITE"), "QUEUED")
	r.want(r.do("redis-6381", "CLIENT", "KILL", "TYPE", "normal"), "QUEUED")
	if r.info2("redis-6381").Role != failover.KindReplica {
		t.Fatal("a queued SLAVEOF ran before EXEC")
	}
	r.want(r.do("redis-6381", "EXEC"), []any{"OK", "OK", int64(1)}) // info2's connection was killed
	if !r.srv("redis-6381").IsMaster() {
		t.Fatal("EXEC did not run the queued SLAVEOF")
	}
	if len(r.cli.closed) != 1 || r.cli.closed[0].Conn != "other" {
		t.Fatalf("closed connections %+v, want the other one only (the caller is skipped)", r.cli.closed)
	}
	r.want(r.do("redis-6381", "EXEC"), sim.RedisError("ERR EXEC without MULTI"))
	r.want(r.do("redis-6381", "DISCARD"), sim.RedisError("ERR DISCARD without MULTI"))
	r.want(r.do("redis-6381", "MULTI"), "OK")
	r.want(r.do("redis-6381", "MULTI"), sim.RedisError("ERR MULTI calls can not be nested"))
	r.want(r.do("redis-6381", "BADCMD"), sim.RedisError("ERR unknown command 'BADCMD', with args beginning with: "))
	r.want(r.do("redis-6381", "SLAVEOF", "10.0.0.1", "6380"), "QUEUED")
	r.want(r.do("redis-6381", "EXEC"), sim.RedisError("EXECABORT Transaction discarded because of previous errors."))
	if !r.srv("redis-6381").IsMaster() {
		t.Fatal("an aborted transaction ran")
	}
	// Errors at run time are elements of EXEC's array.
	r.do("redis-6381", "MULTI")
	r.do("redis-6381", "FAILOVER", "ABORT")
	r.do("redis-6381", "PING")
	r.want(r.do("redis-6381", "EXEC"), []any{sim.RedisError("ERR No failover in progress."), "PONG"})
}

// info2 reads INFO on a second connection of the client, as the
// sentinel's other link would (a MULTI is per connection).
func (r *rig) info2(name string) sentinel.InfoReport {
	return failover.ParseInfo(r.doOn(name, "other", "INFO").(string))
}

func TestPubSubGoesThroughTheNetworkAndDownToReplicas(t *testing.T) {
	r := pair(t, 12, simredis.Options{})
	const ch = "__sentinel__:hello"
	r.want(r.doOn("redis-6380", "sub-m", "SUBSCRIBE", ch), []any{"subscribe", ch, int64(1)})
	r.want(r.doOn("redis-6381", "sub-r", "SUBSCRIBE", ch), []any{"subscribe", ch, int64(1)})
	r.want(r.doOn("redis-6380", "sub-m", "INFO"),
		sim.RedisError("ERR Can't execute 'info': only (P|S)SUBSCRIBE / (P|S)UNSUBSCRIBE / PING / QUIT / RESET are allowed in this context"))
	r.want(r.doOn("redis-6380", "sub-m", "PING"), []any{"pong", ""})
	before := r.srv("redis-6380").Offset()
	r.want(r.do("redis-6380", "PUBLISH", ch, "hello-1"), int64(1))
	r.run(100 * time.Millisecond)
	if got := payloads(r.cli.msgs); !slices.Equal(got, []string{"sub-m hello-1", "sub-r hello-1"}) {
		t.Fatalf("messages %v, want one on the master and one propagated to the replica", got)
	}
	if r.srv("redis-6380").Offset() <= before {
		t.Fatal("PUBLISH did not grow the replication offset")
	}
	// A partition between the subscriber and the server loses the push.
	r.w.Cut("redis-6380", "cli")
	r.sendOn("redis-6380", "cmd", "PUBLISH", ch, "hello-2")
	r.run(100 * time.Millisecond)
	if got := payloads(r.cli.msgs); !slices.Equal(got, []string{"sub-m hello-1", "sub-r hello-1", "sub-r hello-2"}) {
		t.Fatalf("messages %v: the cut link delivered, or propagation stopped", got)
	}
}

func payloads(ms []sim.Message) []string {
	out := make([]string, 0, len(ms))
	for _, m := range ms {
		out = append(out, m.Conn+" "+m.Payload)
	}
	slices.Sort(out)
	return out
}

func TestKilledMasterTakesItsReplicasLinkDownAtOnce(t *testing.T) {
	r := pair(t, 13, simredis.Options{})
	r.doOn("redis-6381", "pubsub", "SUBSCRIBE", "__sentinel__:hello")
	if err := r.w.Kill("redis-6380"); err != nil {
		t.Fatal(err)
	}
	r.run(50 * time.Millisecond) // far below repl-timeout
	if rep := r.info("redis-6381"); rep.MasterLinkUp {
		t.Fatal("the replica's link is up 50ms after its master was killed")
	}
	if len(r.cli.closed) != 1 || r.cli.closed[0].Conn != "" {
		t.Fatalf("the client was told %+v, want one Closed for all its connections", r.cli.closed)
	}
	// Crash (power loss) tells nobody: the link stays up until repl-timeout.
	r2 := pair(t, 14, simredis.Options{ReplTimeout: 5 * time.Second})
	r2.w.Crash("redis-6380")
	r2.run(time.Second)
	if !r2.info("redis-6381").MasterLinkUp {
		t.Fatal("a silent crash took the link down before repl-timeout")
	}
}

// A restarted client has new connections even under the old names: its
// MULTI and subscriptions from before must not catch its new commands or
// reach it, even when it could not tell the server (cut off meanwhile).
func TestRestartedClientGetsFreshConnections(t *testing.T) {
	r := pair(t, 15, simredis.Options{})
	r.want(r.do("redis-6380", "MULTI"), "OK")
	r.doOn("redis-6380", "pubsub", "SUBSCRIBE", "__sentinel__:hello")
	r.w.Cut("cli", "redis-6380") // the restart's Closed is lost
	r.w.Crash("cli")
	r.w.Restart("cli")
	r.run(10 * time.Millisecond)
	r.w.HealAll()
	r.want(r.do("redis-6380", "PING"), "PONG")
	r.want(r.doOn("redis-6380", "other", "PUBLISH", "__sentinel__:hello", "x"), int64(1)) // the stale subscriber
	r.run(10 * time.Millisecond)
	if len(r.cli.msgs) != 0 {
		t.Fatalf("the restarted client got %v on its old subscription", r.cli.msgs)
	}
	if !strings.Contains(r.w.Trace().String(), "a connection of cli's earlier incarnation") {
		t.Fatal("the stale push was not dropped as such")
	}
	// Told of the restart, the server drops the old connections.
	r.w.Restart("cli")
	r.run(10 * time.Millisecond)
	r.want(r.do("redis-6380", "PUBLISH", "__sentinel__:hello", "x"), int64(0))
}

// A restarted server's clients learn their connections are gone.
func TestRestartedServerClosesItsClientsConnections(t *testing.T) {
	r := pair(t, 16, simredis.Options{})
	r.doOn("redis-6380", "pubsub", "SUBSCRIBE", "__sentinel__:hello")
	r.w.Restart("redis-6380")
	r.run(10 * time.Millisecond)
	if len(r.cli.closed) != 1 || r.cli.closed[0].Conn != "" || r.cli.closed[0].Reason != "peer restarted" {
		t.Fatalf("closed %+v, want one for all connections", r.cli.closed)
	}
	r.run(time.Second)
	if !r.srv("redis-6381").LinkUp() {
		t.Fatal("the replica did not reconnect to its restarted master")
	}
}

// A sentinel's hello, published on the master, reaches a subscriber of a
// replica (redis propagates PUBLISH) byte for byte, and reads back.
func TestHelloReachesReplicaSubscribersIntact(t *testing.T) {
	r := pair(t, 17, simredis.Options{})
	const hello = "10.0.0.2,26379,0123456789abcdef0123456789abcdef01234567,7,mymaster,10.0.0.1,6380,7"
	r.doOn("redis-6381", "pubsub", "SUBSCRIBE", "__sentinel__:hello")
	r.do("redis-6380", "PUBLISH", "__sentinel__:hello", hello)
	r.run(50 * time.Millisecond)
	if len(r.cli.msgs) != 1 {
		t.Fatalf("messages %v, want the hello once", r.cli.msgs)
	}
	h, ok := failover.ParseHello(r.cli.msgs[0].Payload)
	if !ok || h.MasterName != "mymaster" || h.MasterAddr.Port != 6380 || h.ConfigEpoch != 7 || h.Addr.Port != 26379 {
		t.Fatalf("hello read back as %+v (%v)", h, ok)
	}
}

func TestPublishGrowsTheOffsetByItsRESPLength(t *testing.T) {
	r := pair(t, 18, simredis.Options{})
	before := r.srv("redis-6380").Offset()
	r.do("redis-6380", "PUBLISH", "ch", "hello")
	// *3\r\n $7\r\nPUBLISH\r\n $2\r\nch\r\n $5\r\nhello\r\n
	if got := r.srv("redis-6380").Offset() - before; got != 4+13+8+11 {
		t.Fatalf("offset grew by %d, want 36", got)
	}
}
