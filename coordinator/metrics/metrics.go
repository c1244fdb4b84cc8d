package metrics

import (
	"errors"
	"fmt"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/ringleader-dev/ringleader/coordinator/command"
	"github.com/ringleader-dev/ringleader/coordinator/store"
)

// Metrics records what happens on this node: commands applied (every node
// counts the same log), the leader's commit latency, Git pushes and
// analysis check results. State-derived gauges (releases by state, active
// halts, soak remaining, gate waits, budgets, Raft indexes) are computed at
// scrape time by StateCollector. README.md lists every metric.
//
// A nil *Metrics records nothing, so callers need not check.
type Metrics struct {
	applied      *prometheus.CounterVec
	promotions   *prometheus.CounterVec
	failures     *prometheus.CounterVec
	rollbacks    *prometheus.CounterVec
	checks       *prometheus.CounterVec
	haltsPlaced  *prometheus.CounterVec
	applyLatency prometheus.Histogram
	pushDuration *prometheus.HistogramVec
	pushRetries  prometheus.Counter
	// perCommit is promotions per promotion commit (commits.go).
	perCommit prometheus.Histogram
	// topologyRejected counts rejected topology revisions;
	// topologyLastRejected is 1 while the newest revision seen was refused.
	topologyRejected     prometheus.Counter
	topologyLastRejected prometheus.Gauge
}

// Push outcomes for ObservePush.
const (
	PushLanded        = "landed"         // a new commit was pushed
	PushAlreadyLanded = "already-landed" // the promotion was found on the branch; nothing pushed
	PushFenced        = "fenced"         // refused before pushing: halt or lost leadership
	PushFailed        = "failed"         // gave up (contention, Git server unreachable, …)
	PushNeedsHuman    = "needs-human"    // cannot succeed without a person (bad target, push refused)
)

// Check results for the health-check counter.
const (
	checkPass = "pass"
	checkFail = "fail"
)

// NewMetrics creates the node's event-driven metrics and registers them
// with reg (tests pass a fresh prometheus.NewRegistry()).
func NewMetrics(reg prometheus.Registerer) (*Metrics, error) {
	if reg == nil {
		return nil, errors.New("metrics: a registerer is required (prometheus.NewRegistry())")
	}
	m := &Metrics{
		applied: counterVec("ringleader_raft_applied_commands_total",
			"Commands this node's state machine applied, by command type and result (ok or refused).",
			"type", "result"),
		promotions: counterVec("ringleader_rings_promotions_total",
			"Promotion commits recorded as landed, by ring.",
			"ring"),
		failures: counterVec("ringleader_rings_failures_total",
			"Rings marked failed (analysis, sync timeout, degraded), by ring.",
			"ring"),
		rollbacks: counterVec("ringleader_rings_rollbacks_total",
			"Rollback commits recorded as landed, by ring.",
			"ring"),
		checks: counterVec("ringleader_health_checks_total",
			"Analysis check results recorded during soak, by check and result (pass or fail).",
			"check", "result"),
		haltsPlaced: counterVec("ringleader_halts_placed_total",
			"Halts placed, by kind (manual or auto).",
			"kind"),
		applyLatency: prometheus.NewHistogram(prometheus.HistogramOpts{
			Name:    "ringleader_raft_apply_duration_seconds",
			Help:    "Leader only: time from proposing a command to Raft until a quorum committed it and this node applied it.",
			Buckets: []float64{.00025, .0005, .001, .0025, .005, .01, .025, .05, .1, .25, .5, 1, 2.5, 10},
		}),
		pushDuration: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name:    "ringleader_gitops_push_duration_seconds",
			Help:    "Time to write one promotion, rollback or fence to Git, all attempts included, by outcome.",
			Buckets: []float64{.01, .025, .05, .1, .25, .5, 1, 2.5, 5, 10, 30},
		}, []string{"outcome"}),
		pushRetries: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "ringleader_gitops_push_retries_total",
			Help: "Push attempts beyond the first (the branch moved: fetch, rebuild, push again).",
		}),
		perCommit: newPerCommit(),
		topologyRejected: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "ringleader_topology_rejected_total",
			Help: "Topology revisions rejected as invalid (the previous one stayed in force).",
		}),
		topologyLastRejected: prometheus.NewGauge(prometheus.GaugeOpts{
			Name: "ringleader_topology_last_rejected",
			Help: "1 when the newest topology revision was rejected and an older one is in force, 0 after an adoption.",
		}),
	}
	for _, c := range []prometheus.Collector{m.applied, m.promotions, m.failures, m.rollbacks, m.checks, m.haltsPlaced, m.applyLatency, m.pushDuration, m.pushRetries, m.perCommit, m.topologyRejected, m.topologyLastRejected} {
		if err := reg.Register(c); err != nil {
			return nil, fmt.Errorf("register metrics: %w", err)
		}
	}
	for _, o := range []string{PushLanded, PushAlreadyLanded, PushFenced, PushFailed, PushNeedsHuman} {
		m.pushDuration.WithLabelValues(o)
	}
	for _, k := range []string{"manual", "auto"} {
		m.haltsPlaced.WithLabelValues(k)
	}
	return m, nil
}

// counterVec builds a counter with labels; NewMetrics registers it.
func counterVec(name, help string, labels ...string) *prometheus.CounterVec {
	return prometheus.NewCounterVec(prometheus.CounterOpts{Name: name, Help: help}, labels)
}

// ObserveApplied is an ApplyObserver: it counts applied commands and the
// promotions, failures, rollbacks, halts and check results among them.
func (m *Metrics) ObserveApplied(ac store.AppliedCommand) {
	if m == nil {
		return
	}
	result := "ok"
	if ac.Err != nil {
		result = "refused"
	}
	m.applied.WithLabelValues(string(ac.Command.Type), result).Inc()
	if ac.Err != nil {
		return
	}
	cmd := ac.Command
	switch cmd.Type {
	case command.CmdPromoted, command.CmdRolledBack:
		if p, err := command.Decode[command.Promoted](cmd); err == nil {
			if cmd.Type == command.CmdPromoted {
				m.promotions.WithLabelValues(p.Ring).Inc()
			} else {
				m.rollbacks.WithLabelValues(p.Ring).Inc()
			}
		}
	case command.CmdRejectTopology:
		m.topologyRejected.Inc()
		m.topologyLastRejected.Set(1)
	case command.CmdAdoptTopology:
		m.topologyLastRejected.Set(0)
	case command.CmdFailRing:
		if p, err := command.Decode[command.RingRef](cmd); err == nil {
			m.failures.WithLabelValues(p.Ring).Inc()
		}
	case command.CmdPromotionFailed:
		if p, err := command.Decode[command.PromotionFailed](cmd); err == nil {
			m.failures.WithLabelValues(p.Ring).Inc()
		}
	case command.CmdPlaceHalt:
		if p, err := command.Decode[command.PlaceHalt](cmd); err == nil {
			kind := "manual"
			if p.Auto {
				kind = "auto"
			}
			m.haltsPlaced.WithLabelValues(kind).Inc()
		}
	case command.CmdObserve:
		if p, err := command.Decode[command.Observe](cmd); err == nil && p.Check != nil {
			r := checkPass
			if !p.Check.Pass {
				r = checkFail
			}
			m.checks.WithLabelValues(p.Check.Check, r).Inc()
		}
	}
}

// ObserveProposal is a ProposalObserver: it records the commit latency of
// commands that committed.
func (m *Metrics) ObserveProposal(_ command.Type, took time.Duration, err error) {
	if m == nil || err != nil {
		return
	}
	m.applyLatency.Observe(took.Seconds())
}

// ObservePush records one Git write: how long it took (all attempts),
// how many attempts beyond the first it needed, and its outcome (PushLanded,
// PushAlreadyLanded, PushFenced or PushFailed). The Git writer's wiring in
// cmd/ringd calls it.
func (m *Metrics) ObservePush(took time.Duration, retries int, outcome string) {
	if m == nil {
		return
	}
	if outcome == "" {
		outcome = PushFailed
	}
	m.pushDuration.WithLabelValues(outcome).Observe(took.Seconds())
	if retries > 0 {
		m.pushRetries.Add(float64(retries))
	}
}
