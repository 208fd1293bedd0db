package sessiongen

import (
	"fmt"
	"strconv"
	"time"
)

// wire lays the requests out as writes: a request is split at random
// byte offsets with short pauses between the pieces; between requests the
// player either goes on (a pipeline) or waits for the replies (sync).
func (g *gen) wire(reqs []request) *Session {
	s := &Session{Pair: g.tgt.Pair}
	var pending []byte
	flush := func() {
		if len(pending) > 0 {
			s.Steps = append(s.Steps, Step{Kind: Send, Data: pending})
			pending = nil
		}
	}
	for i, rq := range reqs {
		s.Requests = append(s.Requests, rq.desc)
		data := rq.data
		if g.r.Intn(3) == 0 && len(data) > 1 {
			cuts := 1 + g.r.Intn(3)
			for range cuts {
				if len(data) < 2 {
					break
				}
				at := 1 + g.r.Intn(len(data)-1)
				pending = append(pending, data[:at]...)
				flush()
				s.Steps = append(s.Steps, Step{Kind: Sleep, Pause: time.Duration(g.r.Intn(4)) * time.Millisecond})
				data = data[at:]
			}
		}
		pending = append(pending, data...)
		switch {
		case rq.settle || rq.lastOne || i == len(reqs)-1 || g.r.Intn(5) < 2:
			flush()
			s.Steps = append(s.Steps, Step{Kind: Sync})
		case g.r.Intn(4) == 0:
			flush()
			s.Steps = append(s.Steps, Step{Kind: Sleep, Pause: time.Millisecond})
		}
		if rq.lastOne {
			break
		}
	}
	flush()
	return s
}

func short(b []byte) string {
	q := strconv.Quote(string(b))
	if len(q) > 120 {
		return q[:80] + fmt.Sprintf("…(%d bytes)", len(b))
	}
	return q
}
