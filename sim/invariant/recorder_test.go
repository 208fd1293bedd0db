package invariant_test

import (
	"errors"
	"strings"
	"testing"

	"github.com/qsentinel/qsentinel/sim/invariant"
)

// wantViolation fails unless err is a Violation of the named invariant
// and the recorder kept it as its first.
func wantViolation(t *testing.T, r *invariant.Recorder, err error, name string) {
	t.Helper()
	var v *invariant.Violation
	if !errors.As(err, &v) || !strings.HasPrefix(v.Invariant, name) {
		t.Fatalf("got %v, want a violation of %q", err, name)
	}
	if r.Err() != err {
		t.Fatalf("Err() = %v, want the first violation %v", r.Err(), err)
	}
}

func mustOK(t *testing.T, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}

func TestOneMasterPerNameAndConfigEpoch(t *testing.T) {
	r := invariant.NewRecorder()
	mustOK(t, r.Report(invariant.Report{Sentinel: "s1", Master: "m", ConfigEpoch: 1, Addr: "a:1", CurrentEpoch: 1}))
	mustOK(t, r.Report(invariant.Report{Sentinel: "s2", Master: "m", ConfigEpoch: 1, Addr: "a:1", CurrentEpoch: 1}))
	mustOK(t, r.Report(invariant.Report{Sentinel: "s3", Master: "other", ConfigEpoch: 1, Addr: "b:1", CurrentEpoch: 1}))
	mustOK(t, r.Report(invariant.Report{Sentinel: "s1", Master: "m", ConfigEpoch: 2, Addr: "b:1", CurrentEpoch: 2}))
	if r.Err() != nil {
		t.Fatal(r.Err())
	}
	err := r.Report(invariant.Report{Sentinel: "s3", Master: "m", ConfigEpoch: 2, Addr: "c:1", CurrentEpoch: 2})
	wantViolation(t, r, err, invariant.OneMasterPerEpoch)
	for _, want := range []string{"s1 says m is at b:1 in config epoch 2", "s3 says m is at c:1"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("violation %q does not say %q", err, want)
		}
	}
}

func TestCurrentEpochNeverGoesBackAcrossRestart(t *testing.T) {
	r := invariant.NewRecorder()
	mustOK(t, r.Report(invariant.Report{Sentinel: "s1", Master: "m", ConfigEpoch: 0, Addr: "a:1", CurrentEpoch: 5}))
	// s1 crashes and restarts: it reports again under its name, from
	// what it persisted. Equal is fine, lower is not.
	mustOK(t, r.Report(invariant.Report{Sentinel: "s1", Master: "m", ConfigEpoch: 0, Addr: "a:1", CurrentEpoch: 5}))
	err := r.Report(invariant.Report{Sentinel: "s1", Master: "m", ConfigEpoch: 0, Addr: "a:1", CurrentEpoch: 4})
	wantViolation(t, r, err, invariant.EpochsNeverGoBack+" (current epoch)")
}

func TestConfigEpochNeverGoesBack(t *testing.T) {
	r := invariant.NewRecorder()
	mustOK(t, r.Report(invariant.Report{Sentinel: "s1", Master: "m", ConfigEpoch: 3, Addr: "b:1", CurrentEpoch: 3}))
	mustOK(t, r.Report(invariant.Report{Sentinel: "s1", Master: "n", ConfigEpoch: 1, Addr: "c:1", CurrentEpoch: 3}))
	err := r.Report(invariant.Report{Sentinel: "s1", Master: "m", ConfigEpoch: 2, Addr: "x:1", CurrentEpoch: 3})
	wantViolation(t, r, err, invariant.EpochsNeverGoBack+" (config epoch)")

	// After SENTINEL REMOVE and MONITOR again, epoch 0 is a new start.
	r2 := invariant.NewRecorder()
	mustOK(t, r2.Report(invariant.Report{Sentinel: "s1", Master: "m", ConfigEpoch: 3, Addr: "b:1", CurrentEpoch: 3}))
	r2.Forget("s1", "m")
	mustOK(t, r2.Report(invariant.Report{Sentinel: "s1", Master: "m", ConfigEpoch: 0, Addr: "b:1", CurrentEpoch: 3}))
}

func TestOneVotePerVoterMasterAndEpoch(t *testing.T) {
	r := invariant.NewRecorder()
	mustOK(t, r.Vote(invariant.Vote{Voter: "s1", Master: "m", Epoch: 7, Candidate: "run-a"}))
	mustOK(t, r.Vote(invariant.Vote{Voter: "s1", Master: "m", Epoch: 7, Candidate: "run-a"})) // the same answer again
	mustOK(t, r.Vote(invariant.Vote{Voter: "s1", Master: "n", Epoch: 7, Candidate: "run-b"})) // per master
	mustOK(t, r.Vote(invariant.Vote{Voter: "s1", Master: "m", Epoch: 8, Candidate: "run-b"})) // a new epoch
	mustOK(t, r.Vote(invariant.Vote{Voter: "s2", Master: "m", Epoch: 7, Candidate: "run-b"})) // another voter
	err := r.Vote(invariant.Vote{Voter: "s1", Master: "m", Epoch: 7, Candidate: "run-b"})
	wantViolation(t, r, err, invariant.OneVotePerEpoch)
	if !strings.Contains(err.Error(), "s1 voted run-a for m in epoch 7") {
		t.Fatalf("violation does not name the first vote: %v", err)
	}
}

func TestSplitBrainWithQuorumOnBothSides(t *testing.T) {
	// Five sentinels, quorum 2: two accept a:1 and two accept b:1, in the
	// same epoch (which Report already flags as invariant 1); with both
	// servers masters that is the split brain invariant 4 forbids.
	r := invariant.NewRecorder()
	for _, rep := range []invariant.Report{
		{Sentinel: "s1", Master: "m", ConfigEpoch: 4, Addr: "a:1", CurrentEpoch: 4},
		{Sentinel: "s2", Master: "m", ConfigEpoch: 4, Addr: "a:1", CurrentEpoch: 4},
		{Sentinel: "s3", Master: "m", ConfigEpoch: 4, Addr: "b:1", CurrentEpoch: 4},
		{Sentinel: "s4", Master: "m", ConfigEpoch: 4, Addr: "b:1", CurrentEpoch: 4},
		{Sentinel: "s5", Master: "m", ConfigEpoch: 3, Addr: "c:1", CurrentEpoch: 4},
	} {
		r.Report(rep)
	}
	bothMasters := func(addr string) bool { return addr == "a:1" || addr == "b:1" }
	onlyA := func(addr string) bool { return addr == "a:1" }

	fresh := invariant.NewRecorder() // the same reports, judged by check 4 alone
	for _, s := range []string{"s1", "s2"} {
		fresh.Report(invariant.Report{Sentinel: s, Master: "m", ConfigEpoch: 4, Addr: "a:1", CurrentEpoch: 4})
	}
	mustOK(t, fresh.CheckSplitBrain(2, bothMasters)) // one side only: fine

	if err := r.CheckSplitBrain(2, onlyA); err != nil {
		t.Fatalf("b:1 is a replica, so no split brain: %v", err)
	}
	if err := r.CheckSplitBrain(3, bothMasters); err != nil {
		t.Fatalf("neither side has a quorum of 3: %v", err)
	}
	err := r.CheckSplitBrain(2, bothMasters)
	var v *invariant.Violation
	if !errors.As(err, &v) || v.Invariant != invariant.NoSplitBrainWithQuora {
		t.Fatalf("got %v, want a split brain violation", err)
	}
	if !strings.Contains(err.Error(), "a:1") || !strings.Contains(err.Error(), "b:1") {
		t.Fatalf("violation does not name both masters: %v", err)
	}
}
