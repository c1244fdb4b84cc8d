package leader

import (
	"context"
	"time"

	"github.com/ringleader-dev/ringleader/rings"
)

// Notifier hears about the replicated state while this node leads, so that
// only the leader tells people what happened (internal/notify's Watcher
// implements it). The loop calls Observe after every pass with a copy of
// the state; first is true on the first call after gaining leadership, so
// the notifier can tell what an earlier leader already told from what is
// new. Observe must return at once: it queues, it never sends inline.
type Notifier interface {
	Observe(s *rings.State, now time.Time, first bool)
}

// notifyState hands the state after a pass to the Notifier, unless
// leadership went meanwhile (a deposed leader tells nothing more).
func (l *Loop) notifyState(ctx context.Context) {
	if l.cfg.Notifier == nil || ctx.Err() != nil {
		return
	}
	snap := l.cfg.Store.View()
	l.mu.Lock()
	first := !l.notified
	l.notified = true
	l.mu.Unlock()
	l.cfg.Notifier.Observe(&snap.State, l.cfg.Clock.Now(), first)
}
