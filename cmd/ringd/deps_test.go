package main

import (
	"os/exec"
	"strings"
	"testing"
)

// TestBinaryLinksNoSimulator keeps the test fakes out of production ringd:
// `ringd demo` runs the simulated regions as the ringsim binary, so ringd
// must not link internal/regionsim (nor the fake Argo CD it serves).
func TestBinaryLinksNoSimulator(t *testing.T) {
	t.Parallel()
	gobin, err := exec.LookPath("go")
	if err != nil {
		t.Skipf("no go command on PATH to list ringd's dependencies: %v", err)
	}
	out, err := exec.Command(gobin, "list", "-deps", ".").Output()
	if err != nil {
		t.Fatalf("go list -deps: %v", err)
	}
	const mod = "github.com/ringleader-dev/ringleader/"
	forbidden := []string{mod + "internal/regionsim", mod + "regions/argocd/argocdtest"}
	for _, dep := range strings.Fields(string(out)) {
		for _, f := range forbidden {
			if dep == f {
				t.Errorf("ringd links %s, a test fake; ringd demo runs it as the ringsim binary instead", dep)
			}
		}
	}
}
