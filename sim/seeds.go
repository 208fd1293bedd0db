package sim

import (
	"fmt"
	"os"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// Scenario runs one seed: it builds its world with New(cfg) (cfg carries
// the seed, and whether to trace in full), runs it, and returns the world
// with the error that failed it (nil when all held).
type Scenario func(cfg Config) (*World, error)

// SeedOptions say which seeds RunSeeds runs and how it reports.
type SeedOptions struct {
	// First is the first seed and Count how many (defaults 1 and 1).
	First uint64
	Count int
	// Replay is the command that reruns one seed, with %d where the seed
	// goes, e.g. "go test ./sim/ -run '^TestSeeds$' -v -seed %d".
	Replay string
	// TraceLines is how many trace lines a failure prints (default 80).
	TraceLines int
	// MaxFailures stops the run after that many failing seeds (default 3).
	MaxFailures int
	// Parallel is how many seeds run at once (default GOMAXPROCS). Each
	// world stays single-threaded and owns everything it uses, so a seed
	// runs alike whatever runs beside it; the Scenario must share no
	// mutable state between calls.
	Parallel int
}

// SeedStats is what a RunSeeds call did.
type SeedStats struct {
	Seeds     int
	Failed    []uint64
	Elapsed   time.Duration
	PerSec    float64
	Simulated time.Duration // simulated time, summed over the seeds
}

// SeedRange turns a test's -seed and -seeds flags into the seeds to run:
// -seed S (S > 0) replays that one seed; else -seeds N runs seeds 1..N;
// unset flags fall back to $SIM_SEED and $SIM_SEEDS, then to def seeds.
func SeedRange(seed uint64, seeds, def int) (first uint64, count int) {
	if seed == 0 {
		seed, _ = strconv.ParseUint(os.Getenv("SIM_SEED"), 10, 64)
	}
	if seed > 0 {
		return seed, 1
	}
	if seeds <= 0 {
		seeds, _ = strconv.Atoi(os.Getenv("SIM_SEEDS"))
	}
	if seeds <= 0 {
		seeds = def
	}
	return 1, seeds
}

// RunSeeds runs sc for each seed and reports every failure with its seed,
// the command that replays it and the end of its trace. The first seed is
// run twice: two different traces mean the scenario or a node is not
// deterministic (a map range, the real clock, a goroutine), which would
// make every replay a lie.
func RunSeeds(t testing.TB, o SeedOptions, sc Scenario) SeedStats {
	t.Helper()
	if o.First == 0 {
		o.First = 1
	}
	o.Count = max(o.Count, 1)
	if o.TraceLines == 0 {
		o.TraceLines = 80
	}
	if o.MaxFailures == 0 {
		o.MaxFailures = 3
	}
	if o.Parallel == 0 {
		o.Parallel = runtime.GOMAXPROCS(0)
	}
	var st SeedStats
	start := time.Now()
	results := runLean(sc, o)
	for i, r := range results {
		if !r.ran {
			break // not dispatched: the run stopped at MaxFailures
		}
		seed := o.First + uint64(i)
		st.Seeds++
		st.Simulated += r.simulated
		err := r.err
		if err == nil && i == 0 {
			err = sameTrace(r.sum, sc, seed)
		}
		if err != nil {
			st.Failed = append(st.Failed, seed)
			t.Errorf("%s", replayInFull(sc, seed, err, o))
			if len(st.Failed) >= o.MaxFailures {
				break
			}
		}
	}
	st.Elapsed = time.Since(start)
	st.PerSec = float64(st.Seeds) / max(st.Elapsed.Seconds(), 1e-9)
	t.Logf("%d seeds from %d in %v (%.0f seeds/s, %v simulated), %d failed %v",
		st.Seeds, o.First, st.Elapsed.Round(time.Millisecond), st.PerSec, st.Simulated, len(st.Failed), st.Failed)
	return st
}

// replayInFull reruns a failed seed with its trace formatted, to print
// it, and says so when the replay does not fail alike.
func replayInFull(sc Scenario, seed uint64, leanErr error, o SeedOptions) string {
	w, err := sc(Config{Seed: seed})
	switch {
	case err == nil:
		err = fmt.Errorf("%w (the replay with a full trace passed: not deterministic)", leanErr)
	case err.Error() != leanErr.Error():
		err = fmt.Errorf("%w (the lean run failed with %q: not deterministic)", err, leanErr)
	}
	return FailureReport(seed, w, err, o.Replay, o.TraceLines)
}

// sameTrace reruns a seed and compares the two traces' sums.
func sameTrace(sum uint64, sc Scenario, seed uint64) error {
	again, err := sc(Config{Seed: seed, Lean: true})
	if err != nil {
		return fmt.Errorf("the rerun of seed %d failed where the first run passed (not deterministic): %w", seed, err)
	}
	if again != nil && sum != again.Trace().Sum() {
		return fmt.Errorf("seed %d run twice gave different traces: the scenario is not deterministic", seed)
	}
	return nil
}

// leanResult is what a lean run of one seed left: no world is kept.
type leanResult struct {
	ran       bool
	err       error
	simulated time.Duration
	sum       uint64
}

// runLean runs the seeds lean on o.Parallel goroutines, which all end
// before it returns. Seeds are handed out in order and every one handed
// out runs to its end, so the results hold a prefix of the seeds; once
// MaxFailures have failed no more are handed out. The first MaxFailures
// failures of that prefix, in seed order, are those a run one seed at a
// time would find.
func runLean(sc Scenario, o SeedOptions) []leanResult {
	results := make([]leanResult, o.Count)
	var next, failures atomic.Int64
	var wg sync.WaitGroup
	for range min(max(o.Parallel, 1), o.Count) {
		wg.Go(func() {
			for failures.Load() < int64(o.MaxFailures) {
				i := next.Add(1) - 1
				if i >= int64(o.Count) {
					return
				}
				w, err := sc(Config{Seed: o.First + uint64(i), Lean: true})
				r := leanResult{ran: true, err: err}
				if w != nil {
					r.simulated, r.sum = w.Elapsed(), w.Trace().Sum()
				}
				results[i] = r
				if err != nil {
					failures.Add(1)
				}
			}
		})
	}
	wg.Wait()
	return results
}

// FailureReport is what a failing seed prints: the seed, the error, how
// to replay it and the last lines of its trace.
func FailureReport(seed uint64, w *World, err error, replay string, lines int) string {
	var b strings.Builder
	fmt.Fprintf(&b, "seed %d failed: %v\n", seed, err)
	if replay != "" {
		fmt.Fprintf(&b, "replay: "+replay+"\n", seed)
	}
	if w != nil {
		last := w.Trace().Last(lines)
		fmt.Fprintf(&b, "last %d of %d trace lines (at %v simulated):\n", len(last), w.Trace().Total(), w.Elapsed())
		for _, l := range last {
			b.WriteString(l)
			b.WriteByte('\n')
		}
	}
	return b.String()
}
