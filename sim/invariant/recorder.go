package invariant

import (
	"cmp"
	"fmt"
	"slices"
)

// Report is one sentinel's view of one master, as it holds it now.
type Report struct {
	Sentinel     string // the reporting sentinel's name in the world
	Master       string // the monitored master's name ("mymaster")
	ConfigEpoch  uint64
	Addr         string // the master address it announces (host:port)
	CurrentEpoch uint64
}

func (r Report) String() string {
	return fmt.Sprintf("%s says %s is at %s in config epoch %d (current epoch %d)",
		r.Sentinel, r.Master, r.Addr, r.ConfigEpoch, r.CurrentEpoch)
}

// Vote is a vote given: Voter chose Candidate (a run id) as leader for
// failing over Master in Epoch.
type Vote struct {
	Voter     string
	Master    string
	Epoch     uint64
	Candidate string
}

func (v Vote) String() string {
	return fmt.Sprintf("%s voted %s for %s in epoch %d", v.Voter, v.Candidate, v.Master, v.Epoch)
}

// Violation is a broken invariant: which one, and the reports that
// conflict (the earlier one first).
type Violation struct {
	Invariant string
	Earlier   string
	Now       string
}

func (v *Violation) Error() string {
	return fmt.Sprintf("invariant %q broken: %s, but earlier %s", v.Invariant, v.Now, v.Earlier)
}

// The invariants' names, as Violation.Invariant says them.
const (
	OneMasterPerEpoch     = "one master address per name and config epoch"
	EpochsNeverGoBack     = "epochs never go back"
	OneVotePerEpoch       = "one vote per voter, master and epoch"
	NoSplitBrainWithQuora = "never two masters each accepted by a quorum in one epoch"
)

type nameEpoch struct {
	master string
	epoch  uint64
}

type sentinelMaster struct{ sentinel, master string }

type ballot struct {
	voter, master string
	epoch         uint64
}

// Recorder collects reports and votes and checks them as they come. It
// keeps the first violation for Err. The zero value is not usable: use
// NewRecorder.
type Recorder struct {
	addrOf  map[nameEpoch]Report      // the first report of each (name, epoch)
	current map[string]Report         // per sentinel, its highest current epoch
	config  map[sentinelMaster]Report // per sentinel and master, the latest
	votes   map[ballot]Vote
	first   error
}

// NewRecorder returns an empty recorder.
func NewRecorder() *Recorder {
	return &Recorder{
		addrOf:  map[nameEpoch]Report{},
		current: map[string]Report{},
		config:  map[sentinelMaster]Report{},
		votes:   map[ballot]Vote{},
	}
}

// Err is the first violation seen, nil if none; for World.Check.
func (r *Recorder) Err() error { return r.first }

func (r *Recorder) fail(v *Violation) error {
	if r.first == nil {
		r.first = v
	}
	return v
}

// Report records what a sentinel holds for a master now (call it after
// every change, and again after a restart) and checks invariants 1 and 2.
func (r *Recorder) Report(rep Report) error {
	// Every report is recorded, a violating one too: later checks
	// (CheckSplitBrain) judge the world as the sentinels hold it.
	var v *Violation
	ne := nameEpoch{rep.Master, rep.ConfigEpoch}
	if first, ok := r.addrOf[ne]; !ok {
		r.addrOf[ne] = rep
	} else if first.Addr != rep.Addr {
		v = &Violation{OneMasterPerEpoch, first.String(), rep.String()}
	}
	prev, ok := r.current[rep.Sentinel]
	switch {
	case ok && rep.CurrentEpoch < prev.CurrentEpoch:
		v = cmp.Or(v, &Violation{EpochsNeverGoBack + " (current epoch)", prev.String(), rep.String()})
	case !ok || rep.CurrentEpoch > prev.CurrentEpoch:
		r.current[rep.Sentinel] = rep
	}
	sm := sentinelMaster{rep.Sentinel, rep.Master}
	if prev, ok := r.config[sm]; ok && rep.ConfigEpoch < prev.ConfigEpoch {
		v = cmp.Or(v, &Violation{EpochsNeverGoBack + " (config epoch)", prev.String(), rep.String()})
	} else {
		r.config[sm] = rep
	}
	if v != nil {
		return r.fail(v)
	}
	return nil
}

// Forget drops what a sentinel reported for a master, for a master it
// stopped monitoring (SENTINEL REMOVE): a new MONITOR starts at epoch 0.
func (r *Recorder) Forget(sentinel, master string) {
	delete(r.config, sentinelMaster{sentinel, master})
}

// Vote records a vote given and checks invariant 3. Giving the same vote
// again (a repeated request answered alike) is not a second vote.
func (r *Recorder) Vote(v Vote) error {
	b := ballot{v.Voter, v.Master, v.Epoch}
	if prev, ok := r.votes[b]; ok && prev.Candidate != v.Candidate {
		return r.fail(&Violation{OneVotePerEpoch, prev.String(), v.String()})
	}
	r.votes[b] = v
	return nil
}

// CheckSplitBrain checks invariant 4 on the sentinels' latest reports:
// for each name and config epoch, the addresses accepted by at least
// quorum sentinels must not include two that isMaster says are masters
// now (the simulated Redis servers' roles).
func (r *Recorder) CheckSplitBrain(quorum int, isMaster func(addr string) bool) error {
	sms := make([]sentinelMaster, 0, len(r.config))
	for sm := range r.config {
		sms = append(sms, sm)
	}
	slices.SortFunc(sms, func(a, b sentinelMaster) int {
		return cmp.Or(cmp.Compare(a.sentinel, b.sentinel), cmp.Compare(a.master, b.master))
	})
	accepted := map[nameEpoch]map[string][]Report{}
	for _, sm := range sms {
		rep := r.config[sm]
		ne := nameEpoch{rep.Master, rep.ConfigEpoch}
		if accepted[ne] == nil {
			accepted[ne] = map[string][]Report{}
		}
		accepted[ne][rep.Addr] = append(accepted[ne][rep.Addr], rep)
	}
	// Map order must not decide which violation is reported first.
	keys := make([]nameEpoch, 0, len(accepted))
	for ne := range accepted {
		keys = append(keys, ne)
	}
	slices.SortFunc(keys, func(a, b nameEpoch) int {
		return cmp.Or(cmp.Compare(a.master, b.master), cmp.Compare(a.epoch, b.epoch))
	})
	for _, ne := range keys {
		var masters []Report
		addrs := make([]string, 0, len(accepted[ne]))
		for a := range accepted[ne] {
			addrs = append(addrs, a)
		}
		slices.Sort(addrs)
		for _, a := range addrs {
			if reps := accepted[ne][a]; len(reps) >= quorum && isMaster(a) {
				masters = append(masters, reps[0])
			}
		}
		if len(masters) > 1 {
			return r.fail(&Violation{NoSplitBrainWithQuora,
				fmt.Sprintf("%s (with a quorum, and it is a master)", masters[0]),
				fmt.Sprintf("%s (with a quorum, and it is a master)", masters[1])})
		}
	}
	return nil
}
