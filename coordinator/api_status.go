package coordinator

import (
	"net/http"

	"github.com/ringleader-dev/ringleader/coordinator/apiclient"
	"github.com/ringleader-dev/ringleader/rings"
	"github.com/ringleader-dev/ringleader/rings/planner"
)

// status answers GET /v1/status[?all=true]: leader, members, every release
// not finished (all with ?all=true) with its per-ring states and waits, the
// active halts, the topology revision and the error budgets.
func (a *API) status(w http.ResponseWriter, r *http.Request) {
	snap := ReadView(a.cfg.Store)
	all := r.URL.Query().Get("all") == "true"
	out := apiclient.Status{
		Leader:           a.leaderInfo(),
		IsLeader:         a.cfg.Store.IsLeader(),
		Members:          []apiclient.Member{},
		TopologyRevision: snap.TopologyRevision,
		TopologyRejected: snap.TopologyRejected,
		AppliedIndex:     snap.AppliedIndex,
		Releases:         []apiclient.ReleaseSummary{},
		Halts:            ActiveHalts(snap.State),
		Budgets:          snap.State.Budgets,
	}
	if ms, err := a.cfg.Store.Members(); err != nil {
		out.MembersError = err.Error()
	} else if ms != nil {
		out.Members = ms
	}
	var plan planner.Plan
	if snap.Topology != nil {
		plan = a.cfg.Planner(snap.Topology, &snap.State, a.cfg.Clock.Now())
		out.NextCheck = plan.NextCheck
	}
	for _, rel := range snap.State.Releases {
		if rel.State.Terminal() && !all {
			continue
		}
		s := apiclient.ReleaseSummary{ID: rel.ID, App: rel.App, Version: rel.Version, Priority: rel.Priority, State: rel.State, Reason: rel.Reason, Rings: []apiclient.RingSummary{}}
		for _, rp := range rel.Rings {
			s.Rings = append(s.Rings, apiclient.RingSummary{Name: rp.Name, State: rp.State, Reason: rp.Reason})
		}
		for _, wt := range plan.Waits {
			if wt.ReleaseID == rel.ID {
				s.Waits = append(s.Waits, wt)
			}
		}
		out.Releases = append(out.Releases, s)
	}
	out.Attention = Attentions(&snap.State)
	writeJSON(w, http.StatusOK, out)
}

// Attentions lists the releases whose rollback failed and whose regions an
// active halt still holds, newest first: the first thing an operator must
// see. Resuming the halt (after looking) takes a release off the list.
func Attentions(s *rings.State) []apiclient.Attention {
	var out []apiclient.Attention
	for i := len(s.Releases) - 1; i >= 0; i-- {
		rel := s.Releases[i]
		if rel.State != rings.ReleaseRollbackFailed {
			continue
		}
		a := apiclient.Attention{ReleaseID: rel.ID, App: rel.App, Version: rel.Version, State: rel.State, Reason: rel.Reason, Since: rel.UpdatedAt}
		for _, rp := range rel.Rings {
			for _, g := range rp.Regions {
				if !g.RollbackFailedAt.IsZero() {
					a.Regions = append(a.Regions, g.Name)
				}
			}
		}
		for _, h := range s.Halts {
			if h.Active() && h.Scope.Covers(rel.ID, rel.App, "", a.Regions) && len(h.Scope.Regions) > 0 {
				a.Halts = append(a.Halts, h.ID)
			}
		}
		if len(a.Halts) > 0 {
			out = append(out, a)
		}
	}
	return out
}

// leaderInfo is who this node believes leads.
func (a *API) leaderInfo() apiclient.LeaderInfo {
	id, addr := a.cfg.Store.Leader()
	return apiclient.LeaderInfo{ID: id, HTTPAddr: addr, Term: a.cfg.Store.RaftStats().Term}
}
