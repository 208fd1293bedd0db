package failover

import (
	"sort"
	"strings"
	"time"
)

// Candidate is what the monitor knows about one replica when a failover
// needs a new master.
type Candidate struct {
	Name         string // ip:port
	RunID        string
	Down         bool // subjectively or objectively down
	Disconnected bool
	LastAvail    time.Duration // since the last valid ping reply
	InfoAge      time.Duration // since the last INFO; negative when never
	Priority     int           // replica-priority; 0 never promoted
	ReplOffset   uint64
	// MasterLinkDown is how long its link to its master has been down
	// (INFO master_link_down_since_seconds, read into a Duration): 0 while
	// the link is up, -1 s when it never came up.
	MasterLinkDown time.Duration
}

// Params are the limits of sentinelSelectSlave.
type Params struct {
	PingPeriod     time.Duration
	InfoPeriod     time.Duration
	DownAfter      time.Duration
	MasterSDownFor time.Duration // how long the master has been down; 0 when it is not
}

// Select is sentinelSelectSlave: drop replicas that are down, disconnected,
// silent for five ping periods, never promotable (priority 0), with stale
// INFO, or cut from the master for longer than the master has been down
// plus ten down-after periods; then prefer the lowest priority, the most
// replicated data, and the smallest run id. It returns -1 when none fits.
func Select(cands []Candidate, p Params) int {
	maxLinkDown := p.MasterSDownFor + 10*p.DownAfter
	infoValidity := 3 * p.InfoPeriod
	if p.MasterSDownFor > 0 {
		infoValidity = 5 * p.PingPeriod
	}
	var ok []int
	for i, c := range cands {
		switch {
		case c.Down, c.Disconnected:
		case c.LastAvail > 5*p.PingPeriod:
		case c.Priority == 0:
		case c.InfoAge < 0 || c.InfoAge > infoValidity:
		case c.MasterLinkDown > maxLinkDown:
		default:
			ok = append(ok, i)
		}
	}
	if len(ok) == 0 {
		return -1
	}
	sort.SliceStable(ok, func(a, b int) bool { return better(cands[ok[a]], cands[ok[b]]) })
	return ok[0]
}

// better is compareSlavesForPromotion.
func better(a, b Candidate) bool {
	if a.Priority != b.Priority {
		return a.Priority < b.Priority
	}
	if a.ReplOffset != b.ReplOffset {
		return a.ReplOffset > b.ReplOffset
	}
	// A replica without a run id sorts last (redis: NULL > anything).
	if a.RunID == "" || b.RunID == "" {
		return a.RunID != "" && b.RunID == ""
	}
	return strings.ToLower(a.RunID) < strings.ToLower(b.RunID)
}
