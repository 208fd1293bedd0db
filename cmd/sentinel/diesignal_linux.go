package main

import (
	"os"
	"syscall"
	"time"
	"unsafe"
)

// dieBySignal ends the process by sig's default action, so that the parent
// (systemd, a shell) sees "killed by SIGUSR1" as with redis-sentinel. Go
// keeps its own handler installed for every signal; the kernel's default
// comes back only through rt_sigaction, as the runtime's own dieFromSignal
// does. Nothing is flushed or removed: the default action does neither.
func dieBySignal(sig syscall.Signal) {
	// struct sigaction with SIG_DFL (0) and nothing else; zeros are valid
	// in every field on every Linux layout, so the size is all that counts.
	var act [4]uint64
	syscall.RawSyscall6(syscall.SYS_RT_SIGACTION, uintptr(sig), uintptr(unsafe.Pointer(&act)), 0, 8, 0, 0)
	syscall.Kill(os.Getpid(), sig)
	// The signal is delivered to some thread at once; should it be
	// blocked on all of them, leave with the shell's code for it.
	time.Sleep(time.Second)
	os.Exit(128 + int(sig))
}
