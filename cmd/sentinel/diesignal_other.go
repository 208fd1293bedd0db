//go:build !linux

package main

import (
	"os"
	"syscall"
)

// dieBySignal leaves with the shell's code for a death by sig where we
// cannot restore the signal's default action.
func dieBySignal(sig syscall.Signal) { os.Exit(128 + int(sig)) }
