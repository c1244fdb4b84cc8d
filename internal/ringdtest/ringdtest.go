// Package ringdtest is how tests run ringd as a process: it builds the
// project's binaries once per test process, waits for a node's address
// file, makes one API call to it, and holds the topology the Git-backed
// tests share. cmd/ringd's
// process tests, e2e/harness and e2e/bench all build through it.
package ringdtest

import (
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/ringleader-dev/ringleader/internal/addrfile"
	"github.com/ringleader-dev/ringleader/internal/poll"
)

// built is the one directory every binary of this test process goes to,
// and what is already in it.
var built = struct {
	sync.Mutex
	dir   string
	paths map[string]string
}{paths: map[string]string{}}

// Build compiles the named commands (directories under cmd/: "ringd",
// "ringctl", "ringsim") once per test process and returns their paths in
// the same order. Commands built by an earlier call are not built again;
// the others are built by one `go build`.
func Build(names ...string) ([]string, error) {
	built.Lock()
	defer built.Unlock()
	var missing []string
	for _, n := range names {
		if _, ok := built.paths[n]; !ok {
			missing = append(missing, n)
		}
	}
	if len(missing) > 0 {
		if err := build(missing); err != nil {
			return nil, err
		}
	}
	out := make([]string, len(names))
	for i, n := range names {
		out[i] = built.paths[n]
	}
	return out, nil
}

// Ringd is the ringd binary, built on first use; it fails tb when ringd
// does not build.
func Ringd(tb testing.TB) string {
	tb.Helper()
	bins, err := Build("ringd")
	if err != nil {
		tb.Fatal(err)
	}
	return bins[0]
}

// build runs one `go build` for names into the shared directory; the
// caller holds the lock.
func build(names []string) error {
	root, err := ModuleRoot()
	if err != nil {
		return err
	}
	if built.dir == "" {
		if built.dir, err = os.MkdirTemp("", "ringleader-bin-"); err != nil {
			return fmt.Errorf("make a directory for the test binaries: %w", err)
		}
	}
	args := []string{"build", "-o", built.dir + string(os.PathSeparator)}
	for _, n := range names {
		args = append(args, "./cmd/"+n)
	}
	cmd := exec.Command("go", args...)
	cmd.Dir = root
	if out, err := cmd.CombinedOutput(); err != nil {
		return fmt.Errorf("go build %s: %w\n%s", strings.Join(names, " "), err, out)
	}
	for _, n := range names {
		built.paths[n] = filepath.Join(built.dir, n)
	}
	return nil
}

// Cleanup removes the binaries built so far; TestMain calls it after the
// tests.
func Cleanup() {
	built.Lock()
	defer built.Unlock()
	if built.dir != "" {
		os.RemoveAll(built.dir)
		built.dir, built.paths = "", map[string]string{}
	}
}

// ModuleRoot is the directory holding go.mod.
func ModuleRoot() (string, error) {
	out, err := exec.Command("go", "env", "GOMOD").Output()
	if err != nil {
		return "", fmt.Errorf("go env GOMOD: %w", err)
	}
	mod := strings.TrimSpace(string(out))
	if mod == "" || mod == os.DevNull {
		return "", fmt.Errorf("not inside the ringleader module: run the tests from the repository")
	}
	return filepath.Dir(mod), nil
}

// WaitAddrs waits up to timeout for the address file a ringd process
// writes once it listens (ringd --addr-file, default DATA_DIR/addr.json).
// exited reports whether the process has ended: then waiting stops at once
// with an error.
func WaitAddrs(path string, timeout time.Duration, exited func() bool) (addrfile.Addrs, error) {
	var a addrfile.Addrs
	var readErr error
	err := poll.For(timeout, "the address file "+path, func() bool {
		a, readErr = addrfile.Read(path)
		return readErr == nil || exited()
	})
	switch {
	case err != nil:
		return a, fmt.Errorf("%w (last read: %w)", err, readErr)
	case readErr != nil:
		return a, fmt.Errorf("the process exited before writing %s", path)
	}
	return a, nil
}

// GitTopology is a two-ring topology (canary soaking for soak, then early)
// for the app checkout, whose GitOps repository is repo.
func GitTopology(repo, soak string) string {
	return fmt.Sprintf(`apiVersion: ringleader.dev/v1alpha1
kind: Topology
metadata: {name: git}
spec:
  gitops: {repo: %q, branch: main}
  regions:
    - {name: us-east-1, timezone: UTC}
    - {name: eu-west-1, timezone: UTC}
  rings:
    - {name: canary, regions: [us-east-1], soak: %s}
    - {name: early, regions: [eu-west-1], soak: 0s}
  policy:
    onFailure: halt-later-rings
    rollback: automatic
  apps:
    - name: checkout
      targets: [{file: "apps/checkout/{{region}}/values.yaml", yamlPath: image.tag}]
`, repo, soak)
}

// Call sends one request with body and header through c and returns the
// status and the body; the status is 0 when nobody answers.
func Call(c *http.Client, method, url, body string, header map[string]string) (int, []byte) {
	req, err := http.NewRequest(method, url, strings.NewReader(body))
	if err != nil {
		return 0, nil
	}
	for k, v := range header {
		req.Header.Set(k, v)
	}
	resp, err := c.Do(req)
	if err != nil {
		return 0, nil
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, b
}

// Linked returns every package the package in the test's directory links
// (`go list -deps .`); the test is skipped without a go command. The
// binaries' dependency tests (ringctl links no Raft, ringd no simulator)
// search it.
func Linked(tb testing.TB) []string {
	tb.Helper()
	gobin, err := exec.LookPath("go")
	if err != nil {
		tb.Skipf("no go command on PATH to list the dependencies: %v", err)
	}
	out, err := exec.Command(gobin, "list", "-deps", ".").Output()
	if err != nil {
		tb.Fatalf("go list -deps: %v", err)
	}
	return strings.Fields(string(out))
}
