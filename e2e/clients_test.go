package e2e

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/qsentinel/qsentinel/e2e/cluster"
	"github.com/redis/go-redis/v9"
)

// clientSummary is what each client script prints when its stdin closes.
type clientSummary struct {
	Acked    int     `json:"acked"`
	Errors   int     `json:"errors"`
	Last     int     `json:"last"`
	ReadBack *string `json:"readBack"`
	Port     int     `json:"port"`
}

// runClientAcrossFailover starts a client program that writes through our
// sentinels, kills the master once it wrote, and checks the client wrote
// to the new master afterwards and reads its last write back.
func runClientAcrossFailover(t *testing.T, name string, argv func(sentinels, master string) []string) {
	c := cluster.New(t)
	master := c.StartRedis("master")
	replica := c.StartReplica("replica", master)
	cluster.WaitReplicaSynced(t, replica)
	mon := []cluster.Monitor{{Name: "mymaster", Redis: master, Quorum: 2, DownAfter: time.Second, FailoverTimeout: 6 * time.Second}}
	g := startGroup(t, c, []cluster.Impl{cluster.Ours, cluster.Ours, cluster.Ours}, mon)
	var addrs []string
	for _, s := range g.ss {
		s.WaitReplica(t, "mymaster", replica.Addr(), 30*time.Second)
		addrs = append(addrs, s.Addr())
	}
	args := argv(strings.Join(addrs, ","), "mymaster")
	cmd := exec.Command(args[0], args[1:]...)
	stdin, _ := cmd.StdinPipe()
	stdout, _ := cmd.StdoutPipe()
	var stderr strings.Builder
	cmd.Stderr = &stderr
	if err := cmd.Start(); err != nil {
		t.Fatalf("%s: %v", name, err)
	}
	defer cmd.Process.Kill()
	lines := make(chan string, 16)
	go func() {
		sc := bufio.NewScanner(stdout)
		for sc.Scan() {
			lines <- sc.Text()
		}
		close(lines)
	}()
	select {
	case l := <-lines:
		if l != "ready" {
			t.Fatalf("%s: first line %q\n%s", name, l, stderr.String())
		}
	case <-time.After(20 * time.Second):
		t.Fatalf("%s never wrote through the sentinels\n%s", name, stderr.String())
	}
	master.Kill()
	g.waitSwitched(t, "mymaster", replica.Addr(), 20*time.Second)
	// Let the client find the new master and write to it for a while.
	rdb := redis.NewClient(&redis.Options{Addr: replica.Addr()})
	defer rdb.Close()
	cluster.WaitFor(t, 20*time.Second, name+" writing to the new master", func() error {
		n, err := rdb.DBSize(context.Background()).Result()
		if err != nil {
			return err
		}
		before := n
		time.Sleep(300 * time.Millisecond)
		n, err = rdb.DBSize(context.Background()).Result()
		if err != nil || n <= before {
			return fmt.Errorf("dbsize %d -> %d %v", before, n, err)
		}
		return nil
	})
	stdin.Close()
	var sum clientSummary
	select {
	case l, ok := <-lines:
		if !ok || json.Unmarshal([]byte(l), &sum) != nil {
			t.Fatalf("%s: summary %q\n%s", name, l, stderr.String())
		}
	case <-time.After(10 * time.Second):
		t.Fatalf("%s did not finish\n%s", name, stderr.String())
	}
	t.Logf("%s: %+v", name, sum)
	if sum.ReadBack == nil || *sum.ReadBack != strconv.Itoa(sum.Last) {
		t.Errorf("%s read back %v for its last write %d", name, sum.ReadBack, sum.Last)
	}
	if sum.Port != replica.Port {
		t.Errorf("%s ended on port %d, want the new master %d", name, sum.Port, replica.Port)
	}
}

func TestClientIORedis(t *testing.T) {
	dir := filepath.Join("clients", "node_modules", "ioredis")
	if _, err := os.Stat(dir); err != nil {
		t.Fatalf("ioredis is not installed (make deps runs npm install in e2e/clients): %v", err)
	}
	node := cluster.LookBinary(t, "node")
	runClientAcrossFailover(t, "ioredis", func(s, m string) []string {
		return []string{node, filepath.Join("clients", "ioredis_client.js"), s, m}
	})
}

func TestClientRedisPy(t *testing.T) {
	py := "/usr/bin/python3"
	if out, err := exec.Command(py, "-c", "import redis").CombinedOutput(); err != nil {
		t.Fatalf("Debian's python3-redis is not installed: %v %s", err, out)
	}
	runClientAcrossFailover(t, "redis-py", func(s, m string) []string {
		return []string{py, filepath.Join("clients", "redispy_client.py"), s, m}
	})
}

// goRedisClient is the same client as the scripts, in-process, with
// go-redis's FailoverClient.
func TestClientGoRedis(t *testing.T) {
	exe, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	runClientAcrossFailover(t, "go-redis", func(s, m string) []string {
		return []string{exe, "-test.run=^TestGoRedisHelper$", "--", s, m}
	})
}

// TestGoRedisHelper is the go-redis client program run by TestClientGoRedis
// in a child process (it does nothing when run directly).
func TestGoRedisHelper(t *testing.T) {
	args := os.Args
	i := len(args) - 3
	if i < 0 || args[i] != "--" {
		t.Skip("helper process only")
	}
	rdb := redis.NewFailoverClient(&redis.FailoverOptions{MasterName: args[i+2], SentinelAddrs: strings.Split(args[i+1], ","),
		DialTimeout: 500 * time.Millisecond, ReadTimeout: 500 * time.Millisecond, WriteTimeout: 500 * time.Millisecond, MaxRetries: -1})
	defer rdb.Close()
	ctx := context.Background()
	var sum clientSummary
	done := make(chan struct{})
	go func() { io.Copy(io.Discard, os.Stdin); close(done) }()
	for n := 1; ; n++ {
		select {
		case <-done:
			v, err := rdb.Get(ctx, "go:"+strconv.Itoa(sum.Last)).Result()
			if err == nil {
				sum.ReadBack = &v
			}
			if info, err := rdb.Info(ctx, "server").Result(); err == nil {
				sum.Port, _ = strconv.Atoi(cluster.ParseInfo(info)["tcp_port"])
			}
			b, _ := json.Marshal(sum)
			fmt.Println(string(b))
			return
		default:
		}
		if err := rdb.Set(ctx, "go:"+strconv.Itoa(n), n, 0).Err(); err != nil {
			sum.Errors++
		} else {
			sum.Acked++
			sum.Last = n
			if sum.Acked == 1 {
				fmt.Println("ready")
			}
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// TestClientRedisCLI: redis-cli against our port during a failover.
func TestClientRedisCLI(t *testing.T) {
	c := cluster.New(t)
	master := c.StartRedis("master")
	replica := c.StartReplica("replica", master)
	cluster.WaitReplicaSynced(t, replica)
	mon := []cluster.Monitor{{Name: "mymaster", Redis: master, Quorum: 1, DownAfter: time.Second, FailoverTimeout: 6 * time.Second}}
	s := c.StartSentinel(cluster.Ours, "ours", cluster.SentinelConfig{Monitors: mon})
	s.WaitReplica(t, "mymaster", replica.Addr(), 30*time.Second)
	cli := cluster.LookBinary(t, "redis-cli")
	sub := exec.Command(cli, "-p", strconv.Itoa(s.Port), "SUBSCRIBE", "+switch-master")
	out, _ := sub.StdoutPipe()
	if err := sub.Start(); err != nil {
		t.Fatal(err)
	}
	defer sub.Process.Kill()
	got := make(chan string, 1)
	go func() {
		sc := bufio.NewScanner(out)
		for sc.Scan() {
			if strings.HasPrefix(sc.Text(), "mymaster ") {
				got <- sc.Text()
				return
			}
		}
	}()
	time.Sleep(300 * time.Millisecond)
	master.Kill()
	select {
	case l := <-got:
		want := fmt.Sprintf("mymaster 127.0.0.1 %d 127.0.0.1 %d", master.Port, replica.Port)
		if l != want {
			t.Errorf("redis-cli SUBSCRIBE got %q, want %q", l, want)
		}
	case <-time.After(20 * time.Second):
		t.Fatal("redis-cli SUBSCRIBE +switch-master saw nothing")
	}
	b, err := exec.Command(cli, "-p", strconv.Itoa(s.Port), "SENTINEL", "get-master-addr-by-name", "mymaster").Output()
	if err != nil || string(b) != "127.0.0.1\n"+strconv.Itoa(replica.Port)+"\n" {
		t.Errorf("get-master-addr-by-name after failover: %q %v", b, err)
	}
}
