//go:build !linux

package eventloop

import (
	"context"
	"errors"
	"net"
	"net/netip"
	"time"
)

// Loop is only implemented on Linux; New fails elsewhere and callers keep
// a reader goroutine per connection.
type Loop struct{}

// Conn is a connection registered with a Loop.
type Conn struct{}

// New reports that there is no event loop on this system.
func New() (*Loop, error) { return nil, errors.ErrUnsupported }

func (l *Loop) Run(ctx context.Context) error             { return errors.ErrUnsupported }
func (l *Loop) Every(wait func() time.Duration, f func()) {}
func (l *Loop) CaughtUp() time.Time                       { return time.Time{} }
func (l *Loop) Add(nc net.Conn, h Handler) (*Conn, error) { return nil, errors.ErrUnsupported }
func (l *Loop) Connect(addr netip.AddrPort, h Handler) (*Conn, error) {
	return nil, errors.ErrUnsupported
}
func (c *Conn) LocalIP() string                   { return "" }
func (c *Conn) Write(b []byte) (int, error)       { return 0, errors.ErrUnsupported }
func (c *Conn) SetReadDeadline(t time.Time) error { return errors.ErrUnsupported }
func (c *Conn) Close() error                      { return nil }
