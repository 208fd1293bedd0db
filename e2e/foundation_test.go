package e2e

import (
	"context"
	"fmt"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/qsentinel/qsentinel/e2e/cluster"
	"github.com/redis/go-redis/v9"
)

// TestRedisCLIAndClients: an operator's redis-cli and go-redis's sentinel
// clients work against ours alone.
func TestRedisCLIAndClients(t *testing.T) {
	c := cluster.New(t)
	master := c.StartRedis("master")
	replica := c.StartReplica("replica", master)
	cluster.WaitReplicaSynced(t, replica)
	s := c.StartSentinel(cluster.Ours, "ours", cluster.SentinelConfig{
		Monitors: []cluster.Monitor{{Name: "mymaster", Redis: master, Quorum: 1, DownAfter: 5 * time.Second}},
	})
	s.WaitReplica(t, "mymaster", replica.Addr(), 30*time.Second)
	cli := cluster.LookBinary(t, "redis-cli")
	run := func(args ...string) string {
		t.Helper()
		out, err := exec.Command(cli, append([]string{"-p", strconv.Itoa(s.Port)}, args...)...).CombinedOutput()
		if err != nil {
			t.Fatalf("redis-cli %v: %v\n%s", args, err, out)
		}
		return string(out)
	}
	if got, want := run("SENTINEL", "get-master-addr-by-name", "mymaster"), "127.0.0.1\n"+strconv.Itoa(master.Port)+"\n"; got != want {
		t.Errorf("get-master-addr-by-name: %q, want %q", got, want)
	}
	masters := run("--no-raw", "SENTINEL", "masters")
	for _, want := range []string{`1)  1) "name"`, `2) "mymaster"`, `"num-slaves"`, `"quorum"`} {
		if !strings.Contains(masters, want) {
			t.Errorf("redis-cli --no-raw SENTINEL masters lacks %q:\n%s", want, masters)
		}
	}
	if got := run("PING"); got != "PONG\n" {
		t.Errorf("PING: %q", got)
	}
	if got := run("SENTINEL", "ckquorum", "mymaster"); !strings.HasPrefix(got, "OK 1 usable Sentinels") {
		t.Errorf("ckquorum: %q", got)
	}

	ctx := context.Background()
	sc := redis.NewSentinelClient(&redis.Options{Addr: s.Addr()})
	defer sc.Close()
	if m, err := sc.Master(ctx, "mymaster").Result(); err != nil || m["name"] != "mymaster" {
		t.Errorf("SentinelClient.Master: %v %v", m, err)
	}
	if reps, err := sc.Replicas(ctx, "mymaster").Result(); err != nil || len(reps) != 1 {
		t.Errorf("SentinelClient.Replicas: %v %v", reps, err)
	}
	if _, err := sc.Sentinels(ctx, "mymaster").Result(); err != nil {
		t.Errorf("SentinelClient.Sentinels: %v", err)
	}
	addr, err := sc.GetMasterAddrByName(ctx, "mymaster").Result()
	if err != nil || addr[1] != strconv.Itoa(master.Port) {
		t.Errorf("GetMasterAddrByName: %v %v", addr, err)
	}
	rdb := redis.NewFailoverClient(&redis.FailoverOptions{MasterName: "mymaster", SentinelAddrs: []string{s.Addr()}})
	defer rdb.Close()
	if err := rdb.Set(ctx, "hello", "world", 0).Err(); err != nil {
		t.Fatalf("SET through FailoverClient: %v", err)
	}
	if v, err := rdb.Get(ctx, "hello").Result(); err != nil || v != "world" {
		t.Fatalf("GET through FailoverClient: %q %v", v, err)
	}
	if v, err := master.Do("GET", "hello"); err != nil || v.Text() != "world" {
		t.Fatalf("the write did not reach the master: %v %v", v, err)
	}
}

// TestRestartKeepsState: myid, epochs, known replicas and peers survive a
// kill -9, are listed right after the restart (before any rediscovery),
// and the rewritten file starts a real redis-sentinel.
func TestRestartKeepsState(t *testing.T) {
	c := cluster.New(t)
	master := c.StartRedis("master")
	replica := c.StartReplica("replica", master)
	cluster.WaitReplicaSynced(t, replica)
	mon := []cluster.Monitor{{Name: "mymaster", Redis: master, Quorum: 2, DownAfter: 5 * time.Second}}
	peer := c.StartSentinel(cluster.Real, "peer", cluster.SentinelConfig{Monitors: mon})
	s := c.StartSentinel(cluster.Ours, "ours", cluster.SentinelConfig{Monitors: mon})
	s.WaitSentinels(t, "mymaster", 1, 30*time.Second)
	s.WaitReplica(t, "mymaster", replica.Addr(), 30*time.Second)
	id, err := s.MyID()
	if err != nil {
		t.Fatal(err)
	}
	cluster.WaitFor(t, 5*time.Second, "state on disk", func() error {
		cf, err := s.Conf()
		if err != nil {
			return err
		}
		for _, p := range [][]string{{"sentinel", "myid"}, {"sentinel", "known-replica", "mymaster"},
			{"sentinel", "known-sentinel", "mymaster"}, {"sentinel", "current-epoch"}} {
			if len(cf.Find(p...)) == 0 {
				return fmt.Errorf("no %v line", p)
			}
		}
		return nil
	})
	// Stop the peer so that nothing could be rediscovered after restart.
	peer.Kill()
	if err := s.Restart(); err != nil {
		t.Fatal(err)
	}
	if got, _ := s.MyID(); got != id {
		t.Errorf("myid changed across restart: %s -> %s", id, got)
	}
	reps, err := s.Replicas("mymaster")
	if err != nil || len(reps) != 1 || reps[0]["name"] != replica.Addr() {
		t.Errorf("replicas right after restart: %v %v", reps, err)
	}
	peers, err := s.Sentinels("mymaster")
	if err != nil || len(peers) != 1 || peers[0]["port"] != strconv.Itoa(peer.Port) {
		t.Errorf("sentinels right after restart: %v %v", peers, err)
	}

	// The rewritten file is still a redis-sentinel config.
	dir := c.NewDir("real-on-our-file")
	b, err := os.ReadFile(s.ConfPath)
	if err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(dir, "sentinel.conf")
	// Both sentinels rewrite dir as redis does: quoted, absolute.
	text := strings.ReplaceAll(string(b), `dir "`+filepath.Dir(s.ConfPath)+`"`, "dir "+dir)
	text = strings.ReplaceAll(text, "dir "+filepath.Dir(s.ConfPath), "dir "+dir)
	// A different identity, or the two would claim the same run id.
	text = strings.ReplaceAll(text, id, strings.Repeat("e", 40))
	if err := os.WriteFile(path, []byte(text), 0o644); err != nil {
		t.Fatal(err)
	}
	real := c.StartSentinelOnConf(cluster.Real, "real-on-our-file", path)
	if v, err := real.Do("SENTINEL", "GET-MASTER-ADDR-BY-NAME", "mymaster"); err != nil || v.Strings()[1] != strconv.Itoa(master.Port) {
		t.Errorf("redis-sentinel on our file: %v %v", v, err)
	}
}

// TestKillDuringRewrite kills our process with SIGKILL at random moments
// while it rewrites its config as fast as it can; every time, the file
// must be whole and start the sentinel again.
func TestKillDuringRewrite(t *testing.T) {
	c := cluster.New(t)
	master := c.StartRedis("master")
	s := c.StartSentinel(cluster.Ours, "ours", cluster.SentinelConfig{
		Monitors: []cluster.Monitor{{Name: "mymaster", Redis: master, Quorum: 2, DownAfter: 5 * time.Second}},
	})
	id, _ := s.MyID()
	for round := range 12 {
		ctx, cancel := context.WithCancel(context.Background())
		var wg sync.WaitGroup
		for w := range 2 {
			wg.Add(1)
			go func() {
				defer wg.Done()
				conn, err := cluster.Dial(s.Addr())
				if err != nil {
					return
				}
				defer conn.Close()
				for n := 0; ctx.Err() == nil; n++ {
					var err error
					if w == 0 {
						_, err = conn.Do("SENTINEL", "SET", "mymaster", "quorum", strconv.Itoa(1+n%5), "down-after-milliseconds", strconv.Itoa(5000+n))
					} else {
						_, err = conn.Do("SENTINEL", "FLUSHCONFIG")
					}
					if err != nil {
						return
					}
				}
			}()
		}
		time.Sleep(time.Duration(20+rand.IntN(200)) * time.Millisecond)
		s.Kill()
		cancel()
		wg.Wait()
		cf, err := s.Conf()
		if err != nil {
			t.Fatalf("round %d: config unreadable after kill: %v", round, err)
		}
		if got, _ := cf.Get("sentinel", "myid"); got != id {
			t.Fatalf("round %d: myid line %q, want %q", round, got, id)
		}
		if len(cf.Find("sentinel", "monitor", "mymaster")) != 1 {
			t.Fatalf("round %d: monitor line missing or doubled", round)
		}
		leftovers, _ := filepath.Glob(filepath.Join(filepath.Dir(s.ConfPath), "*.tmp*"))
		if err := s.Restart(); err != nil {
			t.Fatalf("round %d: restart on the file left by the kill: %v (temp files: %v)", round, err, leftovers)
		}
		if got, _ := s.MyID(); got != id {
			t.Fatalf("round %d: myid %s after restart, want %s", round, got, id)
		}
	}
}
