// Package history records what clients of a Redis data path saw — each
// operation's invocation, completion and result — and checks a history
// afterwards: acknowledged writes missing from the final state (the
// lost-write counter) and linearizability per key with porcupine (a
// register for SET/GET, a counter for INCR, an append-only list for
// RPUSH/LRANGE).
//
// An operation whose outcome is unknown (a timeout, a dropped connection)
// is recorded as Maybe: it may have taken effect at any time after its
// invocation, or never, and the checker treats it so (porcupine gets it
// with an infinite completion time and accepts any result). A clear
// refusal (READONLY, NOREPLICAS, an error reply) is Failed: it did not
// happen and is left out of the check.
//
// The final state is part of the history: after healing, the workload
// reads every key from the surviving master as ordinary operations of
// client FinalClient, so a write the final state lacks is both counted as
// lost and reported as a linearizability anomaly.
package history
