package failover

import (
	"testing"
	"time"
)

const masterInfo = "# Server\r\nredis_version:7.0.15\r\nrun_id:0123456789abcdef0123456789abcdef01234567\r\n" +
	"# Replication\r\nrole:master\r\nconnected_slaves:2\r\n" +
	"slave0:ip=127.0.0.1,port=6380,state=online,offset=100,lag=0\r\n" +
	"slave1:10.0.0.2,6381,online\r\nmaster_repl_offset:100\r\n"

const replicaInfo = "# Replication\r\nrole:slave\r\nmaster_host:127.0.0.1\r\nmaster_port:6379\r\n" +
	"master_link_status:up\r\nmaster_link_down_since_seconds:-1\r\nslave_repl_offset:4242\r\n" +
	"slave_priority:50\r\nreplica_announced:1\r\n"

func TestParseInfo(t *testing.T) {
	m := ParseInfo(masterInfo)
	if m.Role != KindMaster || m.RunID != "0123456789abcdef0123456789abcdef01234567" {
		t.Fatalf("master: %+v", m)
	}
	want := []Addr{{"127.0.0.1", 6380}, {"10.0.0.2", 6381}}
	if len(m.Replicas) != 2 || m.Replicas[0] != want[0] || m.Replicas[1] != want[1] {
		t.Fatalf("replicas %v, want %v", m.Replicas, want)
	}
	r := ParseInfo(replicaInfo)
	if r.Role != KindReplica || r.MasterHost != "127.0.0.1" || r.MasterPort != 6379 || !r.MasterLinkUp ||
		r.SlaveReplOffset != 4242 || r.SlavePriority != 50 || r.ReplicaAnnounced != 1 ||
		r.MasterLinkDownTime != -time.Second {
		t.Fatalf("replica: %+v", r)
	}
	// Replica fields before the role line are not trusted, as in redis-sentinel.
	early := ParseInfo("master_host:x\r\nrole:slave\r\n")
	if early.MasterHost != "" {
		t.Fatalf("field before role line was read: %+v", early)
	}
	if none := ParseInfo(""); none.Role != KindSentinel {
		t.Fatalf("empty info has a role: %+v", none)
	}
}

// With dual-channel replication (Valkey 8, redis 8) a syncing replica has
// a second entry, type=rdb-channel, with its own address; it is not a
// replica and must not become one.
func TestParseInfoSkipsRDBChannel(t *testing.T) {
	info := "# Replication\r\nrole:master\r\nconnected_slaves:3\r\n" +
		"slave0:ip=127.0.0.1,port=6380,state=wait_bgsave,offset=0,lag=0,type=rdb-channel\r\n" +
		"slave1:ip=127.0.0.1,port=6380,state=bg_transfer,offset=0,lag=0,type=main-channel\r\n" +
		"slave2:ip=127.0.0.1,port=6381,state=online,offset=10,lag=0,type=replica\r\n"
	got := ParseInfo(info).Replicas
	want := []Addr{{"127.0.0.1", 6380}, {"127.0.0.1", 6381}}
	if len(got) != len(want) || got[0] != want[0] || got[1] != want[1] {
		t.Fatalf("replicas %v, want %v", got, want)
	}
}

func FuzzParseInfo(f *testing.F) {
	f.Add(masterInfo)
	f.Add(replicaInfo)
	f.Add("slave0:ip=,port=\r\nslave9:\r\nrun_id:short\r\nmaster_link_down_since_seconds:\r\n")
	f.Fuzz(func(t *testing.T, s string) {
		r := ParseInfo(s)
		for _, a := range r.Replicas {
			if a.Host == "" || a.Port <= 0 || a.Port > 65535 {
				t.Fatalf("invalid replica address accepted: %+v", a)
			}
		}
		if r.RunID != "" && len(r.RunID) != 40 {
			t.Fatalf("run id %q", r.RunID)
		}
	})
}
