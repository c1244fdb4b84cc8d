package leader

import (
	"context"
	"time"

	"github.com/ringleader-dev/ringleader/rings"
)

// The interfaces below are what the leader loop needs from the world. They
// are declared here, by their consumer; cmd/ringd wires in the real ones
// (internal/gitops, regions/…) and tests use in-memory ones.

// Promoter writes promotions to the GitOps repository, exactly once per
// PromotionID, alone (Promote) or together (PromoteBatch), and reads back
// what is there: whether a promotion already landed, and each region's
// baseline. Every part is required; a wrapper (metrics.InstrumentPromoter)
// passes all of them on.
type Promoter interface {
	Promote(ctx context.Context, p rings.Promotion) (rings.PromotionResult, error)
	BatchPromoter
	LandedFinder
	BaselineReader
}

// LandedFinder tells which promotions already landed (a commit carrying
// the promotion ID is on the branch): a new leader finds there what an
// earlier leader pushed but did not get to record, and records it without
// asking the pre-promotion gate again (a refusal then would only delay
// recording a fact). One call answers for every promotion of a pass, so
// the branch is fetched once: the answer maps each landed ID to its
// commit; an ID not on the branch is absent.
type LandedFinder interface {
	FindLanded(ctx context.Context, promotionIDs []string) (landed map[string]string, err error)
}

// HaltFence mirrors the active halts into the GitOps repository, so that a
// promotion prepared before a halt is rejected by the Git server.
type HaltFence interface {
	WriteHalts(ctx context.Context, active []rings.Halt) error
}

// HealthSource reports evidence about regions. An error or missing region
// counts as failing evidence (fail closed).
type HealthSource interface {
	Observe(ctx context.Context, q rings.HealthQuery) ([]rings.RegionHealth, error)
}

// Clock is the leader loop's source of time.
type Clock interface {
	Now() time.Time
}
