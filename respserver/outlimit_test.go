package respserver

import (
	"errors"
	"io"
	"net"
	"strings"
	"testing"
	"time"
)

// A password guesser that pipelines wrong AUTHs without reading is closed
// once more than 16 kB of its replies wait, as redis closes it, and gets
// none of them; an authenticated client pipelining as much is served.
func TestUnauthOutputLimit(t *testing.T) {
	l := DefaultLimits()
	l.AuthFailRate = 0 // the output limit alone (pacing: TestAuthFailuresPaced)
	_, addr := startFakeServer(t, Config{RequirePass: "secret", Limits: l})
	guesser := dial(t, addr)
	guesses := strings.Repeat(encode("AUTH", "wrong"), 100000)
	go guesser.nc.Write([]byte(guesses)) // blocks once we stop reading: the close ends it
	guesser.nc.SetReadDeadline(time.Now().Add(5 * time.Second))
	n, err := io.Copy(io.Discard, guesser.nc)
	var ne net.Error
	if errors.As(err, &ne) && ne.Timeout() {
		t.Fatalf("guesser still connected after 5s, %d bytes of replies read", n)
	}
	if want := int64(100000 * len(wrongPass)); n >= want/100 {
		t.Errorf("guesser got %d bytes of replies before the close, want (almost) none", n)
	}

	// The same pipeline once authenticated: every reply comes.
	ok := dial(t, addr)
	if got := ok.do("AUTH", "secret"); got != "+OK\r\n" {
		t.Fatalf("AUTH: %q", got)
	}
	const n2 = 2000
	go ok.nc.Write([]byte(strings.Repeat(encode("PING"), n2)))
	for i := range n2 {
		if got := ok.readReply(); got != "+PONG\r\n" {
			t.Fatalf("reply %d of an authenticated pipeline: %q", i, got)
		}
	}

	// With no password needed nobody is "unauthenticated": served too.
	_, open := startFakeServer(t, Config{})
	o := dial(t, open)
	go o.nc.Write([]byte(strings.Repeat(encode("PING"), n2)))
	for i := range n2 {
		if got := o.readReply(); got != "+PONG\r\n" {
			t.Fatalf("reply %d without requirepass: %q", i, got)
		}
	}
}

// client-output-buffer-limit normal: replies that take a client's
// unwritten output over the hard limit close it, without them; the
// default (no limit, as redis) serves the same requests.
func TestNormalOutputLimit(t *testing.T) {
	l := DefaultLimits()
	l.Normal = OutputLimit{Hard: 64 * 1024}
	_, addr := startFakeServer(t, Config{Limits: l})
	c := dial(t, addr)
	if got := c.do("PING"); got != "+PONG\r\n" {
		t.Fatalf("PING: %q", got)
	}
	// 20 pipelined COMMANDs: 8 kB of reply each, in one read.
	c.nc.Write([]byte(strings.Repeat(encode("COMMAND"), 20)))
	c.nc.SetReadDeadline(time.Now().Add(3 * time.Second))
	n, err := io.Copy(io.Discard, c.br)
	var ne net.Error
	if errors.As(err, &ne) && ne.Timeout() {
		t.Fatalf("client still connected after a reply over a 64 kB limit (%d bytes read)", n)
	}
	if n >= 64*1024 {
		t.Errorf("%d bytes of replies went out over a 64 kB limit", n)
	}

	_, open := startFakeServer(t, Config{})
	d := dial(t, open)
	d.nc.Write([]byte(strings.Repeat(encode("COMMAND"), 20)))
	for i := range 20 {
		if got := d.readReply(); !strings.HasPrefix(got, "*15\r\n") {
			t.Fatalf("COMMAND %d without a normal limit: %.40q", i, got)
		}
	}
}
