package store

import (
	"errors"

	"github.com/ringleader-dev/ringleader/coordinator/command"
	"github.com/ringleader-dev/ringleader/rings"
)

// requestLog remembers the outcome of the last max RequestIDs: a ring
// buffer for the order plus a map for lookup. It is part of the replicated
// state (snapshots carry it), so every node forgets the same IDs at the same
// index.
type requestLog struct {
	max   int
	order []string // ring buffer of IDs, oldest at next once full
	next  int
	byID  map[string]outcome
}

func newRequestLog(max int) *requestLog {
	return &requestLog{max: max, order: make([]string, 0, min(max, 1024)), byID: map[string]outcome{}}
}

// requestEntry is one remembered request in a snapshot, oldest first.
type requestEntry struct {
	RequestID string  `json:"requestId"`
	Outcome   outcome `json:"outcome"`
}

// outcome is the first result of a request, kept in a form that survives a
// snapshot: the error is stored as its kind and message.
type outcome struct {
	ID      string `json:"id,omitempty"`
	Index   uint64 `json:"index"`
	ErrKind string `json:"errKind,omitempty"`
	ErrMsg  string `json:"err,omitempty"`
}

// Error kinds stored in an outcome.
const (
	errKindNotFound   = "not-found"  // ErrNotFound + rings.ErrNotFound
	errKindConflict   = "conflict"   // ErrConflict + rings.ErrConflict
	errKindTransition = "transition" // ErrInvalid + rings.ErrTransition
	errKindInvalid    = "invalid"    // ErrInvalid only
)

func newOutcome(id string, index uint64, err error) outcome {
	o := outcome{ID: id, Index: index}
	if err == nil {
		return o
	}
	o.ErrMsg = err.Error()
	switch {
	case errors.Is(err, command.ErrNotFound):
		o.ErrKind = errKindNotFound
	case errors.Is(err, command.ErrConflict):
		o.ErrKind = errKindConflict
	case errors.Is(err, rings.ErrTransition):
		o.ErrKind = errKindTransition
	default:
		o.ErrKind = errKindInvalid
	}
	return o
}

func (o outcome) result() ApplyResult { return ApplyResult{ID: o.ID, Index: o.Index} }

// err rebuilds the first error: same message, same sentinels.
func (o outcome) err() error {
	var kind, cause error
	switch o.ErrKind {
	case "":
		return nil
	case errKindNotFound:
		kind, cause = command.ErrNotFound, rings.ErrNotFound
	case errKindConflict:
		kind, cause = command.ErrConflict, rings.ErrConflict
	case errKindTransition:
		kind, cause = command.ErrInvalid, rings.ErrTransition
	default:
		kind = command.ErrInvalid
	}
	return &stateError{kind: kind, cause: &remembered{msg: o.ErrMsg, sentinel: cause}}
}

// get returns the remembered outcome of id.
func (l *requestLog) get(id string) (outcome, bool) {
	o, ok := l.byID[id]
	return o, ok
}

// add remembers id, forgetting the oldest ID once max are held. Adding an
// ID already held changes nothing.
func (l *requestLog) add(id string, o outcome) {
	if l.max <= 0 {
		return
	}
	if _, ok := l.byID[id]; ok {
		return
	}
	if len(l.order) < l.max {
		l.order = append(l.order, id)
	} else {
		delete(l.byID, l.order[l.next])
		l.order[l.next] = id
		l.next = (l.next + 1) % l.max
	}
	l.byID[id] = o
}

// entries lists the remembered requests, oldest first.
func (l *requestLog) entries() []requestEntry {
	out := make([]requestEntry, 0, len(l.order))
	for i := range l.order {
		id := l.order[(l.next+i)%len(l.order)]
		out = append(out, requestEntry{RequestID: id, Outcome: l.byID[id]})
	}
	return out
}
