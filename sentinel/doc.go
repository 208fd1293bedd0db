// Package sentinel is the monitor's driver: what redis-sentinel 7.0's
// sentinel.c does between its sockets and its config file, around the
// decisions, which are package failover's. It keeps one group per
// monitored master: the master's failover.Machine and the links to its
// master, replicas and peer sentinels (redislink), under the group's lock.
// Each tick it keeps the links alive (PING, INFO, hello), hands every
// reply to the machine as a fact and carries out the actions the machine
// decides (drive.go): commands sent, questions to peers, events published
// on an event.Bus with their addresses shown as configured, state saved.
// It also answers peers' vote requests, enters and leaves TILT, runs the
// membership gossip and keeps the peer connection pool.
//
// The runtime state is persisted through a Store after every change that
// redis-sentinel would write to sentinel.conf. Callers (the RESP face in
// respserver, the status and metrics endpoints) use the exported methods
// of *Sentinel, which are safe for concurrent use and return copies;
// respserver.Backend lists what the RESP face needs, split by command
// family. redislink.FakeNet replaces the network in unit tests.
package sentinel
