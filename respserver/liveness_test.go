package respserver

import (
	"net"
	"testing"
	"time"
)

// TestReplyNotHeldBack: a reply goes out as soon as its request is
// complete, whatever follows it in the same packet (an empty line, the start
// of the next request, a NUL byte) and even if the client then half-closes.
// Before the fix replies were flushed only when the read buffer was empty,
// so each of these waited forever.
func TestReplyNotHeldBack(t *testing.T) {
	_, addr := startFakeServer(t, Config{Port: 0, RequirePass: "secret"})
	cases := []struct {
		name, send string
		auth       bool
		want       string
	}{
		{"inline then LF", "PING\r\n\n", true, "+PONG\r\n"},
		{"inline then CRLF", "PING\r\n\r\n", true, "+PONG\r\n"},
		{"multibulk then LF", "*1\r\n$4\r\nPING\r\n\n", true, "+PONG\r\n"},
		{"then half inline", "PING\r\nPI", true, "+PONG\r\n"},
		{"then multibulk head", "PING\r\n*1\r\n", true, "+PONG\r\n"},
		{"then NUL", "PING\r\n\x00", true, "+PONG\r\n"},
		{"auth then big bulk head", "AUTH secret\r\n*1\r\n$20000\r\n", false, "+OK\r\n"},
	}
	for _, tc := range cases {
		for _, halfClose := range []bool{false, true} {
			name := tc.name
			if halfClose {
				name += ", half-closed"
			}
			t.Run(name, func(t *testing.T) {
				c := dial(t, addr)
				if tc.auth {
					c.nc.Write([]byte(encode("AUTH", "secret")))
					if got := c.readReply(); got != "+OK\r\n" {
						t.Fatalf("AUTH: %q", got)
					}
				}
				c.nc.Write([]byte(tc.send))
				if halfClose {
					c.nc.(*net.TCPConn).CloseWrite()
				}
				c.nc.SetReadDeadline(time.Now().Add(200 * time.Millisecond))
				buf := make([]byte, len(tc.want))
				n, err := readFull(c, buf)
				if string(buf[:n]) != tc.want {
					t.Fatalf("sent %q: got %q (%v), want %q within 200 ms", tc.send, buf[:n], err, tc.want)
				}
			})
		}
	}
}

func readFull(c *rawConn, buf []byte) (int, error) {
	n := 0
	for n < len(buf) {
		m, err := c.br.Read(buf[n:])
		n += m
		if err != nil {
			return n, err
		}
	}
	return n, nil
}
