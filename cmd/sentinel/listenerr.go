package main

import (
	"errors"
	"fmt"
	"net"
	"os"
	"syscall"

	"github.com/qsentinel/qsentinel/strerror"
)

// listenFailure words a failed listen as redis's listenToPort does
// ("Could not create server TCP listening socket *:26379: bind: Address
// already in use"), so that what operators grep for is there; anything
// else is described as it is.
func listenFailure(err error, port int) string {
	var oe *net.OpError
	var se *os.SyscallError
	var errno syscall.Errno
	if !errors.As(err, &oe) || !errors.As(err, &se) || !errors.As(err, &errno) {
		return err.Error()
	}
	host := "*"
	if a, ok := oe.Addr.(*net.TCPAddr); ok && a.IP != nil && !a.IP.IsUnspecified() {
		host = a.IP.String()
		port = a.Port
	}
	return fmt.Sprintf("Warning: Could not create server TCP listening socket %s:%d: %s: %s",
		host, port, se.Syscall, strerror.Text(errno))
}
