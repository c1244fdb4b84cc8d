package httpapi

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/ringleader-dev/ringleader/coordinator/apiclient"
	"github.com/ringleader-dev/ringleader/coordinator/command"
	"github.com/ringleader-dev/ringleader/coordinator/coordtest"
	"github.com/ringleader-dev/ringleader/coordinator/store"
	"github.com/ringleader-dev/ringleader/internal/poll"
)

// opsNode is a real node with the event stream mounted on its API,
// served over real TCP.
type opsNode struct {
	*coordtest.NodeServer
	broker *Broker
}

// startOpsNode starts node id in dir (bootstrapping when bootstrap is set)
// with a broker configured by bcfg.
func startOpsNode(t *testing.T, id, dir string, bootstrap bool, bcfg BrokerConfig) *opsNode {
	t.Helper()
	b, err := NewBroker(bcfg)
	if err != nil {
		t.Fatal(err)
	}
	n, _ := startNodeAPI(t, id, dir, bootstrap, func(n *store.Node, c *APIConfig) {
		n.OnApply(b.ObserveApplied)
		c.Events = b
	})
	n.Srv.Config.RegisterOnShutdown(b.Close)
	t.Cleanup(b.Close)
	return &opsNode{NodeServer: n, broker: b}
}

// sseStream reads server-sent events from a response.
type sseStream struct {
	resp   *http.Response
	r      *bufio.Reader
	cancel context.CancelFunc
}

// sseMessage is one parsed block: its fields, and the comment lines seen.
type sseMessage struct {
	ID, Event, Data string
	Comments        []string
}

func openStream(t *testing.T, url string, hdr ...string) *sseStream {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	resp, err := http.DefaultClient.Do(coordtest.NewRequest(t, ctx, http.MethodGet, url, "", hdr...))
	if err != nil {
		cancel()
		t.Fatal(err)
	}
	s := &sseStream{resp: resp, r: bufio.NewReader(resp.Body), cancel: cancel}
	t.Cleanup(s.close)
	return s
}

func (s *sseStream) close() { s.cancel(); s.resp.Body.Close() }

// next reads the next block (up to the blank line), failing after 10 s.
func (s *sseStream) next(t *testing.T) (sseMessage, error) {
	t.Helper()
	type result struct {
		m   sseMessage
		err error
	}
	ch := make(chan result, 1)
	go func() {
		var m sseMessage
		for {
			line, err := s.r.ReadString('\n')
			if err != nil {
				ch <- result{m, err}
				return
			}
			line = strings.TrimRight(line, "\n")
			switch {
			case line == "":
				if m.ID != "" || m.Event != "" || m.Data != "" || len(m.Comments) > 0 {
					ch <- result{m, nil}
					return
				}
			case strings.HasPrefix(line, ":"):
				m.Comments = append(m.Comments, strings.TrimSpace(line[1:]))
			case strings.HasPrefix(line, "id: "):
				m.ID = line[4:]
			case strings.HasPrefix(line, "event: "):
				m.Event = line[7:]
			case strings.HasPrefix(line, "data: "):
				m.Data = line[6:]
			}
		}
	}()
	select {
	case r := <-ch:
		return r.m, r.err
	case <-time.After(10 * time.Second):
		t.Fatal("no server-sent event within 10s")
		return sseMessage{}, nil
	}
}

// nextEvent skips comment-only blocks and returns the next event of type typ.
func (s *sseStream) nextEvent(t *testing.T, typ command.Type) Event {
	t.Helper()
	for {
		m, err := s.next(t)
		if err != nil {
			t.Fatalf("stream ended before a %s event: %v", typ, err)
		}
		if m.Event != string(typ) {
			continue
		}
		var ev Event
		if err := json.Unmarshal([]byte(m.Data), &ev); err != nil {
			t.Fatalf("event data %q: %v", m.Data, err)
		}
		if fmt.Sprint(ev.ID) != m.ID {
			t.Fatalf("id line %q differs from the event's id %d", m.ID, ev.ID)
		}
		return ev
	}
}

func TestEventStreamDeliversAppliedCommandsAndResumes(t *testing.T) {
	on := startOpsNode(t, "n1", t.TempDir(), true, BrokerConfig{})
	poll.Until(t, coordtest.Wait, "n1 to lead", on.Node.IsLeader)
	s := openStream(t, on.URL+"/v1/events")
	if ct := s.resp.Header.Get("Content-Type"); s.resp.StatusCode != 200 || ct != "text/event-stream" {
		t.Fatalf("GET /v1/events: %d %q; want 200 text/event-stream", s.resp.StatusCode, ct)
	}
	if m, _ := s.next(t); len(m.Comments) == 0 || m.Comments[0] != "connected" {
		t.Fatalf("first block %+v; want the connected comment", m)
	}

	halt := coordtest.DecodeAs[apiclient.HaltResponse](t, coordtest.PostUntil(t, on.URL, "/v1/halts", `{"global":true,"reason":"incident 7"}`, 201))
	ev := s.nextEvent(t, command.CmdPlaceHalt)
	if ev.HaltID != halt.ID || ev.Actor != "anonymous" || !strings.Contains(ev.Summary, "incident 7") {
		t.Fatalf("halt event %+v; want halt %s by anonymous with the reason", ev, halt.ID)
	}
	coordtest.PostUntil(t, on.URL, "/v1/halts/"+halt.ID+"/resume", `{"reason":"over"}`, 200)
	resumed := s.nextEvent(t, command.CmdResumeHalt)

	// A client that saw the halt event reconnects and gets the resume.
	again := openStream(t, on.URL+"/v1/events", "Last-Event-ID", fmt.Sprint(ev.ID))
	if got := again.nextEvent(t, command.CmdResumeHalt); got.ID != resumed.ID {
		t.Fatalf("resumed stream replayed event %d; want %d", got.ID, resumed.ID)
	}
	// The same through the query parameter.
	viaQuery := openStream(t, fmt.Sprintf("%s/v1/events?lastEventId=%d", on.URL, ev.ID))
	if got := viaQuery.nextEvent(t, command.CmdResumeHalt); got.ID != resumed.ID {
		t.Fatalf("stream resumed by query replayed %d; want %d", got.ID, resumed.ID)
	}
}

func TestEventStreamSaysResetWhenItCannotResume(t *testing.T) {
	on := startOpsNode(t, "n1", t.TempDir(), true, BrokerConfig{History: 2})
	poll.Until(t, coordtest.Wait, "n1 to lead", on.Node.IsLeader)
	for i := range 4 {
		coordtest.PostUntil(t, on.URL, "/v1/halts", fmt.Sprintf(`{"global":true,"reason":"r%d"}`, i), 201)
	}
	s := openStream(t, on.URL+"/v1/events", "Last-Event-ID", "1")
	ev := s.nextEvent(t, EventReset)
	if ev.ID != 1 {
		t.Fatalf("reset event id %d; want the resume point 1", ev.ID)
	}
}

func TestEventStreamRejectsABadLastEventID(t *testing.T) {
	on := startOpsNode(t, "n1", t.TempDir(), true, BrokerConfig{})
	code, body, _ := coordtest.Call(t, on.URL, http.MethodGet, "/v1/events", "", "Last-Event-ID", "yesterday")
	if code != http.StatusBadRequest || !strings.Contains(string(body), "not an event ID") {
		t.Fatalf("bad Last-Event-ID: %d %s; want 400 naming the problem", code, body)
	}
}

func TestEventStreamHeartbeatsAndEndsOnShutdown(t *testing.T) {
	on := startOpsNode(t, "n1", t.TempDir(), true, BrokerConfig{Heartbeat: 20 * time.Millisecond})
	s := openStream(t, on.URL+"/v1/events")
	_, _ = s.next(t) // connected
	m, err := s.next(t)
	if err != nil || len(m.Comments) != 1 || m.Comments[0] != "heartbeat" {
		t.Fatalf("second block %+v (%v); want a heartbeat comment", m, err)
	}
	// Graceful shutdown closes the broker first, so it does not wait for
	// the stream.
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	start := time.Now()
	if err := on.Srv.Config.Shutdown(ctx); err != nil {
		t.Fatalf("server shutdown with an open stream: %v", err)
	}
	for {
		if _, err := s.next(t); err != nil {
			break
		}
	}
	if took := time.Since(start); took > 2*time.Second {
		t.Fatalf("shutdown took %s with an open stream; want it to end the stream at once", took)
	}
}

// TestEventStreamOnEveryNode: followers publish what they apply too.
func TestEventStreamOnEveryNode(t *testing.T) {
	if testing.Short() {
		t.Skip("starts a 3-node cluster")
	}
	root := t.TempDir()
	nodes := []*opsNode{startOpsNode(t, "n1", filepath.Join(root, "n1"), true, BrokerConfig{})}
	poll.Until(t, coordtest.Wait, "n1 to lead", nodes[0].Node.IsLeader)
	for _, id := range []string{"n2", "n3"} {
		on := startOpsNode(t, id, filepath.Join(root, id), false, BrokerConfig{})
		nodes = append(nodes, on)
		if err := nodes[0].Node.Join(id, on.Node.RaftAddr(), strings.TrimPrefix(on.URL, "http://")); err != nil {
			t.Fatalf("join %s: %v", id, err)
		}
	}
	var streams []*sseStream
	for _, on := range nodes {
		streams = append(streams, openStream(t, on.URL+"/v1/events"))
	}
	start := time.Now()
	halt := coordtest.DecodeAs[apiclient.HaltResponse](t, coordtest.PostUntil(t, nodes[2].URL, "/v1/halts", `{"global":true,"reason":"all nodes"}`, 201))
	acked := time.Since(start)
	var ids []uint64
	for i, s := range streams {
		ev := s.nextEvent(t, command.CmdPlaceHalt)
		if ev.HaltID != halt.ID {
			t.Fatalf("node %d streamed halt %s; want %s", i+1, ev.HaltID, halt.ID)
		}
		ids = append(ids, ev.ID)
		t.Logf("n%d streamed the halt %s after the POST through a follower started (acknowledged after %s)",
			i+1, time.Since(start).Round(10*time.Microsecond), acked.Round(10*time.Microsecond))
	}
	if ids[0] != ids[1] || ids[1] != ids[2] {
		t.Fatalf("event IDs %v differ between nodes; want the same Raft index everywhere", ids)
	}
}
