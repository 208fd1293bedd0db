package failover

import (
	"strings"
	"testing"
	"unsafe"
)

// inText reports whether s is a slice of text's memory.
func inText(s, text string) bool {
	if s == "" || text == "" {
		return false
	}
	p := uintptr(unsafe.Pointer(unsafe.StringData(s)))
	start := uintptr(unsafe.Pointer(unsafe.StringData(text)))
	return p >= start && p < start+uintptr(len(text))
}

// Once a newer INFO has been read, no node keeps any part of an older
// INFO text alive (the whole text stays in memory as long as one slice of
// it does): not its run id, master_host or failover state, not a
// replica's host read from its master's INFO. Each node keeps its last
// text (SENTINEL INFO-CACHE) and nothing older; at 50 masters with real
// redis-servers (5 KB an INFO) the older ones were half the live heap.
func TestNodesKeepNoOlderInfoText(t *testing.T) {
	r := newRig(t, 0, 0)
	m := r.m
	master := func() string {
		// A fresh copy each time: every INFO reply is a new string.
		return strings.Clone("# Server\r\nrun_id:" + strings.Repeat("b", 40) + "\r\n# Replication\r\nrole:master\r\n" +
			"slave0:ip=10.9.9.9,port=6390,state=online,offset=100,lag=0\r\n" +
			"master_failover_state:no-failover\r\nmaster_repl_offset:100\r\n")
	}
	replica := func() string {
		return strings.Clone("# Server\r\nrun_id:" + strings.Repeat("c", 40) + "\r\n" +
			replicaInfoText(Addr{Host: "10.0.0.1", Port: 6379}, true, 100) + "master_failover_state:no-failover\r\n")
	}
	first := master()
	// The driver adds the replicas a master's INFO lists, then hands the
	// INFO to the machine (sentinel.onInfo).
	rep := ParseInfo(first)
	for _, a := range rep.Replicas {
		m.AddReplica(a, r.now)
	}
	m.Info(m.Master, r.now, r.timing, false, first, rep)
	rn := m.Replicas["10.9.9.9:6390"]
	if rn == nil {
		t.Fatal("replica from the master's INFO not added")
	}
	firstReplica := replica()
	r.info(rn, firstReplica)
	// Newer INFO, saying the same things.
	r.info(m.Master, master())
	r.info(rn, replica())
	for _, old := range []string{first, firstReplica} {
		for _, n := range m.Nodes() {
			for name, s := range map[string]string{
				"RunID": n.RunID, "MasterHost": n.MasterHost, "FailoverReported": n.FailoverReported,
				"Addr.Host": n.Addr.Host, "Name": n.Name, "Info": n.Info,
			} {
				if inText(s, old) {
					t.Errorf("%s: %s %q is a slice of an older INFO text", n.Name, name, s)
				}
			}
		}
	}
	if rn.RunID != strings.Repeat("c", 40) || rn.MasterHost != "10.0.0.1" || m.Master.FailoverReported != "no-failover" {
		t.Fatalf("facts lost: run id %q, master_host %q, failover state %q", rn.RunID, rn.MasterHost, m.Master.FailoverReported)
	}
}
