package sim

import (
	"math/rand/v2"
	"testing"
	"time"
)

func TestEventQueuePopsInTimeThenScheduleOrder(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 2))
	var q eventQueue
	for seq := uint64(1); seq <= 2000; seq++ {
		// Few distinct times, so most events tie on time.
		q.push(event{at: int64(r.IntN(20)) * int64(time.Millisecond), seq: seq})
	}
	prev := q.pop()
	for q.Len() > 0 {
		e := q.pop()
		if e.at < prev.at || (e.at == prev.at && e.seq < prev.seq) {
			t.Fatalf("popped (%v, %d) after (%v, %d)", e.at, e.seq, prev.at, prev.seq)
		}
		prev = e
	}
}
