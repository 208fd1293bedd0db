package cluster

import (
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"sync"
)

// LookBinary finds a system binary (redis-server, redis-sentinel,
// redis-cli, haproxy) or skips the test: a missing binary is the one
// reason an e2e test may skip. CI installs all of them.
func LookBinary(t TB, name string) string {
	t.Helper()
	p, err := exec.LookPath(name)
	if err != nil {
		t.Skipf("%s not installed: %v", name, err)
	}
	return p
}

// SentinelBinEnv names the variable that points the tests at a prebuilt
// binary instead of building one.
const SentinelBinEnv = "SENTINEL_BIN"

var build struct {
	once sync.Once
	dir  string
	path string
	err  error
}

// OurBinary returns the path of our sentinel binary: $SENTINEL_BIN
// (relative paths are taken from the module root, where `make build` puts
// bin/sentinel), or else a binary built once per test binary with
// `go build -o <tmp>/sentinel ./cmd/sentinel`. A failed build fails the
// test: it is our code, not a missing dependency.
func OurBinary(t TB) string {
	t.Helper()
	build.once.Do(func() { build.path, build.err = locateOrBuild() })
	if build.err != nil {
		t.Fatalf("our sentinel binary: %v", build.err)
	}
	return build.path
}

func locateOrBuild() (string, error) {
	root, rootErr := ModuleRoot()
	if bin := os.Getenv(SentinelBinEnv); bin != "" {
		if !filepath.IsAbs(bin) && rootErr == nil {
			bin = filepath.Join(root, bin)
		}
		if _, err := os.Stat(bin); err != nil {
			return "", fmt.Errorf("$%s: %w", SentinelBinEnv, err)
		}
		return bin, nil
	}
	if rootErr != nil {
		return "", rootErr
	}
	dir, err := os.MkdirTemp("", "qsentinel-e2e-bin-")
	if err != nil {
		return "", err
	}
	build.dir = dir
	out := filepath.Join(dir, "sentinel")
	cmd := exec.Command(goTool(), "build", "-o", out, "./cmd/sentinel")
	cmd.Dir = root
	cmd.Env = append(os.Environ(), "CGO_ENABLED=0") // as `make build`
	if msg, err := cmd.CombinedOutput(); err != nil {
		return "", fmt.Errorf("go build ./cmd/sentinel in %s: %v\n%s", root, err, msg)
	}
	return out, nil
}

func goTool() string {
	if p, err := exec.LookPath("go"); err == nil {
		return p
	}
	if root := os.Getenv("GOROOT"); root != "" {
		return filepath.Join(root, "bin", "go")
	}
	return "go"
}

// ModuleRoot walks up from the working directory to the directory that
// holds go.mod (tests run in their package directory).
func ModuleRoot() (string, error) {
	dir, err := os.Getwd()
	if err != nil {
		return "", err
	}
	for {
		if _, err := os.Stat(filepath.Join(dir, "go.mod")); err == nil {
			return dir, nil
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			return "", errors.New("go.mod not found above the working directory")
		}
		dir = parent
	}
}

// Main runs a test binary's tests and then removes the binary built by
// OurBinary. Use it from TestMain:
//
//	func TestMain(m *testing.M) { os.Exit(cluster.Main(m)) }
func Main(m interface{ Run() int }) int {
	code := m.Run()
	if build.dir != "" {
		os.RemoveAll(build.dir)
	}
	return code
}
