// Package event holds the sentinel's events as typed values and the bus
// that fans them out.
//
// An Event is redis-sentinel's event (sentinelEvent) with its parts kept
// apart: the kind (the pub/sub channel, "+sdown"), the level, the
// instance it is about with its master, and per-kind fields (old and new
// master of +switch-master, the epoch of +new-epoch, leader and epoch of
// +vote-for-leader, the counts of +odown's "#quorum n/q"). Consumers (pub/sub,
// scripts, hooks, the HAProxy push, metrics) read the fields; Payload and
// String give the text redis-sentinel publishes and logs, byte for byte.
//
// The package imports nothing of ours, so every consumer can depend on it
// without depending on the monitor.
package event
