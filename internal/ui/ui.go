package ui

import (
	"bytes"
	"crypto/sha256"
	"embed"
	"encoding/hex"
	"errors"
	"fmt"
	"html/template"
	"io/fs"
	"log/slog"
	"math"
	"net/http"
	"time"

	"github.com/ringleader-dev/ringleader/coordinator"
	"github.com/ringleader-dev/ringleader/coordinator/store"
	"github.com/ringleader-dev/ringleader/rings/planner"
)

//go:embed templates/*.html
var templateFS embed.FS

//go:embed static
var staticFS embed.FS

// Routes the dashboard serves. Mount every one on the server's mux (the
// API's route table does, so they pass through its authorization):
//
//	GET /{$}          the page shell: layout, scripts, no state (public)
//	GET /ui/static/   CSS and JavaScript, embedded (public)
//	GET /ui/board     the board as an HTML fragment (reads state)
const (
	RouteShell  = "GET /{$}"
	RouteStatic = "GET /ui/static/"
	RouteBoard  = "GET /ui/board"
)

// Store is what the dashboard reads from the local node (*store.Node).
type Store interface {
	// View is a read-only view of the applied state.
	View() store.Snapshot
	IsLeader() bool
	Leader() (id, httpAddr string)
}

// Config configures the dashboard.
type Config struct {
	// Store is the local node (required); the board is read from its
	// applied state, like GET /v1/status.
	Store Store
	// NodeID names this node in the header.
	NodeID string
	// Planner computes the waits (default planner.PlanNext).
	Planner coordinator.PlanFunc
	// Clock is "now" for countdowns and the plan (default system clock).
	Clock coordinator.Clock
	// Logger receives rendering errors (default slog.Default()).
	Logger *slog.Logger
}

// Validate fills in defaults and rejects a config that cannot work.
func (c *Config) Validate() error {
	if c.Store == nil {
		return errors.New("dashboard config: Store is required")
	}
	if c.Planner == nil {
		c.Planner = planner.PlanNext
	}
	if c.Clock == nil {
		c.Clock = coordinator.SystemClock{}
	}
	if c.Logger == nil {
		c.Logger = slog.Default()
	}
	return nil
}

// Dashboard serves the operator dashboard: a server-rendered page whose
// small script subscribes to /v1/events and re-fetches the board fragment
// on every event.
type Dashboard struct {
	cfg          Config
	page, board  *template.Template
	static       http.Handler
	assetVersion string
	mux          *http.ServeMux
}

// New parses the embedded templates and returns the dashboard.
func New(cfg Config) (*Dashboard, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	page, err := template.New("page.html").Funcs(funcs).ParseFS(templateFS, "templates/page.html")
	if err != nil {
		return nil, fmt.Errorf("parse dashboard page template: %w", err)
	}
	board, err := template.New("board.html").Funcs(funcs).ParseFS(templateFS, "templates/board.html")
	if err != nil {
		return nil, fmt.Errorf("parse dashboard board template: %w", err)
	}
	sub, err := fs.Sub(staticFS, "static")
	if err != nil {
		return nil, fmt.Errorf("open embedded static files: %w", err)
	}
	d := &Dashboard{cfg: cfg, page: page, board: board, assetVersion: assetVersion(sub), mux: http.NewServeMux()}
	d.static = http.StripPrefix("/ui/static/", http.FileServerFS(sub))
	d.mux.HandleFunc(RouteShell, d.serveShell)
	d.mux.HandleFunc(RouteStatic, d.serveStatic)
	d.mux.HandleFunc(RouteBoard, d.serveBoard)
	return d, nil
}

// ServeHTTP serves the dashboard's routes.
func (d *Dashboard) ServeHTTP(w http.ResponseWriter, r *http.Request) { d.mux.ServeHTTP(w, r) }

// securityHeaders: no inline script or style, nothing from elsewhere.
func securityHeaders(w http.ResponseWriter) {
	h := w.Header()
	h.Set("Content-Security-Policy", "default-src 'none'; script-src 'self'; style-src 'self'; connect-src 'self'; img-src 'self' data:; base-uri 'none'; form-action 'none'; frame-ancestors 'none'")
	h.Set("X-Content-Type-Options", "nosniff")
	h.Set("Referrer-Policy", "no-referrer")
}

// shellData is what the page shell needs.
type shellData struct {
	NodeID       string
	AssetVersion string
}

// serveShell renders the page: layout and scripts, no state (so it can be
// served before the browser has a token).
func (d *Dashboard) serveShell(w http.ResponseWriter, r *http.Request) {
	if r.URL.Path != "/" {
		http.Error(w, "404 page not found: the dashboard is at /", http.StatusNotFound)
		return
	}
	d.render(w, d.page, shellData{NodeID: d.cfg.NodeID, AssetVersion: d.assetVersion})
}

// serveBoard renders the board fragment from the local applied state.
func (d *Dashboard) serveBoard(w http.ResponseWriter, _ *http.Request) {
	d.render(w, d.board, d.Board())
}

// Board computes the board now.
func (d *Dashboard) Board() Board {
	snap := d.cfg.Store.View() // read-only: BuildBoard only looks
	now := d.cfg.Clock.Now()
	var plan planner.Plan
	if snap.Topology != nil {
		plan = d.cfg.Planner(snap.Topology, &snap.State, now)
	}
	b := BuildBoard(snap, plan, now)
	b.NodeID = d.cfg.NodeID
	b.IsLeader = d.cfg.Store.IsLeader()
	b.LeaderID, b.LeaderAddr = d.cfg.Store.Leader()
	return b
}

// serveStatic serves the embedded CSS and JavaScript. URLs carry the
// asset version, so they may be cached for long.
func (d *Dashboard) serveStatic(w http.ResponseWriter, r *http.Request) {
	securityHeaders(w)
	if r.URL.Query().Get("v") == d.assetVersion {
		w.Header().Set("Cache-Control", "public, max-age=86400, immutable")
	} else {
		w.Header().Set("Cache-Control", "no-cache")
	}
	d.static.ServeHTTP(w, r)
}

// render executes t into a buffer first, so a template error becomes a
// clean 500 rather than half a page.
func (d *Dashboard) render(w http.ResponseWriter, t *template.Template, data any) {
	var buf bytes.Buffer
	if err := t.Execute(&buf, data); err != nil {
		d.cfg.Logger.Error("render dashboard", "template", t.Name(), "err", err)
		http.Error(w, "render dashboard: "+err.Error(), http.StatusInternalServerError)
		return
	}
	securityHeaders(w)
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.Header().Set("Cache-Control", "no-store")
	_, _ = w.Write(buf.Bytes())
}

// assetVersion is a short hash of the embedded static files.
func assetVersion(fsys fs.FS) string {
	h := sha256.New()
	_ = fs.WalkDir(fsys, ".", func(path string, e fs.DirEntry, err error) error {
		if err != nil || e.IsDir() {
			return err
		}
		b, err := fs.ReadFile(fsys, path)
		if err != nil {
			return err
		}
		h.Write([]byte(path))
		h.Write(b)
		return nil
	})
	return hex.EncodeToString(h.Sum(nil))[:12]
}

// funcs are the template helpers.
var funcs = template.FuncMap{
	"countdown": Countdown,
	"seconds":   func(d time.Duration) int64 { return int64(math.Ceil(d.Seconds())) },
	"clock":     func(t time.Time) string { return t.UTC().Format("15:04:05") },
	"stamp":     func(t time.Time) string { return t.UTC().Format(time.RFC3339) },
	"day":       func(t time.Time) string { return t.UTC().Format("Jan 2 15:04:05 UTC") },
	"ago": func(now, t time.Time) string {
		if t.IsZero() {
			return ""
		}
		if d := now.Sub(t); d >= 0 {
			return Countdown(d) + " ago"
		}
		return "in " + Countdown(t.Sub(now))
	},
	"pct":   func(f float64) string { return fmt.Sprintf("%.1f%%", f) },
	"float": func(f float64) string { return fmt.Sprintf("%.4g", f) },
	"dur":   func(d time.Duration) string { return Countdown(d) },
}
