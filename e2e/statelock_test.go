package e2e

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/qsentinel/qsentinel/e2e/cluster"
)

// TestSharedStateFileRefused is issue 18 item 5: two YAML instances with
// the default dir ("") started from one directory would share the default
// state file, hence one id, and their peers would count them as one
// sentinel. The second refuses to start and says why; a state file that
// cannot be written stops the start instead of giving a new id at every
// restart.
func TestSharedStateFileRefused(t *testing.T) {
	c := cluster.New(t)
	dir := c.NewDir("shared")
	bin := cluster.OurBinary(t)
	var ports [2]int
	for k := range ports {
		ports[k] = cluster.MustFreePort(t)
		y := fmt.Sprintf("port: %d\nbind: [127.0.0.1]\n", ports[k])
		if err := os.WriteFile(filepath.Join(dir, fmt.Sprintf("s%d.yaml", k)), []byte(y), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	first := cluster.NewProcess("first", bin, dir, "--config", "s0.yaml")
	c.Adopt(first)
	if err := first.Start(); err != nil {
		t.Fatal(err)
	}
	if err := cluster.WaitReady(first, ports[0], cluster.StartTimeout); err != nil {
		t.Fatalf("%v\n%s", err, first.Logs())
	}
	cmd := exec.Command(bin, "--config", "s1.yaml")
	cmd.Dir = dir
	out, err := cmd.CombinedOutput()
	if err == nil || !strings.Contains(string(out), "in use by another running sentinel") {
		t.Fatalf("second instance on the same state file: %v\n%s", err, out)
	}

	ro := c.NewDir("readonly")
	if err := os.WriteFile(filepath.Join(ro, "s.yaml"), []byte(fmt.Sprintf("port: %d\nstate_file: /proc/nope/state.json\n", ports[1])), 0o644); err != nil {
		t.Fatal(err)
	}
	cmd = exec.Command(bin, "--config", "s.yaml")
	cmd.Dir = ro
	out, err = cmd.CombinedOutput()
	if err == nil || !strings.Contains(string(out), "not writable") {
		t.Fatalf("unwritable state file: %v\n%s", err, out)
	}
}
