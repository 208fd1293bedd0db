package e2e

import (
	"fmt"
	"path/filepath"
	"regexp"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/qsentinel/qsentinel/e2e/cluster"
)

// redisLogLine is serverLogRaw's shape: "<pid>:X <dd Mon yyyy
// hh:mm:ss.mmm> <level char> <text>".
var redisLogLine = regexp.MustCompile(`^(\d+):X \d\d [A-Z][a-z]{2} \d{4} \d\d:\d\d:\d\d\.\d{3} ([.\-*#]) (.*)$`)

// TestStartAndStopLogAsRedis: from a .conf, ours logs in redis-sentinel's
// line format and says what redis-sentinel says, at the same levels and in
// the same order, from start (version, port, config, id, +monitor only
// once the port is bound) to SIGTERM (issue 18 item 10).
func TestStartAndStopLogAsRedis(t *testing.T) {
	steps := []struct{ prefix, real string }{ // what ours says, where redis's text differs
		{"oO0OoO0OoO0Oo Redis is starting oO0OoO0OoO0Oo", ""},
		{"Redis version=7.0.15, bits=64, commit=00000000, modified=0, pid=", ""},
		{"Configuration loaded from ", "Configuration loaded"},
		{"Running mode=sentinel, port=%d.", ""},
		{"Sentinel ID is ", ""},
		{"+monitor master m 127.0.0.1 ", ""},
		{"User requested shutdown...", ""},
		{"Sentinel is now ready to exit, bye bye...", ""},
	}
	levels := map[cluster.Impl][]string{}
	for _, impl := range bothImpls {
		c := cluster.New(t)
		dir := c.NewDir("files")
		logPath := filepath.Join(dir, "s.log")
		s, _ := startOnConf(t, c, impl, "logfile "+logPath)
		if err := s.Signal(syscall.SIGTERM); err != nil {
			t.Fatal(err)
		}
		select {
		case <-s.Exited():
		case <-time.After(10 * time.Second):
			t.Fatalf("%s: SIGTERM: still running", impl)
		}
		var texts, chars []string
		for _, line := range strings.Split(strings.TrimSpace(readFile(logPath)), "\n") {
			if strings.Contains(line, ":signal-handler (") { // redis's async-signal-safe line
				continue
			}
			m := redisLogLine.FindStringSubmatch(line)
			if m == nil {
				t.Errorf("%s: not a redis log line: %q", impl, line)
				continue
			}
			texts, chars = append(texts, m[3]), append(chars, m[2])
		}
		next := 0
		for _, st := range steps {
			want := st.prefix
			if impl == cluster.Real && st.real != "" {
				want = st.real
			}
			if strings.Contains(want, "%d") {
				want = fmt.Sprintf(want, s.Port)
			}
			found := false
			for ; next < len(texts); next++ {
				if strings.HasPrefix(texts[next], want) {
					levels[impl] = append(levels[impl], chars[next])
					found = true
					next++
					break
				}
			}
			if !found {
				t.Errorf("%s: %q missing or out of order in:\n%s", impl, want, strings.Join(texts, "\n"))
				break
			}
		}
		if impl == cluster.Ours && !strings.Contains(readFile(logPath), "* Sentinel new configuration saved on disk") {
			t.Errorf("ours: no \"Sentinel new configuration saved on disk\"")
		}
	}
	if o, r := strings.Join(levels[cluster.Ours], ""), strings.Join(levels[cluster.Real], ""); o != r {
		t.Errorf("level characters: ours %q, redis-sentinel %q", o, r)
	}
}
