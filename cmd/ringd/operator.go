package main

import (
	"fmt"
	"log/slog"
	"net/http"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"

	"github.com/ringleader-dev/ringleader/coordinator"
	"github.com/ringleader-dev/ringleader/coordinator/store"
	"github.com/ringleader-dev/ringleader/internal/ui"
)

// operator is what ringd shows people: the event stream, the metrics and
// the dashboard. Each is an http.Handler the API mounts in its route table
// (so every route passes through the same authorization).
type operator struct {
	events    *coordinator.Broker
	metrics   *coordinator.Metrics
	registry  *prometheus.Registry
	scrape    http.Handler
	dashboard http.Handler
}

// newOperator builds the event broker, the Prometheus registry with the
// node's metrics, and the dashboard, and hooks the first two into the
// node's apply path.
func newOperator(nodeID string, node *store.Node, logger *slog.Logger) (*operator, error) {
	op := &operator{registry: prometheus.NewRegistry()}
	var err error
	if op.events, err = coordinator.NewBroker(coordinator.BrokerConfig{}); err != nil {
		return nil, fmt.Errorf("event broker: %w", err)
	}
	op.registry.MustRegister(collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	if op.metrics, err = coordinator.NewMetrics(op.registry); err != nil {
		return nil, err
	}
	state, err := coordinator.NewStateCollector(coordinator.StateCollectorConfig{Store: node, Events: op.events})
	if err != nil {
		return nil, err
	}
	if err := op.registry.Register(state); err != nil {
		return nil, fmt.Errorf("register state metrics: %w", err)
	}
	node.OnApply(op.events.ObserveApplied)
	node.OnApply(op.metrics.ObserveApplied)
	node.OnPropose(op.metrics.ObserveProposal)
	op.scrape = promhttp.HandlerFor(op.registry, promhttp.HandlerOpts{ErrorLog: slog.NewLogLogger(logger.Handler(), slog.LevelError)})
	if op.dashboard, err = ui.New(ui.Config{Store: node, NodeID: nodeID, Logger: logger}); err != nil {
		return nil, fmt.Errorf("dashboard: %w", err)
	}
	return op, nil
}
