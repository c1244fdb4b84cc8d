package httpapi

import "github.com/ringleader-dev/ringleader/internal/auth"

// RoutePermissions is the authorization table: the permission each route
// pattern requires, keyed exactly as the pattern is registered on the API's
// mux ("METHOD /path/{wildcard}"). The guard (auth.go) looks every request
// up here before any handler runs.
//
// A registered route missing from this table requires PermAdmin (the safe
// default), and TestEveryRouteHasAPermission fails, so a new route must
// declare its permission here in the same change that registers it.
// Roles hold permissions as internal/auth/roles.go says.
var RoutePermissions = map[string]auth.Permission{
	// Probes and metrics: read, unless ringd --open-healthz/--open-metrics.
	"GET /healthz": auth.PermHealth,
	"GET /readyz":  auth.PermHealth,
	"GET /metrics": auth.PermMetrics,

	"GET /v1/releases":                auth.PermRead,
	"POST /v1/releases":               auth.PermRelease,
	"GET /v1/releases/{id}":           auth.PermRead,
	"POST /v1/releases/{id}/approve":  auth.PermApprove,
	"POST /v1/releases/{id}/abort":    auth.PermRelease,
	"POST /v1/releases/{id}/rollback": auth.PermRelease,
	"POST /v1/releases/{id}/risk":     auth.PermApprove,

	"GET /v1/halts":              auth.PermRead,
	"POST /v1/halts":             auth.PermHalt,
	"POST /v1/halts/{id}/resume": auth.PermHalt,

	"GET /v1/topology":  auth.PermRead,
	"POST /v1/topology": auth.PermAdmin,

	"GET /v1/status": auth.PermRead,
	"GET /v1/audit":  auth.PermRead,

	"GET /v1/cluster/members": auth.PermRead,
	"GET /v1/cluster/leader":  auth.PermRead,
	"POST /v1/cluster/join":   auth.PermAdmin,
	"POST /v1/cluster/remove": auth.PermAdmin,

	// The event stream and the dashboard. The page shell and its static
	// assets hold no state (the page asks for a token and sends it on
	// every fetch), so they are public; the board is state, so read.
	"GET /v1/events":  auth.PermRead,
	"GET /{$}":        auth.PermPublic,
	"GET /ui/static/": auth.PermPublic,
	"GET /ui/board":   auth.PermRead,

	// The catch-all that answers 404 for unknown /v1/ paths.
	"/v1/": auth.PermAuthenticated,
}

// permissionFor returns the permission pattern requires. "" is what the mux
// reports when nothing matches (it answers 404 or 405): any valid token.
// An unlisted pattern requires admin.
func permissionFor(pattern string) auth.Permission {
	if pattern == "" {
		return auth.PermAuthenticated
	}
	if p, ok := RoutePermissions[pattern]; ok {
		return p
	}
	return auth.PermAdmin
}
