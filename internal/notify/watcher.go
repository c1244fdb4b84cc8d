package notify

import (
	"sync"
	"time"

	"github.com/ringleader-dev/ringleader/rings"
)

// DefaultReplay is how far back a new leader looks for events the previous
// leader may not have sent.
const DefaultReplay = 30 * time.Second

// Watcher turns successive states seen by the leader into events, each
// event once per leadership term. The leader loop calls Observe after every
// pass; first is true on the first call of a term. On that first call the
// events that happened more than Replay before now are taken as already
// told (by this node or an earlier leader) and only the recent ones are
// sent: after a failover at most the last Replay of events is sent twice,
// never the whole history. Receivers drop duplicates by Event.ID.
type Watcher struct {
	enqueue func(Event)
	replay  time.Duration

	mu   sync.Mutex
	seen map[string]struct{}
}

// NewWatcher returns a watcher that hands new events to enqueue (which must
// not block; Dispatcher.Enqueue does not). replay ≤ 0 means DefaultReplay.
func NewWatcher(enqueue func(Event), replay time.Duration) *Watcher {
	if replay <= 0 {
		replay = DefaultReplay
	}
	return &Watcher{enqueue: enqueue, replay: replay, seen: map[string]struct{}{}}
}

// Observe derives the events of s and enqueues those not yet told in this
// term. It returns at once; nothing is sent inline.
func (w *Watcher) Observe(s *rings.State, now time.Time, first bool) {
	evs := Events(s)
	w.mu.Lock()
	var fresh []Event
	if first {
		w.seen = make(map[string]struct{}, len(evs))
	}
	cutoff := now.Add(-w.replay)
	for _, ev := range evs {
		if _, ok := w.seen[ev.ID]; ok {
			continue
		}
		w.seen[ev.ID] = struct{}{}
		if first && ev.At.Before(cutoff) {
			continue // told before this term (or too old to matter)
		}
		fresh = append(fresh, ev)
	}
	w.mu.Unlock()
	for _, ev := range fresh {
		w.enqueue(ev)
	}
}
