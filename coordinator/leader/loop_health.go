package leader

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/ringleader-dev/ringleader/coordinator/command"
	"github.com/ringleader-dev/ringleader/coordinator/store"
	"github.com/ringleader-dev/ringleader/rings"
	"github.com/ringleader-dev/ringleader/rings/topology"
)

// observe asks the health source about every syncing or soaking ring and
// records one CmdObserve per region that has health sources. An error or a
// region missing from the answer is recorded as not synced and not healthy
// (fail closed). Soaking rings are asked at most once per analysis
// interval; syncing rings every pass, recorded only when the evidence
// changed or is older than the interval. Nothing is recorded once ctx ends.
func (l *Loop) observe(ctx context.Context, snap store.Snapshot) {
	t := snap.Topology
	now := l.cfg.Clock.Now()
	for _, rel := range snap.State.Releases {
		interval := t.EffectivePolicy(rel.App).Analysis.Interval.D() // each app is analysed at its own interval
		verifying := rel.RollbackRequested && rel.State == rings.ReleaseCompleted
		if (rel.State.Terminal() && !verifying) || rel.State == rings.ReleaseScheduled {
			continue
		}
		for i := range rel.Rings {
			rp := &rel.Rings[i]
			if rp.State != rings.RingSyncing && rp.State != rings.RingSoaking && rp.State != rings.RingRollingBack {
				continue
			}
			// Soaking rings and rollbacks being verified are analysed once
			// per interval; syncing rings are asked every pass.
			analysed := rp.State != rings.RingSyncing
			if analysed && !due(rp, now, interval) {
				continue // checked first: it is the common case and allocates nothing
			}
			q, ok := healthQuery(t, rel, rp)
			if !ok {
				continue
			}
			hctx, cancel := context.WithTimeout(ctx, l.cfg.HealthTimeout)
			answer, err := l.cfg.Health.Observe(hctx, q)
			cancel()
			if ctx.Err() != nil {
				return
			}
			if err != nil {
				l.cfg.Logger.Warn("health source failed; recording the regions as failing", "release", rel.ID, "ring", rp.Name, "err", err)
			}
			for _, tg := range q.Regions {
				obs := evidence(rel.ID, rp.Name, tg.Region, answer, err, now)
				if !analysed && !changed(rp.Region(tg.Region), obs, now, interval) {
					continue
				}
				key := fmt.Sprintf("observe/%s/%s/%s/%d", rel.ID, rp.Name, tg.Region, now.UnixNano())
				if rerr := l.record(ctx, command.CmdObserve, key, obs); rerr != nil {
					l.stats.errors.Add(1)
					l.cfg.Logger.Warn("record observation failed", "release", rel.ID, "region", tg.Region, "err", rerr)
					continue
				}
				l.stats.observations.Add(1)
			}
			if rp.State == rings.RingSoaking && err == nil {
				l.failOnSoakHook(ctx, rel.ID, rp.Name, answer)
			}
		}
	}
}

// healthQuery builds the question about ring rp of rel: its promoted
// regions at their promotion commits, or, for a ring rolling back, its
// rolled-back regions whose rollback is not settled, at their rollback
// commits and previous version (so the analysis judges the version they
// should run again). ok is false when no region of the ring has a health
// source to ask.
func healthQuery(t *topology.Topology, rel *rings.Release, rp *rings.RingProgress) (rings.HealthQuery, bool) {
	q := rings.HealthQuery{
		ReleaseID: rel.ID, App: rel.App, Version: rel.Version,
		Ring: rp.Name, Soaking: rp.State != rings.RingSyncing,
	}
	if rp.State != rings.RingRollingBack {
		q.Regions, q.Baseline = observedRegions(t, rp), baselineRegions(rel)
		q.BaselineVersion = rel.BaselineVersion(q.Baseline)
		return q, len(q.Regions) > 0
	}
	// A rollback is judged against thresholds only: every region of the
	// ring is going back, so there is no untouched baseline to compare.
	q.Version, q.BaselineVersion = rel.PreviousVersion, ""
	for _, g := range rp.Regions {
		if !g.RolledBack() || g.RollbackVerified() || !g.RollbackFailedAt.IsZero() {
			continue
		}
		if reg, ok := t.RegionByName(g.Name); ok && reg.HasHealthSources() {
			q.Regions = append(q.Regions, rings.RegionTarget{Region: g.Name, Commit: g.RollbackCommit})
			// {{version}} is what the region should run again; a region
			// whose targets disagreed has no single version (the query
			// keeps the release's own previous version, if any).
			if pv := rel.PreviousFor(g.Name).Version; pv != "" {
				q.Version = pv
			}
		}
	}
	return q, len(q.Regions) > 0
}

// CheckDuringSoak is the name of the during-soak webhook's check (the same
// as regions.CheckDuringSoak).
const CheckDuringSoak = "webhook/during-soak"

// failOnSoakHook fails the ring at once when the during-soak webhook
// failed for any of its regions: unlike a metric check, whose failures
// count against the ring's failureThreshold, the webhook's failure fails
// the ring (CmdFailRing; the planner then halts and rolls back).
func (l *Loop) failOnSoakHook(ctx context.Context, releaseID, ring string, answer []rings.RegionHealth) {
	for _, h := range answer {
		for _, c := range h.Checks {
			if c.Check != CheckDuringSoak || c.Pass {
				continue
			}
			reason := "the during-soak webhook failed: " + c.Reason
			if err := l.record(ctx, command.CmdFailRing, "fail-ring/"+releaseID+"/"+ring, command.RingRef{ReleaseID: releaseID, Ring: ring, Reason: reason}); err != nil {
				l.stats.errors.Add(1)
				l.cfg.Logger.Warn("fail ring after the during-soak webhook failed: record failed; retrying next pass", "release", releaseID, "ring", ring, "err", err)
				return
			}
			l.cfg.Logger.Warn("ring failed: the during-soak webhook failed", "release", releaseID, "ring", ring, "reason", c.Reason)
			return
		}
	}
}

// observedRegions are the ring's promoted regions that have health sources.
func observedRegions(t *topology.Topology, rp *rings.RingProgress) []rings.RegionTarget {
	var out []rings.RegionTarget
	for _, g := range rp.Regions {
		if !g.Promoted() {
			continue
		}
		if reg, ok := t.RegionByName(g.Name); ok && reg.HasHealthSources() {
			out = append(out, rings.RegionTarget{Region: g.Name, Commit: g.Commit})
		}
	}
	return out
}

// baselineRegions are the release's regions not yet promoted to its version.
func baselineRegions(rel *rings.Release) []string {
	var out []string
	for _, rp := range rel.Rings {
		for _, g := range rp.Regions {
			if !g.Promoted() && !slices.Contains(out, g.Name) {
				out = append(out, g.Name)
			}
		}
	}
	return out
}

// due reports whether a soaking ring's analysis interval has passed since
// its last observation.
func due(rp *rings.RingProgress, now time.Time, interval time.Duration) bool {
	if interval <= 0 {
		return true
	}
	var last time.Time
	for _, g := range rp.Regions {
		if g.ObservedAt.After(last) {
			last = g.ObservedAt
		}
	}
	return last.IsZero() || now.Sub(last) >= interval
}

// changed reports whether a syncing region's new evidence is worth a log
// entry: it differs from the recorded one, or that one is stale.
func changed(prev *rings.RegionProgress, obs command.Observe, now time.Time, interval time.Duration) bool {
	if prev == nil || prev.ObservedAt.IsZero() {
		return true
	}
	if prev.Synced != obs.Synced || prev.Healthy != obs.Healthy || prev.Reason != obs.Reason || prev.InProgress != obs.InProgress {
		return true
	}
	return interval <= 0 || now.Sub(prev.ObservedAt) >= interval
}

// errNoEvidence is the reason recorded for a region the answer left out.
var errNoEvidence = errors.New("the health source returned no evidence for this region")

// evidence turns the health source's answer into the observation of one
// region, failing closed.
func evidence(releaseID, ring, region string, answer []rings.RegionHealth, err error, now time.Time) command.Observe {
	obs := command.Observe{ReleaseID: releaseID, Ring: ring, Region: region}
	if err != nil {
		obs.Reason = "health source failed: " + err.Error()
		return obs
	}
	i := slices.IndexFunc(answer, func(h rings.RegionHealth) bool { return h.Region == region })
	if i < 0 {
		obs.Reason = errNoEvidence.Error()
		return obs
	}
	h := answer[i]
	obs.Synced, obs.Healthy, obs.Reason, obs.InProgress = h.Synced, h.Healthy, h.Reason, h.InProgress
	obs.Check = summarize(region, h.Checks, now)
	return obs
}

// summarize folds a region's analysis checks into one observation: it
// passes when every check passes; otherwise it carries the first failing
// check's value and threshold and every failing check's reason.
func summarize(region string, checks []rings.Observation, now time.Time) *rings.Observation {
	if len(checks) == 0 {
		return nil
	}
	if len(checks) == 1 {
		c := checks[0]
		c.Region = region
		if c.At.IsZero() {
			c.At = now
		}
		return &c
	}
	out := rings.Observation{Region: region, Pass: true, At: now, Value: checks[0].Value, Threshold: checks[0].Threshold}
	var names, failing []string
	for _, c := range checks {
		names = append(names, c.Check)
		if c.Pass {
			continue
		}
		if out.Pass {
			out.Value, out.Threshold = c.Value, c.Threshold
		}
		out.Pass = false
		failing = append(failing, c.Check+": "+c.Reason)
	}
	out.Check = strings.Join(names, "+")
	out.Reason = strings.Join(failing, "; ")
	return &out
}

// syncFence mirrors the active halts into Git when they changed since the
// last successful write in this term. A failure is logged and retried on
// the next pass.
func (l *Loop) syncFence(ctx context.Context, s rings.State) {
	if l.cfg.Fence == nil {
		return
	}
	l.fenceMu.Lock()
	defer l.fenceMu.Unlock()
	l.writeFence(ctx, rings.ActiveHalts(s))
}

// writeFence writes the active halts to the fence unless the same set was
// the last one written in this term.
func (l *Loop) writeFence(ctx context.Context, active []rings.Halt) {
	ids := make([]string, 0, len(active))
	for _, h := range active {
		ids = append(ids, h.ID)
	}
	slices.Sort(ids)
	key := "ok:" + strings.Join(ids, ",")
	l.mu.Lock()
	same := l.fenced == key
	l.mu.Unlock()
	if same {
		return
	}
	if err := l.cfg.Fence.WriteHalts(ctx, active); err != nil {
		l.stats.errors.Add(1)
		l.cfg.Logger.Warn("write halt fence failed; retrying next pass", "err", err)
		return
	}
	l.mu.Lock()
	l.fenced = key
	l.mu.Unlock()
}
