// Package simredis is a model of a Redis 7.0 server for the simulator in
// package sim: it answers, with redis's own reply texts and INFO format,
// the commands a sentinel sends (PING, INFO, ROLE, SLAVEOF/REPLICAOF,
// FAILOVER, CONFIG REWRITE, CLIENT KILL/PAUSE/UNPAUSE/SETNAME, SCRIPT
// KILL, MULTI/EXEC/DISCARD, PUBLISH, SUBSCRIBE) and replicates.
//
// Replication is modelled, not performed: a replica sends an
// acknowledgement of its offset to its master every ReplPeriod through
// the simulated network, the master answers with its replication id and
// offset, and the replica takes that offset on receipt. So a replica cut
// from its master stops following it and, after ReplTimeout without an
// answer, reports master_link_status:down, as redis does; PUBLISH is
// propagated to replicas the same way. There is no dataset: World
// scenarios call Write to advance a master's offset.
//
// What it leaves out: AUTH/ACL, keys and every data command, RDB/AOF
// (a restart comes back with an empty dataset, offset 0, a new run_id,
// and the role of its last CONFIG REWRITE), full versus partial resync,
// RESP3, and INFO sections other than Server and Replication.
package simredis
