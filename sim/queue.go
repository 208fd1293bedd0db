package sim

import (
	"container/heap"
	"time"
)

// event is one thing the world will do at a time. Events at the same time
// run in the order they were scheduled (seq), so ties never depend on the
// heap's internals.
type event struct {
	at  time.Time
	seq uint64
	run func()
}

// eventQueue is a min-heap on (at, seq).
type eventQueue []event

func (q eventQueue) Len() int { return len(q) }
func (q eventQueue) Less(i, j int) bool {
	if !q[i].at.Equal(q[j].at) {
		return q[i].at.Before(q[j].at)
	}
	return q[i].seq < q[j].seq
}
func (q eventQueue) Swap(i, j int) { q[i], q[j] = q[j], q[i] }
func (q *eventQueue) Push(x any)   { *q = append(*q, x.(event)) }
func (q *eventQueue) Pop() any {
	old := *q
	e := old[len(old)-1]
	old[len(old)-1] = event{} // let the closure be collected
	*q = old[:len(old)-1]
	return e
}

func (q *eventQueue) push(e event) { heap.Push(q, e) }
func (q *eventQueue) pop() event   { return heap.Pop(q).(event) }
func (q eventQueue) peek() event   { return q[0] }
