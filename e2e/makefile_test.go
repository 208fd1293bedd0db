package e2e

import (
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
)

// makeCommands is what `make -n target` would run at the top of the tree,
// with the text of every scripts/*.sh it calls appended (make -n does not
// look inside them).
func makeCommands(t *testing.T, target string) string {
	t.Helper()
	if _, err := exec.LookPath("make"); err != nil {
		t.Skip("make not installed")
	}
	cmd := exec.Command("make", "-n", target)
	cmd.Dir = ".."
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("make -n %s: %v\n%s", target, err, out)
	}
	all := string(out)
	for _, script := range regexp.MustCompile(`scripts/[\w-]+\.sh`).FindAllString(string(out), -1) {
		b, err := os.ReadFile(filepath.Join("..", script))
		if err != nil {
			t.Fatal(err)
		}
		all += "\n" + string(b)
	}
	return all
}

// `make demo` must not install the Node package only the client tests use
// (it ran `npm ci` through make deps); `make test` still does.
func TestMakeDemoRunsNoNpm(t *testing.T) {
	if demo := makeCommands(t, "demo"); strings.Contains(demo, "npm") {
		t.Errorf("make demo runs npm:\n%s", demo)
	}
	if test := makeCommands(t, "test"); !strings.Contains(test, "npm ci") {
		t.Errorf("make test no longer installs ioredis for the client tests:\n%s", test)
	}
}
