package main

import (
	"fmt"
	"os"
	"strconv"
	"strings"

	"github.com/qsentinel/qsentinel/strerror"
)

// oomScoreAdjPath is the kernel's knob for this process.
const oomScoreAdjPath = "/proc/self/oom_score_adj"

// setOOMScoreAdj does what redis's setOOMScoreAdj does at start for
// oom-score-adj: with "absolute", the master value of
// oom-score-adj-values; with "relative", that value added to the score
// the process started with; clamped to [-1000, 1000]. It returns a
// warning for the log, or "".
func (a *app) setOOMScoreAdj() string {
	mode := a.srv.OOMScoreAdj
	if mode == "" || mode == "no" {
		return ""
	}
	val := a.srv.OOMScoreAdjValues[0]
	if mode == "relative" {
		b, err := os.ReadFile(oomScoreAdjPath)
		if err != nil {
			return "Unable to read oom_score_adj: " + strerror.Text(err)
		}
		base, _ := strconv.Atoi(strings.TrimSpace(string(b)))
		val += base
	}
	val = min(max(val, -1000), 1000)
	if err := os.WriteFile(oomScoreAdjPath, []byte(fmt.Sprintf("%d\n", val)), 0); err != nil {
		return "Unable to write oom_score_adj: " + strerror.Text(err)
	}
	return ""
}
