package respserver

import (
	"fmt"
	"log/slog"
	"syscall"
)

// reservedFDs is redis's CONFIG_MIN_RESERVED_FDS: descriptors kept for
// the server's own use (its listeners, files, and for a sentinel the
// links to the instances it watches) beyond maxclients.
const reservedFDs = 32

// fitOpenFiles is redis's adjustOpenFilesLimit: maxclients clients need
// maxclients+32 descriptors. When the open-files limit cur is lower, it
// is raised to that, or if set refuses, to 16 less, and so on down to
// cur; maxclients is then lowered to what the limit reached allows, so
// that a flood of clients gets "max number of clients reached" instead of
// making accept fail, leaving connections hanging in the backlog and the
// sentinel without descriptors for its own links. It returns the
// maxclients to use and the limit reached.
func fitOpenFiles(maxclients int, cur uint64, set func(uint64) error) (int, uint64) {
	need := uint64(maxclients) + reservedFDs
	if cur >= need {
		return maxclients, cur
	}
	best := need
	for best > cur {
		if set(best) == nil {
			break
		}
		if best < 16 {
			best = cur
			break
		}
		best -= 16
	}
	best = max(best, cur)
	if best >= need {
		return maxclients, best
	}
	return int(best) - reservedFDs, best
}

// applyFDLimit raises the open-files limit to what l.MaxClients needs or
// lowers l.MaxClients to what the limit allows, logging what redis logs.
// It fails when no client would fit, as redis refuses to start then.
func applyFDLimit(l *Limits, logger *slog.Logger) error {
	var lim syscall.Rlimit
	if err := syscall.Getrlimit(syscall.RLIMIT_NOFILE, &lim); err != nil {
		logger.Warn(fmt.Sprintf("Unable to obtain the current NOFILE limit (%v), assuming 1024 and setting the max clients configuration accordingly.", err))
		l.MaxClients = min(l.MaxClients, 1024-reservedFDs)
		return nil
	}
	var setErr error
	set := func(n uint64) error {
		// Only the soft limit moves unless more than the hard one is
		// needed (which takes CAP_SYS_RESOURCE); redis lowers the hard
		// limit too, for no benefit.
		setErr = syscall.Setrlimit(syscall.RLIMIT_NOFILE, &syscall.Rlimit{Cur: n, Max: max(n, lim.Max)})
		return setErr
	}
	want := l.MaxClients
	fit, reached := fitOpenFiles(want, lim.Cur, set)
	switch {
	case reached <= reservedFDs:
		return fmt.Errorf("your current 'ulimit -n' of %d is not enough for the server to start; please increase your open file limit to at least %d", lim.Cur, want+reservedFDs)
	case fit < want:
		logger.Warn(fmt.Sprintf("You requested maxclients of %d requiring at least %d max file descriptors.", want, want+reservedFDs))
		logger.Warn(fmt.Sprintf("Server can't set maximum open files to %d because of OS error: %v.", want+reservedFDs, setErr))
		logger.Warn(fmt.Sprintf("Current maximum open files is %d. maxclients has been reduced to %d to compensate for low ulimit. If you need higher maxclients increase 'ulimit -n'.", reached, fit))
		l.MaxClients = fit
	case reached > lim.Cur:
		logger.Info(fmt.Sprintf("Increased maximum number of open files to %d (it was originally set to %d).", reached, lim.Cur))
	}
	return nil
}
