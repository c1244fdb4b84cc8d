package store

import (
	"encoding/json"
	"fmt"
	"testing"

	"github.com/hashicorp/raft"
	"github.com/ringleader-dev/ringleader/coordinator/command"
	"github.com/ringleader-dev/ringleader/rings"
)

// BenchmarkObservedApply measures what the observer hook adds to one FSM
// apply of a constant-cost command: decoding the entry again and calling
// two observers (what the observers themselves cost, the event broker and
// the metrics, is measured by their own benchmarks).
func BenchmarkObservedApply(b *testing.B) {
	for _, observed := range []bool{false, true} {
		b.Run(fmt.Sprintf("observed=%t", observed), func(b *testing.B) {
			var obs nodeObservers
			seen := 0
			if observed {
				count := func(AppliedCommand) { seen++ }
				fns := []ApplyObserver{count, count}
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
			if observed && seen != 2*b.N {
				b.Fatalf("the observers saw %d entries, want %d", seen, 2*b.N)
			}
		})
	}
}
