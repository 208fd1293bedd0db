// Package e2e holds the end-to-end tests: they start real redis-server,
// redis-sentinel, haproxy and our own binary on loopback ports (through
// the harness in e2e/cluster) and compare our replies, events and files
// with redis-sentinel 7.0's, byte for byte where the protocol allows. It
// has no code of its own outside its tests.
package e2e
