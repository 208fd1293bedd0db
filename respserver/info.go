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
		line("os", osName())
		line("arch_bits", 64)
		line("monotonic_clock", "POSIX clock_gettime")
		line("multiplexing_api", "epoll")
		line("atomicvar_api", "c11-builtin")
		line("gcc_version", "0.0.0")
		line("process_id", os.Getpid())
		line("process_supervised", "no")
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
		line("rejected_connections", s.stats.rejected.Load())
		line("pubsub_channels", 0)
		line("pubsub_patterns", 0)
		line("total_error_replies", s.stats.errors.Load())
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

func osName() string {
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
