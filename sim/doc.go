// Package sim is the world of the deterministic simulator: a fake clock,
// one event queue ordered by (time, sequence number), a seeded random
// source, and an in-memory network between named endpoints with the
// faults a real one has (partitions, one-way cuts, loss, delay,
// reordering, crashes, frozen processes, clocks that jump).
//
// A World runs on its caller's goroutine: Step pops the next event and
// runs it, so a run is a pure function of the seed and the scenario. It
// starts no goroutine, opens no socket and reads no real clock. Every
// delivery and drop is written to a Trace, which is what a failing seed
// prints. RunSeeds runs many seeds, several independent worlds at once,
// and replays a failing one with its trace.
//
// The things that live in the world are Nodes: simulated Redis servers
// (package sim/simredis) and, once plugged in, the sentinels' failover
// state machines. A Node is called with Receive for each message delivered
// to it and with Tick at its own period; it sends through the Endpoint it
// was started with (Client does the calling side of RESP for it).
// Messages are plain structs: a Command (a RESP command on a named
// connection), its Reply, a pub/sub Message, or Closed when a connection
// ends.
package sim
