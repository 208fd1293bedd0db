// Package invariant checks the safety properties of RELIABILITY.md on
// what sentinels report during a simulation:
//
//  1. one master address per (master name, config epoch), across all
//     sentinels (Recorder.Report);
//  2. a sentinel's current epoch and its config epoch of each master never
//     go back, across crashes and restarts too: a restarted sentinel
//     reports under the same name and is held to what it reported before
//     (Recorder.Report);
//  3. at most one vote per (voter, master, epoch) (Recorder.Vote);
//  4. never two Redis servers that both say role:master while each is
//     accepted by a quorum of sentinels for the same name and epoch
//     (Recorder.CheckSplitBrain).
//
// It knows nothing of the simulator: the world's nodes call it with what
// their state machines decided, and a World.Check returns Recorder.Err.
// Each violation names both conflicting reports, so a failing seed says
// what went wrong before its trace says how.
package invariant
