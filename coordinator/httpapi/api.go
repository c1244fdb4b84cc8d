package httpapi

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"time"

	"github.com/ringleader-dev/ringleader/rings"
)

// APIConfig configures the HTTP API every node serves.
type APIConfig struct {
	// Store is the replicated node (required).
	Store Store
	// Fence mirrors active halts into the GitOps repository after a halt is
	// placed or resumed on the leader (optional; best effort).
	Fence HaltFence
	// Clock stamps commands proposed by this node (default: the wall clock).
	Clock Clock
	// Forwarder carries writes from a follower to the leader (default: a
	// client with ForwardTimeout).
	Forwarder *http.Client
	// ForwardTimeout bounds one forwarded request (default 15 s).
	ForwardTimeout time.Duration
	// ApplyTimeout bounds how long a write waits for Raft (default 10 s).
	ApplyTimeout time.Duration
	// OnWrite is called after a write committed on this node (ringd kicks
	// the leader loop with it so a new release starts without waiting for
	// the next interval). Optional.
	OnWrite func()
	// OnHaltChange, when set, is called instead of OnWrite after a halt
	// was placed or resumed (ringd: Loop.HaltsChanged, which writes the
	// fence without planning over every release). Optional.
	OnHaltChange func()
	// Logger receives request errors (default: slog.Default()).
	Logger *slog.Logger
	// Security authenticates, authorizes and rate-limits every route
	// (auth.go; the route → permission table is auth_routes.go).
	Security SecurityConfig
	// Events serves GET /v1/events, the server-sent event stream of
	// applied commands (a *Broker). Optional: without it the route is 404.
	Events http.Handler
	// Metrics serves GET /metrics (promhttp over the node's registry).
	// Optional.
	Metrics http.Handler
	// Dashboard serves GET / (page shell), GET /ui/static/ (assets) and
	// GET /ui/board (the board fragment): internal/ui. Optional.
	Dashboard http.Handler
}

// Clock is the API's source of time: it stamps the commands this node
// proposes and paces the rate limiter.
type Clock interface {
	Now() time.Time
}

// wallClock is the default Clock.
type wallClock struct{}

func (wallClock) Now() time.Time { return time.Now() }

// HaltFence mirrors the active halts into the GitOps repository right
// after a halt is placed or resumed (the leader loop keeps it in sync
// otherwise).
type HaltFence interface {
	WriteHalts(ctx context.Context, active []rings.Halt) error
}

// Validate fills in defaults and rejects a config that cannot work.
func (c *APIConfig) Validate() error {
	if c.Store == nil {
		return errors.New("api config: Store is required")
	}
	if c.Clock == nil {
		c.Clock = wallClock{}
	}
	if c.ForwardTimeout <= 0 {
		c.ForwardTimeout = 15 * time.Second
	}
	if c.Forwarder == nil {
		c.Forwarder = &http.Client{Timeout: c.ForwardTimeout}
	}
	if c.ApplyTimeout <= 0 {
		c.ApplyTimeout = 10 * time.Second
	}
	if c.Logger == nil {
		c.Logger = slog.Default()
	}
	return nil
}

// API is the HTTP API of one node: reads are served from the local state,
// writes are proposed through Raft on the leader and forwarded to it from
// followers.
type API struct {
	cfg APIConfig
	mux *routeMux
	// handler is mux behind the security guard (auth.go).
	handler http.Handler
}

// NewAPI builds the API and its routes.
func NewAPI(cfg APIConfig) (*API, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	a := &API{cfg: cfg, mux: newRouteMux()}
	a.routes()
	a.handler = a.guard(a.mux)
	return a, nil
}

// Handler returns the API's HTTP handler.
func (a *API) Handler() http.Handler { return a.handler }

// ServeHTTP serves the API.
func (a *API) ServeHTTP(w http.ResponseWriter, r *http.Request) { a.handler.ServeHTTP(w, r) }

// routes is the route table. Writes are wrapped in a.write (leader only,
// forwarded from followers); reads in a.read (local unless ?consistent=true).
func (a *API) routes() {
	m := a.mux
	m.HandleFunc("GET /healthz", a.healthz)
	m.HandleFunc("GET /readyz", a.readyz)

	m.HandleFunc("GET /v1/releases", a.read(a.listReleases))
	m.HandleFunc("POST /v1/releases", a.write(a.createRelease))
	m.HandleFunc("GET /v1/releases/{id}", a.read(a.getRelease))
	m.HandleFunc("POST /v1/releases/{id}/approve", a.write(a.approveRelease))
	m.HandleFunc("POST /v1/releases/{id}/abort", a.write(a.abortRelease))
	m.HandleFunc("POST /v1/releases/{id}/rollback", a.write(a.rollbackRelease))
	m.HandleFunc("POST /v1/releases/{id}/risk", a.write(a.setRisk))

	m.HandleFunc("GET /v1/halts", a.read(a.listHalts))
	m.HandleFunc("POST /v1/halts", a.write(a.placeHalt))
	m.HandleFunc("POST /v1/halts/{id}/resume", a.write(a.resumeHalt))

	m.HandleFunc("GET /v1/topology", a.read(a.getTopology))
	m.HandleFunc("POST /v1/topology", a.write(a.adoptTopology))

	m.HandleFunc("GET /v1/status", a.read(a.status))
	m.HandleFunc("GET /v1/audit", a.read(a.audit))
	if a.cfg.Events != nil {
		m.Handle("GET /v1/events", a.cfg.Events)
	}
	if a.cfg.Metrics != nil {
		m.Handle("GET /metrics", a.cfg.Metrics)
	}
	if a.cfg.Dashboard != nil {
		m.Handle("GET /{$}", a.cfg.Dashboard)
		m.Handle("GET /ui/static/", a.cfg.Dashboard)
		m.Handle("GET /ui/board", a.cfg.Dashboard)
	}

	m.HandleFunc("GET /v1/cluster/members", a.read(a.members))
	m.HandleFunc("GET /v1/cluster/leader", a.read(a.leader))
	m.HandleFunc("POST /v1/cluster/join", a.write(a.join))
	m.HandleFunc("POST /v1/cluster/remove", a.write(a.remove))

	m.HandleFunc("/v1/", func(w http.ResponseWriter, r *http.Request) {
		writeError(w, http.StatusNotFound, fmt.Errorf("no route %s %s; see the route table in coordinator/API.md", r.Method, r.URL.Path))
	})
}

// healthz answers 200 while the process is alive.
func (a *API) healthz(w http.ResponseWriter, _ *http.Request) {
	writeJSON(w, http.StatusOK, map[string]string{"status": "ok"})
}

// readyz answers 200 when the node knows a leader and has applied at least
// one entry, 503 otherwise.
func (a *API) readyz(w http.ResponseWriter, _ *http.Request) {
	id, addr := a.cfg.Store.Leader()
	if id == "" && !a.cfg.Store.IsLeader() {
		w.Header().Set("Retry-After", "1")
		writeError(w, http.StatusServiceUnavailable, errors.New("no known leader: the cluster is electing one or has lost its quorum"))
		return
	}
	if a.cfg.Store.AppliedIndex() == 0 {
		w.Header().Set("Retry-After", "1")
		writeError(w, http.StatusServiceUnavailable, errors.New("not ready: this node has not applied any log entry yet"))
		return
	}
	writeJSON(w, http.StatusOK, map[string]string{"status": "ready", "leader": id, "leaderHttpAddr": addr})
}

// identity derives who is asking: the identity the security guard
// authenticated from the bearer token (auth.go). Only when authentication
// is off (ringd --insecure-no-auth) is it the X-Ringleader-Actor header,
// or "anonymous".
func identity(r *http.Request) string { return callerOf(r).Name }

// HeaderForwarded marks a request a follower forwarded to the leader; a
// node that receives one and is not the leader answers 503 instead of
// forwarding again. The headers a client sends are in package apiclient.
const HeaderForwarded = "X-Ringleader-Forwarded-By"
