package sim

import "time"

// trouble is the ground truth of faults a check needs to judge a node
// that believes itself cut off: when each endpoint last crashed,
// restarted, was frozen (until it resumed) or had its clock jump, and
// when the network between two endpoints last had a rule laid or lifted
// on it, or lost one of their messages.
type trouble struct {
	ep   map[string]time.Time
	pair map[link]time.Time // the pair in name order, both directions
}

func newTrouble() trouble {
	return trouble{ep: map[string]time.Time{}, pair: map[link]time.Time{}}
}

func pairOf(a, b string) link {
	if b < a {
		a, b = b, a
	}
	return link{a, b}
}

// troubleAt records a fault of endpoint name lasting until t.
func (w *World) troubleAt(name string, t time.Time) {
	if t.After(w.trouble.ep[name]) {
		w.trouble.ep[name] = t
	}
}

// troublePair records a fault between a and b now.
func (w *World) troublePair(a, b string) {
	w.trouble.pair[pairOf(a, b)] = w.now
}

// ruled says whether a network rule (cut, loss, delay, reordering) is
// laid on the link from one endpoint to another.
func (n *network) ruled(l link) bool {
	_, re := n.reorder[l]
	return n.cut[l] != "" || n.loss[l] > 0 || n.delay[l] > 0 || re
}

// Calm reports whether a and b have both been running, neither frozen nor
// with a clock that jumped, with no network rule between them either way
// and none of their messages lost, for the last d: the ground truth under
// which a node that stops hearing the other has a bug of its own, not a
// network's excuse. Calm(a, a, d) judges a alone. A slow network counts as
// a fault (Delay, Reorder), so a check built on Calm never blames a node
// for what a slow link legitimately did; a node starts troubled (it has
// just booted).
func (w *World) Calm(a, b string, d time.Duration) bool {
	since := w.now.Add(-d)
	for _, name := range []string{a, b} {
		ep := w.eps[name]
		if ep == nil || ep.node == nil || w.now.Before(ep.frozenUntil) || w.trouble.ep[name].After(since) {
			return false
		}
	}
	if a == b {
		return true
	}
	return !w.net.ruled(link{a, b}) && !w.net.ruled(link{b, a}) && !w.trouble.pair[pairOf(a, b)].After(since)
}

// DownSince is when the node of name stopped (crashed or was killed),
// false while it runs.
func (w *World) DownSince(name string) (time.Time, bool) {
	ep := w.eps[name]
	if ep == nil || ep.node != nil {
		return time.Time{}, false
	}
	return ep.downSince, true
}
