package auth

import (
	"fmt"
	"slices"
	"strings"
)

// Role is what an identity may do. Every identity has exactly one.
type Role string

// The roles, from least to most powerful. Only admin includes the others;
// releaser, approver and incident-commander are separate duties.
const (
	// RoleViewer reads: releases, halts, topology, status, cluster, audit.
	RoleViewer Role = "viewer"
	// RoleReleaser reads, creates releases, aborts and rolls them back.
	RoleReleaser Role = "releaser"
	// RoleApprover reads and approves rings that wait for approval.
	RoleApprover Role = "approver"
	// RoleIncidentCommander reads and places and resumes halts, nothing
	// else. Reading is allowed on purpose: whoever halts in an incident
	// needs to see what the halt covers and what is rolling.
	RoleIncidentCommander Role = "incident-commander"
	// RoleAdmin may do everything, including cluster membership and
	// topology adoption.
	RoleAdmin Role = "admin"
)

// Roles lists every role in a stable order.
var Roles = []Role{RoleViewer, RoleReleaser, RoleApprover, RoleIncidentCommander, RoleAdmin}

// Permission is what a route requires.
type Permission string

// The permissions a route can require.
const (
	// PermPublic needs no token at all (nothing is public by default).
	PermPublic Permission = "public"
	// PermAuthenticated needs any valid token, whatever the role (the
	// "no such route" answers).
	PermAuthenticated Permission = "authenticated"
	// PermHealth is /healthz and /readyz: read, unless the operator opens
	// them (ringd --open-healthz).
	PermHealth Permission = "health"
	// PermMetrics is /metrics: read, unless opened (ringd --open-metrics).
	PermMetrics Permission = "metrics"
	// PermRead reads state.
	PermRead Permission = "read"
	// PermRelease creates, aborts and rolls back releases.
	PermRelease Permission = "release"
	// PermApprove approves rings.
	PermApprove Permission = "approve"
	// PermHalt places and resumes halts.
	PermHalt Permission = "halt"
	// PermAdmin changes the cluster and the topology; it is also what an
	// unlisted route requires.
	PermAdmin Permission = "admin"
)

// grants is the role → permission table.
var grants = map[Role][]Permission{
	RoleViewer:            {PermRead, PermHealth, PermMetrics},
	RoleReleaser:          {PermRead, PermHealth, PermMetrics, PermRelease},
	RoleApprover:          {PermRead, PermHealth, PermMetrics, PermApprove},
	RoleIncidentCommander: {PermRead, PermHealth, PermMetrics, PermHalt},
	RoleAdmin:             {PermRead, PermHealth, PermMetrics, PermRelease, PermApprove, PermHalt, PermAdmin},
}

// ParseRole returns the role named s.
func ParseRole(s string) (Role, error) {
	r := Role(s)
	if _, ok := grants[r]; !ok {
		return "", fmt.Errorf("role %q is unknown: use one of %s", s, roleList(Roles))
	}
	return r, nil
}

// Grants reports whether role r holds permission p. PermPublic and
// PermAuthenticated are held by every role.
func (r Role) Grants(p Permission) bool {
	if p == PermPublic || p == PermAuthenticated {
		_, ok := grants[r]
		return ok
	}
	return slices.Contains(grants[r], p)
}

// RolesWith lists the roles that hold p, in Roles order.
func RolesWith(p Permission) []Role {
	var out []Role
	for _, r := range Roles {
		if r.Grants(p) {
			out = append(out, r)
		}
	}
	return out
}

// Describe says which roles hold p, for a 403 answer: "incident-commander
// or admin".
func Describe(p Permission) string { return roleList(RolesWith(p)) }

func roleList(rs []Role) string {
	s := make([]string, len(rs))
	for i, r := range rs {
		s[i] = string(r)
	}
	if len(s) <= 1 {
		return strings.Join(s, "")
	}
	return strings.Join(s[:len(s)-1], ", ") + " or " + s[len(s)-1]
}

// Identity is who made a request.
type Identity struct {
	Name string `json:"name"`
	Role Role   `json:"role"`
}
