package leader

import (
	"context"
	"fmt"
	"slices"
	"sync"
	"time"

	"github.com/ringleader-dev/ringleader/rings"
)

// In-memory implementations of the effect interfaces, for tests and for
// ringd until the Git writer and the region adapters are wired in. Each is
// safe for concurrent use; each has an optional XxxFn hook that replaces
// its default behaviour.

// MemPromoter lands promotions in memory, exactly once per PromotionID. By
// default it calls Check, then "commits" (commit IDs mem-1, mem-2, …).
type MemPromoter struct {
	// PromoteFn, when set, replaces the default behaviour entirely.
	PromoteFn func(ctx context.Context, p rings.Promotion) (rings.PromotionResult, error)
	// PromoteBatchFn, when set, replaces PromoteBatch's default (check,
	// then Promote each in turn).
	PromoteBatchFn func(ctx context.Context, ps []rings.Promotion, check func(context.Context) error) []PromotionOutcome

	// ReadBaselineFn, when set, replaces ReadBaseline's default behaviour.
	ReadBaselineFn func(ctx context.Context, app string, regions []string) (rings.BaselineRead, error)

	mu     sync.Mutex
	landed []LandedPromotion
	// current is what the in-memory branch holds per app and region (one
	// target each): set by SetCurrent and by every landed promotion.
	current map[string]string
}

// memTarget is the one target an app has per region in a MemPromoter.
func memTarget(app, region string) (file, target string) {
	return "mem/" + app + "/" + region, "version"
}

// SetCurrent says what the in-memory branch holds for app in region before
// anything lands (a region never set has no value yet: Absent).
func (m *MemPromoter) SetCurrent(app, region, version string) {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.current == nil {
		m.current = map[string]string{}
	}
	m.current[app+"/"+region] = version
}

// ReadBaselines implements BaselineReader, one query at a time
// (readBaseline).
func (m *MemPromoter) ReadBaselines(ctx context.Context, qs []rings.BaselineQuery) []rings.BaselineAnswer {
	out := make([]rings.BaselineAnswer, len(qs))
	for i, q := range qs {
		out[i].Read, out[i].Err = m.readBaseline(ctx, q.App, q.Regions)
	}
	return out
}

// readBaseline answers from what the in-memory branch holds: the last
// version landed (or SetCurrent) per app and region.
func (m *MemPromoter) readBaseline(ctx context.Context, app string, regions []string) (rings.BaselineRead, error) {
	if m.ReadBaselineFn != nil {
		return m.ReadBaselineFn(ctx, app, regions)
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	out := rings.BaselineRead{Commit: fmt.Sprintf("mem-%d", len(m.landed)), Targets: map[string][]rings.TargetValue{}}
	for _, region := range regions {
		file, target := memTarget(app, region)
		v, ok := m.current[app+"/"+region]
		out.Targets[region] = []rings.TargetValue{{File: file, Target: target, Value: v, Absent: !ok}}
	}
	return out, nil
}

// LandedPromotion is a promotion a MemPromoter committed.
type LandedPromotion struct {
	rings.Promotion
	Commit string
}

// Promote implements Promoter.
func (m *MemPromoter) Promote(ctx context.Context, p rings.Promotion) (rings.PromotionResult, error) {
	if m.PromoteFn != nil {
		return m.PromoteFn(ctx, p)
	}
	if p.Check != nil {
		if err := p.Check(ctx); err != nil {
			return rings.PromotionResult{}, err
		}
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	for _, l := range m.landed {
		if l.PromotionID == p.PromotionID {
			return rings.PromotionResult{Commit: l.Commit, AlreadyLanded: true}, nil
		}
	}
	commit := fmt.Sprintf("mem-%d", len(m.landed)+1)
	p.Regions = slices.Clone(p.Regions)
	p.Targets = slices.Clone(p.Targets)
	p.Check = nil
	m.landed = append(m.landed, LandedPromotion{Promotion: p, Commit: commit})
	if m.current == nil {
		m.current = map[string]string{}
	}
	for _, region := range p.Regions {
		v := p.Version
		file, target := memTarget(p.App, region)
		for _, tv := range p.Targets {
			if tv.File == file && tv.Target == target {
				v = tv.Value
			}
		}
		m.current[p.App+"/"+region] = v
	}
	return rings.PromotionResult{Commit: commit}, nil
}

// PromoteBatch implements BatchPromoter one promotion at a time.
func (m *MemPromoter) PromoteBatch(ctx context.Context, ps []rings.Promotion, check func(context.Context) error) []PromotionOutcome {
	if m.PromoteBatchFn != nil {
		return m.PromoteBatchFn(ctx, ps, check)
	}
	return PromoteEach(ctx, m, ps, check)
}

// FindLanded implements LandedFinder.
func (m *MemPromoter) FindLanded(_ context.Context, promotionIDs []string) (map[string]string, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	landed := map[string]string{}
	for _, l := range m.landed {
		if slices.Contains(promotionIDs, l.PromotionID) {
			landed[l.PromotionID] = l.Commit
		}
	}
	return landed, nil
}

var _ Promoter = (*MemPromoter)(nil)

// Landed returns the promotions committed so far, in order.
func (m *MemPromoter) Landed() []LandedPromotion {
	m.mu.Lock()
	defer m.mu.Unlock()
	return slices.Clone(m.landed)
}

// MemHealth answers health queries from a table of regions. A region not in
// the table is synced and healthy unless Strict is set, in which case it is
// left out of the answer (and so fails closed).
type MemHealth struct {
	// ObserveFn, when set, replaces the default behaviour entirely.
	ObserveFn func(ctx context.Context, q rings.HealthQuery) ([]rings.RegionHealth, error)
	// Strict leaves regions without an entry out of the answer.
	Strict bool

	mu      sync.Mutex
	regions map[string]rings.RegionHealth
	err     error
	queries []rings.HealthQuery
}

// Set fixes the evidence returned for one region.
func (m *MemHealth) Set(h rings.RegionHealth) {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.regions == nil {
		m.regions = map[string]rings.RegionHealth{}
	}
	m.regions[h.Region] = h
}

// Fail makes every query fail with err (nil to heal).
func (m *MemHealth) Fail(err error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.err = err
}

// Queries returns the queries received so far.
func (m *MemHealth) Queries() []rings.HealthQuery {
	m.mu.Lock()
	defer m.mu.Unlock()
	return slices.Clone(m.queries)
}

// Observe implements HealthSource.
func (m *MemHealth) Observe(ctx context.Context, q rings.HealthQuery) ([]rings.RegionHealth, error) {
	if m.ObserveFn != nil {
		return m.ObserveFn(ctx, q)
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	m.queries = append(m.queries, q)
	if m.err != nil {
		return nil, m.err
	}
	var out []rings.RegionHealth
	for _, t := range q.Regions {
		h, ok := m.regions[t.Region]
		switch {
		case ok:
			h.Checks = slices.Clone(h.Checks)
			out = append(out, h)
		case !m.Strict:
			out = append(out, rings.RegionHealth{Region: t.Region, Synced: true, Healthy: true})
		}
	}
	return out, nil
}

// MemFence keeps the last halt set written to it.
type MemFence struct {
	// WriteHaltsFn, when set, replaces the default behaviour entirely.
	WriteHaltsFn func(ctx context.Context, active []rings.Halt) error

	mu     sync.Mutex
	halts  []rings.Halt
	writes int
	err    error
}

// WriteHalts implements HaltFence.
func (m *MemFence) WriteHalts(ctx context.Context, active []rings.Halt) error {
	if m.WriteHaltsFn != nil {
		return m.WriteHaltsFn(ctx, active)
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.err != nil {
		return m.err
	}
	m.halts = slices.Clone(active)
	m.writes++
	return nil
}

// Fail makes every write fail with err (nil to heal).
func (m *MemFence) Fail(err error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.err = err
}

// Halts returns the halt IDs last written and how many writes succeeded.
func (m *MemFence) Halts() (ids []string, writes int) {
	m.mu.Lock()
	defer m.mu.Unlock()
	for _, h := range m.halts {
		ids = append(ids, h.ID)
	}
	return ids, m.writes
}

// ManualClock is a Clock that moves only when told.
type ManualClock struct {
	mu  sync.Mutex
	now time.Time
}

// NewManualClock returns a clock stopped at t.
func NewManualClock(t time.Time) *ManualClock { return &ManualClock{now: t} }

// Now implements Clock.
func (c *ManualClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

// Advance moves the clock forward by d.
func (c *ManualClock) Advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.now = c.now.Add(d)
}

// Set moves the clock to t.
func (c *ManualClock) Set(t time.Time) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.now = t
}
