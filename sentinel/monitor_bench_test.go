package sentinel

import (
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
	var hello any
	var ping, info []any
	b.ReportAllocs()
	for range b.N {
		for range 3 {
			hello = g.helloPayload(i)
		}
		ping, info = g.commandArgs(i, "PING"), g.commandArgs(i, "INFO")
	}
	_, _, _ = hello, ping, info
}
