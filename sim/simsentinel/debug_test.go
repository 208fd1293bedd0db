package simsentinel

import (
	"os"
	"strconv"
	"testing"

	"github.com/qsentinel/qsentinel/sim"
)

func TestDebugTrace(t *testing.T) {
	s, _ := strconv.ParseUint(os.Getenv("DSEED"), 10, 64)
	if s == 0 {
		t.Skip()
	}
	w, err := Chaos(sim.Config{Seed: s, TraceLines: 200000})
	t.Log(err)
	for _, l := range w.Trace().Last(200000) {
		os.Stdout.WriteString(l + "\n")
	}
}
