// Package procrun runs external commands from a queue: at most MaxRunning
// at once, optionally one at a time per key and in the order they were
// added, each killed with its whole process group when it runs past its
// timeout, and run again after a delay when the user's retry policy says
// so.
//
// It knows nothing of what the commands are for. The user supplies, per
// task, how to build the command; per runner, the retry policy and the
// callbacks that tell it how each attempt ended (started, done, failed and
// to be retried, given up, timed out, dropped from a full queue). The
// notification scripts of package failover and the journaled hooks of
// package hooks are its two users.
//
// Time comes from Config.Clock, so tests can move it instead of sleeping;
// Kick makes the loop look at the queue at once.
package procrun
