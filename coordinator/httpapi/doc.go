// Package httpapi is the HTTP API every node serves: the routes of coordinator/API.md,
// the auth middleware (authentication, route permissions, rate limit),
// forwarding of writes from a follower to the leader, the audit query and
// the server-sent event stream with its broker. See DESIGN.md.
package httpapi
