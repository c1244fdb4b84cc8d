package e2e

import (
	"testing"

	"github.com/anishathalye/porcupine"
)

// TestHaltModelJudgesHistories proves the linearizability check can fail:
// hand-written histories of the halt register, legal and illegal.
func TestHaltModelJudgesHistories(t *testing.T) {
	t.Parallel()
	op := func(client int, in haltInput, call int64, out haltOutput, ret int64) porcupine.Operation {
		return porcupine.Operation{ClientId: client, Input: in, Call: call, Output: out, Return: ret}
	}
	place := func(r string) haltInput { return haltInput{Kind: opPlace, Reason: r} }
	resume := func(r string) haltInput { return haltInput{Kind: opResume, Reason: r} }
	list := haltInput{Kind: opList}
	ok := haltOutput{Outcome: outOK}
	listed := func(rs ...string) haltOutput { return haltOutput{Outcome: outOK, Active: rs} }
	cases := []struct {
		name string
		hist []porcupine.Operation
		want porcupine.CheckResult
	}{
		{"place then list sees it", []porcupine.Operation{
			op(0, place("a"), 0, ok, 10), op(1, list, 11, listed("a"), 20)}, porcupine.Ok},
		{"list after an acknowledged place misses it", []porcupine.Operation{
			op(0, place("a"), 0, ok, 10), op(1, list, 11, listed(), 20)}, porcupine.Illegal},
		{"list concurrent with place may miss it", []porcupine.Operation{
			op(0, place("a"), 0, ok, 10), op(1, list, 5, listed(), 8)}, porcupine.Ok},
		{"list sees a halt before anyone placed it", []porcupine.Operation{
			op(1, list, 0, listed("a"), 5), op(0, place("a"), 6, ok, 10)}, porcupine.Illegal},
		{"resume of an active halt then list", []porcupine.Operation{
			op(0, place("a"), 0, ok, 10), op(0, resume("a"), 11, ok, 20), op(1, list, 21, listed(), 30)}, porcupine.Ok},
		{"list still sees a resumed halt", []porcupine.Operation{
			op(0, place("a"), 0, ok, 10), op(0, resume("a"), 11, ok, 20), op(1, list, 21, listed("a"), 30)}, porcupine.Illegal},
		{"resume of an acknowledged halt answers not found", []porcupine.Operation{
			op(0, place("a"), 0, ok, 10), op(1, resume("a"), 11, haltOutput{Outcome: outNotFound}, 20)}, porcupine.Illegal},
		{"resume of a resumed halt may answer not found (forgotten)", []porcupine.Operation{
			op(0, place("a"), 0, ok, 10), op(0, resume("a"), 11, ok, 20), op(1, resume("a"), 21, haltOutput{Outcome: outNotFound}, 30)}, porcupine.Ok},
		{"resume of a never placed halt answers conflict", []porcupine.Operation{
			op(1, resume("a"), 0, haltOutput{Outcome: outConflict}, 10)}, porcupine.Illegal},
		{"unknown place may have happened", []porcupine.Operation{
			op(0, place("a"), 0, haltOutput{Outcome: outUnknown}, 100), op(1, list, 11, listed("a"), 20)}, porcupine.Ok},
		{"unknown place may not have happened", []porcupine.Operation{
			op(0, place("a"), 0, haltOutput{Outcome: outUnknown}, 100), op(1, list, 11, listed(), 20)}, porcupine.Ok},
		{"unknown place cannot flicker", []porcupine.Operation{
			op(0, place("a"), 0, haltOutput{Outcome: outUnknown}, 100), op(1, list, 11, listed("a"), 20), op(1, list, 21, listed(), 30)}, porcupine.Illegal},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			m := haltModel
			m.Partition = partitionByHalt
			if got := porcupine.CheckOperationsTimeout(m.ToModel(), tc.hist, 0); got != tc.want {
				t.Errorf("porcupine says %s, want %s", got, tc.want)
			}
		})
	}
}
