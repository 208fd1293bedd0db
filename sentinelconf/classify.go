package sentinelconf

import (
	"fmt"
	"strings"
)

// effect says what we do with one of redis-server's directives. The
// project rule is never to accept and ignore: a directive that changes
// what a redis-sentinel process does is either done here too, or refused
// when set to a value under which redis-sentinel would behave differently
// from us.
type effect uint8

const (
	// enforced: it means something to a sentinel and we do it.
	enforced effect = iota + 1
	// noEffect: redis-sentinel accepts it and nothing in a sentinel
	// process uses it (no keyspace, no persistence, no replication, no
	// command that reads it); we accept it the same way.
	noEffect
	// refused: redis-sentinel acts on it and we do not; only the values
	// under which redis-sentinel behaves as we do are accepted.
	refused
)

func (e effect) String() string {
	switch e {
	case enforced:
		return "enforced"
	case noEffect:
		return "accepted as redis does (no effect in a sentinel)"
	case refused:
		return "refused"
	}
	return "unclassified"
}

// classification is one directive's entry in the table below.
type classification struct {
	effect effect
	// accept lists, for refused directives, the values (arguments
	// lower-cased and joined by one space) that are accepted because
	// redis-sentinel behaves as we do with them; acceptFn, when set,
	// decides instead.
	accept   []string
	acceptFn func(args []string) bool
	// why is redis-sentinel's behaviour: shown in docs/directives.md and,
	// for refused ones, in the start-up error.
	why string
}

// allows reports whether args (after the directive name) may be accepted.
func (c classification) allows(args []string) bool {
	if c.effect != refused {
		return true
	}
	if c.acceptFn != nil {
		return c.acceptFn(args)
	}
	v := strings.ToLower(strings.Join(args, " "))
	for _, a := range c.accept {
		if v == a {
			return true
		}
	}
	return false
}

// refusal is the start-up error for a refused value.
func (c classification) refusal(name string) string {
	msg := fmt.Sprintf("'%s' is not supported by this sentinel: %s", name, c.why)
	if len(c.accept) > 0 {
		msg += fmt.Sprintf(" (accepted: %s)", strings.Join(quoteAll(c.accept), ", "))
	}
	return msg
}

func quoteAll(ss []string) []string {
	out := make([]string, len(ss))
	for i, s := range ss {
		if s == "" {
			s = `""`
		}
		out[i] = s
	}
	return out
}

// Shared reasons of the no-effect groups.
const (
	whyNoData    = "no keyspace in a sentinel: nothing reads it"
	whyNoPersist = "a sentinel neither loads nor saves data"
	whyNoRepl    = "a sentinel is never a replica and has no replicas"
	whyNoCluster = "cluster mode only; not used by a sentinel"
	whyNoCommand = "only read by commands a sentinel does not have (its command table is the 15 sentinel commands)"
	whyAlloc     = "allocator/threading tuning with no observable effect; ours is a Go process"
)

// otherDirectives are the names config.c handles outside its table (and
// "sentinel", handled by sentinel.c); classified like the table's.
var otherDirectives = []string{
	"include", "rename-command", "user", "loadmodule", "sentinel",
	"list-max-ziplist-entries", "list-max-ziplist-value", "lua-replicate-commands",
}

// directiveClasses classifies every name of redisDirectives and
// otherDirectives (TestEveryDirectiveClassified checks it).
var directiveClasses = func() map[string]classification {
	m := map[string]classification{}
	set := func(c classification, names ...string) {
		for _, n := range names {
			if _, dup := m[n]; dup {
				panic("directive classified twice: " + n)
			}
			m[n] = c
		}
	}
	on := func(why string) classification { return classification{effect: enforced, why: why} }
	none := func(why string) classification { return classification{effect: noEffect, why: why} }
	only := func(why string, accept ...string) classification {
		return classification{effect: refused, accept: accept, why: why}
	}

	// Done here as redis-sentinel does.
	set(on("listening port"), "port")
	set(on("listening addresses"), "bind")
	set(on("also listens on this unix socket (replacing a stale file, removed at exit)"), "unixsocket")
	set(on("permissions of the unix socket file"), "unixsocketperm")
	set(on("working directory; relative paths resolve against it"), "dir")
	set(on("forks into the background"), "daemonize")
	set(on("notifies systemd/upstart"), "supervised")
	set(on("pid file"), "pidfile")
	set(on("log file"), "logfile")
	set(on("log level"), "loglevel")
	set(on("syslog"), "syslog-enabled", "syslog-ident", "syslog-facility")
	set(on("oom_score_adj of the process"), "oom-score-adj", "oom-score-adj-values")
	set(on("password of the default user"), "requirepass")
	set(on("refuses non-loopback clients while the default user has no password"), "protected-mode")
	set(on("ACL users"), "aclfile", "acl-pubsub-default", "acllog-max-len", "user")
	set(on("TLS listener and links"), "tls-port", "tls-cert-file", "tls-key-file", "tls-client-cert-file",
		"tls-client-key-file", "tls-ca-cert-file", "tls-ca-cert-dir", "tls-auth-clients", "tls-replication")
	set(on("more clients get '-ERR max number of clients reached' and are closed"), "maxclients")
	set(on("a client idle this many seconds is closed (not pub/sub clients)"), "timeout")
	set(on("TCP keepalive on client connections (idle time; probes every third of it)"), "tcp-keepalive")
	set(on("listen(2) backlog of the listening sockets"), "tcp-backlog")
	set(on("longest bulk string a client may send"), "proto-max-bulk-len")
	set(on("a client whose pending request exceeds it is closed"), "client-query-buffer-limit")
	set(on("pubsub class: a subscriber whose unsent events exceed the hard limit, or the soft one for soft-seconds, is closed; normal class: the same for a client's unsent replies (default 0 0 0, no limit); replica class: no replicas"), "client-output-buffer-limit")
	set(on("renames (or, to \"\", removes) one of the sentinel's commands; an unknown command is an error"), "rename-command")
	set(on("reads another file in place"), "include")
	set(on("the sentinel's own configuration"), "sentinel")

	// Acted on by redis-sentinel, not by us: refused unless harmless.
	set(only("redis-sentinel sets the process title (ps) and we cannot", "no"), "set-proc-title")
	set(only("process titles are not set by this sentinel", "{title} {listen-addr} {server-mode}"), "proc-title-template")
	set(only("the ASCII logo is not printed by this sentinel", "no"), "always-show-logo")
	set(only("redis-sentinel really connects to that master and replicates from it", "", "no one"), "replicaof", "slaveof")
	set(only("redis-sentinel starts in cluster mode (nodes.conf, cluster bus)", "no"), "cluster-enabled")
	set(only("redis-sentinel then opens and fsyncs an append-only file", "no"), "appendonly")
	set(classification{effect: refused, acceptFn: saveNeverFires,
		why: "a save point with 0 changes makes redis-sentinel write an empty dump.rdb every N seconds; points with changes > 0 never fire in a sentinel"}, "save")
	set(only("pins redis-sentinel's threads to CPUs; not done here", ""), "server_cpulist", "bio_cpulist")
	set(only("redis-sentinel logs a stack trace when the event loop blocks this long; not done here", "0"), "watchdog-period")
	set(only("redis-sentinel marks its sockets (SO_MARK); not done here", "0"), "socket-mark-id")
	set(only("redis-sentinel evicts clients using more memory than this; not done here", "0"), "maxmemory-clients")
	set(only("a panic would exit instead of abort; not done here", "no"), "use-exit-on-panic")
	set(only("a crash report is always written to the log here", "yes"), "crash-log-enabled")
	set(only("TLS session cache tuning is not configurable here (Go's defaults)", "yes"), "tls-session-caching")
	set(only("TLS session cache tuning is not configurable here (Go's defaults)", "20480"), "tls-session-cache-size")
	set(only("TLS session cache tuning is not configurable here (Go's defaults)", "300"), "tls-session-cache-timeout")
	set(only("cipher choice is not configurable here (Go's defaults)", ""),
		"tls-ciphers", "tls-ciphersuites", "tls-dh-params-file")
	set(on("TLS versions allowed, on the TLS port and our links (a range without gaps)"), "tls-protocols")
	set(only("server cipher preference is not configurable here", "no"), "tls-prefer-server-ciphers")
	set(only("encrypted private keys are not supported here", ""), "tls-key-file-pass", "tls-client-key-file-pass")

	// Nothing in a sentinel process uses them.
	set(none(whyNoData), "activerehashing", "lazyfree-lazy-eviction", "lazyfree-lazy-expire",
		"lazyfree-lazy-server-del", "lazyfree-lazy-user-del", "lazyfree-lazy-user-flush",
		"list-max-listpack-size", "list-max-ziplist-size", "list-compress-depth",
		"hash-max-listpack-entries", "hash-max-ziplist-entries", "hash-max-listpack-value", "hash-max-ziplist-value",
		"zset-max-listpack-entries", "zset-max-ziplist-entries", "zset-max-listpack-value", "zset-max-ziplist-value",
		"set-max-intset-entries", "stream-node-max-entries", "stream-node-max-bytes", "hll-sparse-max-bytes",
		"maxmemory", "maxmemory-policy", "maxmemory-samples", "maxmemory-eviction-tenacity",
		"lfu-log-factor", "lfu-decay-time", "active-expire-effort", "databases", "notify-keyspace-events",
		"sanitize-dump-payload", "activedefrag", "active-defrag-cycle-min", "active-defrag-cycle-max",
		"active-defrag-threshold-lower", "active-defrag-threshold-upper", "active-defrag-ignore-bytes",
		"active-defrag-max-scan-fields", "tracking-table-max-keys")
	set(none("deprecated; ignored by redis 7.0"), "list-max-ziplist-entries", "list-max-ziplist-value",
		"lua-replicate-commands")
	set(none(whyNoPersist), "rdbchecksum", "rdbcompression", "rdb-del-sync-files", "stop-writes-on-bgsave-error",
		"rdb-save-incremental-fsync", "aof-rewrite-incremental-fsync", "no-appendfsync-on-rewrite",
		"aof-load-truncated", "aof-use-rdb-preamble", "aof-timestamp-enabled", "aof-disable-auto-gc",
		"dbfilename", "appendfilename", "appenddirname", "appendfsync", "auto-aof-rewrite-percentage",
		"auto-aof-rewrite-min-size", "rdb-key-save-delay", "key-load-delay", "loading-process-events-interval-bytes",
		"bgsave_cpulist", "aof_rewrite_cpulist", "shutdown-on-sigint", "shutdown-on-sigterm", "disable-thp")
	set(none(whyNoRepl), "repl-disable-tcp-nodelay", "repl-diskless-sync", "repl-diskless-sync-delay",
		"repl-diskless-sync-max-replicas", "repl-diskless-load", "repl-timeout", "repl-ping-replica-period",
		"repl-ping-slave-period", "repl-backlog-size", "repl-backlog-ttl",
		"replica-lazy-flush", "slave-lazy-flush", "replica-serve-stale-data", "slave-serve-stale-data",
		"replica-read-only", "slave-read-only", "replica-ignore-maxmemory", "slave-ignore-maxmemory",
		"replica-announced", "replica-ignore-disk-write-errors", "replica-announce-ip", "slave-announce-ip",
		"replica-announce-port", "slave-announce-port", "replica-priority", "slave-priority",
		"masteruser", "masterauth", "min-replicas-to-write", "min-slaves-to-write", "min-replicas-max-lag",
		"min-slaves-max-lag", "propagation-error-behavior", "shutdown-timeout", "bind-source-addr")
	set(none(whyNoCluster), "cluster-require-full-coverage", "cluster-replica-no-failover", "cluster-slave-no-failover",
		"cluster-allow-reads-when-down", "cluster-allow-pubsubshard-when-down", "cluster-allow-replica-migration",
		"cluster-announce-ip", "cluster-config-file", "cluster-announce-hostname", "cluster-preferred-endpoint-type",
		"cluster-replica-validity-factor", "cluster-slave-validity-factor", "cluster-migration-barrier",
		"cluster-port", "cluster-announce-bus-port", "cluster-announce-port", "cluster-announce-tls-port",
		"cluster-node-timeout", "cluster-link-sendbuf-limit", "tls-cluster")
	set(none(whyNoCommand), "enable-debug-command", "enable-module-command", "enable-protected-configs",
		"busy-reply-threshold", "lua-time-limit", "slowlog-max-len", "slowlog-log-slower-than",
		"latency-monitor-threshold", "latency-tracking", "latency-tracking-info-percentiles")
	set(none(whyAlloc), "jemalloc-bg-thread", "io-threads", "io-threads-do-reads", "crash-memcheck-enabled")
	set(none("sentinel's timer re-randomizes the server hz on every tick"), "hz", "dynamic-hz")
	set(none("silences warnings about redis's fork on old ARM64 kernels"), "ignore-warnings")
	set(none("modules are not loaded in sentinel mode"), "loadmodule")
	return m
}()

// saveNeverFires accepts save points that can never fire in a sentinel,
// whose dirty counter stays 0: every point needs at least one change.
func saveNeverFires(args []string) bool {
	if len(args) == 1 && args[0] == "" {
		return true
	}
	if len(args)%2 != 0 {
		return true // redis rejects it anyway: "Invalid save parameters"
	}
	for i := 1; i < len(args); i += 2 {
		if n, err := strictInt(args[i]); err == nil && n <= 0 {
			return false
		}
	}
	return true
}
