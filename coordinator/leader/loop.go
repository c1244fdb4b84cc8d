package leader

import (
	"cmp"
	"context"
	"errors"
	"log/slog"
	"sync"
	"sync/atomic"
	"time"

	"github.com/ringleader-dev/ringleader/rings"
)

// LoopConfig configures the leader's reconcile loop.
type LoopConfig struct {
	// Store is the replicated node (required).
	Store Store
	// Promoter writes promotions and rollbacks to Git, finds the ones that
	// already landed and reads each release's baseline (required).
	Promoter Promoter
	// Fence mirrors active halts into Git (optional).
	Fence HaltFence
	// Health reports sync, health and analysis evidence (required).
	Health HealthSource
	// Clock is the loop's time source (default: system clock).
	Clock Clock
	// Interval is the longest pause between two passes (default 5 s). A
	// pass also runs at the plan's NextCheck when that comes sooner, and
	// at once after Kick.
	Interval time.Duration
	// Planner decides the next actions (default: planner.PlanNext).
	Planner PlanFunc
	// ApplyTimeout bounds recording one outcome through Raft (default 10 s).
	ApplyTimeout time.Duration
	// BarrierTimeout bounds the barrier after gaining leadership (default 30 s).
	BarrierTimeout time.Duration
	// HealthTimeout bounds one HealthSource.Observe call (default 30 s).
	HealthTimeout time.Duration
	// LoadTopology, when set, reads the topology this node was started
	// with; on gaining leadership the loop adopts it through the log when
	// it differs from the one in force.
	LoadTopology TopologyLoader
	// Logger receives what the loop does (default: slog.Default()).
	Logger *slog.Logger
	// Notifier, when set, is shown the state after every pass while this
	// node leads (see loop_notify.go).
	Notifier Notifier
	// BeforePromote, when set, is asked right before a promotion (never a
	// rollback) is written: the pre-promotion webhook. A refusal is a
	// wait, recorded as the release's reason, and asked again next pass
	// (loop_hooks.go).
	BeforePromote func(ctx context.Context, p rings.Promotion) error
	// AfterRing, when set, is told on its own goroutine, best effort, that
	// a ring was recorded done: the post-ring webhook.
	AfterRing func(ctx context.Context, r RingDone)
	// TopologyFeed, when set, returns the newest topology document this
	// node has read (e.g. from Git); the leader adopts it through the log
	// at the start of every pass when it is new, or records its rejection
	// (loop_topology.go). ok is false while nothing was read yet.
	TopologyFeed func() (doc TopologyDoc, ok bool)
	// Budgets, when set, measures the regions' error budgets; the leader
	// records them every BudgetInterval (default 1 min, loop_budget.go).
	Budgets        BudgetSource
	BudgetInterval time.Duration
	// RetryMin and RetryMax bound the backoff after a transient failure
	// of a promotion's or rollback's Git write (defaults 1 s and 1 min):
	// the wait doubles from RetryMin per failure in a row, up to RetryMax,
	// with jitter (loop_retry.go).
	RetryMin, RetryMax time.Duration
	// HaltReplan is how soon after HaltsChanged the loop plans again
	// (default 200 ms; loop_halts.go). The fence is written at once.
	HaltReplan time.Duration
}

// Validate fills in defaults and rejects a config that cannot work.
func (c *LoopConfig) Validate() error {
	var errs []error
	if c.Store == nil {
		errs = append(errs, errors.New("Store is required"))
	}
	if c.Promoter == nil {
		errs = append(errs, errors.New("Promoter is required (cmd/ringd wires the Git writer, tests a MemPromoter)"))
	}
	if c.Health == nil {
		errs = append(errs, errors.New("Health is required (use a MemHealth when regions have no sources)"))
	}
	if c.Interval < 0 {
		errs = append(errs, errors.New("Interval is negative"))
	}
	if c.HaltReplan < 0 {
		errs = append(errs, errors.New("HaltReplan is negative"))
	}
	if c.RetryMin < 0 || c.RetryMax < 0 {
		errs = append(errs, errors.New("RetryMin and RetryMax must not be negative"))
	}
	if len(errs) > 0 {
		return errors.Join(append([]error{errors.New("loop config")}, errs...)...)
	}
	if c.Clock == nil {
		c.Clock = SystemClock{}
	}
	if c.Interval == 0 {
		c.Interval = 5 * time.Second
	}
	if c.Planner == nil {
		c.Planner = defaultPlanner
	}
	c.ApplyTimeout = cmp.Or(c.ApplyTimeout, 10*time.Second)
	c.BarrierTimeout = cmp.Or(c.BarrierTimeout, 30*time.Second)
	c.HealthTimeout = cmp.Or(c.HealthTimeout, 30*time.Second)
	c.BudgetInterval = cmp.Or(c.BudgetInterval, time.Minute)
	c.RetryMin = cmp.Or(c.RetryMin, time.Second)
	c.RetryMax = cmp.Or(c.RetryMax, time.Minute)
	c.HaltReplan = cmp.Or(c.HaltReplan, defaultHaltReplan)
	if c.RetryMax < c.RetryMin {
		c.RetryMax = c.RetryMin
	}
	if c.Logger == nil {
		c.Logger = slog.Default()
	}
	return nil
}

// Loop is the leader-only reconcile loop: while this node leads it plans
// from the replicated state, carries the actions out through the effect
// interfaces and records every outcome through Raft. It stops acting the
// moment leadership goes, cancelling in-flight work through its context.
type Loop struct {
	cfg  LoopConfig
	kick chan struct{}
	// halts is signalled by HaltsChanged (loop_halts.go).
	halts chan struct{}
	stats loopStats
	mu    sync.Mutex
	// fenceMu makes reading the halts and writing them to the fence one
	// step: the releases of a pass are carried out at once (carryOut), and
	// a fence written from an older read must not replace a newer one.
	fenceMu sync.Mutex
	// fenced is the key of the halt set last written to the fence (reset
	// on gaining leadership so a new term writes it at least once).
	fenced string
	// notified is set once the Notifier saw this term's state (reset on
	// gaining leadership).
	notified bool
	// budgetsAt is when the error budgets were last measured in this term
	// (reset on gaining leadership).
	budgetsAt time.Time
}

// loopStats counts what the loop did (read with Stats).
type loopStats struct {
	passes, actions, errors, fenced, observations atomic.Int64
}

// LoopStats is a snapshot of the loop's counters.
type LoopStats struct {
	Passes       int64 `json:"passes"`
	Actions      int64 `json:"actions"`
	Errors       int64 `json:"errors"`
	Fenced       int64 `json:"fenced"`
	Observations int64 `json:"observations"`
}

// NewLoop validates cfg and returns a loop ready to Run.
func NewLoop(cfg LoopConfig) (*Loop, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	return &Loop{cfg: cfg, kick: make(chan struct{}, 1), halts: make(chan struct{}, 1)}, nil
}

// Stats returns the loop's counters.
func (l *Loop) Stats() LoopStats {
	return LoopStats{
		Passes: l.stats.passes.Load(), Actions: l.stats.actions.Load(), Errors: l.stats.errors.Load(),
		Fenced: l.stats.fenced.Load(), Observations: l.stats.observations.Load(),
	}
}

// Kick asks for a pass now (for example after a release was created). It
// never blocks; kicks while a pass runs coalesce into one more pass.
func (l *Loop) Kick() {
	select {
	case l.kick <- struct{}{}:
	default:
	}
}

// Run follows leadership until ctx ends: on gaining it, it starts leading
// (barrier, then passes); on losing it, it cancels the leading context at
// once and waits for in-flight work to return.
func (l *Loop) Run(ctx context.Context) error {
	changes := l.cfg.Store.LeaderChanges()
	var (
		cancel context.CancelFunc
		done   chan struct{}
	)
	start := func() {
		var lctx context.Context
		lctx, cancel = context.WithCancel(ctx)
		done = make(chan struct{})
		go func() {
			defer close(done)
			l.lead(lctx)
		}()
	}
	stop := func(why string) {
		if cancel == nil {
			return
		}
		cancel()
		<-done
		cancel, done = nil, nil
		l.cfg.Logger.Info("leader loop stopped", "why", why)
	}
	if l.cfg.Store.IsLeader() {
		start()
	}
	for {
		select {
		case <-ctx.Done():
			stop("shutting down")
			return ctx.Err()
		case leading, ok := <-changes:
			switch {
			case !ok:
				stop("leadership channel closed")
				return nil
			case leading:
				// A new term: restart so the barrier runs again.
				stop("leadership regained")
				start()
			default:
				stop("leadership lost")
			}
		}
	}
}

// lead runs while this node leads: barrier first (the FSM may lag the
// log), then a pass every Interval, at the plan's NextCheck when sooner,
// or at once after a kick.
func (l *Loop) lead(ctx context.Context) {
	l.cfg.Logger.Info("leader loop started")
	for {
		err := l.cfg.Store.Barrier(l.cfg.BarrierTimeout)
		if err == nil {
			break
		}
		l.stats.errors.Add(1)
		l.cfg.Logger.Warn("barrier after gaining leadership failed; retrying", "err", err)
		if !l.pause(ctx, l.cfg.Interval) {
			return
		}
	}
	l.mu.Lock()
	l.fenced = ""
	l.notified = false
	l.budgetsAt = time.Time{}
	l.mu.Unlock()
	busy, adopted := 0, false
	for {
		if !adopted {
			err := l.adoptStartupTopology(ctx)
			adopted = err == nil || errors.Is(err, errTopologyRejected)
			if err != nil {
				l.stats.errors.Add(1)
				l.cfg.Logger.Error("adopt start-up topology failed", "err", err)
			}
		}
		next, progressed := l.pass(ctx)
		wait := l.cfg.Interval
		if progressed {
			// The state moved: plan again at once, but never spin: after
			// a run of busy passes, breathe.
			busy++
			wait = 0
			if busy > maxBusyPasses {
				l.cfg.Logger.Warn("every recent pass made progress; pausing in case the planner repeats itself", "passes", busy, "pause", busyPause)
				wait, busy = busyPause, 0
			}
		} else {
			busy = 0
		}
		if !next.IsZero() {
			if d := next.Sub(l.cfg.Clock.Now()); d < wait {
				wait = max(d, 10*time.Millisecond)
			}
		}
		if !l.pause(ctx, wait) {
			return
		}
	}
}

// A loop whose passes keep making progress pauses busyPause after
// maxBusyPasses passes in a row (a planner that keeps asking for an action
// that keeps "succeeding" must not starve the CPU).
const (
	maxBusyPasses = 20
	busyPause     = time.Second
)

// pause waits for d, a kick or the end of ctx; false means ctx ended. A
// halt change met on the way writes the fence and shortens the wait to
// HaltReplan (loop_halts.go).
func (l *Loop) pause(ctx context.Context, d time.Duration) bool {
	if d <= 0 {
		return ctx.Err() == nil
	}
	t := time.NewTimer(d)
	defer t.Stop()
	var replan <-chan time.Time
	for {
		select {
		case <-ctx.Done():
			return false
		case <-t.C:
			return true
		case <-l.kick:
			return true
		case <-replan:
			return true
		case <-l.halts:
			l.syncHaltFence(ctx)
			if replan == nil && d > l.cfg.HaltReplan {
				r := time.NewTimer(l.cfg.HaltReplan)
				defer r.Stop()
				replan = r.C
			}
		}
	}
}
