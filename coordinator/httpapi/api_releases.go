package httpapi

import (
	"cmp"
	"fmt"
	"net/http"

	"github.com/ringleader-dev/ringleader/coordinator/apiclient"
	"github.com/ringleader-dev/ringleader/coordinator/command"
	"github.com/ringleader-dev/ringleader/coordinator/store"
	"github.com/ringleader-dev/ringleader/rings"
	"github.com/ringleader-dev/ringleader/rings/planner"
	"github.com/ringleader-dev/ringleader/rings/topology"
)

// listReleases answers GET /v1/releases[?app=A][&state=S].
func (a *API) listReleases(w http.ResponseWriter, r *http.Request) {
	snap := a.cfg.Store.View()
	app, state := r.URL.Query().Get("app"), r.URL.Query().Get("state")
	out := apiclient.ReleaseList{Releases: []*rings.Release{}}
	for _, rel := range snap.State.Releases {
		if app != "" && rel.App != app {
			continue
		}
		if state != "" && string(rel.State) != state {
			continue
		}
		out.Releases = append(out.Releases, rel)
	}
	writeJSON(w, http.StatusOK, out)
}

// getRelease answers GET /v1/releases/{id} with the release and its waits.
func (a *API) getRelease(w http.ResponseWriter, r *http.Request) {
	id, err := pathID(r, "release id")
	if err != nil {
		a.fail(w, r, err)
		return
	}
	snap := a.cfg.Store.View()
	rel := snap.State.ReleaseByID(id)
	if rel == nil {
		a.fail(w, r, fmt.Errorf("release %q: %w; list releases with GET /v1/releases", id, command.ErrNotFound))
		return
	}
	writeJSON(w, http.StatusOK, apiclient.NewReleaseDetail(rel, a.waitsFor(snap, id), snap.Topology))
}

// waitsFor returns what the planner says release id waits for now.
func (a *API) waitsFor(snap store.Snapshot, id string) []planner.Wait {
	if snap.Topology == nil {
		return nil
	}
	var out []planner.Wait
	for _, w := range planner.PlanNext(snap.Topology, &snap.State, a.cfg.Clock.Now()).Waits {
		if w.ReleaseID == id {
			out = append(out, w)
		}
	}
	return out
}

// createRelease answers POST /v1/releases: it names the release
// (<app>-<version>-<6 hex>) before proposing, so the ID is in the log.
func (a *API) createRelease(w http.ResponseWriter, r *http.Request) {
	req, err := decodeChecked(r, checkCreate)
	if err != nil {
		a.fail(w, r, err)
		return
	}
	if err := a.knownApp(req); err != nil {
		a.fail(w, r, err)
		return
	}
	cmd := command.CreateRelease{
		ID:              newReleaseID(req.App, req.Version),
		App:             req.App,
		Version:         req.Version,
		Priority:        req.Priority,
		StartAt:         req.StartAt,
		Train:           req.Train,
		PreviousVersion: req.PreviousVersion,
		Risk:            req.Risk,
	}
	res, err := a.propose(r, command.CmdCreateRelease, cmd)
	if err != nil {
		a.fail(w, r, fmt.Errorf("create release of %s %s: %w", req.App, req.Version, err))
		return
	}
	id := cmp.Or(res.ID, cmd.ID)
	a.answerRelease(w, r, http.StatusCreated, id)
}

// checkCreate validates a create request before anything is proposed.
func checkCreate(req apiclient.CreateReleaseRequest) error {
	if err := checkName("app", req.App); err != nil {
		return err
	}
	if req.Version == "" {
		return badRequestf("version is required")
	}
	if !versionRE.MatchString(req.Version) {
		return badRequestf("version %q is not valid: use letters, digits and . _ + - (at most 128)", req.Version)
	}
	if req.PreviousVersion != "" && !versionRE.MatchString(req.PreviousVersion) {
		return badRequestf("previousVersion %q is not valid", req.PreviousVersion)
	}
	switch req.Priority {
	case "", topology.PriorityNormal, topology.PriorityP0, topology.PrioritySecurity, topology.PriorityReliability:
	default:
		return badRequestf("priority %q is unknown: use %s, %s, %s or %s", req.Priority,
			topology.PriorityNormal, topology.PriorityP0, topology.PrioritySecurity, topology.PriorityReliability)
	}
	if req.Train != "" {
		if err := checkName("train", req.Train); err != nil {
			return err
		}
	}
	return checkRisk(req.Risk)
}

// checkRisk refuses a DREAD factor outside 1–10.
func checkRisk(risk *topology.DREAD) error {
	if risk == nil {
		return nil
	}
	if err := risk.Check(); err != nil {
		return badRequestf("%v", err)
	}
	return nil
}

// setRisk answers POST /v1/releases/{id}/risk {risk, reason}: a person
// re-scores the release (an approver's duty: a lower score can drop
// approvals).
func (a *API) setRisk(w http.ResponseWriter, r *http.Request) {
	id, req, err := idAndBody(r, "release id", func(req apiclient.RiskRequest) error {
		return cmp.Or(checkRisk(req.Risk), checkReason(req.Reason, true))
	})
	if err != nil {
		a.fail(w, r, err)
		return
	}
	a.proposeOnRelease(w, r, id, command.CmdSetRisk, command.SetRisk{ReleaseID: id, Risk: req.Risk, Reason: req.Reason},
		fmt.Sprintf("set the risk of %s", id))
}

// knownApp refuses, before proposing, a release of an app (or for a train)
// the topology in force does not have.
func (a *API) knownApp(req apiclient.CreateReleaseRequest) error {
	snap := a.cfg.Store.View()
	t := snap.Topology
	if t == nil {
		return fmt.Errorf("no topology adopted yet: POST one to /v1/topology first: %w", command.ErrInvalid)
	}
	if _, ok := t.AppByName(req.App); !ok {
		return fmt.Errorf("app %q is not in topology %s; add it to the topology first: %w", req.App, snap.TopologyRevision, command.ErrNotFound)
	}
	if req.Train == "" {
		return nil
	}
	for _, tr := range t.Spec.Trains {
		if tr.Name == req.Train {
			return nil
		}
	}
	return fmt.Errorf("train %q is not in topology %s: %w", req.Train, snap.TopologyRevision, command.ErrNotFound)
}

// approveRelease answers POST /v1/releases/{id}/approve {ring, reason}.
func (a *API) approveRelease(w http.ResponseWriter, r *http.Request) {
	id, req, err := idAndBody(r, "release id", func(req apiclient.ApproveRequest) error {
		return cmp.Or(checkName("ring", req.Ring), checkReason(req.Reason, false))
	})
	if err != nil {
		a.fail(w, r, err)
		return
	}
	a.proposeOnRelease(w, r, id, command.CmdApprove, command.Approve{ReleaseID: id, Ring: req.Ring, Reason: req.Reason},
		fmt.Sprintf("approve ring %s of %s", req.Ring, id))
}

// abortRelease answers POST /v1/releases/{id}/abort {reason}.
func (a *API) abortRelease(w http.ResponseWriter, r *http.Request) {
	a.releaseWithReason(w, r, command.CmdAbortRelease, "abort")
}

// rollbackRelease answers POST /v1/releases/{id}/rollback {reason}.
func (a *API) rollbackRelease(w http.ResponseWriter, r *http.Request) {
	a.releaseWithReason(w, r, command.CmdRequestRollback, "roll back")
}

// releaseWithReason proposes a ReleaseRef command that needs a reason.
func (a *API) releaseWithReason(w http.ResponseWriter, r *http.Request, typ command.Type, verb string) {
	id, reason, err := idAndReason(r, "release id")
	if err != nil {
		a.fail(w, r, err)
		return
	}
	a.proposeOnRelease(w, r, id, typ, command.ReleaseRef{ReleaseID: id, Reason: reason}, verb+" release "+id)
}

// proposeOnRelease proposes a command about release id, refused before
// proposing when the release is unknown (knownRelease), and answers with
// the release as applied; what names the change in a failed proposal's
// error.
func (a *API) proposeOnRelease(w http.ResponseWriter, r *http.Request, id string, typ command.Type, payload any, what string) {
	if err := a.knownRelease(id); err != nil {
		a.fail(w, r, err)
		return
	}
	if _, err := a.propose(r, typ, payload); err != nil {
		a.fail(w, r, fmt.Errorf("%s: %w", what, err))
		return
	}
	a.answerRelease(w, r, http.StatusOK, id)
}

// knownRelease answers 404 before proposing when the leader's state has no
// such release (the state machine would refuse it too; this keeps unknown
// IDs out of the log).
func (a *API) knownRelease(id string) error {
	found := false
	a.cfg.Store.ViewState(func(st *rings.State) { found = st.ReleaseByID(id) != nil })
	if !found {
		return fmt.Errorf("release %q: %w; list releases with GET /v1/releases", id, command.ErrNotFound)
	}
	return nil
}

// answerRelease writes the release as applied on this node.
func (a *API) answerRelease(w http.ResponseWriter, r *http.Request, code int, id string) {
	snap := a.cfg.Store.View()
	rel := snap.State.ReleaseByID(id)
	if rel == nil {
		a.fail(w, r, fmt.Errorf("release %q was accepted but is not in the applied state yet: %w", id, command.ErrNotFound))
		return
	}
	if code == http.StatusCreated {
		w.Header().Set("Location", "/v1/releases/"+id)
	}
	writeJSON(w, code, apiclient.NewReleaseDetail(rel, a.waitsFor(snap, id), snap.Topology))
}
