package sentinel

import (
	"context"
	"errors"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/qsentinel/qsentinel/event"
	"github.com/qsentinel/qsentinel/redislink"
)

// fakeDNS is a Resolver whose names can be added and removed.
type fakeDNS struct {
	mu    sync.Mutex
	names map[string]string
}

func (d *fakeDNS) set(name, ip string) {
	d.mu.Lock()
	defer d.mu.Unlock()
	if ip == "" {
		delete(d.names, name)
	} else {
		d.names[name] = ip
	}
}

func (d *fakeDNS) lookup(_ context.Context, host string) ([]string, error) {
	d.mu.Lock()
	defer d.mu.Unlock()
	if ip, ok := d.names[host]; ok {
		return []string{ip}, nil
	}
	return nil, errors.New("no such host")
}

// A master known by name is reported by its IP unless announce-hostnames
// is on; when its name stops resolving while it is down (its container is
// gone, and its DNS entry with it), the failover still happens and is
// announced with the IP the name last had.
func TestHostnameVanishesWhileMasterDown(t *testing.T) {
	dns := &fakeDNS{names: map[string]string{"db-master.test": "10.0.0.1"}}
	fnet := redislink.NewFakeNet()
	m := Addr{Host: "db-master.test", Port: 6379}
	r := Addr{Host: "10.0.0.2", Port: 6380}
	master := fnet.Add(m.String(), strings.Repeat("a", 40))
	fnet.Add(r.String(), strings.Repeat("b", 40)).MasterOf = m.String()
	cfg := fastConfig(26379, m)
	cfg.Masters[0].Quorum = 1
	cfg.ResolveHostnames = true
	s, err := New(cfg, Options{Dialer: fnet, Store: &memStore{}, Logger: quiet, Resolver: dns.lookup})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	events := s.Events().Subscribe(1024)
	defer events.Close()
	go s.Run(ctx)

	waitFor(t, "replica discovered and name resolved", 5*time.Second, func() bool {
		mv, err := s.Master("mymaster")
		return err == nil && field(mv, "num-slaves") == "1" && field(mv, "ip") == "10.0.0.1"
	})
	if a, _ := s.MasterAddr("mymaster"); a != (Addr{Host: "10.0.0.1", Port: 6379}) {
		t.Fatalf("GET-MASTER-ADDR-BY-NAME %v, want the IP", a)
	}
	if err := s.ConfigSet("announce-hostnames", "yes"); err != nil {
		t.Fatal(err)
	}
	if mv, _ := s.Master("mymaster"); field(mv, "ip") != "db-master.test" {
		t.Fatalf("with announce-hostnames the ip field is %q, want the name", field(mv, "ip"))
	}
	if err := s.ConfigSet("announce-hostnames", "no"); err != nil {
		t.Fatal(err)
	}
	// A peer that names the master by its IP gets our opinion about it.
	if rep := s.IsMasterDownByAddr("10.0.0.1", 6379, 0, "*"); rep.Leader != "*" {
		t.Fatalf("is-master-down-by-addr by IP: %+v", rep)
	}

	dns.set("db-master.test", "")
	master.SetDown(true)
	deadline := time.After(10 * time.Second)
	for {
		select {
		case e := <-events.C:
			if e.Kind == event.SwitchMaster {
				if want := "mymaster 10.0.0.1 6379 10.0.0.2 6380"; e.Payload() != want {
					t.Fatalf("+switch-master %q, want %q", e.Payload(), want)
				}
				if e.Master != "mymaster" || e.From != (event.Addr{Host: "10.0.0.1", Port: 6379}) || e.To != (event.Addr{Host: "10.0.0.2", Port: 6380}) {
					t.Fatalf("+switch-master fields %+v", e)
				}
				return
			}
		case <-deadline:
			t.Fatal("no failover once the master's name stopped resolving")
		}
	}
}

// With resolve-hostnames, a replica that announces a name is monitored
// only once the name resolves (redis-sentinel cannot create an instance
// whose name does not resolve), and is then reported by its IP.
func TestReplicaNameMustResolve(t *testing.T) {
	dns := &fakeDNS{names: map[string]string{}}
	fnet := redislink.NewFakeNet()
	m := Addr{Host: "10.0.0.1", Port: 6379}
	fnet.Add(m.String(), strings.Repeat("a", 40))
	fnet.Add("replica.test:6380", strings.Repeat("b", 40)).MasterOf = m.String()
	cfg := fastConfig(26379, m)
	cfg.ResolveHostnames = true
	s, err := New(cfg, Options{Dialer: fnet, Store: &memStore{}, Logger: quiet, Resolver: dns.lookup})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	go s.Run(ctx)
	waitFor(t, "master INFO", 5*time.Second, func() bool {
		mv, _ := s.Master("mymaster")
		return field(mv, "runid") != ""
	})
	time.Sleep(3 * cfg.Timing.InfoPeriod)
	if mv, _ := s.Master("mymaster"); field(mv, "num-slaves") != "0" {
		t.Fatalf("a replica whose name does not resolve is monitored: num-slaves %s", field(mv, "num-slaves"))
	}
	dns.set("replica.test", "10.0.0.2")
	waitFor(t, "the replica once its name resolves", 5*time.Second, func() bool {
		reps, _ := s.Replicas("mymaster")
		return len(reps) == 1 && reps[0].Name == "replica.test:6380" && field(reps[0], "ip") == "10.0.0.2"
	})
}
