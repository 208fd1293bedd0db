package main

import (
	"errors"
	"fmt"
	"log/slog"
	"net"
	"os"
	"runtime"
	"syscall"
)

// errNoNotifySocket is sd_notify's "0": not run by systemd.
var errNoNotifySocket = errors.New("NOTIFY_SOCKET not found")

// notifier sends sd_notify(3) messages: a datagram to the unix socket
// named by NOTIFY_SOCKET (an abstract one when it starts with "@", which
// the net package maps for us). Each message gets its own connection, as
// in libsystemd, so nothing stays open between them.
type notifier struct {
	socket string
	logger *slog.Logger
}

// send delivers one message; like redisCommunicateSystemd, a failure is
// logged and otherwise ignored.
func (n *notifier) send(msg string) error {
	err := sdNotify(n.socket, msg)
	switch {
	case errors.Is(err, errNoNotifySocket):
		n.logger.Warn("systemd supervision error: NOTIFY_SOCKET not found!")
	case err != nil:
		n.logger.Warn("systemd supervision error: sd_notify: " + err.Error())
	}
	return err
}

// raise sends sig to the calling thread, as raise(3) does. kill(2) to our
// own pid would let the kernel deliver it to any thread, and this one could
// run on (and listen) before the stop takes hold.
func raise(sig syscall.Signal) error {
	runtime.LockOSThread()
	defer runtime.UnlockOSThread()
	return syscall.Tgkill(os.Getpid(), syscall.Gettid(), sig)
}

func sdNotify(socket, msg string) error {
	if socket == "" {
		return errNoNotifySocket
	}
	conn, err := net.DialUnix("unixgram", nil, &net.UnixAddr{Name: socket, Net: "unixgram"})
	if err != nil {
		return fmt.Errorf("notify socket %s: %w", socket, err)
	}
	defer conn.Close()
	if _, err := conn.Write([]byte(msg)); err != nil {
		return fmt.Errorf("notify socket %s: %w", socket, err)
	}
	return nil
}

// supervise does what redisIsSupervised does for the supervised directive
// and returns whether the process is supervised (then daemonize does not
// apply) and, under systemd, the notifier for READY=1 and STOPPING=1.
//   - auto: upstart when UPSTART_JOB is set, else systemd when
//     NOTIFY_SOCKET is set, else not supervised;
//   - upstart: stop ourselves (SIGSTOP) so upstart knows we are up, as
//     redis does, then forget UPSTART_JOB;
//   - systemd: a first STATUS message, which also tells whether systemd
//     listens.
func (a *app) supervise() (bool, *notifier) {
	ok, mode, n := a.superviseMode()
	if ok {
		a.supervisedBy = mode
	}
	return ok, n
}

func (a *app) superviseMode() (bool, string, *notifier) {
	mode := a.srv.Supervised
	if mode == "auto" {
		switch {
		case os.Getenv("UPSTART_JOB") != "":
			a.logger.Debug("Upstart supervision detected.")
			mode = "upstart"
		case os.Getenv("NOTIFY_SOCKET") != "":
			a.logger.Debug("Systemd supervision detected.")
			mode = "systemd"
		}
	}
	switch mode {
	case "upstart":
		if os.Getenv("UPSTART_JOB") == "" {
			a.logger.Warn("upstart supervision requested, but UPSTART_JOB not found!")
			return false, "", nil
		}
		a.logger.Info("supervised by upstart, will stop to signal readiness.")
		if err := raise(syscall.SIGSTOP); err != nil {
			a.logger.Warn("upstart supervision: cannot stop", "err", err)
		}
		os.Unsetenv("UPSTART_JOB")
		return true, mode, nil
	case "systemd":
		n := &notifier{socket: os.Getenv("NOTIFY_SOCKET"), logger: a.logger}
		if n.send("STATUS=Redis is loading...\n") != nil {
			return false, "", nil
		}
		a.logger.Info("Supervised by systemd. Please make sure you set appropriate values for TimeoutStartSec and TimeoutStopSec in your service unit.")
		return true, mode, n
	}
	return false, "", nil
}
