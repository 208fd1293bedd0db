package sentinel

import (
	"strings"
	"testing"

	"github.com/qsentinel/qsentinel/redislink"
)

// BenchmarkPeriodicArgs is what one publish period costs in arguments for
// a master watched with two peers: the hello for each of the three, and
// a PING and an INFO.
func BenchmarkPeriodicArgs(b *testing.B) {
	net := redislink.NewFakeNet()
	m := Addr{Host: "127.0.0.1", Port: 6379}
	s, err := New(fastConfig(26379, m), Options{Dialer: net, Store: &memStore{}, Logger: quiet})
	if err != nil {
		b.Fatal(err)
	}
	g := s.group("mymaster")
	i := g.master
	i.conn = net.Dial(redislink.ConnOptions{Addr: m.String()})
	g.mu.Lock()
	defer g.mu.Unlock()
	var hello, ping, info []any
	b.ReportAllocs()
	for range b.N {
		for range 3 {
			hello = g.helloArgs(i)
		}
		ping, info = g.commandArgs(i, "PING"), g.commandArgs(i, "INFO")
	}
	_, _, _ = hello, ping, info
}

// BenchmarkRepeatedHello is a known peer's hello that says what its last
// one said: how every peer's hellos arrive, on every instance and by
// PUBLISH, between configuration changes.
func BenchmarkRepeatedHello(b *testing.B) {
	net := redislink.NewFakeNet()
	s, err := New(fastConfig(26379, Addr{Host: "127.0.0.1", Port: 6379}), Options{Dialer: net, Store: &memStore{}, Logger: quiet})
	if err != nil {
		b.Fatal(err)
	}
	hello := []byte("127.0.0.1,26390," + strings.Repeat("c", 40) + ",0,mymaster,127.0.0.1,6379,0")
	s.ProcessHello(hello)
	b.ReportAllocs()
	for range b.N {
		s.ProcessHello(hello)
	}
}
