package metrics

import (
	"errors"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/ringleader-dev/ringleader/coordinator/store"
	"github.com/ringleader-dev/ringleader/rings"
	"github.com/ringleader-dev/ringleader/rings/planner"
)

// StateCollectorConfig says where StateCollector reads from.
type StateCollectorConfig struct {
	// Store is the node (required).
	Store Store
	// Clock is "now" for soak remaining and the plan (default: the wall
	// clock).
	Clock Clock
	// Events, when set, exports the event stream's subscriber gauges (a
	// *httpapi.Broker).
	Events EventStats
}

// Store is what the state metrics read from the node; *store.Node
// implements it.
type Store interface {
	// View returns a read-only view of the applied state.
	View() store.Snapshot
	// RaftStats reports this node's Raft term and indexes.
	RaftStats() store.RaftStats
}

// Clock is the collector's "now".
type Clock interface {
	Now() time.Time
}

// wallClock is the default Clock.
type wallClock struct{}

func (wallClock) Now() time.Time { return time.Now() }

// EventStats are the event stream's counters (httpapi.Broker).
type EventStats interface {
	Subscribers() int
	Dropped() int64
	Published() int64
}

// StateCollector computes state-derived metrics from a view of the state at
// scrape time, so they are always consistent with the applied state and
// cost nothing between scrapes.
type StateCollector struct {
	cfg StateCollectorConfig

	releases, haltsActive, soakRemaining, gateWaits, budget *prometheus.Desc
	leader, term, commitIndex, appliedIndex                 *prometheus.Desc
	subscribers, dropped, published                         *prometheus.Desc
	exposure                                                *prometheus.Desc // metrics_exposure.go
	exposures                                               exposureMemo     // metrics_exposure.go
}

// releaseStates and waitReasons are always exported (0 when none), so a
// graph never has gaps.
var (
	releaseStates = []rings.ReleaseState{
		rings.ReleaseScheduled, rings.ReleaseRunning, rings.ReleaseAwaitingApproval, rings.ReleaseHalted,
		rings.ReleaseCompleted, rings.ReleaseAborted, rings.ReleaseRolledBack, rings.ReleaseRollbackFailed,
	}
	waitReasons = []planner.WaitReason{
		planner.WaitHalt, planner.WaitSoak, planner.WaitSync, planner.WaitWindow, planner.WaitFreeze, planner.WaitApproval,
		planner.WaitErrorBudget, planner.WaitSchedule, planner.WaitQueue, planner.WaitEvidence, planner.WaitRollback, planner.WaitRetry,
	}
)

// NewStateCollector validates cfg and returns the collector; register it
// with reg.MustRegister or reg.Register.
func NewStateCollector(cfg StateCollectorConfig) (*StateCollector, error) {
	if cfg.Store == nil {
		return nil, errors.New("state collector: Store is required")
	}
	if cfg.Clock == nil {
		cfg.Clock = wallClock{}
	}
	d := prometheus.NewDesc
	return &StateCollector{
		cfg:           cfg,
		releases:      d("ringleader_releases_in_state", "Releases in each release state (every state is exported, 0 when none).", []string{"state"}, nil),
		haltsActive:   d("ringleader_halts_active", "Halts in force (placed and not resumed).", nil, nil),
		soakRemaining: d("ringleader_rings_soak_remaining_seconds", "Seconds until a soaking ring has soaked its full window (0 when due), per release and ring.", []string{"release", "ring"}, nil),
		gateWaits:     d("ringleader_gates_waits", "Steps the planner reports as waiting, by reason (halt, soak, window, freeze, approval, error-budget, …).", []string{"reason"}, nil),
		budget:        d("ringleader_budget_remaining_percent", "Latest recorded error budget remaining, per app and region (0–100).", []string{"app", "region"}, nil),
		leader:        d("ringleader_raft_leader", "1 when this node is the Raft leader, 0 otherwise.", nil, nil),
		term:          d("ringleader_raft_term", "This node's current Raft term.", nil, nil),
		commitIndex:   d("ringleader_raft_commit_index", "Highest log index this node knows is committed.", nil, nil),
		appliedIndex:  d("ringleader_raft_applied_index", "Highest log index applied to this node's state machine.", nil, nil),
		subscribers:   d("ringleader_events_subscribers", "Open /v1/events streams on this node.", nil, nil),
		dropped:       d("ringleader_events_dropped_subscribers_total", "Event streams ended because the client fell behind.", nil, nil),
		published:     d("ringleader_events_published_total", "Events published to the stream on this node.", nil, nil),
		exposure:      exposureDesc(),
	}, nil
}

// Describe implements prometheus.Collector.
func (c *StateCollector) Describe(ch chan<- *prometheus.Desc) {
	for _, d := range []*prometheus.Desc{c.releases, c.haltsActive, c.soakRemaining, c.gateWaits, c.budget,
		c.leader, c.term, c.commitIndex, c.appliedIndex, c.subscribers, c.dropped, c.published} {
		ch <- d
	}
	ch <- c.exposure
}

// Collect implements prometheus.Collector.
func (c *StateCollector) Collect(ch chan<- prometheus.Metric) {
	snap := c.cfg.Store.View() // read-only
	now := c.cfg.Clock.Now()
	gauge := func(d *prometheus.Desc, v float64, labels ...string) {
		ch <- prometheus.MustNewConstMetric(d, prometheus.GaugeValue, v, labels...)
	}

	byState := map[rings.ReleaseState]int{}
	for _, rel := range snap.State.Releases {
		byState[rel.State]++
	}
	for _, s := range releaseStates {
		gauge(c.releases, float64(byState[s]), string(s))
	}
	gauge(c.haltsActive, float64(len(rings.ActiveHalts(snap.State))))
	for _, b := range snap.State.Budgets {
		if b.App == "" {
			continue // an old figure of no app: it gates nothing
		}
		gauge(c.budget, b.RemainingPercent, b.App, b.Region)
	}

	waits := map[planner.WaitReason]int{}
	if snap.Topology != nil {
		for _, rel := range snap.State.Releases {
			for _, rp := range rel.Rings {
				if rp.State != rings.RingSoaking {
					continue
				}
				gauge(c.soakRemaining, rings.SoakRemaining(snap.Topology, rel, rp, now).Seconds(), rel.ID, rp.Name)
			}
		}
		for _, w := range planner.PlanNext(snap.Topology, &snap.State, now).Waits {
			waits[w.Reason]++
		}
	}
	for _, r := range waitReasons {
		gauge(c.gateWaits, float64(waits[r]), string(r))
	}
	c.collectExposure(snap, ch)

	st := c.cfg.Store.RaftStats()
	leader := 0.0
	if st.Leader {
		leader = 1
	}
	gauge(c.leader, leader)
	gauge(c.term, float64(st.Term))
	gauge(c.commitIndex, float64(st.CommitIndex))
	gauge(c.appliedIndex, float64(st.AppliedIndex))

	if b := c.cfg.Events; b != nil {
		gauge(c.subscribers, float64(b.Subscribers()))
		ch <- prometheus.MustNewConstMetric(c.dropped, prometheus.CounterValue, float64(b.Dropped()))
		ch <- prometheus.MustNewConstMetric(c.published, prometheus.CounterValue, float64(b.Published()))
	}
}
