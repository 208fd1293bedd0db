package main

import (
	"errors"
	"fmt"
	"os"

	"golang.org/x/sys/unix"
)

// lockState makes sure no other running sentinel uses the state file at
// path: it holds an advisory lock on path+".lock" for the life of the
// process (the state file itself is replaced at every save, so a lock on
// it would not last). Two instances sharing one state file (a YAML config
// with dir "" started twice from one directory, say) would share one id
// and count as one sentinel; the second now refuses to start, saying why.
// The lock file is created once and left in place (an empty file); the
// kernel drops the lock when the process ends, however it ends.
func lockState(path string) (*os.File, error) {
	lp := path + ".lock"
	f, err := os.OpenFile(lp, os.O_RDWR|os.O_CREATE, 0o600)
	if err != nil {
		return nil, fmt.Errorf("state lock %s: %w", lp, err)
	}
	if err := unix.Flock(int(f.Fd()), unix.LOCK_EX|unix.LOCK_NB); err != nil {
		f.Close()
		if errors.Is(err, unix.EWOULDBLOCK) {
			return nil, fmt.Errorf("state file %s is in use by another running sentinel (%s is locked): give each instance its own dir or state file", path, lp)
		}
		return nil, fmt.Errorf("state lock %s: %w", lp, err)
	}
	return f, nil
}
