// Package server assembles one ringd node from its configuration: it binds
// the listeners, loads tokens and certificates, starts the Raft node, builds
// the effects the leader loop acts through (the Git writers, the region
// health source, webhooks, error budgets), watches a topology kept in Git,
// starts notifications and serves the HTTP API. cmd/ringd reads the flags
// into a Config and calls Start, Join and Shutdown.
package server
