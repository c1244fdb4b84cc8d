package e2e

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math/rand"
	"net/http"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/anishathalye/porcupine"

	"github.com/ringleader-dev/ringleader/coordinator/apiclient"
	"github.com/ringleader-dev/ringleader/e2e/harness"
	"github.com/ringleader-dev/ringleader/rings"
)

// The halt register: concurrent clients place halts, resume them and list
// the active ones, each call recorded with its invocation and response
// time. The history must be linearizable against a sequential model of
// the set of halts.
//
// Each halt is known by its reason, "chaos-c<client>-<n>", which the client
// chooses before the call, so a place whose answer was lost (timeout,
// leader change) can still be reasoned about: it may or may not have taken
// effect, at any time after it was sent.

// haltOpKind is what a recorded call did.
type haltOpKind int

const (
	opPlace haltOpKind = iota
	opResume
	opList
)

// haltInput is one call.
type haltInput struct {
	Kind   haltOpKind
	Reason string // place and resume: the halt's reason
}

// haltOutcome is how a write call ended.
type haltOutcome int

const (
	outOK       haltOutcome = iota // 2xx
	outConflict                    // 409: already resumed
	outNotFound                    // 404: no such halt
	outUnknown                     // no definite answer: may or may not have happened
)

// haltOutput is the answer of one call.
type haltOutput struct {
	Outcome haltOutcome
	Active  []string // list: the active chaos halts' reasons, sorted
}

// haltState is the model's state: active and resumed reasons, each sorted
// and comma-joined (a string, so states compare with ==).
type haltState struct{ active, resumed string }

func split(s string) []string {
	if s == "" {
		return nil
	}
	return strings.Split(s, ",")
}

func joinSorted(xs []string) string {
	xs = slices.Clone(xs)
	slices.Sort(xs)
	return strings.Join(xs, ",")
}

func (s haltState) with(active, resumed []string) haltState {
	return haltState{active: joinSorted(active), resumed: joinSorted(resumed)}
}

// haltModel is the sequential specification. Unknown outcomes branch:
// the write either happened or did not.
var haltModel = porcupine.NondeterministicModel{
	Init: func() []interface{} { return []interface{}{haltState{}} },
	Step: func(state, input, output interface{}) []interface{} {
		s, in, out := state.(haltState), input.(haltInput), output.(haltOutput)
		active, resumed := split(s.active), split(s.resumed)
		isActive, isResumed := slices.Contains(active, in.Reason), slices.Contains(resumed, in.Reason)
		switch in.Kind {
		case opPlace:
			placed := s.with(append(slices.Clone(active), in.Reason), resumed)
			switch out.Outcome {
			case outOK:
				if isActive || isResumed {
					return nil
				}
				return []interface{}{placed}
			case outUnknown:
				if isActive || isResumed {
					return []interface{}{s}
				}
				return []interface{}{s, placed}
			}
			return nil
		case opResume:
			rest := slices.DeleteFunc(slices.Clone(active), func(x string) bool { return x == in.Reason })
			done := s.with(rest, append(slices.Clone(resumed), in.Reason))
			switch out.Outcome {
			case outOK:
				if !isActive {
					return nil
				}
				return []interface{}{done}
			case outConflict:
				if !isResumed {
					return nil
				}
				return []interface{}{s}
			case outNotFound:
				// A resumed halt may have left the state's bounded history
				// (rings.KeepResumedHalts); an active one never does.
				if isActive {
					return nil
				}
				return []interface{}{s}
			case outUnknown:
				if isActive {
					return []interface{}{s, done}
				}
				return []interface{}{s}
			}
			return nil
		case opList:
			if joinSorted(out.Active) == s.active {
				return []interface{}{s}
			}
			return nil
		}
		return nil
	},
	Equal: func(a, b interface{}) bool { return a.(haltState) == b.(haltState) },
	DescribeOperation: func(input, output interface{}) string {
		in, out := input.(haltInput), output.(haltOutput)
		names := []string{"place", "resume", "list"}
		outs := []string{"ok", "conflict", "not-found", "unknown"}
		if in.Kind == opList {
			return fmt.Sprintf("list() -> [%s]", strings.Join(out.Active, ","))
		}
		return fmt.Sprintf("%s(%s) -> %s", names[in.Kind], in.Reason, outs[out.Outcome])
	},
}

// haltRecorder holds the recorded history of every client.
type haltRecorder struct {
	mu    sync.Mutex
	start time.Time
	ops   []porcupine.Operation
	// acked are the halts whose place was acknowledged (reason → ID), and
	// resumed those whose resume was.
	acked   map[string]string
	resumed map[string]bool
	// tried are the halts a resume was sent for, whatever its answer.
	tried map[string]bool
}

func newHaltRecorder() *haltRecorder {
	return &haltRecorder{start: time.Now(), acked: map[string]string{}, resumed: map[string]bool{}, tried: map[string]bool{}}
}

func (h *haltRecorder) now() int64 { return int64(time.Since(h.start)) }

func (h *haltRecorder) record(client int, in haltInput, call int64, out haltOutput) {
	h.mu.Lock()
	defer h.mu.Unlock()
	ret := h.now()
	if out.Outcome == outUnknown {
		ret = -1 // fixed up in history(): open until the end of the run
	}
	h.ops = append(h.ops, porcupine.Operation{ClientId: client, Input: in, Call: call, Output: out, Return: ret})
}

// history returns the operations, unknown outcomes left open until after
// every other call.
func (h *haltRecorder) history() []porcupine.Operation {
	h.mu.Lock()
	defer h.mu.Unlock()
	end := h.now() + 1
	out := slices.Clone(h.ops)
	for i := range out {
		if out[i].Return < 0 {
			out[i].Return = end
		}
	}
	return out
}

// haltClient is one concurrent client: place a halt, read, resume it, read.
type haltClient struct {
	id    int
	rnd   *rand.Rand
	c     *harness.Cluster
	token string
	rec   *haltRecorder
	http  *http.Client
}

// run loops until stop is closed.
func (hc *haltClient) run(stop <-chan struct{}) {
	n := 0
	var mine []string // placed (acknowledged), not yet resumed
	for {
		select {
		case <-stop:
			return
		default:
		}
		switch {
		case len(mine) > 0 && hc.rnd.Intn(3) == 0:
			i := hc.rnd.Intn(len(mine))
			if hc.resume(mine[i]) {
				mine = slices.Delete(mine, i, i+1)
			}
		case hc.rnd.Intn(2) == 0:
			hc.list()
		default:
			n++
			reason := fmt.Sprintf("chaos-c%d-%d", hc.id, n)
			if hc.place(reason) {
				mine = append(mine, reason)
			}
		}
		time.Sleep(time.Duration(20+hc.rnd.Intn(120)) * time.Millisecond) // think time between calls
	}
}

// node picks a random live node (any node answers: followers forward).
func (hc *haltClient) node() *harness.Node {
	alive := hc.c.Alive()
	if len(alive) == 0 {
		return nil
	}
	return alive[hc.rnd.Intn(len(alive))]
}

// call sends one request and classifies the answer.
func (hc *haltClient) call(method, path string, body any, out any) haltOutcome {
	n := hc.node()
	if n == nil {
		return outUnknown
	}
	var rd io.Reader
	if body != nil {
		b, _ := json.Marshal(body)
		rd = bytes.NewReader(b)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Second)
	defer cancel()
	req, _ := http.NewRequestWithContext(ctx, method, n.HTTP()+path, rd)
	req.Header.Set("Content-Type", "application/json")
	if hc.token != "" {
		req.Header.Set("Authorization", "Bearer "+hc.token)
	}
	resp, err := hc.http.Do(req)
	if err != nil {
		return outUnknown
	}
	defer resp.Body.Close()
	data, _ := io.ReadAll(resp.Body)
	switch {
	case resp.StatusCode < 300:
		if out != nil && json.Unmarshal(data, out) != nil {
			return outUnknown
		}
		return outOK
	case resp.StatusCode == http.StatusConflict:
		return outConflict
	case resp.StatusCode == http.StatusNotFound:
		return outNotFound
	}
	return outUnknown
}

// place records a halt placement; true when acknowledged.
func (hc *haltClient) place(reason string) bool {
	call := hc.rec.now()
	var h apiclient.HaltResponse
	oc := hc.call(http.MethodPost, "/v1/halts", apiclient.HaltRequest{HaltScope: rings.HaltScope{Releases: []string{"chaos-none"}}, Reason: reason}, &h)
	if oc != outOK {
		oc = outUnknown
	}
	hc.rec.record(hc.id, haltInput{Kind: opPlace, Reason: reason}, call, haltOutput{Outcome: oc})
	if oc == outOK {
		hc.rec.mu.Lock()
		hc.rec.acked[reason] = h.ID
		hc.rec.mu.Unlock()
	}
	return oc == outOK
}

// resume records a resume; true when it is certainly resumed.
func (hc *haltClient) resume(reason string) bool {
	hc.rec.mu.Lock()
	id := hc.rec.acked[reason]
	hc.rec.tried[reason] = true
	hc.rec.mu.Unlock()
	call := hc.rec.now()
	oc := hc.call(http.MethodPost, "/v1/halts/"+id+"/resume", apiclient.ReasonRequest{Reason: "chaos: resume " + reason}, nil)
	hc.rec.record(hc.id, haltInput{Kind: opResume, Reason: reason}, call, haltOutput{Outcome: oc})
	if oc == outOK {
		hc.rec.mu.Lock()
		hc.rec.resumed[reason] = true
		hc.rec.mu.Unlock()
	}
	return oc == outOK || oc == outConflict
}

// list records a linearizable read of the active chaos halts. A read
// without an answer changed nothing and is not recorded.
func (hc *haltClient) list() {
	call := hc.rec.now()
	var l apiclient.HaltList
	if hc.call(http.MethodGet, "/v1/halts?active=true&consistent=true", nil, &l) != outOK {
		return
	}
	var active []string
	for _, h := range l.Halts {
		if strings.HasPrefix(h.Reason, "chaos-c") && h.Active() {
			active = append(active, h.Reason)
		}
	}
	slices.Sort(active)
	hc.rec.record(hc.id, haltInput{Kind: opList}, call, haltOutput{Outcome: outOK, Active: active})
}

// checkLinearizable runs porcupine over the history. Linearizability is
// local (it composes per object), so the history is checked halt by halt:
// each partition holds one halt's place and resume calls and every list
// call, its answer projected to "is this halt active". That keeps the
// search small even with hundreds of calls whose outcome is unknown. The
// whole history is also checked as one object, bounded by timeout (a list
// returns all halts at once, which the per-halt check cannot relate);
// Unknown there means the search ran out of time, not a violation.
func (h *haltRecorder) checkLinearizable(timeout time.Duration) (perHalt, whole porcupine.CheckResult, n int) {
	hist := h.history()
	m := haltModel
	m.Partition = partitionByHalt
	perHalt = porcupine.CheckOperationsTimeout(m.ToModel(), hist, timeout)
	whole = porcupine.Unknown
	if len(hist) <= wholeHistoryLimit {
		whole = porcupine.CheckOperationsTimeout(haltModel.ToModel(), hist, timeout/4)
	}
	return perHalt, whole, len(hist)
}

// wholeHistoryLimit bounds the histories checked as one object: beyond a
// few hundred calls, many with unknown outcomes, the search does not end
// in useful time (measured: 600–900 calls stay Unknown after 15s).
const wholeHistoryLimit = 300

// partitionByHalt splits a history into one sub-history per halt.
func partitionByHalt(hist []porcupine.Operation) [][]porcupine.Operation {
	byReason := map[string][]porcupine.Operation{}
	var lists []porcupine.Operation
	for _, op := range hist {
		in := op.Input.(haltInput)
		if in.Kind == opList {
			lists = append(lists, op)
			continue
		}
		byReason[in.Reason] = append(byReason[in.Reason], op)
	}
	out := make([][]porcupine.Operation, 0, len(byReason))
	for reason, ops := range byReason {
		part := slices.Clone(ops)
		for _, l := range lists {
			p := l
			var active []string
			if slices.Contains(l.Output.(haltOutput).Active, reason) {
				active = []string{reason}
			}
			p.Output = haltOutput{Outcome: outOK, Active: active}
			part = append(part, p)
		}
		out = append(out, part)
	}
	return out
}

// checkAckedEverywhere: every acknowledged place and resume is present,
// as acknowledged, on every live node (local reads, after healing). The
// state keeps the newest rings.KeepResumedHalts resumed manual halts, so
// a halt may be missing only when a resume was sent for it and the node
// holds that many resumed manual halts.
func (h *haltRecorder) checkAckedEverywhere(c *harness.Cluster) error {
	h.mu.Lock()
	acked := maps(h.acked)
	resumed := maps(h.resumed)
	tried := maps(h.tried)
	h.mu.Unlock()
	return harness.Poll(30*time.Second, func() error {
		var errs []error
		for _, n := range c.Alive() {
			ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
			hs, err := n.Client(c.AdminToken).Halts(ctx, false)
			cancel()
			if err != nil {
				return err
			}
			byID := map[string]rings.Halt{}
			keptResumed := 0
			for _, x := range hs {
				byID[x.ID] = x
				if !x.Active() && !x.Auto {
					keptResumed++
				}
			}
			for reason, id := range acked {
				x, ok := byID[id]
				switch {
				case !ok && tried[reason] && keptResumed == rings.KeepResumedHalts:
					// forgotten: resumed, and a full history of newer ones
				case !ok:
					errs = append(errs, fmt.Errorf("%s lacks acknowledged halt %s (%s)", n.ID, id, reason))
				case resumed[reason] && x.Active():
					errs = append(errs, fmt.Errorf("%s still has halt %s active after its resume was acknowledged", n.ID, id))
				}
			}
		}
		return errors.Join(errs...)
	})
}

func maps[K comparable, V any](m map[K]V) map[K]V {
	out := make(map[K]V, len(m))
	for k, v := range m {
		out[k] = v
	}
	return out
}

// explainIllegal returns, for an illegal history, the calls of the first
// halt whose sub-history is not linearizable (oldest first), and writes
// porcupine's visualization of it to a file.
func (h *haltRecorder) explainIllegal(vizPath string) string {
	hist := h.history()
	m := haltModel.ToModel()
	for _, part := range partitionByHalt(hist) {
		res, info := porcupine.CheckOperationsVerbose(m, part, 10*time.Second)
		if res != porcupine.Illegal {
			continue
		}
		_ = porcupine.VisualizePath(m, info, vizPath)
		slices.SortFunc(part, func(a, b porcupine.Operation) int { return int(a.Call - b.Call) })
		// Lists that did not see the halt matter only while someone else
		// saw it: between its place and the last list that saw it.
		var placed, lastSeen int64 = -1, -1
		for _, op := range part {
			switch in := op.Input.(haltInput); {
			case in.Kind == opPlace && placed < 0:
				placed = op.Call
			case in.Kind == opList && len(op.Output.(haltOutput).Active) > 0:
				lastSeen = max(lastSeen, op.Return)
			}
		}
		var b strings.Builder
		for _, op := range part {
			in := op.Input.(haltInput)
			if in.Kind == opList && len(op.Output.(haltOutput).Active) == 0 && (op.Call < placed || op.Call > lastSeen) {
				continue
			}
			fmt.Fprintf(&b, "\n  client %d [%8.3fs – %8.3fs] %s", op.ClientId, float64(op.Call)/1e9, float64(op.Return)/1e9,
				m.DescribeOperation(op.Input, op.Output))
		}
		return b.String()
	}
	return ""
}
