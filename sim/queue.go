package sim

// event is one thing the world will do at a time. Events at the same time
// run in the order they were scheduled (seq), so ties never depend on the
// heap's internals.
type event struct {
	at  int64 // nanoseconds since the world's start: no pointer to move, unlike a time.Time
	seq uint64
	run func()
}

func (e *event) before(o *event) bool {
	if e.at != o.at {
		return e.at < o.at
	}
	return e.seq < o.seq
}

// eventQueue is a binary min-heap on (at, seq). It is typed rather than
// container/heap: boxing every event in an interface was a tenth of a
// simulation's time.
type eventQueue []event

func (q eventQueue) Len() int     { return len(q) }
func (q eventQueue) peek() *event { return &q[0] }

func (q *eventQueue) push(e event) {
	*q = append(*q, e)
	h := *q
	for i := len(h) - 1; i > 0; {
		parent := (i - 1) / 2
		if !h[i].before(&h[parent]) {
			break
		}
		h[i], h[parent] = h[parent], h[i]
		i = parent
	}
}

func (q *eventQueue) pop() event {
	h := *q
	top := h[0]
	last := len(h) - 1
	h[0] = h[last]
	h[last] = event{} // let the closure be collected
	h = h[:last]
	for i := 0; ; {
		l, r, small := 2*i+1, 2*i+2, i
		if l < len(h) && h[l].before(&h[small]) {
			small = l
		}
		if r < len(h) && h[r].before(&h[small]) {
			small = r
		}
		if small == i {
			break
		}
		h[i], h[small] = h[small], h[i]
		i = small
	}
	*q = h
	return top
}
