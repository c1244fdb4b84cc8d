package httpapi

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"net/http"
	"sync/atomic"
	"time"

	"github.com/ringleader-dev/ringleader/coordinator/apiclient"
	"github.com/ringleader-dev/ringleader/coordinator/command"
)

// Writes are proposed on the leader. A follower that receives one forwards
// it, body replayed, to the leader's HTTP address, marking the request with
// HeaderForwarded; a node that receives a forwarded request and is not the
// leader (leadership moved meanwhile) answers 503 instead of forwarding
// again, so two confused nodes never bounce a request between them.

// headersForwarded are the request headers carried to the leader.
var headersForwarded = []string{"Content-Type", "Authorization", apiclient.HeaderActor, apiclient.HeaderIdempotencyKey, "Accept", HeaderForwardedFor}

// write wraps a handler that proposes a command: it reads the (capped) body
// once, then serves the request here when this node leads, or forwards it.
func (a *API) write(h http.HandlerFunc) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, MaxBodyBytes))
		if err != nil {
			writeError(w, http.StatusBadRequest, fmt.Errorf("read request body (at most %d bytes): %w", MaxBodyBytes, err))
			return
		}
		r.Body = io.NopCloser(bytes.NewReader(body))
		if a.cfg.Store.IsLeader() {
			a.serveCaughtUp(w, r, h)
			return
		}
		a.forward(w, r, body)
	}
}

// read wraps a handler that reads local state. With ?consistent=true the
// leader first confirms its leadership with a quorum; a follower forwards.
func (a *API) read(h http.HandlerFunc) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Query().Get("consistent") != "true" {
			h(w, r)
			return
		}
		if a.cfg.Store.IsLeader() {
			if err := a.cfg.Store.VerifyLeader(); err != nil {
				a.fail(w, r, fmt.Errorf("confirm leadership for a consistent read: %w: %w", command.ErrNotLeader, err))
				return
			}
			a.serveCaughtUp(w, r, h)
			return
		}
		a.forward(w, r, nil)
	}
}

// serveCaughtUp serves a request on the leader once it has applied every
// entry earlier terms committed (ensureCaughtUp).
func (a *API) serveCaughtUp(w http.ResponseWriter, r *http.Request, h http.HandlerFunc) {
	if err := a.ensureCaughtUp(); err != nil {
		a.fail(w, r, err)
		return
	}
	h(w, r)
}

// ensureCaughtUp makes a newly elected leader apply every entry committed
// before its term before it answers a consistent read or validates a write
// against its local state: right after an election that state can lag what
// earlier leaders acknowledged (a halt could look absent). It costs nothing
// once the leader's post-election barrier has completed.
func (a *API) ensureCaughtUp() error {
	if a.cfg.Store.LeaderReady() {
		return nil
	}
	if err := a.cfg.Store.Barrier(a.cfg.ApplyTimeout); err != nil {
		return fmt.Errorf("new leader catching up with the log: %w: %w; retry shortly", command.ErrNotLeader, err)
	}
	return nil
}

// forward replays the request at the leader and copies its answer back.
//
// A leader can freeze (a stopped process, a stalled disk) while the rest of
// the cluster elects a new one within about a second. A request forwarded to
// the frozen leader would then hang until ForwardTimeout, so while it is in
// flight the follower watches the leader it knows: when that changes, it
// cancels the attempt and forwards again to the new leader. Writes carry an
// Idempotency-Key (one is added when the client sent none), which becomes
// the command's RequestID, so a write that the old leader did commit is
// applied once however many times it is forwarded.
func (a *API) forward(w http.ResponseWriter, r *http.Request, body []byte) {
	if by := r.Header.Get(HeaderForwarded); by != "" {
		a.fail(w, r, fmt.Errorf("request forwarded by %s reached a node that is not the leader: %w; retry shortly", by, command.ErrNotLeader))
		return
	}
	if body != nil && r.Header.Get(apiclient.HeaderIdempotencyKey) == "" {
		r.Header.Set(apiclient.HeaderIdempotencyKey, "fwd-"+randomHex(12))
	}
	ctx, cancel := context.WithTimeout(r.Context(), a.cfg.ForwardTimeout)
	defer cancel()
	for {
		id, addr := a.cfg.Store.Leader()
		if addr == "" {
			a.fail(w, r, fmt.Errorf("no known leader to forward to (cluster electing or without quorum): %w; retry shortly", command.ErrNotLeader))
			return
		}
		resp, moved, err := a.forwardOnce(ctx, r, body, id, addr)
		if moved && ctx.Err() == nil {
			a.cfg.Logger.Info("leader changed while a request was forwarded; forwarding again", "from", id, "path", r.URL.Path)
			continue
		}
		if err != nil {
			a.forwardFailed(w, id, addr, err)
			return
		}
		defer resp.Body.Close()
		for _, k := range []string{"Content-Type", "Retry-After", "Location"} {
			if v := resp.Header.Get(k); v != "" {
				w.Header().Set(k, v)
			}
		}
		w.Header().Set("X-Ringleader-Leader", addr)
		w.WriteHeader(resp.StatusCode)
		_, _ = io.Copy(w, resp.Body)
		return
	}
}

// leaderWatchInterval is how often a forwarding follower checks whether the
// leader it forwarded to is still the one it knows.
const leaderWatchInterval = 20 * time.Millisecond

// forwardOnce sends one attempt to the leader id at addr. It reports moved
// when the attempt was abandoned because another node became leader.
func (a *API) forwardOnce(ctx context.Context, r *http.Request, body []byte, id, addr string) (*http.Response, bool, error) {
	attempt, cancel := context.WithCancel(ctx)
	defer func() {
		if cancel != nil {
			cancel()
		}
	}()
	req, err := http.NewRequestWithContext(attempt, r.Method, apiclient.BaseURL(addr)+r.URL.RequestURI(), bytes.NewReader(body))
	if err != nil {
		return nil, false, err
	}
	for _, k := range headersForwarded {
		if v := r.Header.Get(k); v != "" {
			req.Header.Set(k, v)
		}
	}
	req.Header.Set(HeaderForwarded, forwarderName(r))

	var moved atomic.Bool
	done := make(chan struct{})
	go func() {
		t := time.NewTicker(leaderWatchInterval)
		defer t.Stop()
		for {
			select {
			case <-done:
				return
			case <-t.C:
				if now, _ := a.cfg.Store.Leader(); now != "" && now != id {
					moved.Store(true)
					cancel()
					return
				}
			}
		}
	}()
	resp, err := a.cfg.Forwarder.Do(req)
	close(done)
	if err != nil {
		return nil, moved.Load(), err
	}
	// The body is read after we return: keep the attempt's context alive
	// until then (it ends with ctx, which the caller cancels).
	cancel = nil
	return resp, false, nil
}

// forwardFailed answers 503 naming the leader the request was meant for.
func (a *API) forwardFailed(w http.ResponseWriter, id, addr string, err error) {
	a.cfg.Logger.Warn("forward to leader failed", "leader", id, "addr", addr, "err", err)
	w.Header().Set("Retry-After", "1")
	writeJSON(w, http.StatusServiceUnavailable, apiclient.ErrorBody{
		Error:  fmt.Sprintf("forward to leader %s at %s failed: %v; retry, or send the request to the leader directly", id, addr, err),
		Leader: addr,
	})
}

// forwarderName names this hop in HeaderForwarded (the host it was reached
// at; only its presence matters).
func forwarderName(r *http.Request) string {
	if r.Host != "" {
		return r.Host
	}
	return "follower"
}
