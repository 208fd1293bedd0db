// Package sentinel is the monitor: what redis-sentinel 7.0's sentinel.c
// does between its sockets and its config file. It keeps one group per
// monitored master (the master, its replicas and the peer sentinels, under
// the group's lock), runs the links to them (PING, INFO, hello), judges
// SDOWN and ODOWN, elects a leader and walks the failover states, enters
// and leaves TILT, and publishes every event as an event.Event on an
// event.Bus (events.go fills the typed fields).
//
// The runtime state is persisted through a Store after every change that
// redis-sentinel would write to sentinel.conf. Callers (the RESP face in
// respserver, the status and metrics endpoints) use the exported methods
// of *Sentinel, which are safe for concurrent use and return copies;
// respserver.Backend lists what the RESP face needs, split by command
// family. redislink.FakeNet replaces the network in unit tests.
package sentinel
