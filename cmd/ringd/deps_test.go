package main

import (
	"slices"
	"testing"

	"github.com/ringleader-dev/ringleader/internal/ringdtest"
)

// TestBinaryLinksNoSimulator keeps the test fakes out of production ringd:
// `ringd demo` runs the simulated regions as the ringsim binary, so ringd
// must not link internal/regionsim (nor the fake Argo CD it serves).
func TestBinaryLinksNoSimulator(t *testing.T) {
	t.Parallel()
	linked := ringdtest.Linked(t)
	for _, fake := range []string{"internal/regionsim", "regions/argocd/argocdtest"} {
		if slices.Contains(linked, "github.com/ringleader-dev/ringleader/"+fake) {
			t.Errorf("ringd links %s, a test fake; ringd demo runs it as the ringsim binary instead", fake)
		}
	}
}
