package failover

import (
	"testing"
	"time"
)

func TestSelect(t *testing.T) {
	p := Params{PingPeriod: time.Second, InfoPeriod: 10 * time.Second, DownAfter: time.Second, MasterSDownFor: 2 * time.Second}
	good := func(name, runid string, prio int, off uint64) Candidate {
		return Candidate{Name: name, RunID: runid, Priority: prio, ReplOffset: off, InfoAge: 500 * time.Millisecond}
	}
	cases := []struct {
		name  string
		cands []Candidate
		want  int
	}{
		{"none", nil, -1},
		{"lowest priority wins", []Candidate{good("a", "2", 100, 10), good("b", "1", 50, 1)}, 1},
		{"highest offset wins", []Candidate{good("a", "2", 100, 10), good("b", "1", 100, 20)}, 1},
		{"smallest run id wins", []Candidate{good("a", "bb", 100, 10), good("b", "aa", 100, 10)}, 1},
		{"no run id loses", []Candidate{good("a", "", 100, 10), good("b", "zz", 100, 10)}, 1},
		{"priority 0 never", []Candidate{{Name: "a", RunID: "1", Priority: 0, InfoAge: 1}}, -1},
		{"down never", []Candidate{{Name: "a", RunID: "1", Priority: 1, Down: true}}, -1},
		{"disconnected never", []Candidate{{Name: "a", RunID: "1", Priority: 1, Disconnected: true}}, -1},
		{"stale info", []Candidate{{Name: "a", RunID: "1", Priority: 1, InfoAge: 6 * time.Second}}, -1},
		{"never had info", []Candidate{{Name: "a", RunID: "1", Priority: 1, InfoAge: -1}}, -1},
		{"silent", []Candidate{{Name: "a", RunID: "1", Priority: 1, LastAvail: 6 * time.Second}}, -1},
		{"link down too long", []Candidate{{Name: "a", RunID: "1", Priority: 1, MasterLinkDown: 13 * time.Second}}, -1},
	}
	for _, c := range cases {
		if got := Select(c.cands, p); got != c.want {
			t.Errorf("%s: got %d want %d", c.name, got, c.want)
		}
	}
}
