package regionsim

import (
	"encoding/json"
	"errors"
	"fmt"
	"net"
	"net/http"
	"strconv"
	"time"
)

// AppStatus is what one simulated Application runs and reports.
type AppStatus struct {
	Region      string `json:"region"`
	App         string `json:"app"`
	Application string `json:"application"`
	// Version runs, synced at Revision.
	Version  string `json:"version"`
	Revision string `json:"revision"`
	// Target is the version being applied, when Pending.
	Pending bool   `json:"pending,omitempty"`
	Target  string `json:"target,omitempty"`
	Sync    string `json:"sync"`
	Health  string `json:"health"`
	Paused  bool   `json:"paused,omitempty"`
}

// Status returns every Application's state, region by region.
func (s *Simulator) Status() []AppStatus {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := make([]AppStatus, 0, len(s.apps))
	for _, a := range s.apps {
		st := s.stateLocked(a)
		out = append(out, AppStatus{Region: a.region, App: a.app, Application: a.name, Version: a.version, Revision: a.revision,
			Pending: a.pending, Target: a.target, Sync: st.Sync, Health: st.Health, Paused: s.regions[a.region].paused})
	}
	return out
}

// Version returns the version app runs in region ("" if unknown).
func (s *Simulator) Version(region, app string) string {
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, a := range s.apps {
		if a.region == region && a.app == app {
			return a.version
		}
	}
	return ""
}

// inRegion runs change on the controls of region under the simulator's
// lock; an unknown region is ErrUnknownRegion and changes nothing.
func (s *Simulator) inRegion(region string, change func(rc *regionControl)) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	rc, ok := s.regions[region]
	if !ok {
		return fmt.Errorf("region %q: %w", region, ErrUnknownRegion)
	}
	change(rc)
	return nil
}

// Pause stops region from applying new commits: its Applications report
// OutOfSync at the new commit and keep running what they run.
func (s *Simulator) Pause(region string) error {
	return s.inRegion(region, func(rc *regionControl) { rc.paused = true })
}

// Resume lets region apply again; a pending version starts its sync delay
// now.
func (s *Simulator) Resume(region string) error {
	return s.inRegion(region, func(rc *regionControl) {
		if rc.paused {
			now := time.Now()
			for _, a := range s.apps {
				if a.region == region && a.pending {
					a.since = now
				}
			}
		}
		rc.paused = false
	})
}

// Degrade forces app ("" for every app) in region to report health
// Degraded (on) or lifts that (off).
func (s *Simulator) Degrade(region, app string, on bool) error {
	return s.inRegion(region, func(rc *regionControl) {
		if on {
			rc.degraded[app] = true
		} else {
			delete(rc.degraded, app)
		}
	})
}

// SetErrorRatio forces the 5xx fraction (0..1) of every app in region; a
// negative ratio returns to the version's own behaviour.
func (s *Simulator) SetErrorRatio(region string, ratio float64) error {
	if ratio > 1 {
		return fmt.Errorf("error ratio %v is above 1: give a fraction such as 0.5", ratio)
	}
	if ratio < 0 {
		ratio = -1
	}
	return s.inRegion(region, func(rc *regionControl) { rc.errorRatio = ratio })
}

// SetSyncDelay changes how long a new version takes to sync (from the
// next commit on).
func (s *Simulator) SetSyncDelay(d time.Duration) error {
	if d < 0 {
		return errors.New("sync delay must not be negative")
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	s.delay = d
	return nil
}

// controlHandler serves the controls over HTTP:
//
//	GET  /v1/apps                               every Application's status
//	POST /v1/regions/{region}/pause             stop applying commits
//	POST /v1/regions/{region}/resume            apply again
//	POST /v1/regions/{region}/degrade?on=B&app=A force health Degraded (default on=true, every app)
//	POST /v1/regions/{region}/errors?ratio=F    force a 5xx ratio (negative: clear)
//	POST /v1/sync-delay?d=DURATION              change the sync delay
//	POST /v1/argocd?fail=STATUS&stall=B         make the Argo CD API fail (0: answer) or hang
func (s *Simulator) controlHandler() http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("GET /v1/apps", func(w http.ResponseWriter, _ *http.Request) { writeJSON(w, http.StatusOK, s.Status()) })
	mux.HandleFunc("POST /v1/regions/{region}/pause", func(w http.ResponseWriter, r *http.Request) {
		reply(w, s.Pause(r.PathValue("region")))
	})
	mux.HandleFunc("POST /v1/regions/{region}/resume", func(w http.ResponseWriter, r *http.Request) {
		reply(w, s.Resume(r.PathValue("region")))
	})
	mux.HandleFunc("POST /v1/regions/{region}/degrade", func(w http.ResponseWriter, r *http.Request) {
		on := true
		if v := r.URL.Query().Get("on"); v != "" {
			b, err := strconv.ParseBool(v)
			if err != nil {
				writeJSON(w, http.StatusBadRequest, map[string]string{"error": fmt.Sprintf("on=%q is not a boolean", v)})
				return
			}
			on = b
		}
		reply(w, s.Degrade(r.PathValue("region"), r.URL.Query().Get("app"), on))
	})
	mux.HandleFunc("POST /v1/regions/{region}/errors", func(w http.ResponseWriter, r *http.Request) {
		ratio, err := strconv.ParseFloat(r.URL.Query().Get("ratio"), 64)
		if err != nil {
			writeJSON(w, http.StatusBadRequest, map[string]string{"error": "ratio must be a number: a fraction such as 0.5, or -1 to clear"})
			return
		}
		reply(w, s.SetErrorRatio(r.PathValue("region"), ratio))
	})
	mux.HandleFunc("POST /v1/sync-delay", func(w http.ResponseWriter, r *http.Request) {
		d, err := time.ParseDuration(r.URL.Query().Get("d"))
		if err != nil {
			writeJSON(w, http.StatusBadRequest, map[string]string{"error": "d must be a duration such as 2s"})
			return
		}
		reply(w, s.SetSyncDelay(d))
	})
	mux.HandleFunc("POST /v1/argocd", func(w http.ResponseWriter, r *http.Request) {
		q := r.URL.Query()
		if v := q.Get("fail"); v != "" {
			code, err := strconv.Atoi(v)
			if err != nil || (code != 0 && (code < 400 || code > 599)) {
				writeJSON(w, http.StatusBadRequest, map[string]string{"error": "fail must be an HTTP error status (400-599), or 0 to answer normally"})
				return
			}
			s.argo.FailWith(code)
		}
		if v := q.Get("stall"); v != "" {
			b, err := strconv.ParseBool(v)
			if err != nil {
				writeJSON(w, http.StatusBadRequest, map[string]string{"error": fmt.Sprintf("stall=%q is not a boolean", v)})
				return
			}
			s.argo.Stall(b)
		}
		reply(w, nil)
	})
	return mux
}

// reply answers 204 on success, 404 for an unknown region, 400 otherwise.
func reply(w http.ResponseWriter, err error) {
	switch {
	case err == nil:
		w.WriteHeader(http.StatusNoContent)
	case errors.Is(err, ErrUnknownRegion):
		writeJSON(w, http.StatusNotFound, map[string]string{"error": err.Error()})
	default:
		writeJSON(w, http.StatusBadRequest, map[string]string{"error": err.Error()})
	}
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(v)
}

// serve starts an HTTP server on each given listener and records the
// addresses.
func (s *Simulator) serve(ls Listeners) {
	run := func(l net.Listener, h http.Handler) string {
		if l == nil {
			return ""
		}
		srv := &http.Server{Handler: h, ReadHeaderTimeout: 10 * time.Second}
		s.servers = append(s.servers, srv)
		go func() { _ = srv.Serve(l) }()
		return l.Addr().String()
	}
	var a Addrs
	if addr := run(ls.ArgoCD, s.argo); addr != "" {
		a.ArgoCD = "http://" + addr
	}
	metrics := http.NewServeMux()
	metrics.Handle("GET /metrics", s.metrics.handler())
	a.Metrics = run(ls.Metrics, metrics)
	if addr := run(ls.Control, s.controlHandler()); addr != "" {
		a.Control = "http://" + addr
	}
	s.mu.Lock()
	s.addrs = a
	s.mu.Unlock()
}
