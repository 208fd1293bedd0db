//go:build !linux

package respserver

import (
	"net"
	"time"
)

// setUserTimeout is Linux's TCP_USER_TIMEOUT (usertimeout_linux.go);
// elsewhere a vanished client with a reply in flight is bounded by the
// system's retransmission limit only.
func setUserTimeout(*net.TCPConn, time.Duration) error { return nil }
