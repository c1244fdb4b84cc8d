package metrics

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/ringleader-dev/ringleader/coordinator/leader"
	"github.com/ringleader-dev/ringleader/rings"
)

// A batch answered with two commits (three promotions and one), one
// already landed and one failed: two commits observed, four promotions
// in them, an outcome per promotion.
func TestObserveBatchCountsCommitsAndPromotionsPerCommit(t *testing.T) {
	t.Parallel()
	reg := prometheus.NewRegistry()
	m, err := NewMetrics(reg)
	if err != nil {
		t.Fatal(err)
	}
	answer := []leader.PromotionOutcome{
		{PromotionResult: rings.PromotionResult{Commit: "c1"}},
		{PromotionResult: rings.PromotionResult{Commit: "c1"}},
		{PromotionResult: rings.PromotionResult{Commit: "c2"}},
		{PromotionResult: rings.PromotionResult{Commit: "c1"}},
		{PromotionResult: rings.PromotionResult{Commit: "c0", AlreadyLanded: true}},
		{Err: errors.New("push: connection refused")},
	}
	p := InstrumentPromoter(&leader.MemPromoter{PromoteBatchFn: func(context.Context, []rings.Promotion, func(context.Context) error) []leader.PromotionOutcome {
		return answer
	}}, m)
	p.PromoteBatch(context.Background(), make([]rings.Promotion, len(answer)), nil)
	m.ObserveBatch(time.Second, nil, nil) // nothing: no commit
	var sum float64
	fams, err := reg.Gather()
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range fams {
		if f.GetName() == "ringleader_gitops_promotions_per_commit" {
			sum = f.GetMetric()[0].GetHistogram().GetSampleSum()
		}
	}
	pushes := gathered(t, reg, "ringleader_gitops_push_duration_seconds")
	cases := []struct {
		name      string
		got, want float64
	}{
		{"commits", gathered(t, reg, "ringleader_gitops_promotions_per_commit")[""], 2},
		{"promotions in them", sum, 4},
		{"landed outcomes", pushes[`outcome="landed"`], 4},
		{"already landed", pushes[`outcome="already-landed"`], 1},
		{"failed", pushes[`outcome="failed"`], 1},
	}
	for _, tc := range cases {
		if tc.got != tc.want {
			t.Errorf("%s = %v; want %v", tc.name, tc.got, tc.want)
		}
	}
}
