package simsentinel

import (
	"math/rand/v2"
	"strconv"
	"testing"
	"time"

	"github.com/qsentinel/qsentinel/sim"
)

// recorder is a peer that only records when each reply arrives.
type recorder struct {
	w   *sim.World
	got []sim.Reply
	at  map[uint64]time.Duration
}

func (r *recorder) Receive(_ time.Time, _ string, msg sim.Msg) {
	if rep, ok := msg.(sim.Reply); ok {
		r.got = append(r.got, rep)
		r.at[rep.Seq] = r.w.Elapsed()
	}
}

func (r *recorder) Tick(time.Time) {}

// heldPing sends a sentinel whose saves take 100 ms a vote, a PING
// behind it on the same connection, and then a vote in a new epoch every
// 40 ms for 1.5 s, as a candidate of many masters keeps asking. It
// returns when the PING's reply arrived, and checks that every reply
// came, in order.
func heldPing(t *testing.T, mutant Mutant) time.Duration {
	t.Helper()
	f := NewFleet(sim.Config{Seed: 1}, Layout{Masters: 1, Hosts: 1, Sentinels: 1, Quorum: 1, Mutant: mutant,
		SaveTimes: func(*rand.Rand) time.Duration { return 100 * time.Millisecond }})
	w := f.W
	peer := &recorder{w: w, at: map[uint64]time.Duration{}}
	w.Add("peer", sim.Addr{Host: "10.0.2.1", Port: 26379}, 0, func(*sim.Endpoint) sim.Node { return peer })
	seq := uint64(0)
	send := func(args ...string) {
		seq++
		w.Send("peer", f.Sentinels[0], sim.Command{Conn: "vote", Seq: seq, Args: args})
	}
	vote := func(epoch int) {
		send("SENTINEL", "is-master-down-by-addr", redisHost(0), "6380", strconv.Itoa(epoch), "candidate-run-id")
	}
	if err := w.RunFor(2 * time.Second); err != nil {
		t.Fatal(err)
	}
	vote(1)
	send("PING")
	const pingSeq = 2
	for k := range 37 {
		w.After(time.Duration(k+1)*40*time.Millisecond, "vote", func() { vote(k + 2) })
	}
	if err := w.RunFor(3 * time.Second); err != nil {
		t.Fatal(err)
	}
	if len(peer.got) != int(seq) {
		t.Fatalf("%d replies of %d commands", len(peer.got), seq)
	}
	for i, r := range peer.got {
		if r.Seq != uint64(i+1) {
			t.Fatalf("reply %d is to command %d: replies left out of order", i+1, r.Seq)
		}
	}
	return peer.at[pingSeq] - 2*time.Second
}

// TestHeldRepliesLeaveWhileVotesKeepComing is respserver's test of the
// same name in the simulator: each save lets out the replies written
// before it started, so a PING behind a vote waits one or two saves
// however long the votes keep coming; with MutantHoldAllReplies it waits
// until they stop.
func TestHeldRepliesLeaveWhileVotesKeepComing(t *testing.T) {
	if waited := heldPing(t, ""); waited > 250*time.Millisecond {
		t.Errorf("the PING's reply waited %v behind votes that kept coming (a save takes 100ms)", waited)
	}
	if waited := heldPing(t, MutantHoldAllReplies); waited < 1500*time.Millisecond {
		t.Errorf("with every reply held until no vote arrives during a save, the PING's reply waited only %v", waited)
	}
}
