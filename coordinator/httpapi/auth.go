package httpapi

import (
	"fmt"
	"log/slog"
	"math"
	"net/http"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"sync"

	"github.com/ringleader-dev/ringleader/coordinator/apiclient"
	"github.com/ringleader-dev/ringleader/internal/auth"
)

// Authenticator turns a bearer token into an identity. *auth.Reloader and
// *auth.Set implement it. Errors must never contain the token.
type Authenticator interface {
	Authenticate(token string) (auth.Identity, error)
}

// SecurityConfig is how the API authenticates, authorizes and rate-limits.
type SecurityConfig struct {
	// Tokens checks bearer tokens. Nil disables authentication: every
	// caller is an admin named by X-Ringleader-Actor (or "anonymous").
	// ringd allows that only with --insecure-no-auth.
	Tokens Authenticator
	// OpenHealth serves /healthz and /readyz without a token; OpenMetrics
	// serves /metrics without a token.
	OpenHealth  bool
	OpenMetrics bool
	// WriteRate (requests per second) and WriteBurst bound each identity's
	// writes; WriteRate 0 means DefaultWriteRate, negative disables. There
	// is no limit while authentication is off.
	WriteRate  float64
	WriteBurst int
}

// Defaults of the per-identity write rate limit.
const (
	DefaultWriteRate  = 5.0
	DefaultWriteBurst = 20
)

// HeaderForwardedFor carries the client's address from the follower that
// accepted a request to the leader, which records it in the audit trail as
// "<client> via <follower>": the hop it saw itself is always recorded, so a
// client cannot forge where it came from.
const HeaderForwardedFor = "X-Ringleader-Forwarded-For"

// routeMux is the API's ServeMux; it remembers every registered pattern so
// tests can check each one has an entry in RoutePermissions.
type routeMux struct {
	*http.ServeMux
	mu       sync.Mutex
	patterns []string
}

func newRouteMux() *routeMux { return &routeMux{ServeMux: http.NewServeMux()} }

// Handle registers h for pattern.
func (m *routeMux) Handle(pattern string, h http.Handler) {
	m.record(pattern)
	m.ServeMux.Handle(pattern, h)
}

// HandleFunc registers h for pattern.
func (m *routeMux) HandleFunc(pattern string, h func(http.ResponseWriter, *http.Request)) {
	m.record(pattern)
	m.ServeMux.HandleFunc(pattern, h)
}

func (m *routeMux) record(p string) {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.patterns = append(m.patterns, p)
}

// Patterns lists the registered route patterns, sorted.
func (m *routeMux) Patterns() []string {
	m.mu.Lock()
	defer m.mu.Unlock()
	out := slices.Clone(m.patterns)
	slices.Sort(out)
	return out
}

// Routes lists the route patterns this API serves, sorted.
func (a *API) Routes() []string { return a.mux.Patterns() }

// guard authenticates, authorizes and rate-limits every request before the
// mux dispatches it:
//
//	no token / unknown token → 401 (WWW-Authenticate: Bearer)
//	role lacks the permission → 403 naming the roles that hold it
//	write beyond the identity's bucket → 429 with Retry-After
//
// Forwarded requests get no privilege: the leader checks the original
// Authorization header again. Denials are logged without the token.
func (a *API) guard(next http.Handler) http.Handler {
	sec := a.cfg.Security
	rate := sec.WriteRate
	if rate == 0 {
		rate = DefaultWriteRate
	}
	burst := sec.WriteBurst
	if burst <= 0 {
		burst = DefaultWriteBurst
	}
	if sec.Tokens == nil {
		// Without tokens the name is whatever the caller claims: a
		// per-identity limit would only be a per-claim limit, so none.
		rate = -1
	}
	limiter := auth.NewLimiter(rate, burst)
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_, pattern := a.mux.Handler(r)
		perm := permissionFor(pattern)
		if perm == auth.PermPublic || (perm == auth.PermHealth && sec.OpenHealth) || (perm == auth.PermMetrics && sec.OpenMetrics) {
			next.ServeHTTP(w, r)
			return
		}
		caller := auth.Caller{Source: requestSource(r)}
		if sec.Tokens == nil {
			caller.Identity = auth.Identity{Name: headerActor(r), Role: auth.RoleAdmin}
		} else {
			id, err := sec.Tokens.Authenticate(bearerToken(r))
			if err != nil {
				a.deny(w, r, http.StatusUnauthorized, "", fmt.Errorf("%w: send Authorization: Bearer <token> (ringctl --token or RINGLEADER_TOKEN)", err))
				return
			}
			caller.Identity = id
		}
		if !caller.Role.Grants(perm) {
			a.deny(w, r, http.StatusForbidden, caller.Name, fmt.Errorf("%s (role %s) may not %s %s: it needs role %s",
				caller.Name, caller.Role, r.Method, r.URL.Path, auth.Describe(perm)))
			return
		}
		if isWrite(r.Method) {
			if ok, wait := limiter.Allow(caller.Name, a.cfg.Clock.Now()); !ok {
				secs := int(math.Ceil(wait.Seconds()))
				w.Header().Set("Retry-After", strconv.Itoa(max(secs, 1)))
				a.deny(w, r, http.StatusTooManyRequests, caller.Name, fmt.Errorf("%s sent writes faster than %.3g per second (burst %d): retry after %ds", caller.Name, rate, burst, max(secs, 1)))
				return
			}
		}
		r = r.WithContext(auth.WithCaller(r.Context(), caller))
		r.Header.Set(HeaderForwardedFor, clientAddr(r))
		next.ServeHTTP(w, r)
	})
}

// deny answers a refused request and logs it (never the token).
func (a *API) deny(w http.ResponseWriter, r *http.Request, code int, who string, err error) {
	if code == http.StatusUnauthorized {
		w.Header().Set("WWW-Authenticate", `Bearer realm="ringleader"`)
	}
	a.cfg.Logger.Warn("api request refused", "status", code, "method", r.Method, "path", r.URL.Path,
		"identity", who, "remote", r.RemoteAddr, slog.String("reason", err.Error()))
	writeError(w, code, err)
}

// bearerToken returns the token of "Authorization: Bearer <token>", or "".
func bearerToken(r *http.Request) string {
	h := r.Header.Get("Authorization")
	scheme, tok, ok := strings.Cut(h, " ")
	if !ok || !strings.EqualFold(scheme, "Bearer") {
		return ""
	}
	return strings.TrimSpace(tok)
}

// headerActor is the X-Ringleader-Actor name, honoured only when
// authentication is off.
func headerActor(r *http.Request) string {
	if v := r.Header.Get(apiclient.HeaderActor); v != "" && validName(v) {
		return v
	}
	return "anonymous"
}

// isWrite reports whether method changes state.
func isWrite(method string) bool {
	switch method {
	case http.MethodGet, http.MethodHead, http.MethodOptions:
		return false
	}
	return true
}

// maxSourceLen bounds a recorded source address.
const maxSourceLen = 200

// addrRE accepts what a forwarded client address may look like.
var addrRE = regexp.MustCompile(`^[A-Za-z0-9.:\[\]%_-]{1,100}$`)

// requestSource is the remote address as this node sees it; for a request
// a follower forwarded, "<client> via <follower>".
func requestSource(r *http.Request) string {
	src := r.RemoteAddr
	if r.Header.Get(HeaderForwarded) != "" {
		if ff := r.Header.Get(HeaderForwardedFor); addrRE.MatchString(ff) {
			src = ff + " via " + r.RemoteAddr
		} else {
			src = "unknown via " + r.RemoteAddr
		}
	}
	if len(src) > maxSourceLen {
		src = src[:maxSourceLen]
	}
	return src
}

// clientAddr is what a follower passes on in HeaderForwardedFor: the
// original client's address (the part before " via ").
func clientAddr(r *http.Request) string {
	if c, ok := auth.CallerFrom(r.Context()); ok {
		before, _, _ := strings.Cut(c.Source, " via ")
		return before
	}
	return r.RemoteAddr
}

// callerOf returns the request's caller; requests that bypassed the guard
// (tests that call a handler directly) are anonymous.
func callerOf(r *http.Request) auth.Caller {
	if c, ok := auth.CallerFrom(r.Context()); ok {
		return c
	}
	return auth.Caller{Identity: auth.Identity{Name: headerActor(r)}, Source: r.RemoteAddr}
}
