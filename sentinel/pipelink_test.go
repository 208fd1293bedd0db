package sentinel

import (
	"bufio"
	"context"
	"net"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"
)

// respStub answers each command line-protocol style: PING -> +PONG,
// ERR -> an error reply, SLOW -> stalls the connection (the client must
// time out),
// anything else -> its name as a bulk string. It records what it got.
type respStub struct {
	ln   net.Listener
	mu   sync.Mutex
	got  []string
	acc  int
	done chan struct{}
}

func newRespStub(t *testing.T) *respStub {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	s := &respStub{ln: ln, done: make(chan struct{})}
	t.Cleanup(func() { ln.Close(); <-s.done })
	go func() {
		defer close(s.done)
		var wg sync.WaitGroup
		for {
			c, err := ln.Accept()
			if err != nil {
				wg.Wait()
				return
			}
			s.mu.Lock()
			s.acc++
			s.mu.Unlock()
			wg.Add(1)
			go func() { defer wg.Done(); s.serve(c) }()
		}
	}()
	return s
}

func (s *respStub) serve(c net.Conn) {
	defer c.Close()
	br := bufio.NewReader(c)
	for {
		line, err := br.ReadString('\n')
		if err != nil {
			return
		}
		n, _ := strconv.Atoi(strings.TrimSpace(line[1:]))
		var args []string
		for range n {
			br.ReadString('\n')
			a, _ := br.ReadString('\n')
			args = append(args, strings.TrimSpace(a))
		}
		s.mu.Lock()
		s.got = append(s.got, strings.Join(args, " "))
		s.mu.Unlock()
		switch strings.ToUpper(args[0]) {
		case "PING":
			c.Write([]byte("+PONG\r\n"))
		case "ERR":
			c.Write([]byte("-ERR nope\r\n"))
		case "SLOW":
			// Like a busy server: nothing more on this connection.
			time.Sleep(500 * time.Millisecond)
			return
		default:
			c.Write([]byte("$" + strconv.Itoa(len(args[0])) + "\r\n" + args[0] + "\r\n"))
		}
	}
}

func (s *respStub) commands() []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]string(nil), s.got...)
}

func stubAddr(s *respStub) Addr {
	a := s.ln.Addr().(*net.TCPAddr)
	return Addr{Host: "127.0.0.1", Port: a.Port}
}

func TestPipeLinkOrderErrorsAndHandshake(t *testing.T) {
	s := newRespStub(t)
	l := newPipeLink(ConnOptions{Addr: stubAddr(s), Password: "pw", ClientName: "sentinel-x-cmd", Timeout: time.Second})
	defer l.Close()
	type res struct {
		v   any
		err error
	}
	out := make(chan res, 3)
	for _, cmd := range []string{"PING", "ERR", "INFO"} {
		l.Send(0, func(v any, err error) { out <- res{v, err} }, cmd)
	}
	r1, r2, r3 := <-out, <-out, <-out
	if r1.v != "PONG" || r1.err != nil {
		t.Errorf("PING: %v %v", r1.v, r1.err)
	}
	if !IsReplyError(r2.err) || errorText(r2.err) != "ERR nope" {
		t.Errorf("ERR: %v %v, want a reply error", r2.v, r2.err)
	}
	if r3.v != "INFO" {
		t.Errorf("INFO: %v %v", r3.v, r3.err)
	}
	got := s.commands()
	want := []string{"AUTH pw", "CLIENT SETNAME sentinel-x-cmd", "PING", "ERR", "INFO"}
	if strings.Join(got, "|") != strings.Join(want, "|") {
		t.Errorf("server got %q, want %q", got, want)
	}
	if l.LocalIP() != "127.0.0.1" {
		t.Errorf("LocalIP %q", l.LocalIP())
	}
}

func TestPipeLinkTimeoutDropsAndRedials(t *testing.T) {
	s := newRespStub(t)
	l := newPipeLink(ConnOptions{Addr: stubAddr(s), Timeout: time.Second})
	defer l.Close()
	errs := make(chan error, 2)
	l.Send(100*time.Millisecond, func(_ any, err error) { errs <- err }, "SLOW")
	l.Send(time.Second, func(_ any, err error) { errs <- err }, "PING")
	for range 2 {
		if err := <-errs; err == nil || IsReplyError(err) {
			t.Fatalf("commands behind an unanswered one: %v, want a transport error", err)
		}
	}
	v, err := l.Do(context.Background(), "PING")
	if err != nil || v != "PONG" {
		t.Fatalf("after the drop: %v %v", v, err)
	}
	s.mu.Lock()
	acc := s.acc
	s.mu.Unlock()
	if acc != 2 {
		t.Errorf("%d connections, want a second one after the timeout", acc)
	}
}

func TestPipeLinkTxAndClosed(t *testing.T) {
	s := newRespStub(t)
	l := newPipeLink(ConnOptions{Addr: stubAddr(s), Timeout: time.Second})
	if err := l.Tx(context.Background(), [][]any{{"MULTI"}, {"ERR"}, {"SLAVEOF", "NO", "ONE"}, {"EXEC"}}); err != nil {
		t.Fatalf("Tx: %v (reply errors inside a transaction are not transport errors)", err)
	}
	if got := strings.Join(s.commands(), "|"); got != "MULTI|ERR|SLAVEOF NO ONE|EXEC" {
		t.Errorf("server got %q", got)
	}
	l.Close()
	if _, err := l.Do(context.Background(), "PING"); err == nil {
		t.Error("Do on a closed link succeeded")
	}
}

func TestPipeLinkDialFailure(t *testing.T) {
	ln, _ := net.Listen("tcp", "127.0.0.1:0")
	addr := ln.Addr().(*net.TCPAddr)
	ln.Close()
	l := newPipeLink(ConnOptions{Addr: Addr{Host: "127.0.0.1", Port: addr.Port}, Timeout: time.Second})
	defer l.Close()
	if _, err := l.Do(context.Background(), "PING"); err == nil || IsReplyError(err) {
		t.Fatalf("PING to a closed port: %v", err)
	}
}
