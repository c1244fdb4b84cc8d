package httpapi

import (
	"cmp"
	"context"
	"fmt"
	"net/http"
	"strings"
	"time"

	"github.com/ringleader-dev/ringleader/coordinator/apiclient"
	"github.com/ringleader-dev/ringleader/coordinator/command"
	"github.com/ringleader-dev/ringleader/rings"
)

// fenceTimeout bounds the fence write that follows a halt change.
const fenceTimeout = 10 * time.Second

// listHalts answers GET /v1/halts[?active=true].
func (a *API) listHalts(w http.ResponseWriter, r *http.Request) {
	onlyActive := r.URL.Query().Get("active") == "true"
	out := apiclient.HaltList{Halts: []rings.Halt{}}
	for _, h := range a.cfg.Store.View().State.Halts {
		if onlyActive && !h.Active() {
			continue
		}
		out.Halts = append(out.Halts, h)
	}
	writeJSON(w, http.StatusOK, out)
}

// placeHalt answers POST /v1/halts. The halt is named (halt-<8 hex>) before
// proposing; once it is committed the fence is written to the GitOps
// repository before the answer goes out (best effort: a failure is
// reported in fenceError and the leader loop writes the fence again).
func (a *API) placeHalt(w http.ResponseWriter, r *http.Request) {
	var req apiclient.HaltRequest
	if err := decode(r, &req); err != nil {
		a.fail(w, r, err)
		return
	}
	scope, err := checkHalt(req)
	if err != nil {
		a.fail(w, r, err)
		return
	}
	cmd := command.PlaceHalt{ID: newHaltID(), Scope: scope, Reason: strings.TrimSpace(req.Reason)}
	res, err := a.propose(r, command.CmdPlaceHalt, cmd)
	if err != nil {
		a.fail(w, r, fmt.Errorf("place halt: %w", err))
		return
	}
	id := cmp.Or(res.ID, cmd.ID)
	w.Header().Set("Location", "/v1/halts/"+id)
	a.answerHalt(w, r, http.StatusCreated, id)
}

// checkHalt validates a halt request and returns its scope.
func checkHalt(req apiclient.HaltRequest) (rings.HaltScope, error) {
	scope := rings.HaltScope{Global: req.Global}
	lists := []struct {
		what string
		in   []string
		out  *[]string
	}{
		{"region", req.Regions, &scope.Regions},
		{"ring", req.Rings, &scope.Rings},
		{"app", req.Apps, &scope.Apps},
		{"release", req.Releases, &scope.Releases},
	}
	for _, l := range lists {
		for _, v := range l.in {
			if err := checkName(l.what, v); err != nil {
				return rings.HaltScope{}, err
			}
			*l.out = append(*l.out, v)
		}
	}
	if scope.Empty() {
		return rings.HaltScope{}, badRequestf("the halt names nothing: set global, or regions, rings, apps or releases")
	}
	if err := checkReason(req.Reason, true); err != nil {
		return rings.HaltScope{}, err
	}
	return scope, nil
}

// resumeHalt answers POST /v1/halts/{id}/resume {reason}.
func (a *API) resumeHalt(w http.ResponseWriter, r *http.Request) {
	id, reason, err := idAndReason(r, "halt id")
	if err != nil {
		a.fail(w, r, err)
		return
	}
	if named, _ := haltView(a.cfg.Store, id); named == nil {
		a.fail(w, r, fmt.Errorf("halt %q: %w; list halts with GET /v1/halts", id, command.ErrNotFound))
		return
	}
	if _, err := a.propose(r, command.CmdResumeHalt, command.ResumeHalt{HaltID: id, Reason: reason}); err != nil {
		a.fail(w, r, fmt.Errorf("resume halt %s: %w", id, err))
		return
	}
	a.answerHalt(w, r, http.StatusOK, id)
}

// answerHalt writes the fence, then the halt as applied on this node.
func (a *API) answerHalt(w http.ResponseWriter, r *http.Request, code int, id string) {
	// Only the named and the active halts are copied (fsm_view.go): a copy
	// of the whole state made every halt's answer slower as releases and
	// resumed halts accumulated.
	h, active := haltView(a.cfg.Store, id)
	if h == nil {
		a.fail(w, r, fmt.Errorf("halt %q was accepted but is not in the applied state yet: %w", id, command.ErrNotFound))
		return
	}
	out := apiclient.HaltResponse{Halt: *h}
	if err := a.writeFence(r.Context(), active); err != nil {
		out.FenceError = err.Error()
	}
	writeJSON(w, code, out)
}

// writeFence mirrors the active halts into the GitOps repository.
func (a *API) writeFence(ctx context.Context, active []rings.Halt) error {
	if a.cfg.Fence == nil {
		return nil
	}
	ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), fenceTimeout)
	defer cancel()
	if err := a.cfg.Fence.WriteHalts(ctx, active); err != nil {
		a.cfg.Logger.Warn("write halt fence failed; the leader loop retries it", "err", err)
		return fmt.Errorf("write halt fence: %w", err)
	}
	return nil
}

// haltByID returns the named halt or nil.
func haltByID(s rings.State, id string) *rings.Halt {
	for i := range s.Halts {
		if s.Halts[i].ID == id {
			return &s.Halts[i]
		}
	}
	return nil
}
