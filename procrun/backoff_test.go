package procrun

import (
	"math"
	"testing"
	"time"
)

func TestDoubling(t *testing.T) {
	for _, tc := range []struct {
		base  time.Duration
		n     int
		limit time.Duration
		want  time.Duration
	}{
		{30 * time.Second, 1, 0, 30 * time.Second},
		{30 * time.Second, 2, 0, time.Minute},
		{30 * time.Second, 9, 0, 128 * time.Minute}, // redis's last script retry
		{time.Second, 6, time.Minute, 32 * time.Second},
		{time.Second, 7, time.Minute, time.Minute},
		{time.Second, 100, time.Minute, time.Minute},
	} {
		if got := Doubling(tc.base, tc.n, tc.limit); got != tc.want {
			t.Errorf("Doubling(%v, %d, %v) = %v, want %v", tc.base, tc.n, tc.limit, got, tc.want)
		}
	}
	// No limit and many attempts: it stops doubling before it overflows.
	if got := Doubling(time.Second, 1000, 0); got < math.MaxInt64/2 {
		t.Errorf("Doubling overflowed: %v", got)
	}
}
