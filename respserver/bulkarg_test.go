package respserver

import (
	"bytes"
	"testing"
)

// A large argument holds what arrived (plus at most one piece being
// filled), not what its header announced nor the garbage of regrowing
// one slice, and comes out whole.
func TestBulkArgHoldsWhatArrived(t *testing.T) {
	for _, size := range []int{0, 10, 64 * 1024, 100 * 1024, bulkChunk, 3*bulkChunk + 17, 60 << 20} {
		a := newBulkArg(size)
		want := make([]byte, 0, min(size, 8<<20))
		part := bytes.Repeat([]byte("abcdefg"), 2345) // odd-sized reads
		for a.missing() > 0 && a.n < 5<<20 {
			p := part[:min(len(part), a.missing())]
			a.add(p)
			want = append(want, p...)
			held := cap(a.first)
			for _, c := range a.chunks {
				held += cap(c)
			}
			if limit := a.n + bulkChunk; held > limit && held > 2*64*1024 {
				t.Fatalf("size %d: %d bytes arrived, %d held", size, a.n, held)
			}
		}
		if a.missing() > 0 {
			continue // announced more than was sent: never completed
		}
		if got := a.bytes(); !bytes.Equal(got, want) {
			t.Errorf("size %d: argument of %d bytes differs from what was sent (%d)", size, len(got), len(want))
		}
	}
}
