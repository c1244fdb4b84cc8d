// Package ui is the operator dashboard every ringd serves at /.
//
// The page is rendered by Go html/templates embedded in the binary, with
// one small plain-JavaScript file and one CSS file: no build step, no CDN,
// no external fonts, and a Content-Security-Policy that allows nothing but
// this server. The shell (GET /) carries no state, so a browser can load it
// before it has a token; the board (GET /ui/board) is an HTML fragment
// rendered from the node's applied state and the planner's waits, the same
// inputs as GET /v1/status. The script re-fetches the board on every event
// of GET /v1/events (read with fetch streaming so the bearer token can be
// sent, resumed with Last-Event-ID), counts soak windows down between
// events, and places and resumes halts through the ordinary API
// (POST /v1/halts, POST /v1/halts/{id}/resume), asking for a reason first.
//
// BuildBoard and Timeline are pure functions of a snapshot, a plan and a
// time, tested without HTTP; the browser test drives the real page in
// headless Chromium against a real single-node coordinator.
package ui
