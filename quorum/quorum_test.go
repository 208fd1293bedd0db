package quorum

import (
	"testing"
	"time"
)

func TestObjectivelyDown(t *testing.T) {
	now := time.Now()
	fresh := Opinion{Down: true, At: now.Add(-time.Second)}
	stale := Opinion{Down: true, At: now.Add(-6 * time.Second)}
	up := Opinion{Down: false, At: now}
	cases := []struct {
		self   bool
		peers  []Opinion
		quorum int
		n      int
		down   bool
	}{
		{false, []Opinion{fresh, fresh}, 2, 0, false},
		{true, nil, 1, 1, true},
		{true, nil, 2, 1, false},
		{true, []Opinion{fresh}, 2, 2, true},
		{true, []Opinion{stale, up}, 2, 1, false},
		{true, []Opinion{fresh, stale, fresh}, 3, 3, true},
	}
	for i, c := range cases {
		n, down := ObjectivelyDown(c.self, c.peers, c.quorum, now, time.Second)
		if n != c.n || down != c.down {
			t.Errorf("case %d: got %d/%v want %d/%v", i, n, down, c.n, c.down)
		}
	}
}

func TestVoteOncePerEpoch(t *testing.T) {
	cur, b, ok := Vote(0, Ballot{}, 1, 0, "a")
	if !ok || cur != 1 || b != (Ballot{"a", 1}) {
		t.Fatalf("first vote: %d %+v %v", cur, b, ok)
	}
	cur, b2, ok := Vote(cur, b, 1, 0, "b")
	if ok || b2 != b {
		t.Fatalf("second vote in epoch 1 granted: %+v", b2)
	}
	// An epoch not newer than our last vote for this master never wins.
	if _, _, ok := Vote(5, Ballot{"x", 4}, 3, 0, "c"); ok {
		t.Fatal("vote granted for an epoch behind our last vote")
	}
	// Nor one not newer than the master's configuration.
	if _, _, ok := Vote(5, Ballot{"x", 2}, 3, 3, "c"); ok {
		t.Fatal("vote granted for an epoch behind the configuration")
	}
	// A newer epoch does.
	cur, b3, ok := Vote(cur, b2, 2, 0, "b")
	if !ok || cur != 2 || b3 != (Ballot{"b", 2}) {
		t.Fatalf("vote in epoch 2: %d %+v %v", cur, b3, ok)
	}
	// So does an epoch behind the current one (moved on by other masters'
	// elections) that is new for this master: the ballot carries the
	// requested epoch and the current epoch stays.
	cur, b4, ok := Vote(9, b3, 4, 2, "c")
	if !ok || cur != 9 || b4 != (Ballot{"c", 4}) {
		t.Fatalf("vote in epoch 4 at current 9: %d %+v %v", cur, b4, ok)
	}
}

func TestTallyAndElected(t *testing.T) {
	peers := []Opinion{
		{Leader: "a", LeaderEpoch: 3},
		{Leader: "b", LeaderEpoch: 3},
		{Leader: "a", LeaderEpoch: 3},
		{Leader: "a", LeaderEpoch: 2}, // other epoch: ignored
		{},
	}
	counts, w, n := Tally(peers, 3)
	if w != "a" || n != 2 || counts["b"] != 1 {
		t.Fatalf("tally: %v %s %d", counts, w, n)
	}
	if Elected("a", 2, 5, 2) != "" {
		t.Error("2 of 5 is not a majority")
	}
	if Elected("a", 3, 5, 2) != "a" {
		t.Error("3 of 5 with quorum 2 should win")
	}
	if Elected("a", 3, 5, 4) != "" {
		t.Error("votes below quorum must not win")
	}
	if Elected("a", 2, 3, 2) != "a" {
		t.Error("2 of 3 should win")
	}
}

func TestSplitVote(t *testing.T) {
	op := func(leader string, epoch uint64) Opinion { return Opinion{Leader: leader, LeaderEpoch: epoch} }
	cases := []struct {
		name  string
		own   Ballot
		peers []Opinion
		want  bool
	}{
		{"three ways", Ballot{"a", 5}, []Opinion{op("b", 5), op("c", 5)}, true},
		{"majority", Ballot{"a", 5}, []Opinion{op("a", 5), op("c", 5)}, false},
		{"unknown vote", Ballot{"a", 5}, []Opinion{op("b", 5), op("", 0)}, false},
		{"older vote", Ballot{"a", 5}, []Opinion{op("b", 5), op("c", 4)}, false},
		{"we did not vote", Ballot{"a", 4}, []Opinion{op("b", 5), op("c", 5)}, false},
		{"two of four", Ballot{"a", 5}, []Opinion{op("a", 5), op("b", 5), op("b", 5)}, true},
		{"alone", Ballot{"a", 5}, nil, false},
	}
	for _, c := range cases {
		if got := SplitVote(c.own, c.peers, 5); got != c.want {
			t.Errorf("%s: SplitVote = %v, want %v", c.name, got, c.want)
		}
	}
}
