package procrun

import (
	"math"
	"time"
)

// Doubling is the delay before the attempt after attempt n (from 1):
// base, then twice as long after each further attempt, never more than
// limit (0: no limit, as redis-sentinel's script retries).
func Doubling(base time.Duration, n int, limit time.Duration) time.Duration {
	d := base
	for i := 1; i < n; i++ {
		if (limit > 0 && d >= limit) || d > math.MaxInt64/2 {
			break
		}
		d *= 2
	}
	if limit > 0 && d > limit {
		d = limit
	}
	return d
}
