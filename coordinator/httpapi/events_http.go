package httpapi

import (
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"time"
)

// ServeHTTP answers GET /v1/events with a text/event-stream:
//
//	retry: 2000
//	: connected
//
//	id: 42
//	event: halt.place
//	data: {"id":42,"type":"halt.place","haltId":"halt-1a2b3c4d",...}
//
//	: heartbeat
//
// The resume point is the Last-Event-ID header, or ?lastEventId=N for
// clients that cannot set headers. When events after it were already
// forgotten the stream starts with a "reset" event: re-read /v1/status.
// The stream ends when the client goes, when it falls behind (its queue
// filled up; reconnect with Last-Event-ID), or when the node shuts down.
func (b *Broker) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	flusher, ok := w.(http.Flusher)
	if !ok {
		writeError(w, http.StatusInternalServerError, errors.New("event stream: the server's response writer cannot flush; serve /v1/events without buffering middleware"))
		return
	}
	lastID, err := lastEventID(r)
	if err != nil {
		writeError(w, http.StatusBadRequest, err)
		return
	}
	sub, replay, complete, err := b.Subscribe(lastID)
	if err != nil {
		writeError(w, http.StatusServiceUnavailable, err)
		return
	}
	defer sub.Close()

	h := w.Header()
	h.Set("Content-Type", "text/event-stream")
	h.Set("Cache-Control", "no-cache")
	h.Set("Connection", "keep-alive")
	h.Set("X-Accel-Buffering", "no") // nginx: do not buffer the stream
	w.WriteHeader(http.StatusOK)
	// No write deadline for this long-lived response (the server's
	// WriteTimeout, if any, would cut it).
	_ = http.NewResponseController(w).SetWriteDeadline(time.Time{})

	if _, err := fmt.Fprint(w, "retry: 2000\n: connected\n\n"); err != nil {
		return
	}
	if !complete {
		if writeEvent(w, Event{ID: lastID, Type: EventReset, Summary: "events after the resume point were forgotten: re-read the state"}) != nil {
			return
		}
	}
	for _, ev := range replay {
		if writeEvent(w, ev) != nil {
			return
		}
	}
	flusher.Flush()

	beat := time.NewTicker(b.cfg.Heartbeat)
	defer beat.Stop()
	for {
		select {
		case <-r.Context().Done():
			return
		case ev, open := <-sub.C:
			if !open {
				return // dropped for falling behind, or the broker closed
			}
			if writeEvent(w, ev) != nil {
				return
			}
			// Send whatever else is already queued before flushing.
			for n := len(sub.C); n > 0; n-- {
				ev, open := <-sub.C
				if !open || writeEvent(w, ev) != nil {
					flusher.Flush()
					return
				}
			}
			flusher.Flush()
		case <-beat.C:
			if _, err := fmt.Fprint(w, ": heartbeat\n\n"); err != nil {
				return
			}
			flusher.Flush()
		}
	}
}

// writeEvent writes one event in the text/event-stream format. JSON has
// no raw newlines, so data is one line.
func writeEvent(w http.ResponseWriter, ev Event) error {
	data, err := json.Marshal(ev)
	if err != nil {
		return fmt.Errorf("encode event %d: %w", ev.ID, err)
	}
	_, err = fmt.Fprintf(w, "id: %d\nevent: %s\ndata: %s\n\n", ev.ID, ev.Type, data)
	return err
}

// lastEventID reads the resume point: the Last-Event-ID header, or the
// lastEventId query parameter; 0 when neither is set.
func lastEventID(r *http.Request) (uint64, error) {
	v := strings.TrimSpace(r.Header.Get("Last-Event-ID"))
	if v == "" {
		v = r.URL.Query().Get("lastEventId")
	}
	if v == "" {
		return 0, nil
	}
	id, err := strconv.ParseUint(v, 10, 64)
	if err != nil {
		return 0, fmt.Errorf("%w: Last-Event-ID %q is not an event ID: send the id of the last event received, or nothing", errBadRequest, v)
	}
	return id, nil
}
