package respserver

// bulkChunk is the size of the pieces a large bulk argument is collected
// in while its bytes arrive.
const bulkChunk = 1 << 20

// bulkArg collects one bulk argument of a known announced size as its
// bytes arrive. Memory follows what arrived, never what the header
// announced (a header may promise 512 MB and send 5): small arguments
// grow one slice up to 1 MB; larger ones go into 1 MB pieces, so
// that collecting n bytes holds n bytes, not the up to 2n (and the
// garbage of every smaller copy) that growing one slice would; the pieces
// are joined once, when the argument is complete.
type bulkArg struct {
	size   int
	first  []byte   // the argument itself while it fits one piece
	chunks [][]byte // full pieces of a large argument, then first is the last piece
	n      int      // bytes collected
}

func newBulkArg(size int) bulkArg {
	return bulkArg{size: size, first: make([]byte, 0, min(size, 64*1024))}
}

// missing is how many bytes the argument still waits for.
func (a *bulkArg) missing() int { return a.size - a.n }

// add appends p, which must not exceed missing().
func (a *bulkArg) add(p []byte) {
	for len(p) > 0 {
		if len(a.first) == cap(a.first) {
			if a.size <= bulkChunk {
				// Up to one piece: grow the one slice, doubling.
				grown := make([]byte, len(a.first), min(a.size, 2*cap(a.first)))
				copy(grown, a.first)
				a.first = grown
			} else {
				a.chunks = append(a.chunks, a.first)
				a.first = make([]byte, 0, min(a.size-a.n, bulkChunk))
			}
		}
		k := min(len(p), cap(a.first)-len(a.first))
		a.first = append(a.first, p[:k]...)
		a.n += k
		p = p[k:]
	}
}

// bytes returns the complete argument.
func (a *bulkArg) bytes() []byte {
	if len(a.chunks) == 0 {
		return a.first
	}
	out := make([]byte, 0, a.n)
	for _, c := range a.chunks {
		out = append(out, c...)
	}
	out = append(out, a.first...)
	a.chunks, a.first = nil, nil
	return out
}
