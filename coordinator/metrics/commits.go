package metrics

import (
	"context"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/ringleader-dev/ringleader/coordinator/leader"
	"github.com/ringleader-dev/ringleader/rings"
)

// newPerCommit is ringleader_gitops_promotions_per_commit: one observation
// per promotion commit pushed, of how many promotions it carries (its
// _count is the number of commits, its _sum the promotions they carry).
func newPerCommit() prometheus.Histogram {
	return prometheus.NewHistogram(prometheus.HistogramOpts{
		Name:    "ringleader_gitops_promotions_per_commit",
		Help:    "Promotion commits pushed, by how many promotions each carries (a batch commit carries several).",
		Buckets: []float64{1, 2, 5, 10, 25, 50, 100, 250, 500, 1000},
	})
}

// ObserveCommit records one promotion commit pushed with n promotions.
func (m *Metrics) ObserveCommit(n int) {
	if m == nil || n <= 0 {
		return
	}
	m.perCommit.Observe(float64(n))
}

// ObserveBatch records a batch's answer: ObservePush for every outcome
// (with the batch's duration: each waited that long; retries[i] pushes
// beyond the first, nil when unknown) and ObserveCommit for every distinct
// commit it pushed.
func (m *Metrics) ObserveBatch(took time.Duration, outs []leader.PromotionOutcome, retries []int) {
	if m == nil {
		return
	}
	perCommit := map[string]int{}
	for i, o := range outs {
		r := 0
		if i < len(retries) {
			r = retries[i]
		}
		m.ObservePush(took, r, PushOutcome(o.PromotionResult, o.Err))
		if o.Err == nil && !o.AlreadyLanded && o.Commit != "" {
			perCommit[o.Commit]++
		}
	}
	for _, n := range perCommit {
		m.ObserveCommit(n)
	}
}

// PromoteBatch implements leader.BatchPromoter and records the answer
// with ObserveBatch.
func (ip *instrumentedPromoter) PromoteBatch(ctx context.Context, ps []rings.Promotion, check func(context.Context) error) []leader.PromotionOutcome {
	start := time.Now()
	outs := ip.next.PromoteBatch(ctx, ps, check)
	ip.m.ObserveBatch(time.Since(start), outs, nil)
	return outs
}
