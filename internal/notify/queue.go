package notify

import "sync"

// queue is a bounded FIFO that never blocks the producer: when full, push
// drops the oldest event and counts it. ready has room for one signal, so
// a push wakes a waiting consumer without ever waiting itself.
type queue struct {
	mu      sync.Mutex
	buf     []Event
	cap     int
	dropped int64
	ready   chan struct{}
}

func newQueue(capacity int) *queue {
	return &queue{cap: capacity, buf: make([]Event, 0, capacity), ready: make(chan struct{}, 1)}
}

// push appends ev, dropping the oldest when full; it reports whether one
// was dropped.
func (q *queue) push(ev Event) bool {
	q.mu.Lock()
	dropped := false
	if len(q.buf) >= q.cap {
		q.buf = append(q.buf[:0], q.buf[1:]...)
		q.dropped++
		dropped = true
	}
	q.buf = append(q.buf, ev)
	q.mu.Unlock()
	select {
	case q.ready <- struct{}{}:
	default:
	}
	return dropped
}

// pop removes the oldest event, if any.
func (q *queue) pop() (Event, bool) {
	q.mu.Lock()
	defer q.mu.Unlock()
	if len(q.buf) == 0 {
		return Event{}, false
	}
	ev := q.buf[0]
	q.buf = append(q.buf[:0], q.buf[1:]...)
	return ev, true
}

func (q *queue) len() int {
	q.mu.Lock()
	defer q.mu.Unlock()
	return len(q.buf)
}

func (q *queue) drops() int64 {
	q.mu.Lock()
	defer q.mu.Unlock()
	return q.dropped
}
