package metrics

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"log/slog"
	"net/http"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/promhttp"
	dto "github.com/prometheus/client_model/go"

	"github.com/ringleader-dev/ringleader/coordinator/apiclient"
	"github.com/ringleader-dev/ringleader/coordinator/command"
	"github.com/ringleader-dev/ringleader/coordinator/coordtest"
	"github.com/ringleader-dev/ringleader/coordinator/httpapi"
	"github.com/ringleader-dev/ringleader/coordinator/leader"
	"github.com/ringleader-dev/ringleader/coordinator/store"
	"github.com/ringleader-dev/ringleader/internal/poll"
	"github.com/ringleader-dev/ringleader/internal/readmetest"
	"github.com/ringleader-dev/ringleader/rings"
)

// scrape fetches /metrics and returns "name{labels}" → value for every
// sample, and the set of metric names that have a HELP line.
func scrape(t *testing.T, base string) (samples map[string]float64, names map[string]bool) {
	t.Helper()
	code, body, _ := coordtest.Call(t, base, http.MethodGet, "/metrics", "")
	if code != http.StatusOK {
		t.Fatalf("GET /metrics: %d %s", code, body)
	}
	samples, names = map[string]float64{}, map[string]bool{}
	sc := bufio.NewScanner(bytes.NewReader(body))
	for sc.Scan() {
		line := sc.Text()
		if rest, ok := strings.CutPrefix(line, "# HELP "); ok {
			names[strings.Fields(rest)[0]] = true
			continue
		}
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		i := strings.LastIndexByte(line, ' ')
		v, err := strconv.ParseFloat(line[i+1:], 64)
		if err != nil {
			t.Fatalf("metric line %q: %v", line, err)
		}
		samples[line[:i]] = v
	}
	return samples, names
}

// documentedMetrics is every metric README.md documents that a node
// exports without a Git writer having pushed (the push histogram is
// exported with zero counts from the start).
var documentedMetrics = []string{
	"ringleader_releases_in_state",
	"ringleader_halts_active",
	"ringleader_halts_placed_total",
	"ringleader_gates_waits",
	"ringleader_raft_leader",
	"ringleader_raft_term",
	"ringleader_raft_commit_index",
	"ringleader_raft_applied_index",
	"ringleader_raft_apply_duration_seconds",
	"ringleader_raft_applied_commands_total",
	"ringleader_gitops_push_duration_seconds",
	"ringleader_gitops_push_retries_total",
	"ringleader_topology_rejected_total",
	"ringleader_topology_last_rejected",
	"ringleader_events_subscribers",
	"ringleader_events_dropped_subscribers_total",
	"ringleader_events_published_total",
}

// newRegistry registers a node's metrics and a state collector built from
// cfg with a fresh registry.
func newRegistry(t *testing.T, cfg StateCollectorConfig) (*prometheus.Registry, *Metrics) {
	t.Helper()
	reg := prometheus.NewRegistry()
	m, err := NewMetrics(reg)
	sc, scErr := NewStateCollector(cfg)
	if err := errors.Join(err, scErr); err != nil {
		t.Fatal(err)
	}
	reg.MustRegister(sc)
	return reg, m
}

// startOpsNode starts a bootstrapped node with its metrics, the state
// collector and the event stream mounted on its API, over real TCP.
func startOpsNode(t *testing.T) *coordtest.NodeServer {
	t.Helper()
	b, err := httpapi.NewBroker(httpapi.BrokerConfig{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(b.Close)
	return coordtest.StartNode(t, "n1", t.TempDir(), true, func(n *store.Node) http.Handler {
		reg, m := newRegistry(t, StateCollectorConfig{Store: n, Events: b})
		n.OnApply(b.ObserveApplied)
		n.OnApply(m.ObserveApplied)
		n.OnPropose(m.ObserveProposal)
		api, err := httpapi.NewAPI(httpapi.APIConfig{Store: n, Logger: coordtest.Discard(), Events: b, Metrics: promhttp.HandlerFor(reg, promhttp.HandlerOpts{})})
		if err != nil {
			t.Fatal(err)
		}
		return api
	})
}

// soaking is a store whose release of checkout v2 the leader loop took
// to its canary soak, and the loop's manual clock, started at soakStart.
func soaking(t *testing.T) (*coordtest.Store, *leader.ManualClock) {
	t.Helper()
	s, clock, _ := soakingLoop(t)
	return s, clock
}

// soakingLoop is soaking and the loop that took the release there.
func soakingLoop(t *testing.T) (*coordtest.Store, *leader.ManualClock, *leader.Loop) {
	t.Helper()
	s := coordtest.NewStore(true).WithTopology(t)
	clock := leader.NewManualClock(soakStart)
	l := memLoop(t, s, clock, coordtest.Logger(t))
	s.MustApply(t, command.CmdCreateRelease, command.CreateRelease{ID: "checkout-v2", App: "checkout", Version: "v2"})
	for range 4 {
		l.ReconcileOnce(context.Background())
	}
	return s, clock, l
}

// memLoop is a leader loop over s with in-memory effects, healthy regions
// and clock.
func memLoop(tb testing.TB, s *coordtest.Store, clock *leader.ManualClock, logger *slog.Logger) *leader.Loop {
	tb.Helper()
	l, err := leader.NewLoop(leader.LoopConfig{Store: s, Promoter: &leader.MemPromoter{}, Health: &leader.MemHealth{}, Fence: &leader.MemFence{},
		Clock: clock, Interval: time.Hour, Logger: logger})
	if err != nil {
		tb.Fatal(err)
	}
	return l
}

var soakStart = time.Date(2026, 11, 24, 10, 0, 0, 0, time.UTC)

func TestMetricsOfARunningNode(t *testing.T) {
	on := startOpsNode(t)
	poll.Until(t, coordtest.Wait, "n1 to lead", on.Node.IsLeader)
	coordtest.PostUntil(t, on.URL, "/v1/topology", string(coordtest.Topology), 200)

	before, names := scrape(t, on.URL)
	for _, n := range documentedMetrics {
		if !names[n] {
			t.Errorf("metric %s is documented but not exported", n)
		}
	}
	if t.Failed() {
		t.FailNow()
	}

	coordtest.PostUntil(t, on.URL, "/v1/releases", `{"app":"checkout","version":"v9"}`, 201)
	halt := coordtest.DecodeAs[apiclient.HaltResponse](t, coordtest.PostUntil(t, on.URL, "/v1/halts", `{"global":true,"reason":"metrics test"}`, 201))
	after, _ := scrape(t, on.URL)

	cases := []struct {
		sample      string
		before, now float64
	}{
		{`ringleader_halts_active`, 0, 1},
		{`ringleader_halts_placed_total{kind="manual"}`, 0, 1},
		{`ringleader_releases_in_state{state="scheduled"}`, 0, 1},
		{`ringleader_raft_leader`, 1, 1},
		{`ringleader_raft_applied_commands_total{result="ok",type="halt.place"}`, 0, 1},
		{`ringleader_raft_applied_commands_total{result="ok",type="release.create"}`, 0, 1},
	}
	for _, tc := range cases {
		t.Run(tc.sample, func(t *testing.T) {
			if before[tc.sample] != tc.before || after[tc.sample] != tc.now {
				t.Fatalf("%s went %v → %v; want %v → %v", tc.sample, before[tc.sample], after[tc.sample], tc.before, tc.now)
			}
		})
	}
	if after["ringleader_raft_applied_index"] <= before["ringleader_raft_applied_index"] ||
		after["ringleader_raft_commit_index"] < after["ringleader_raft_applied_index"] || after["ringleader_raft_term"] < 1 {
		t.Errorf("raft gauges: applied %v → %v, commit %v, term %v; want applied to grow, commit ≥ applied, term ≥ 1",
			before["ringleader_raft_applied_index"], after["ringleader_raft_applied_index"], after["ringleader_raft_commit_index"], after["ringleader_raft_term"])
	}
	if got := after["ringleader_raft_apply_duration_seconds_count"] - before["ringleader_raft_apply_duration_seconds_count"]; got < 2 {
		t.Errorf("apply latency histogram counted %v commits; want at least the release and the halt", got)
	}

	coordtest.PostUntil(t, on.URL, "/v1/halts/"+halt.ID+"/resume", `{"reason":"done"}`, 200)
	resumed, _ := scrape(t, on.URL)
	if resumed["ringleader_halts_active"] != 0 {
		t.Errorf("halts active after resume = %v; want 0", resumed["ringleader_halts_active"])
	}
}

func TestMetricsSoakRemainingAndRingCounters(t *testing.T) {
	t.Parallel()
	st, clock := soaking(t)
	reg, m := newRegistry(t, StateCollectorConfig{Store: st, Clock: clock})
	// Count what the loop recorded by handing its commands to the
	// observer, as the node's apply hook would.
	for i, cmd := range st.Commands() {
		m.ObserveApplied(store.AppliedCommand{Index: uint64(i + 1), Command: cmd})
	}
	rel := st.Snapshot().State.Releases[0]
	if rel.Rings[0].State != "soaking" {
		t.Fatalf("canary is %s; want soaking for this test", rel.Rings[0].State)
	}
	clock.Advance(20 * time.Minute)
	soak := gathered(t, reg, "ringleader_rings_soak_remaining_seconds")
	if got, want := soak[`release="`+rel.ID+`",ring="canary"`], 2400.0; len(soak) != 1 || got != want {
		t.Fatalf("soak remaining %v; want only canary at %v s", soak, want)
	}
	if got := gathered(t, reg, "ringleader_gates_waits"); got[`reason="soak"`] != 1 || got[`reason="halt"`] != 0 {
		t.Fatalf("gate waits %v; want one soak wait and no halt wait", got)
	}
	if got := gathered(t, reg, "ringleader_rings_promotions_total")[`ring="canary"`]; got != 1 {
		t.Fatalf("canary promotions = %v; want 1", got)
	}
}

// gathered returns the samples of one metric family as labels → value
// (labels rendered as name="value" pairs joined by commas; histograms as
// their sample count).
func gathered(t *testing.T, reg *prometheus.Registry, name string) map[string]float64 {
	t.Helper()
	fams, err := reg.Gather()
	if err != nil {
		t.Fatal(err)
	}
	out := map[string]float64{}
	for _, f := range fams {
		if f.GetName() != name {
			continue
		}
		for _, m := range f.GetMetric() {
			var labels []string
			for _, l := range m.GetLabel() {
				labels = append(labels, l.GetName()+`="`+l.GetValue()+`"`)
			}
			out[strings.Join(labels, ",")] = sampleValue(m)
		}
	}
	return out
}

func sampleValue(m *dto.Metric) float64 {
	switch {
	case m.Gauge != nil:
		return m.Gauge.GetValue()
	case m.Counter != nil:
		return m.Counter.GetValue()
	case m.Histogram != nil:
		return float64(m.Histogram.GetSampleCount())
	}
	return 0
}

func TestMetricsObservePush(t *testing.T) {
	t.Parallel()
	reg := prometheus.NewRegistry()
	m, err := NewMetrics(reg)
	if err != nil {
		t.Fatal(err)
	}
	p := InstrumentPromoter(&leader.MemPromoter{PromoteFn: func(context.Context, rings.Promotion) (rings.PromotionResult, error) {
		return rings.PromotionResult{}, rings.ErrFenced
	}}, m)
	_, _ = p.Promote(context.Background(), rings.Promotion{PromotionID: "x"})
	m.ObservePush(300*time.Millisecond, 2, PushLanded)
	pushes := gathered(t, reg, "ringleader_gitops_push_duration_seconds")
	cases := []struct {
		name      string
		got, want float64
	}{
		{"fenced pushes", pushes[`outcome="fenced"`], 1},
		{"landed pushes", pushes[`outcome="landed"`], 1},
		{"failed pushes", pushes[`outcome="failed"`], 0},
		{"retries", gathered(t, reg, "ringleader_gitops_push_retries_total")[""], 2},
	}
	for _, tc := range cases {
		if tc.got != tc.want {
			t.Errorf("%s = %v; want %v", tc.name, tc.got, tc.want)
		}
	}
	if got := PushOutcome(rings.PromotionResult{AlreadyLanded: true}, nil); got != PushAlreadyLanded {
		t.Errorf("PushOutcome(already landed) = %s", got)
	}
	if got := PushOutcome(rings.PromotionResult{}, errors.New("boom")); got != PushFailed {
		t.Errorf("PushOutcome(error) = %s", got)
	}
	var nilMetrics *Metrics
	nilMetrics.ObservePush(time.Second, 1, PushLanded) // must not panic
}

// TestInstrumentedPromoterPassesEveryPartOn: the wrapper still finds
// landed promotions and reads baselines, so a new leader does not ask the
// pre-promotion gate again for what an earlier one pushed.
func TestInstrumentedPromoterPassesEveryPartOn(t *testing.T) {
	t.Parallel()
	m, err := NewMetrics(prometheus.NewRegistry())
	if err != nil {
		t.Fatal(err)
	}
	inner := &leader.MemPromoter{}
	inner.SetCurrent("checkout", "us-east-1", "v1")
	p := InstrumentPromoter(inner, m)
	ctx := context.Background()
	res, err := p.Promote(ctx, rings.Promotion{App: "checkout", Ring: "canary", Regions: []string{"us-east-1"}, Version: "v2", PromotionID: "p1"})
	if err != nil {
		t.Fatal(err)
	}
	landed, err := p.FindLanded(ctx, []string{"p1", "p2"})
	if err != nil || len(landed) != 1 || landed["p1"] != res.Commit {
		t.Errorf("FindLanded(p1, p2) = %v, %v; want only p1 at %q", landed, err, res.Commit)
	}
	answer := p.ReadBaselines(ctx, []rings.BaselineQuery{{App: "checkout", Regions: []string{"us-east-1"}}})[0]
	read, err := answer.Read, answer.Err
	if err != nil || len(read.Targets["us-east-1"]) != 1 || read.Targets["us-east-1"][0].Value != "v2" {
		t.Errorf("ReadBaseline = %+v, %v; want us-east-1 at v2", read, err)
	}
}

func TestNewMetricsRefusesADoubleRegistration(t *testing.T) {
	t.Parallel()
	reg := prometheus.NewRegistry()
	if _, err := NewMetrics(reg); err != nil {
		t.Fatal(err)
	}
	if _, err := NewMetrics(reg); err == nil {
		t.Fatal("second NewMetrics on one registry succeeded; want an error")
	}
}

// TestEveryMetricIsDocumented gathers every ringleader_ metric (after one
// command of each counted kind) and checks README.md's Metrics table names
// it, and that the table names nothing that does not exist.
func TestEveryMetricIsDocumented(t *testing.T) {
	t.Parallel()
	section := readmetest.Section(t, "Metrics")
	documented := map[string]bool{}
	for _, line := range strings.Split(section, "\n") {
		if name, ok := strings.CutPrefix(line, "| `ringleader_"); ok {
			documented["ringleader_"+name[:strings.IndexByte(name, '`')]] = true
		}
	}

	st, clock := soaking(t)
	st.MustApply(t, command.CmdRecordBudget, map[string]any{"app": "checkout", "region": "us-east-1", "remainingPercent": 70})
	b, err := httpapi.NewBroker(httpapi.BrokerConfig{})
	if err != nil {
		t.Fatal(err)
	}
	reg, m := newRegistry(t, StateCollectorConfig{Store: st, Clock: clock, Events: b})
	for _, c := range []struct {
		typ     command.Type
		payload any
	}{
		{command.CmdPromoted, command.Promoted{Ring: "canary"}},
		{command.CmdRolledBack, command.Promoted{Ring: "canary"}},
		{command.CmdFailRing, command.RingRef{Ring: "canary"}},
		{command.CmdObserve, command.Observe{Check: &rings.Observation{Check: "error-rate", Pass: true}}},
	} {
		cmd, err := command.New(c.typ, command.ActorSystem, c.payload)
		if err != nil {
			t.Fatal(err)
		}
		m.ObserveApplied(store.AppliedCommand{Command: cmd})
	}
	m.ObserveProposal(command.CmdObserve, time.Millisecond, nil)
	fams, err := reg.Gather()
	if err != nil {
		t.Fatal(err)
	}
	exported := map[string]bool{}
	for _, fam := range fams {
		exported[fam.GetName()] = true
		if !documented[fam.GetName()] {
			t.Errorf("metric %s is exported but not in README.md's Metrics table", fam.GetName())
		}
	}
	for name := range documented {
		if !exported[name] && name != "ringleader_raft_term" && name != "ringleader_raft_commit_index" &&
			!strings.HasPrefix(name, "ringleader_notifications_") {
			// term and commit index need a real Raft node (TestMetricsOfARunningNode);
			// the notification metrics are internal/notify's (TestNotificationMetricsAreDocumented).
			t.Errorf("README.md documents %s, which is not exported", name)
		}
	}
}

// A batch answered with two commits (three promotions and one), one
// already landed and one failed: two commits observed, four promotions
// in them, an outcome per promotion.
func TestObserveBatchCountsCommitsAndPromotionsPerCommit(t *testing.T) {
	t.Parallel()
	reg, m := freshMetrics(t)
	answer := []leader.PromotionOutcome{
		{PromotionResult: rings.PromotionResult{Commit: "c1"}},
		{PromotionResult: rings.PromotionResult{Commit: "c1"}},
		{PromotionResult: rings.PromotionResult{Commit: "c2"}},
		{PromotionResult: rings.PromotionResult{Commit: "c1"}},
		{PromotionResult: rings.PromotionResult{Commit: "c0", AlreadyLanded: true}},
		{Err: errors.New("push: connection refused")},
	}
	p := InstrumentPromoter(&leader.MemPromoter{PromoteBatchFn: func(context.Context, []rings.Promotion, func(context.Context) error) []leader.PromotionOutcome {
		return answer
	}}, m)
	p.PromoteBatch(context.Background(), make([]rings.Promotion, len(answer)), nil)
	m.ObserveBatch(time.Second, nil, nil) // nothing: no commit
	var sum float64
	fams, err := reg.Gather()
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range fams {
		if f.GetName() == "ringleader_gitops_promotions_per_commit" {
			sum = f.GetMetric()[0].GetHistogram().GetSampleSum()
		}
	}
	pushes := gathered(t, reg, "ringleader_gitops_push_duration_seconds")
	cases := []struct {
		name      string
		got, want float64
	}{
		{"commits", gathered(t, reg, "ringleader_gitops_promotions_per_commit")[""], 2},
		{"promotions in them", sum, 4},
		{"landed outcomes", pushes[`outcome="landed"`], 4},
		{"already landed", pushes[`outcome="already-landed"`], 1},
		{"failed", pushes[`outcome="failed"`], 1},
	}
	for _, tc := range cases {
		if tc.got != tc.want {
			t.Errorf("%s = %v; want %v", tc.name, tc.got, tc.want)
		}
	}
}

// freshMetrics registers Metrics on a registry of their own.
func freshMetrics(t *testing.T) (*prometheus.Registry, *Metrics) {
	t.Helper()
	reg := prometheus.NewRegistry()
	m, err := NewMetrics(reg)
	if err != nil {
		t.Fatal(err)
	}
	return reg, m
}
