package coordinator

import (
	"encoding/json"
	"fmt"
	"testing"

	"github.com/hashicorp/raft"
	"github.com/prometheus/client_golang/prometheus"

	"github.com/ringleader-dev/ringleader/coordinator/command"
	"github.com/ringleader-dev/ringleader/rings"
)

// BenchmarkBrokerPublish measures one Publish fanned out to N subscribers
// that keep up (each drains its queue on its own goroutine).
func BenchmarkBrokerPublish(b *testing.B) {
	for _, n := range []int{1, 10, 100} {
		b.Run(fmt.Sprintf("subscribers=%d", n), func(b *testing.B) {
			br, err := NewBroker(BrokerConfig{Buffer: 1 << 16})
			if err != nil {
				b.Fatal(err)
			}
			defer br.Close()
			for range n {
				sub, _, _, err := br.Subscribe(0)
				if err != nil {
					b.Fatal(err)
				}
				go func() {
					for range sub.C {
					}
				}()
			}
			ev := Event{Type: command.CmdPlaceHalt, HaltID: "halt-1", Summary: "halt halt-1 placed by alice: incident"}
			b.ResetTimer()
			for i := range b.N {
				ev.ID = uint64(i + 1)
				br.Publish(ev)
			}
		})
	}
}

// BenchmarkObservedApply measures what the observers add to one FSM apply
// of a constant-cost command: decoding the entry again, building the event,
// publishing it and counting it in the metrics.
func BenchmarkObservedApply(b *testing.B) {
	for _, observed := range []bool{false, true} {
		b.Run(fmt.Sprintf("observed=%t", observed), func(b *testing.B) {
			var obs nodeObservers
			if observed {
				br, err := NewBroker(BrokerConfig{})
				if err != nil {
					b.Fatal(err)
				}
				defer br.Close()
				m, err := NewMetrics(prometheus.NewRegistry())
				if err != nil {
					b.Fatal(err)
				}
				fns := []ApplyObserver{br.ObserveApplied, m.ObserveApplied}
				obs.applied.Store(&fns)
			}
			fsm := observedFSM{FSM: NewFSM(0), obs: &obs}
			cmd, err := command.New(command.CmdRecordBudget, command.ActorSystem, rings.Budget{Region: "us-east-1", RemainingPercent: 70})
			if err != nil {
				b.Fatal(err)
			}
			b.ResetTimer()
			for i := range b.N {
				cmd.RequestID = "" // no request-log bookkeeping
				data, _ := json.Marshal(cmd)
				fsm.Apply(&raft.Log{Index: uint64(i + 1), Data: data})
			}
		})
	}
}
