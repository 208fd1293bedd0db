// Package simsentinel is a sentinel in the simulator: the same
// failover.Machine that package sentinel drives over real links, driven
// here over package sim's in-memory network, with a sim.Client for its
// links, the world's clock and seeded random source, and its state on the
// endpoint's sim.Disk. Only the transport differs from production; every
// decision (down, agreement, votes, failover states, hellos) is the
// machine's.
//
// What it leaves out of production: the RESP server beyond what peers ask
// (PING, SENTINEL is-master-down-by-addr), scripts and hooks (their
// actions are traced), the membership gossip (peers find each other by
// hellos only), announce-hostnames and name resolution, group commit (a
// Persist is written at once), and the shared peer connection (each
// master pings its peers itself).
package simsentinel
