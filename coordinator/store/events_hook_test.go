package store

import (
	"encoding/json"
	"testing"
	"time"

	"github.com/hashicorp/raft"

	"github.com/ringleader-dev/ringleader/coordinator/command"
	"github.com/ringleader-dev/ringleader/rings"
)

// TestObservedFSMIsNotBatching: Raft calls ApplyBatch instead of Apply on
// an FSM that has it, which would bypass the observers. If the FSM ever
// gains ApplyBatch, observedFSM must wrap it too.
func TestObservedFSMIsNotBatching(t *testing.T) {
	t.Parallel()
	if _, ok := any(observedFSM{}).(raft.BatchingFSM); ok {
		t.Fatal("observedFSM implements raft.BatchingFSM through the embedded FSM: wrap ApplyBatch so observers still see every entry")
	}
}

// TestObserversSeeEveryAppliedEntry registers two observers and checks
// both see an applied entry with its index, type and result.
func TestObserversSeeEveryAppliedEntry(t *testing.T) {
	t.Parallel()
	n := &Node{}
	var a, b []AppliedCommand
	n.OnApply(func(ac AppliedCommand) { a = append(a, ac) })
	n.OnApply(func(ac AppliedCommand) { b = append(b, ac) })
	n.OnApply(nil) // ignored
	fsm := observedFSM{FSM: NewFSM(0), obs: &n.obs}
	cmd := mkCmd(t, command.CmdPlaceHalt, "req-1", time.Time{}, command.PlaceHalt{ID: "halt-1", Scope: rings.HaltScope{Regions: []string{"eu-west-1"}}, Reason: "r"})
	cmd.Version = command.Version
	data, err := json.Marshal(cmd)
	if err != nil {
		t.Fatal(err)
	}
	fsm.Apply(&raft.Log{Index: 9, Data: data})
	if len(a) != 1 || len(b) != 1 || a[0].Index != 9 || a[0].Command.Type != command.CmdPlaceHalt || a[0].ResultID != "halt-1" || a[0].Err != nil {
		t.Fatalf("observers saw %+v and %+v; want one halt.place at 9 creating halt-1 in each", a, b)
	}
}
