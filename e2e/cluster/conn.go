package cluster

import (
	"bytes"
	"fmt"
	"net"
	"strings"
	"time"
)

// DefaultTimeout bounds every single command round trip. Sentinel answers
// in microseconds; anything near a second is a hang worth failing on.
const DefaultTimeout = 3 * time.Second

// Conn is a raw RESP connection: it sends exactly the commands it is given
// and hands back exactly what came back, with no client-library behaviour
// (no HELLO on connect, no retries, no reply conversion) in between.
// A Conn is not safe for concurrent use.
type Conn struct {
	Addr    string
	Timeout time.Duration

	nc  net.Conn
	r   *Reader
	rec bytes.Buffer
	buf []byte
}

// Dial connects to addr ("127.0.0.1:26379").
func Dial(addr string) (*Conn, error) {
	nc, err := net.DialTimeout("tcp", addr, DefaultTimeout)
	if err != nil {
		return nil, err
	}
	c := &Conn{Addr: addr, Timeout: DefaultTimeout, nc: nc}
	c.r = NewReader(nc)
	c.r.Record = &c.rec
	return c, nil
}

// MustDial dials or fails the test, and closes the connection at cleanup.
func MustDial(t TB, addr string) *Conn {
	t.Helper()
	c, err := Dial(addr)
	if err != nil {
		t.Fatalf("dial %s: %v", addr, err)
	}
	t.Cleanup(func() { c.Close() })
	return c
}

// Close closes the connection.
func (c *Conn) Close() error { return c.nc.Close() }

// Send writes one command without reading a reply.
func (c *Conn) Send(args ...string) error {
	c.buf = AppendCommand(c.buf[:0], args...)
	c.nc.SetWriteDeadline(time.Now().Add(c.Timeout))
	_, err := c.nc.Write(c.buf)
	return err
}

// SendInline writes text followed by CRLF as an inline command, the form
// redis-cli and telnet users type.
func (c *Conn) SendInline(text string) error {
	c.nc.SetWriteDeadline(time.Now().Add(c.Timeout))
	_, err := c.nc.Write([]byte(text + "\r\n"))
	return err
}

// Read reads one reply, waiting at most c.Timeout.
func (c *Conn) Read() (Value, error) {
	v, _, err := c.ReadRaw(c.Timeout)
	return v, err
}

// ReadRaw reads one reply within timeout and also returns its bytes.
func (c *Conn) ReadRaw(timeout time.Duration) (Value, []byte, error) {
	c.nc.SetReadDeadline(time.Now().Add(timeout))
	c.rec.Reset()
	v, err := c.r.ReadValue()
	raw := append([]byte(nil), c.rec.Bytes()...)
	return v, raw, err
}

// Do sends one command and reads its reply. Error replies are returned
// as a Value, not as err: err is only for transport and protocol failures.
func (c *Conn) Do(args ...string) (Value, error) {
	v, _, err := c.DoRaw(args...)
	return v, err
}

// DoRaw is Do that also returns the raw reply bytes.
func (c *Conn) DoRaw(args ...string) (Value, []byte, error) {
	if err := c.Send(args...); err != nil {
		return Value{}, nil, fmt.Errorf("%s: send %s: %w", c.Addr, strings.Join(args, " "), err)
	}
	v, raw, err := c.ReadRaw(c.Timeout)
	if err != nil {
		return v, raw, fmt.Errorf("%s: reply to %s: %w", c.Addr, strings.Join(args, " "), err)
	}
	return v, raw, nil
}

// DoOK is Do that also treats an error reply as an error, for setup
// commands whose reply the caller only needs when it worked.
func (c *Conn) DoOK(args ...string) (Value, error) {
	v, err := c.Do(args...)
	if err == nil && v.IsError() {
		err = fmt.Errorf("%s: %s: %w", c.Addr, strings.Join(args, " "), v.Err())
	}
	return v, err
}

// Must is DoOK that fails the test on any error.
func (c *Conn) Must(t TB, args ...string) Value {
	t.Helper()
	v, err := c.DoOK(args...)
	if err != nil {
		t.Fatalf("%v", err)
	}
	return v
}

// Command dials addr, runs one command and closes: for occasional checks
// where keeping a connection around is not worth it.
func Command(addr string, args ...string) (Value, error) {
	c, err := Dial(addr)
	if err != nil {
		return Value{}, err
	}
	defer c.Close()
	return c.DoOK(args...)
}
