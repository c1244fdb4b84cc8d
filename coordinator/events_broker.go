package coordinator

import (
	"errors"
	"sync"
	"sync/atomic"
	"time"

	"github.com/ringleader-dev/ringleader/coordinator/store"
)

// ErrBrokerClosed is returned by Subscribe after Close: the node is
// shutting down; reconnect to another node.
var ErrBrokerClosed = errors.New("event broker closed: the node is shutting down")

// BrokerConfig configures the event broker.
type BrokerConfig struct {
	// History is how many recent events are kept for Last-Event-ID
	// resumption (default 512).
	History int
	// Buffer is each subscriber's queue; a subscriber whose queue is full
	// is dropped rather than slowing the publisher (default 256).
	Buffer int
	// Heartbeat is the interval of the comment lines that keep idle
	// streams (and the proxies between) alive (default 15 s).
	Heartbeat time.Duration
}

// Validate fills in defaults.
func (c *BrokerConfig) Validate() error {
	if c.History < 0 || c.Buffer < 0 || c.Heartbeat < 0 {
		return errors.New("broker config: History, Buffer and Heartbeat must not be negative")
	}
	if c.History == 0 {
		c.History = 512
	}
	if c.Buffer == 0 {
		c.Buffer = 256
	}
	if c.Heartbeat == 0 {
		c.Heartbeat = 15 * time.Second
	}
	return nil
}

// Broker fans applied-command events out to subscribers. Publish never
// blocks: each subscriber has a bounded queue, and one that falls behind is
// dropped (its stream ends; the client reconnects with Last-Event-ID and
// catches up from the history). The history is a ring buffer of the last
// History events.
type Broker struct {
	cfg BrokerConfig

	mu      sync.Mutex
	history []Event // ring buffer, len <= cfg.History
	next    int     // where the next event goes once history is full
	subs    map[*Subscription]struct{}
	closed  bool

	dropped   atomic.Int64
	published atomic.Int64
}

// Subscription is one subscriber's queue.
type Subscription struct {
	// C delivers events in order. It is closed when the subscriber was
	// dropped for falling behind, or the broker closed.
	C       chan Event
	b       *Broker
	dropped atomic.Bool
}

// Dropped reports whether the subscription ended because it fell behind.
func (s *Subscription) Dropped() bool { return s.dropped.Load() }

// Close ends the subscription. Safe to call more than once.
func (s *Subscription) Close() { s.b.remove(s, false) }

// NewBroker returns a broker ready for Publish and Subscribe.
func NewBroker(cfg BrokerConfig) (*Broker, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	return &Broker{cfg: cfg, subs: map[*Subscription]struct{}{}}, nil
}

// Heartbeat is the configured heartbeat interval.
func (b *Broker) Heartbeat() time.Duration { return b.cfg.Heartbeat }

// ObserveApplied is an ApplyObserver: it publishes every command that
// changed the state (refused commands change nothing and are not sent).
func (b *Broker) ObserveApplied(ac store.AppliedCommand) {
	if ac.Err != nil {
		return
	}
	b.Publish(EventFor(ac))
}

// Publish records ev in the history and queues it for every subscriber,
// dropping subscribers whose queue is full. It never blocks.
func (b *Broker) Publish(ev Event) {
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.closed {
		return
	}
	b.published.Add(1)
	if len(b.history) < b.cfg.History {
		b.history = append(b.history, ev)
	} else {
		b.history[b.next] = ev
		b.next = (b.next + 1) % len(b.history)
	}
	for s := range b.subs {
		select {
		case s.C <- ev:
		default:
			s.dropped.Store(true)
			b.dropped.Add(1)
			delete(b.subs, s)
			close(s.C)
		}
	}
}

// Subscribe starts a subscription. With lastID > 0 it also returns the
// events after lastID still in the history; complete is false when some
// events after lastID were already forgotten (the client must re-read the
// state). Replay and subscription happen under one lock, so no event falls
// between them.
func (b *Broker) Subscribe(lastID uint64) (sub *Subscription, replay []Event, complete bool, err error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.closed {
		return nil, nil, false, ErrBrokerClosed
	}
	complete = true
	if lastID > 0 {
		ordered := b.ordered()
		switch {
		case len(ordered) == 0:
			// Nothing published since this node started: the client may be
			// ahead or behind; only a re-read can tell.
			complete = false
		case ordered[0].ID > lastID+1:
			complete = false
		}
		for _, ev := range ordered {
			if ev.ID > lastID {
				replay = append(replay, ev)
			}
		}
		if !complete {
			replay = nil
		}
	}
	sub = &Subscription{C: make(chan Event, b.cfg.Buffer), b: b}
	b.subs[sub] = struct{}{}
	return sub, replay, complete, nil
}

// ordered returns the history oldest first. Called with b.mu held.
func (b *Broker) ordered() []Event {
	out := make([]Event, 0, len(b.history))
	out = append(out, b.history[b.next:]...)
	return append(out, b.history[:b.next]...)
}

// remove ends a subscription.
func (b *Broker) remove(s *Subscription, dropped bool) {
	b.mu.Lock()
	defer b.mu.Unlock()
	if _, ok := b.subs[s]; !ok {
		return
	}
	if dropped {
		s.dropped.Store(true)
	}
	delete(b.subs, s)
	close(s.C)
}

// Subscribers is the number of open subscriptions.
func (b *Broker) Subscribers() int {
	b.mu.Lock()
	defer b.mu.Unlock()
	return len(b.subs)
}

// Dropped is how many subscribers were dropped for falling behind.
func (b *Broker) Dropped() int64 { return b.dropped.Load() }

// Published is how many events were published.
func (b *Broker) Published() int64 { return b.published.Load() }

// Close ends every subscription and refuses new ones. Streams return at
// once, so an HTTP server's graceful shutdown is not held up by them.
func (b *Broker) Close() {
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.closed {
		return
	}
	b.closed = true
	for s := range b.subs {
		delete(b.subs, s)
		close(s.C)
	}
}
