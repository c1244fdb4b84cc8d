package e2e

import (
	"fmt"
	"testing"
	"time"

	"github.com/ringleader-dev/ringleader/e2e/harness"
	"github.com/ringleader-dev/ringleader/rings"
)

// TestGoodReleaseRollsThroughRings: a good release rolls canary → early →
// global through real Git commits that the simulated regions sync, every
// ring soaking its full window before the next one starts.
func TestGoodReleaseRollsThroughRings(t *testing.T) {
	rs := defaultRings()
	e := newEnv(t, envOptions{rings: rs, sim: true})
	id := e.create("checkout", "v1.1.0")
	r := e.waitState(id, rings.ReleaseCompleted, 90*time.Second)
	e.checkReleased(t, r, rs, "v1.1.0")
	e.checkRegionsRun(t, "checkout", regionsOf(rs), "v1.1.0")
	e.verifyHistory(t)
	e.checkExactlyOnce(t)
}

// checkGitMatches: every region of every ring runs version in Git, through
// exactly one forward promotion commit per region, and the commits land in
// ring order.
func (e *env) checkGitMatches(t *testing.T, r *rings.Release, rs []ringSpec, version string) {
	t.Helper()
	byRing := e.forwardPromotions(t, r.ID)
	var prevLast int64
	for _, spec := range rs {
		seen := map[string]int{}
		var first, last int64
		for _, c := range byRing[spec.Name] {
			if c.Trailers[trailerVersion] != version {
				t.Errorf("ring %s commit %.12s carries version %q, want %q", spec.Name, c.Hash, c.Trailers[trailerVersion], version)
			}
			for _, reg := range splitList(c.Trailers[trailerRegions]) {
				seen[reg]++
			}
			if first == 0 || c.Unix < first {
				first = c.Unix
			}
			last = max(last, c.Unix)
		}
		for _, reg := range spec.Regions {
			if seen[reg] != 1 {
				t.Errorf("region %s of ring %s: %d promotion commits, want exactly 1", reg, spec.Name, seen[reg])
			}
			if got := e.versionIn(r.App, reg); got != version {
				t.Errorf("region %s runs %q in Git, want %q", reg, got, version)
			}
		}
		if first != 0 && first < prevLast {
			t.Errorf("ring %s's first commit (%d) precedes the previous ring's last (%d)", spec.Name, first, prevLast)
		}
		prevLast = last
	}
}

// checkRegionsRun: the simulated regions synced version of app from Git
// and report it Synced and Healthy.
func (e *env) checkRegionsRun(t *testing.T, app string, regions []string, version string) {
	t.Helper()
	var last []simApp
	err := harness.Poll(15*time.Second, func() error {
		got, err := e.sim.apps()
		if err != nil {
			return err
		}
		last = got
		for _, reg := range regions {
			ok := false
			for _, a := range got {
				if a.Region == reg && a.App == app && a.Version == version && a.Sync == "Synced" && a.Health == "Healthy" {
					ok = true
				}
			}
			if !ok {
				return fmt.Errorf("region %s does not run %s %s synced and healthy", reg, app, version)
			}
		}
		return nil
	})
	if err != nil {
		t.Errorf("simulated regions: %v; they report %+v", err, last)
	}
}
