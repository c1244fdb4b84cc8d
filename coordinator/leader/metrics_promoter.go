package coordinator

import (
	"context"
	"errors"
	"time"
)

// InstrumentPromoter wraps p so that every promotion and rollback it
// writes is recorded with Metrics.ObservePush: duration, outcome (landed,
// already-landed, fenced, failed). Retries are not visible through the
// Promoter interface; a writer that counts its attempts calls ObservePush
// itself instead. A nil m returns p unchanged.
func InstrumentPromoter(p Promoter, m *Metrics) Promoter {
	if m == nil || p == nil {
		return p
	}
	return &instrumentedPromoter{next: p, m: m}
}

type instrumentedPromoter struct {
	next Promoter
	m    *Metrics
}

// Promote implements Promoter.
func (ip *instrumentedPromoter) Promote(ctx context.Context, p Promotion) (PromotionResult, error) {
	start := time.Now()
	res, err := ip.next.Promote(ctx, p)
	ip.m.ObservePush(time.Since(start), 0, PushOutcome(res, err))
	return res, err
}

// PushOutcome classifies a Promoter's answer for ObservePush.
func PushOutcome(res PromotionResult, err error) string {
	switch {
	case errors.Is(err, ErrFenced):
		return PushFenced
	case errors.Is(err, ErrNeedsHuman):
		return PushNeedsHuman
	case err != nil:
		return PushFailed
	case res.AlreadyLanded:
		return PushAlreadyLanded
	default:
		return PushLanded
	}
}
