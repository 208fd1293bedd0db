package main

import (
	"fmt"
	"os"
	"os/exec"
	"syscall"
)

// daemonChildEnv marks the detached copy of the process that daemonize
// starts, so that it does not detach again.
const daemonChildEnv = "QSENTINEL_DAEMONIZED"

// isDaemonChild says whether we are that copy, and forgets the mark so
// that scripts we run do not inherit it.
func isDaemonChild() bool {
	v := os.Getenv(daemonChildEnv) == "1"
	os.Unsetenv(daemonChildEnv)
	return v
}

// daemonize is redis's "daemonize yes" for a Go program, which cannot
// fork: it starts this program again with the same arguments from the
// directory we started in, in a new session (setsid) with stdin, stdout
// and stderr on /dev/null, and does not wait for it. The caller, the
// parent, then exits 0 at once as redis's parent does; the child listens,
// writes the pidfile and logs (to logfile; with none, to /dev/null as
// redis's does).
func daemonize(args []string, startDir string) error {
	exe, err := os.Executable()
	if err != nil {
		return fmt.Errorf("daemonize: %w", err)
	}
	cmd := exec.Command(exe, args...)
	cmd.Dir = startDir
	cmd.Env = append(os.Environ(), daemonChildEnv+"=1")
	cmd.SysProcAttr = &syscall.SysProcAttr{Setsid: true}
	// nil Stdin, Stdout and Stderr are /dev/null for exec.
	if err := cmd.Start(); err != nil {
		return fmt.Errorf("daemonize: %w", err)
	}
	return cmd.Process.Release()
}
