package failover

import "time"

// Silence is what a subjective-down judgement of a node rests on, for the
// log: it tells a reply that came late from a PING that went out late,
// and both from the driver's own lateness in reading. A live instance
// judged down under load (a thousand masters being discovered at once on
// two CPUs did that) can only be explained with all three.
type Silence struct {
	// Silent is how long the node had given no valid reply, measured up
	// to where replies had been read (checkSDown's elapsed time); zero
	// when the last reply is newer than that mark.
	Silent time.Duration
	// Unanswered is how long ago the oldest PING still without a valid
	// reply went out; zero when every PING was answered.
	Unanswered time.Duration
	// SincePing is how long ago the last PING went out; zero when none
	// has.
	SincePing time.Duration
	// ReadLag is how far behind now the driver had read replies
	// (HeardUpTo); zero when it was caught up.
	ReadLag time.Duration
}

// SilenceOf is n's Silence at now.
func (m *Machine) SilenceOf(n *Node, now time.Time) Silence {
	s := Silence{Silent: max(0, m.silentFor(n, now)), ReadLag: now.Sub(m.heard(now))}
	if !n.ActPing.IsZero() {
		s.Unanswered = now.Sub(n.At(n.ActPing))
	}
	if !n.LastPing.IsZero() {
		s.SincePing = now.Sub(n.At(n.LastPing))
	}
	return s
}
