package respserver

import (
	"context"
	"io"
	"log/slog"
	"net"
	"strings"
	"testing"
	"time"

	"github.com/qsentinel/qsentinel/redislink"
	"github.com/qsentinel/qsentinel/sentinel"
)

// FuzzCommand feeds arbitrary bytes to one client connection of a real
// server (over an in-memory pipe) and checks that nothing panics or hangs:
// whatever arrives, the connection ends cleanly once the input does.
func FuzzCommand(f *testing.F) {
	for _, seed := range []string{
		"PING\r\n",
		"*2\r\n$8\r\nSENTINEL\r\n$7\r\nMASTERS\r\n",
		"*3\r\n$8\r\nSENTINEL\r\n$6\r\nMASTER\r\n$8\r\nmymaster\r\n",
		"*1\r\n$999999999999\r\n",
		"*-1\r\n*0\r\n",
		"HELLO 3\r\nSUBSCRIBE a b\r\nPING\r\nUNSUBSCRIBE\r\n",
		"SENTINEL SET mymaster quorum 3 down-after-milliseconds 1000\r\n",
		"PING \"unbalanced\r\n",
		"CLIENT KILL TYPE normal SKIPME no\r\n",
		"SENTINEL MONITOR x 127.0.0.1 1 1\r\nSENTINEL REMOVE x\r\n",
		"\x00\xff\r\n*1\r\n$4\r\nPING\r\n",
	} {
		f.Add([]byte(seed))
	}
	fnet := redislink.NewFakeNet()
	m := sentinel.Addr{Host: "127.0.0.1", Port: 6379}
	fnet.Add(m.String(), strings.Repeat("a", 40))
	sc := sentinel.DefaultConfig()
	sc.Masters = []sentinel.MasterState{{MasterConfig: sentinel.MasterConfig{Name: "mymaster", Addr: m, Quorum: 2}}}
	mon, err := sentinel.New(sc, sentinel.Options{Dialer: fnet, Store: nopStore{}, Logger: slog.New(slog.DiscardHandler)})
	if err != nil {
		f.Fatal(err)
	}
	srv := New(Config{}, mon, nil)
	srv.OnShutdown(func() {})
	f.Fuzz(func(t *testing.T, data []byte) {
		server, client := net.Pipe()
		c := srv.newClient(server)
		if !srv.register(c) {
			t.Skip()
		}
		done := make(chan struct{})
		go func() {
			defer close(done)
			defer srv.unregister(c)
			c.serve(context.Background())
		}()
		go io.Copy(io.Discard, client)
		client.SetWriteDeadline(time.Now().Add(2 * time.Second))
		client.Write(data)
		client.Close()
		select {
		case <-done:
		case <-time.After(5 * time.Second):
			t.Fatalf("connection did not end for input %q", data)
		}
	})
}
