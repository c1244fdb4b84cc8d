// Package metrics is how a node measures itself for Prometheus: recorders
// of applied commands, proposals and Git pushes (Metrics), a collector of
// state-derived gauges read at scrape time (StateCollector), and the
// wrapper that times a Promoter (InstrumentPromoter).
package metrics
