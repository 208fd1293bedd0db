package respserver

import (
	"fmt"
	"os"
	"runtime"
	"strings"
	"syscall"
	"time"
)

// infoSections are the sections redis-sentinel has, in its order; "default",
// "all" and "everything" mean all of them.
var infoSectionNames = []string{"server", "clients", "stats", "cpu", "sentinel"}

func cmdInfo(s *Server, c *client, args [][]byte) bool {
	want := map[string]bool{}
	if len(args) == 1 {
		for _, n := range infoSectionNames {
			want[n] = true
		}
	}
	for _, a := range args[1:] {
		switch n := strings.ToLower(string(a)); n {
		case "default", "all", "everything":
			for _, n := range infoSectionNames {
				want[n] = true
			}
		default:
			want[n] = true
		}
	}
	var parts []string
	for _, n := range infoSectionNames {
		if want[n] {
			parts = append(parts, s.infoSection(n))
		}
	}
	// Our own section, only on request so that INFO stays byte-compatible
	// with redis-sentinel for parsers such as redis_exporter.
	if want["gossip"] {
		parts = append(parts, fmt.Sprintf("# Gossip\r\ngossip_enabled:%d\r\ngossip_members:%d\r\n",
			boolInt(s.backend.GossipMembers() >= 0), max(s.backend.GossipMembers(), 0)))
	}
	c.w.bulk(strings.Join(parts, "\r\n"))
	return false
}

func (s *Server) infoSection(name string) string {
	var b strings.Builder
	line := func(k string, v any) { fmt.Fprintf(&b, "%s:%v\r\n", k, v) }
	switch name {
	case "server":
		b.WriteString("# Server\r\n")
		up := time.Since(s.started)
		line("redis_version", redisVersion)
		line("redis_git_sha1", "00000000")
		line("redis_git_dirty", 0)
		line("redis_build_id", "qsentinel")
		line("redis_mode", "sentinel")
		line("os", OSName())
		line("arch_bits", 64)
		line("monotonic_clock", "POSIX clock_gettime")
		line("multiplexing_api", "epoll")
		line("atomicvar_api", "c11-builtin")
		line("gcc_version", "0.0.0")
		line("process_id", os.Getpid())
		supervised := s.cfg.Supervised
		if supervised == "" {
			supervised = "no"
		}
		line("process_supervised", supervised)
		line("run_id", s.backend.MyID())
		line("tcp_port", s.cfg.Port)
		line("server_time_usec", time.Now().UnixMicro())
		line("uptime_in_seconds", int64(up.Seconds()))
		line("uptime_in_days", int64(up.Hours()/24))
		line("hz", 10)
		line("configured_hz", 10)
		line("lru_clock", time.Now().Unix()&((1<<24)-1))
		line("executable", s.cfg.Executable)
		line("config_file", s.cfg.ConfigFile)
		line("io_threads_active", 0)
	case "clients":
		b.WriteString("# Clients\r\n")
		s.mu.Lock()
		n := len(s.clients)
		s.mu.Unlock()
		line("connected_clients", n)
		line("cluster_connections", 0)
		line("maxclients", s.cfg.Limits.MaxClients)
		line("client_recent_max_input_buffer", 0)
		line("client_recent_max_output_buffer", 0)
		line("blocked_clients", 0)
		line("tracking_clients", 0)
		line("clients_in_timeout_table", 0)
	case "stats":
		b.WriteString("# Stats\r\n")
		line("total_connections_received", s.stats.connections.Load())
		line("total_commands_processed", s.stats.commands.Load())
		line("instantaneous_ops_per_sec", 0)
		line("total_net_input_bytes", s.stats.netIn.Load())
		line("total_net_output_bytes", s.stats.netOut.Load())
		// The rest of redis's Stats section, so parsers find every field;
		// a sentinel has no keyspace, forks or replication traffic.
		for _, f := range statsZeros1 {
			b.WriteString(f + "\r\n")
		}
		line("rejected_connections", s.stats.rejected.Load())
		for _, f := range statsZeros2 {
			b.WriteString(f + "\r\n")
		}
		line("total_error_replies", s.stats.errors.Load())
		for _, f := range statsZeros3 {
			b.WriteString(f + "\r\n")
		}
	case "cpu":
		b.WriteString("# CPU\r\n")
		var ru syscall.Rusage
		syscall.Getrusage(syscall.RUSAGE_SELF, &ru)
		line("used_cpu_sys", fmt.Sprintf("%.6f", tvSeconds(ru.Stime)))
		line("used_cpu_user", fmt.Sprintf("%.6f", tvSeconds(ru.Utime)))
		line("used_cpu_sys_children", "0.000000")
		line("used_cpu_user_children", "0.000000")
		line("used_cpu_sys_main_thread", fmt.Sprintf("%.6f", tvSeconds(ru.Stime)))
		line("used_cpu_user_main_thread", fmt.Sprintf("%.6f", tvSeconds(ru.Utime)))
	case "sentinel":
		b.WriteString("# Sentinel\r\n")
		sum := s.backend.Info()
		line("sentinel_masters", len(sum.Masters))
		line("sentinel_tilt", boolInt(sum.Tilt))
		since := int64(-1)
		if sum.Tilt {
			since = int64(sum.TiltSince.Seconds())
		}
		line("sentinel_tilt_since_seconds", since)
		// Valkey 9 (and redis 8) add this line; parsers of INFO read
		// fields by name, so it costs a 7.0 client nothing.
		line("sentinel_total_tilt", sum.TotalTilt)
		line("sentinel_running_scripts", sum.RunningScripts)
		line("sentinel_scripts_queue_length", sum.ScriptsQueueLength)
		line("sentinel_simulate_failure_flags", sum.SimulateFailureFlag)
		for i, m := range sum.Masters {
			fmt.Fprintf(&b, "master%d:name=%s,status=%s,address=%s,slaves=%d,sentinels=%d\r\n",
				i, m.Name, m.Status, m.Addr.String(), m.Replicas, m.Sentinels)
		}
	}
	return b.String()
}

func tvSeconds(tv syscall.Timeval) float64 {
	return float64(tv.Sec) + float64(tv.Usec)/1e6
}

func boolInt(b bool) int {
	if b {
		return 1
	}
	return 0
}

// OSName is INFO's os field, as redis writes it: "Linux 6.1.0-18-amd64 x86_64".
func OSName() string {
	var u syscall.Utsname
	if err := syscall.Uname(&u); err != nil {
		return runtime.GOOS
	}
	str := func(a [65]int8) string {
		var sb strings.Builder
		for _, c := range a {
			if c == 0 {
				break
			}
			sb.WriteByte(byte(c))
		}
		return sb.String()
	}
	return str(u.Sysname) + " " + str(u.Release) + " " + str(u.Machine)
}

var (
	statsZeros1 = []string{
		"total_net_repl_input_bytes:0", "total_net_repl_output_bytes:0",
		"instantaneous_input_kbps:0.00", "instantaneous_output_kbps:0.00",
		"instantaneous_input_repl_kbps:0.00", "instantaneous_output_repl_kbps:0.00",
	}
	statsZeros2 = []string{
		"sync_full:0", "sync_partial_ok:0", "sync_partial_err:0", "expired_keys:0",
		"expired_stale_perc:0.00", "expired_time_cap_reached_count:0", "expire_cycle_cpu_milliseconds:0",
		"evicted_keys:0", "evicted_clients:0", "total_eviction_exceeded_time:0",
		"current_eviction_exceeded_time:0", "keyspace_hits:0", "keyspace_misses:0",
		"pubsub_channels:0", "pubsub_patterns:0", "pubsubshard_channels:0", "latest_fork_usec:0",
		"total_forks:0", "migrate_cached_sockets:0", "slave_expires_tracked_keys:0",
		"active_defrag_hits:0", "active_defrag_misses:0", "active_defrag_key_hits:0",
		"active_defrag_key_misses:0", "total_active_defrag_time:0", "current_active_defrag_time:0",
		"tracking_total_keys:0", "tracking_total_items:0", "tracking_total_prefixes:0",
		"unexpected_error_replies:0",
	}
	statsZeros3 = []string{
		"dump_payload_sanitizations:0", "total_reads_processed:0", "total_writes_processed:0",
		"io_threaded_reads_processed:0", "io_threaded_writes_processed:0",
		"reply_buffer_shrinks:0", "reply_buffer_expands:0",
	}
)
