package coordtest

import (
	"testing"

	"github.com/ringleader-dev/ringleader/coordinator/command"
	"github.com/ringleader-dev/ringleader/internal/scalegen"
	"github.com/ringleader-dev/ringleader/rings"
)

// NewScaleStore is a leader's Store holding scalegen's topology of shape
// and a release of each of its first releases apps, "<app>-v2" at version
// v2, none started yet.
func NewScaleStore(tb testing.TB, shape scalegen.Shape, releases int) *Store {
	tb.Helper()
	src, err := scalegen.Topology(shape)
	if err != nil {
		tb.Fatal(err)
	}
	s := NewStore(true)
	s.MustApply(tb, command.CmdAdoptTopology, command.AdoptTopology{Revision: rings.TopologyRevision(src), Path: "scale.yaml", Source: src})
	for i := range releases {
		s.MustApply(tb, command.CmdCreateRelease, command.CreateRelease{ID: scalegen.AppName(i) + "-v2", App: scalegen.AppName(i), Version: "v2"})
	}
	return s
}
