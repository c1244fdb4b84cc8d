package coordinator

import (
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"net/http"

	"github.com/ringleader-dev/ringleader/coordinator/apiclient"
	"github.com/ringleader-dev/ringleader/coordinator/command"
	"github.com/ringleader-dev/ringleader/rings/topology"
)

// getTopology answers GET /v1/topology[?source=true].
func (a *API) getTopology(w http.ResponseWriter, r *http.Request) {
	snap := ReadView(a.cfg.Store)
	if snap.Topology == nil {
		a.fail(w, r, fmt.Errorf("no topology adopted yet: POST one to /v1/topology or start ringd with --topology: %w", command.ErrNotFound))
		return
	}
	out := apiclient.TopologyResponse{Revision: snap.TopologyRevision, Topology: snap.Topology}
	if r.URL.Query().Get("source") == "true" {
		out.Source = string(snap.TopologySource)
	}
	writeJSON(w, http.StatusOK, out)
}

// adoptTopology answers POST /v1/topology: the body is the YAML document
// (?path= names where it came from). It is parsed and validated here,
// before proposing, so a bad document never reaches the log: its
// line-numbered problems come back as 400. A document identical to the one
// in force changes nothing.
func (a *API) adoptTopology(w http.ResponseWriter, r *http.Request) {
	path := r.URL.Query().Get("path")
	if path == "" {
		path = "api"
	}
	if len(path) > 1000 {
		a.fail(w, r, badRequestf("path is longer than 1000 characters"))
		return
	}
	src, err := io.ReadAll(r.Body)
	if err != nil {
		a.fail(w, r, badRequestf("read topology: %v", err))
		return
	}
	if len(src) == 0 {
		a.fail(w, r, badRequestf("request body is empty: send the topology YAML"))
		return
	}
	if _, err := a.cfg.ParseTopology(path, src); err != nil {
		writeJSON(w, http.StatusBadRequest, apiclient.ErrorBody{
			Error:  "topology rejected; the one in force is unchanged",
			Errors: topologyIssues(err),
		})
		return
	}
	rev := TopologyRevision(src)
	if snap := ReadView(a.cfg.Store); snap.TopologyRevision == rev {
		writeJSON(w, http.StatusOK, apiclient.TopologyResponse{Revision: rev, Path: path, Topology: snap.Topology})
		return
	}
	if _, err := a.propose(r, command.CmdAdoptTopology, command.AdoptTopology{Revision: rev, Path: path, Source: src}); err != nil {
		a.fail(w, r, fmt.Errorf("adopt topology %s: %w", rev, err))
		return
	}
	snap := ReadView(a.cfg.Store)
	writeJSON(w, http.StatusOK, apiclient.TopologyResponse{Revision: snap.TopologyRevision, Path: path, Changed: true, Topology: snap.Topology})
}

// TopologyRevision names a topology document by its content: the first 12
// hex digits of its SHA-256.
func TopologyRevision(src []byte) string {
	sum := sha256.Sum256(src)
	return hex.EncodeToString(sum[:6])
}

// topologyIssues lists a parse error's problems with their lines.
func topologyIssues(err error) []apiclient.TopologyIssue {
	var ve topology.ValidationErrors
	if errors.As(err, &ve) {
		out := make([]apiclient.TopologyIssue, 0, len(ve))
		for _, v := range ve {
			out = append(out, apiclient.TopologyIssue{Line: v.Line, Col: v.Col, Message: v.Msg})
		}
		return out
	}
	return []apiclient.TopologyIssue{{Message: err.Error()}}
}
