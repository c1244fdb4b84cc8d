package argocdtest

import (
	"crypto/subtle"
	"crypto/x509"
	"encoding/json"
	"encoding/pem"
	"fmt"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"time"

	"github.com/argoproj/argo-cd/v2/pkg/apis/application/v1alpha1"
	"github.com/argoproj/gitops-engine/pkg/health"
	synccommon "github.com/argoproj/gitops-engine/pkg/sync/common"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

// Values of State fields, as Argo CD spells them.
const (
	SyncSynced    = "Synced"
	SyncOutOfSync = "OutOfSync"
	SyncUnknown   = "Unknown"

	HealthHealthy     = "Healthy"
	HealthProgressing = "Progressing"
	HealthDegraded    = "Degraded"
	HealthSuspended   = "Suspended"
	HealthMissing     = "Missing"
	HealthUnknown     = "Unknown"

	OperationRunning     = "Running"
	OperationSucceeded   = "Succeeded"
	OperationFailed      = "Failed"
	OperationError       = "Error"
	OperationTerminating = "Terminating"
)

// State is what a caller sets for one Application, in plain strings so a
// simulated region need not import argo-cd. Set turns it into a real
// v1alpha1.Application.
type State struct {
	// Sync is status.sync.status (SyncSynced, SyncOutOfSync, …).
	Sync string
	// Revision is status.sync.revision: the commit Argo CD compared with.
	Revision string
	// Health and HealthMessage are status.health.
	Health        string
	HealthMessage string
	// Operation is status.operationState.phase; empty means no operation
	// state at all.
	Operation        string
	OperationMessage string
	// OperationRevision is the revision of the operation and its sync
	// result; default Revision.
	OperationRevision string
}

// Server serves Argo CD's GET /api/v1/applications/{name} from real
// v1alpha1.Application objects and requires a bearer token. It is an
// http.Handler (New), or serves on a listener (Start) or an httptest server
// (StartHTTPTest, StartHTTPTestTLS). Safe for concurrent use.
type Server struct {
	mu       sync.Mutex
	token    string
	apps     map[string]*v1alpha1.Application
	stall    bool
	failWith int
	requests int
	released chan struct{}
	closed   bool

	url  string
	http *http.Server
	test *httptest.Server
}

// New returns a Server that only handles requests; mount it anywhere.
func New(token string) *Server {
	s := &Server{token: token, apps: map[string]*v1alpha1.Application{}, released: make(chan struct{})}
	return s
}

// Start serves plain HTTP on l until Close (for simulated regions, which
// pick their own listener, e.g. 127.0.0.1:0).
func Start(l net.Listener, token string) *Server {
	s := New(token)
	s.url = "http://" + l.Addr().String()
	s.http = &http.Server{Handler: s, ReadHeaderTimeout: 10 * time.Second}
	go func() { _ = s.http.Serve(l) }()
	return s
}

// StartHTTPTest serves on a new httptest server (plain HTTP, loopback).
func StartHTTPTest(token string) *Server {
	s := New(token)
	s.test = httptest.NewServer(s)
	s.url = s.test.URL
	return s
}

// StartHTTPTestTLS serves HTTPS on a new httptest server whose certificate
// chains to CertPool (and CAPEM).
func StartHTTPTestTLS(token string) *Server {
	s := New(token)
	s.test = httptest.NewTLSServer(s)
	s.url = s.test.URL
	return s
}

// URL is the base URL to put in a region's argocd.server ("" for New).
func (s *Server) URL() string { return s.url }

// CertPool holds the certificate of a StartHTTPTestTLS server (nil otherwise).
func (s *Server) CertPool() *x509.CertPool {
	if s.test == nil || s.test.TLS == nil {
		return nil
	}
	pool := x509.NewCertPool()
	pool.AddCert(s.test.Certificate())
	return pool
}

// CAPEM is the PEM encoding of a StartHTTPTestTLS server's certificate (nil
// otherwise), to write as a CA bundle file.
func (s *Server) CAPEM() []byte {
	if s.test == nil || s.test.TLS == nil {
		return nil
	}
	return pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: s.test.Certificate().Raw})
}

// Close releases stalled requests and stops serving.
func (s *Server) Close() {
	s.mu.Lock()
	if !s.closed {
		s.closed = true
		close(s.released)
	}
	s.mu.Unlock()
	if s.test != nil {
		s.test.Close()
	}
	if s.http != nil {
		_ = s.http.Close()
	}
}

// SetToken changes the token requests must carry.
func (s *Server) SetToken(token string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.token = token
}

// Stall(true) makes application requests hang until their client gives up
// or Close; requests arriving after Stall(false) are answered normally.
func (s *Server) Stall(on bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.stall = on
}

// FailWith makes application requests answer status (e.g. 503) with an
// Argo CD style error body; 0 restores normal answers.
func (s *Server) FailWith(status int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.failWith = status
}

// Requests counts the application requests received (authorized or not).
func (s *Server) Requests() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.requests
}

// Set creates or updates Application name with st. The spec of an existing
// Application is kept; the status is replaced.
func (s *Server) Set(name string, st State) {
	s.Update(name, func(app *v1alpha1.Application) { app.Status = status(st) })
}

// Update creates Application name if needed and lets fn change it.
func (s *Server) Update(name string, fn func(app *v1alpha1.Application)) {
	s.mu.Lock()
	defer s.mu.Unlock()
	app, ok := s.apps[name]
	if !ok {
		app = newApplication(name)
		s.apps[name] = app
	}
	fn(app)
	app.Name = name
}

// Remove deletes Application name (requests then get 404).
func (s *Server) Remove(name string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	delete(s.apps, name)
}

// Application returns a copy of Application name.
func (s *Server) Application(name string) (*v1alpha1.Application, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	app, ok := s.apps[name]
	if !ok {
		return nil, false
	}
	return app.DeepCopy(), true
}

// newApplication is a plausible Application for a region's GitOps path.
func newApplication(name string) *v1alpha1.Application {
	return &v1alpha1.Application{
		TypeMeta:   metav1.TypeMeta{Kind: "Application", APIVersion: "argoproj.io/v1alpha1"},
		ObjectMeta: metav1.ObjectMeta{Name: name, Namespace: "argocd"},
		Spec: v1alpha1.ApplicationSpec{
			Project:     "default",
			Source:      &v1alpha1.ApplicationSource{RepoURL: "https://git.example.com/gitops.git", Path: name, TargetRevision: "HEAD"},
			Destination: v1alpha1.ApplicationDestination{Server: "https://kubernetes.default.svc", Namespace: name},
		},
	}
}

// status builds an Application status from st.
func status(st State) v1alpha1.ApplicationStatus {
	out := v1alpha1.ApplicationStatus{
		Sync:   v1alpha1.SyncStatus{Status: v1alpha1.SyncStatusCode(st.Sync), Revision: st.Revision},
		Health: v1alpha1.HealthStatus{Status: health.HealthStatusCode(st.Health), Message: st.HealthMessage},
	}
	if st.Operation == "" {
		return out
	}
	rev := st.OperationRevision
	if rev == "" {
		rev = st.Revision
	}
	op := &v1alpha1.OperationState{
		Operation: v1alpha1.Operation{Sync: &v1alpha1.SyncOperation{Revision: rev}},
		Phase:     synccommon.OperationPhase(st.Operation),
		Message:   st.OperationMessage,
	}
	if op.Phase != synccommon.OperationRunning {
		op.SyncResult = &v1alpha1.SyncOperationResult{Revision: rev}
	}
	out.OperationState = op
	return out
}

// ServeHTTP answers GET /api/v1/applications/{name}.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	const prefix = "/api/v1/applications/"
	if !strings.HasPrefix(r.URL.Path, prefix) {
		writeError(w, http.StatusNotFound, 5, "Not Found")
		return
	}
	name := strings.TrimPrefix(r.URL.Path, prefix)
	if r.Method != http.MethodGet {
		writeError(w, http.StatusMethodNotAllowed, 12, "method not allowed: this test server only reads applications")
		return
	}
	s.mu.Lock()
	s.requests++
	token, stall, failWith, released := s.token, s.stall, s.failWith, s.released
	app, found := s.apps[name]
	if found {
		app = app.DeepCopy()
	}
	s.mu.Unlock()

	got, ok := strings.CutPrefix(r.Header.Get("Authorization"), "Bearer ")
	if !ok || token == "" || subtle.ConstantTimeCompare([]byte(got), []byte(token)) != 1 {
		writeError(w, http.StatusUnauthorized, 16, "no session information")
		return
	}
	if stall {
		select {
		case <-r.Context().Done():
		case <-released:
		}
		return
	}
	if failWith != 0 {
		writeError(w, failWith, 14, fmt.Sprintf("test server answers %d", failWith))
		return
	}
	if !found {
		writeError(w, http.StatusNotFound, 5, fmt.Sprintf("applications.argoproj.io %q not found", name))
		return
	}
	w.Header().Set("Content-Type", "application/json")
	_ = json.NewEncoder(w).Encode(app)
}

// writeError writes a grpc-gateway error body as Argo CD does.
func writeError(w http.ResponseWriter, status, code int, msg string) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(map[string]any{"error": msg, "code": code, "message": msg})
}
