package httpapi

import (
	"errors"
	"slices"
	"testing"
	"time"

	"github.com/ringleader-dev/ringleader/coordinator/command"
)

func newTestBroker(t *testing.T, cfg BrokerConfig) *Broker {
	t.Helper()
	b, err := NewBroker(cfg)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(b.Close)
	return b
}

// publishIDs publishes events with the given IDs.
func publishIDs(b *Broker, ids ...uint64) {
	for _, id := range ids {
		b.Publish(Event{ID: id, Type: command.CmdPlaceHalt, Summary: "e"})
	}
}

func eventIDs(evs []Event) []uint64 {
	out := []uint64{}
	for _, e := range evs {
		out = append(out, e.ID)
	}
	return out
}

func TestBrokerSubscribeResumesFromHistory(t *testing.T) {
	t.Parallel()
	cases := []struct {
		name         string
		published    []uint64
		lastID       uint64
		wantReplay   []uint64
		wantComplete bool
	}{
		{"fresh subscriber replays nothing", []uint64{1, 2, 3}, 0, []uint64{}, true},
		{"resume in the middle", []uint64{1, 2, 3, 4}, 2, []uint64{3, 4}, true},
		{"resume at the newest", []uint64{1, 2, 3}, 3, []uint64{}, true},
		{"resume right before the oldest kept", []uint64{1, 2, 3, 4, 5, 6}, 2, []uint64{3, 4, 5, 6}, true},
		{"gap: older than the history", []uint64{1, 2, 3, 4, 5, 6}, 1, []uint64{}, false},
		{"nothing published since start", nil, 7, []uint64{}, false},
		{"gaps in IDs (refused commands) still resume", []uint64{10, 12, 15}, 12, []uint64{15}, true},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			b := newTestBroker(t, BrokerConfig{History: 4})
			publishIDs(b, tc.published...)
			sub, replay, complete, err := b.Subscribe(tc.lastID)
			if err != nil {
				t.Fatal(err)
			}
			defer sub.Close()
			if got := eventIDs(replay); !slices.Equal(got, tc.wantReplay) || complete != tc.wantComplete {
				t.Fatalf("replay %v complete %v; want %v complete %v", got, complete, tc.wantReplay, tc.wantComplete)
			}
		})
	}
}

func TestBrokerDeliversInOrderAfterReplay(t *testing.T) {
	t.Parallel()
	b := newTestBroker(t, BrokerConfig{History: 8, Buffer: 8})
	publishIDs(b, 1, 2)
	sub, replay, _, err := b.Subscribe(1)
	if err != nil {
		t.Fatal(err)
	}
	publishIDs(b, 3, 4)
	got := eventIDs(replay)
	got = append(got, (<-sub.C).ID, (<-sub.C).ID)
	if want := []uint64{2, 3, 4}; !slices.Equal(got, want) {
		t.Fatalf("got %v; want %v", got, want)
	}
}

func TestBrokerDropsASlowSubscriberWithoutBlocking(t *testing.T) {
	t.Parallel()
	b := newTestBroker(t, BrokerConfig{Buffer: 2})
	slow, _, _, err := b.Subscribe(0)
	if err != nil {
		t.Fatal(err)
	}
	fast, _, _, err := b.Subscribe(0)
	if err != nil {
		t.Fatal(err)
	}
	received := make(chan uint64, 100)
	go func() {
		for ev := range fast.C {
			received <- ev.ID
		}
	}()
	done := make(chan struct{})
	go func() {
		for i := uint64(1); i <= 50; i++ {
			b.Publish(Event{ID: i})
			// Let the fast reader keep up: wait until it has this event.
			for len(received) == 0 {
				time.Sleep(time.Millisecond) // poll interval, not synchronisation
			}
			<-received
		}
		close(done)
	}()
	select {
	case <-done:
	case <-time.After(10 * time.Second):
		t.Fatal("Publish blocked on a subscriber that does not read")
	}
	// The slow one got its buffer's worth, then its channel was closed.
	var n int
	for range slow.C {
		n++
	}
	if n != 2 || !slow.Dropped() || fast.Dropped() || b.Dropped() != 1 || b.Subscribers() != 1 {
		t.Fatalf("slow got %d (dropped %v), fast dropped %v, broker dropped %d, subscribers %d; want 2, true, false, 1, 1",
			n, slow.Dropped(), fast.Dropped(), b.Dropped(), b.Subscribers())
	}
}

func TestBrokerCloseEndsSubscriptionsAndRefusesNewOnes(t *testing.T) {
	t.Parallel()
	b := newTestBroker(t, BrokerConfig{})
	sub, _, _, err := b.Subscribe(0)
	if err != nil {
		t.Fatal(err)
	}
	b.Close()
	if _, open := <-sub.C; open {
		t.Fatal("subscription channel still open after Close")
	}
	if _, _, _, err := b.Subscribe(0); !errors.Is(err, ErrBrokerClosed) {
		t.Fatalf("Subscribe after Close: %v; want ErrBrokerClosed", err)
	}
	b.Publish(Event{ID: 9}) // must not panic on closed channels
	sub.Close()             // nor a second close
}

func TestBrokerConfigRejectsNegativeValues(t *testing.T) {
	t.Parallel()
	if _, err := NewBroker(BrokerConfig{Buffer: -1}); err == nil {
		t.Fatal("NewBroker accepted a negative buffer")
	}
}
