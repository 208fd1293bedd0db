package simredis

import (
	"fmt"
	"strconv"
	"strings"
	"time"
)

// info renders INFO for a section ("default", "all", "everything",
// "server", "replication"; any other gives "", as redis does for a section
// it does not have). The lines and their order are redis 7.0.15's,
// checked against a real master and replica on loopback (INFO
// replication); the Server section is cut to what a sentinel reads.
func (s *Server) info(now time.Time, section string) string {
	var parts []string
	switch section {
	case "default", "all", "everything":
		parts = []string{s.infoServer(now), s.infoReplication(now)}
	case "server":
		parts = []string{s.infoServer(now)}
	case "replication":
		parts = []string{s.infoReplication(now)}
	}
	// Sections are separated by an empty line, as redis joins them.
	return strings.Join(parts, "\r\n")
}

func (s *Server) infoServer(now time.Time) string {
	var b strings.Builder
	b.WriteString("# Server\r\n")
	line(&b, "redis_version", "7.0.15")
	line(&b, "redis_mode", "standalone")
	line(&b, "run_id", s.runID)
	line(&b, "tcp_port", strconv.Itoa(s.ep.Addr().Port))
	line(&b, "uptime_in_seconds", itoa(seconds(now.Sub(s.started))))
	return b.String()
}

func (s *Server) infoReplication(now time.Time) string {
	var b strings.Builder
	b.Grow(768)
	b.WriteString("# Replication\r\n")
	if s.IsMaster() {
		line(&b, "role", "master")
	} else {
		line(&b, "role", "slave")
		line(&b, "master_host", s.master.Host)
		line(&b, "master_port", strconv.Itoa(s.master.Port))
		if s.link.up {
			line(&b, "master_link_status", "up")
			line(&b, "master_last_io_seconds_ago", itoa(seconds(now.Sub(s.link.lastIO))))
		} else {
			line(&b, "master_link_status", "down")
			line(&b, "master_last_io_seconds_ago", "-1")
		}
		line(&b, "master_sync_in_progress", "0")
		line(&b, "slave_read_repl_offset", itoa(s.offset))
		line(&b, "slave_repl_offset", itoa(s.offset))
		if !s.link.up {
			since := int64(-1)
			if !s.link.downSince.IsZero() {
				since = seconds(now.Sub(s.link.downSince))
			}
			line(&b, "master_link_down_since_seconds", itoa(since))
		}
		line(&b, "slave_priority", strconv.Itoa(s.opts.Priority))
		line(&b, "slave_read_only", "1")
		announced := "1"
		if s.opts.NotAnnounced {
			announced = "0"
		}
		line(&b, "replica_announced", announced)
	}
	line(&b, "connected_slaves", strconv.Itoa(len(s.replicas)))
	if s.Fenced() {
		line(&b, "min_slaves_good_slaves", strconv.Itoa(s.GoodReplicas(now)))
	}
	for i, r := range s.replicas {
		fmt.Fprintf(&b, "slave%d:ip=%s,port=%d,state=online,offset=%d,lag=%d\r\n",
			i, r.addr.Host, r.addr.Port, r.offset, seconds(now.Sub(r.lastAck)))
	}
	line(&b, "master_failover_state", s.fo.state())
	line(&b, "master_replid", s.replID)
	line(&b, "master_replid2", s.replID2)
	line(&b, "master_repl_offset", itoa(s.offset))
	line(&b, "second_repl_offset", itoa(s.secondOff))
	line(&b, "repl_backlog_active", "1")
	line(&b, "repl_backlog_size", "1048576")
	line(&b, "repl_backlog_first_byte_offset", "1")
	line(&b, "repl_backlog_histlen", itoa(s.offset))
	return b.String()
}

// role is the ROLE reply: for a master its offset and replicas (address
// and offset as bulk strings), for a replica its master, link state and
// offset (-1 while the link is down, as redis shows it).
func (s *Server) role() []any {
	if s.IsMaster() {
		reps := make([]any, 0, len(s.replicas))
		for _, r := range s.replicas {
			reps = append(reps, []any{r.addr.Host, strconv.Itoa(r.addr.Port), itoa(r.offset)})
		}
		return []any{"master", s.offset, reps}
	}
	off := s.offset
	if !s.link.up {
		off = -1
	}
	return []any{"slave", s.master.Host, int64(s.master.Port), s.replicaState(), off}
}

func line(b *strings.Builder, k, v string) {
	b.WriteString(k)
	b.WriteByte(':')
	b.WriteString(v)
	b.WriteString("\r\n")
}

func itoa(n int64) string { return strconv.FormatInt(n, 10) }

// seconds truncates as redis's integer seconds do.
func seconds(d time.Duration) int64 { return int64(d / time.Second) }
