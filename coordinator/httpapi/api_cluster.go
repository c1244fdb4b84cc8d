package httpapi

import (
	"cmp"
	"errors"
	"fmt"
	"net"
	"net/http"
	"strings"

	"github.com/ringleader-dev/ringleader/coordinator/apiclient"
	"github.com/ringleader-dev/ringleader/coordinator/command"
)

// members answers GET /v1/cluster/members.
func (a *API) members(w http.ResponseWriter, r *http.Request) {
	ms, err := a.cfg.Store.Members()
	if err != nil {
		a.fail(w, r, fmt.Errorf("read cluster members: %w", err))
		return
	}
	if ms == nil {
		ms = []apiclient.Member{}
	}
	writeJSON(w, http.StatusOK, apiclient.MemberList{Members: ms})
}

// leader answers GET /v1/cluster/leader; 503 when no leader is known.
func (a *API) leader(w http.ResponseWriter, r *http.Request) {
	li := a.leaderInfo()
	if li.ID == "" {
		a.fail(w, r, fmt.Errorf("no known leader: the cluster is electing one or has lost its quorum: %w", command.ErrNotLeader))
		return
	}
	writeJSON(w, http.StatusOK, li)
}

// join answers POST /v1/cluster/join {id, raftAddr, httpAddr} on the leader.
func (a *API) join(w http.ResponseWriter, r *http.Request) {
	req, err := decodeChecked(r, func(req apiclient.JoinRequest) error {
		return cmp.Or(checkName("id", req.ID),
			checkHostPort("raftAddr", req.RaftAddr),
			checkHostPort("httpAddr", strings.TrimPrefix(strings.TrimPrefix(req.HTTPAddr, "http://"), "https://")))
	})
	if err != nil {
		a.fail(w, r, err)
		return
	}
	if err := a.cfg.Store.Join(req.ID, req.RaftAddr, req.HTTPAddr); err != nil {
		a.fail(w, r, fmt.Errorf("join %s at %s: %w", req.ID, req.RaftAddr, err))
		return
	}
	a.members(w, r)
}

// remove answers POST /v1/cluster/remove {id} on the leader.
func (a *API) remove(w http.ResponseWriter, r *http.Request) {
	req, err := decodeChecked(r, func(req apiclient.RemoveRequest) error { return checkName("id", req.ID) })
	if err != nil {
		a.fail(w, r, err)
		return
	}
	if err := a.cfg.Store.Remove(req.ID); err != nil {
		a.fail(w, r, fmt.Errorf("remove %s: %w", req.ID, err))
		return
	}
	a.members(w, r)
}

// checkHostPort rejects an address that is not host:port.
func checkHostPort(what, addr string) error {
	if addr == "" {
		return badRequestf("%s is required (host:port)", what)
	}
	host, port, err := net.SplitHostPort(addr)
	if err != nil || host == "" || port == "" {
		if err == nil {
			err = errors.New("missing host or port")
		}
		return badRequestf("%s %q is not host:port: %v", what, addr, err)
	}
	return nil
}
