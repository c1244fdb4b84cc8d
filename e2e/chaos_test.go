package e2e

import (
	"context"
	"errors"
	"fmt"
	"math/rand"
	"net/http"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/anishathalye/porcupine"

	"github.com/ringleader-dev/ringleader/coordinator/apiclient"
	"github.com/ringleader-dev/ringleader/coordinator/command"
	"github.com/ringleader-dev/ringleader/e2e/harness"
	"github.com/ringleader-dev/ringleader/rings"
)

// chaosConfig is one chaos run: the seed makes the fault schedule and the
// release mix reproducible; the duration bounds the faulty period.
type chaosConfig struct {
	seed     int64
	duration time.Duration
	clients  int
}

// chaosConfigFromEnv reads CHAOS_SEED and CHAOS_DURATION (defaults: seed 1,
// 40s — the length `make test` runs).
func chaosConfigFromEnv(t *testing.T) chaosConfig {
	c := chaosConfig{seed: 1, duration: 40 * time.Second, clients: 3}
	if v := os.Getenv("CHAOS_SEED"); v != "" {
		s, err := strconv.ParseInt(v, 10, 64)
		if err != nil {
			t.Fatalf("CHAOS_SEED=%q: want an integer", v)
		}
		c.seed = s
	}
	if v := os.Getenv("CHAOS_DURATION"); v != "" {
		d, err := time.ParseDuration(v)
		if err != nil || d <= 0 {
			t.Fatalf("CHAOS_DURATION=%q: want a positive duration such as 5m", v)
		}
		c.duration = d
	}
	return c
}

// faultKind is one kind of injected fault.
type faultKind string

const (
	faultKillNode     faultKind = "kill-node"
	faultKillLeader   faultKind = "kill-leader"
	faultStopNode     faultKind = "stop-node"
	faultIsolateNode  faultKind = "isolate-node"
	faultIsolateLead  faultKind = "isolate-leader"
	faultLatency      faultKind = "latency"
	faultGitDown      faultKind = "git-down"
	faultPromDown     faultKind = "prometheus-down"
	faultRestartAll   faultKind = "restart-cluster"
	faultSlowGitPush  faultKind = "slow-git"
	faultPartitionTwo faultKind = "partition-pair"
	// faultRegionErrors makes one simulated region answer 50 % 5xx for
	// every version while it holds: a ring soaking there must fail on that
	// region alone, and its rollback verify once the region recovers.
	faultRegionErrors faultKind = "region-errors"
)

// fault is one step of the schedule: inject, hold, heal.
type fault struct {
	Kind    faultKind
	Node    int           // target node index, where it applies
	Hold    time.Duration // how long the fault lasts
	Pause   time.Duration // healthy time before the next fault
	Latency time.Duration
	Region  string // the region, for region-errors
}

func (f fault) String() string {
	s := fmt.Sprintf("%s hold=%s", f.Kind, f.Hold)
	switch f.Kind {
	case faultKillNode, faultStopNode, faultIsolateNode, faultLatency, faultPartitionTwo:
		s += fmt.Sprintf(" node=n%d", f.Node+1)
	}
	if f.Latency > 0 {
		s += " latency=" + f.Latency.String()
	}
	if f.Region != "" {
		s += " region=" + f.Region
	}
	return s
}

// schedule draws the fault sequence for the whole run from the seed.
func schedule(rnd *rand.Rand, d time.Duration, nodes int, regions []string) []fault {
	kinds := []faultKind{faultKillNode, faultKillLeader, faultStopNode, faultIsolateNode, faultIsolateLead,
		faultLatency, faultGitDown, faultPromDown, faultSlowGitPush, faultPartitionTwo, faultRestartAll, faultRegionErrors}
	var out []fault
	for total := time.Duration(0); total < d; {
		f := fault{Kind: kinds[rnd.Intn(len(kinds))], Node: rnd.Intn(nodes),
			Hold:  time.Duration(1500+rnd.Intn(3000)) * time.Millisecond,
			Pause: time.Duration(500+rnd.Intn(2000)) * time.Millisecond}
		if f.Kind == faultLatency || f.Kind == faultSlowGitPush {
			f.Latency = time.Duration(20+rnd.Intn(150)) * time.Millisecond
		}
		if f.Kind == faultRegionErrors {
			f.Region = regions[rnd.Intn(len(regions))]
		}
		out = append(out, f)
		total += f.Hold + f.Pause
	}
	return out
}

// chaosRun holds what the run observed.
type chaosRun struct {
	e   *env
	rec *haltRecorder

	mu       sync.Mutex
	releases map[string]releaseRecord // ID → what was asked
	faults   int
}

// releaseRecord is one release the drivers created.
type releaseRecord struct {
	App, Version string
	Bad          bool
}

// violations counts failed invariants for the summary line while still
// failing the test.
type violations struct {
	t *testing.T
	n int
}

func (v *violations) Helper() { v.t.Helper() }
func (v *violations) Errorf(format string, args ...any) {
	v.t.Helper()
	v.n++
	v.t.Errorf("violation: "+format, args...)
}

// TestChaos runs a seeded random schedule of every fault the harness has
// over concurrent releases (some bad) and concurrent halt/resume/list
// clients, heals everything, and checks the invariants.
func TestChaos(t *testing.T) {
	cfg := chaosConfigFromEnv(t)
	rnd := rand.New(rand.NewSource(cfg.seed))
	e := newEnv(t, envOptions{rings: defaultRings(), sim: true})
	plan := schedule(rnd, cfg.duration, len(e.c.Nodes), regionsOf(defaultRings()))
	t.Logf("chaos: seed=%d duration=%s: %d faults scheduled", cfg.seed, cfg.duration, len(plan))

	run := &chaosRun{e: e, rec: newHaltRecorder(), releases: map[string]releaseRecord{}}
	stop := make(chan struct{})
	var wg sync.WaitGroup
	for i := 0; i < cfg.clients; i++ {
		hc := &haltClient{id: i, rnd: rand.New(rand.NewSource(cfg.seed*100 + int64(i))), c: e.c, token: e.c.ICToken,
			rec: run.rec, http: &http.Client{Timeout: 3 * time.Second}}
		wg.Add(1)
		go func() { defer wg.Done(); hc.run(stop) }()
	}
	for i, app := range apps {
		drnd := rand.New(rand.NewSource(cfg.seed*1000 + int64(i)))
		wg.Add(1)
		go func() { defer wg.Done(); run.drive(app, drnd, stop) }()
	}

	// The faulty period: one fault at a time, each healed before the next.
	for _, f := range plan {
		t.Logf("chaos: inject %s", f)
		heal := run.inject(t, f)
		time.Sleep(f.Hold) // the fault's duration is the point of the fault
		heal()
		time.Sleep(f.Pause) // healthy time between faults, from the schedule
	}
	close(stop)
	wg.Wait()

	// Heal everything and let the cluster settle.
	run.healAll(t)
	e.c.WaitHealthy(t, 60*time.Second)

	v := &violations{t: t}
	invariants := run.check(t, v)
	commits := 0
	if log, err := e.git.Log(repoName); err == nil {
		commits = len(log)
	}
	summary := fmt.Sprintf("chaos summary: seed=%d duration=%s faults=%d releases=%d commits=%d ops=%d invariants=%d violations=%d",
		cfg.seed, cfg.duration, run.faults, len(run.releases), commits, len(run.rec.ops), invariants, v.n)
	t.Log(summary)
	fmt.Println(summary)
}

// inject applies f and returns how to heal it.
func (r *chaosRun) inject(t *testing.T, f fault) (heal func()) {
	e := r.e
	r.mu.Lock()
	r.faults++
	r.mu.Unlock()
	node := e.c.Nodes[f.Node]
	restart := func(n *harness.Node) func() {
		return func() {
			if err := n.Restart(); err != nil {
				t.Errorf("chaos: restart %s: %v", n.ID, err)
			}
		}
	}
	leader := func() *harness.Node {
		if l := e.c.Leader(); l != nil {
			return l
		}
		return node
	}
	switch f.Kind {
	case faultKillNode:
		node.Kill()
		return restart(node)
	case faultKillLeader:
		l := leader()
		l.Kill()
		return restart(l)
	case faultStopNode:
		node.Stop()
		return node.Cont
	case faultIsolateNode:
		e.c.Isolate(node)
		return e.c.Heal
	case faultIsolateLead:
		e.c.Isolate(leader())
		return e.c.Heal
	case faultPartitionTwo:
		// Cut the link between two nodes only: both still reach the third.
		other := e.c.Nodes[(f.Node+1)%len(e.c.Nodes)]
		e.c.Partition([]*harness.Node{node}, []*harness.Node{other})
		return e.c.Heal
	case faultLatency:
		for _, n := range e.c.Nodes {
			n.Proxy.SetLatency(f.Latency)
		}
		return e.c.Heal
	case faultSlowGitPush:
		e.gitProxy.SetLatency(f.Latency)
		return func() { e.gitProxy.SetLatency(0) }
	case faultGitDown:
		e.git.Stop()
		return func() {
			if err := e.git.Start(); err != nil {
				t.Errorf("chaos: restart git daemon: %v", err)
			}
		}
	case faultPromDown:
		e.prom.Stop()
		return func() {
			if err := e.prom.Start(); err != nil {
				t.Errorf("chaos: restart prometheus: %v", err)
			}
		}
	case faultRegionErrors:
		e.sim.control(t, "/v1/regions/"+f.Region+"/errors?ratio=0.5")
		return func() { e.sim.control(t, "/v1/regions/"+f.Region+"/errors?ratio=-1") }
	case faultRestartAll:
		for _, n := range e.c.Nodes {
			n.Kill()
		}
		return func() {
			for _, n := range e.c.Nodes {
				restart(n)()
			}
		}
	}
	return func() {}
}

// healAll undoes every fault: thaw, restart, reconnect, Git and
// Prometheus up.
func (r *chaosRun) healAll(t *testing.T) {
	e := r.e
	e.c.Heal()
	e.gitProxy.SetLatency(0)
	for _, region := range regionsOf(defaultRings()) {
		e.sim.control(t, "/v1/regions/"+region+"/errors?ratio=-1")
	}
	for _, n := range e.c.Nodes {
		if p := n.Proc(); p != nil && p.Stopped() {
			n.Cont()
		}
		if p := n.Proc(); p == nil || p.Exited() {
			if err := n.Restart(); err != nil {
				t.Fatalf("chaos: restart %s after the run: %v", n.ID, err)
			}
		}
	}
	if !e.git.Running() {
		if err := e.git.Start(); err != nil {
			t.Fatal(err)
		}
	}
	if !e.prom.Running() {
		if err := e.prom.Start(); err != nil {
			t.Fatal(err)
		}
	}
}

// drive rolls releases of app one after another until stop: create (some
// bad, drawn from rnd), wait until it ends, repeat.
func (r *chaosRun) drive(app string, rnd *rand.Rand, stop <-chan struct{}) {
	for n := 1; ; n++ {
		select {
		case <-stop:
			return
		default:
		}
		bad := rnd.Intn(10) < 3
		version := fmt.Sprintf("v3.%d.0", n)
		if bad {
			version += "-bad"
		}
		id := r.createOnce(app, version, stop)
		if id == "" {
			return
		}
		r.mu.Lock()
		r.releases[id] = releaseRecord{App: app, Version: version, Bad: bad}
		r.mu.Unlock()
		// Wait for it to end (or for the run to stop).
		for {
			select {
			case <-stop:
				return
			case <-time.After(300 * time.Millisecond): // poll interval
			}
			if rel, err := r.e.release(id); err == nil && rel.State.Terminal() {
				break
			}
		}
	}
}

// createOnce creates a release, retrying through leader changes. A create
// whose answer was lost may have happened: before retrying, it looks for
// the release among the app's.
func (r *chaosRun) createOnce(app, version string, stop <-chan struct{}) string {
	for {
		select {
		case <-stop:
			return ""
		default:
		}
		for _, n := range r.e.live() {
			c, cancel := context.WithTimeout(context.Background(), 5*time.Second)
			rels, err := n.Client(r.e.c.AdminToken).Releases(c, app)
			if err == nil {
				for _, rel := range rels {
					if rel.Version == version {
						cancel()
						return rel.ID
					}
				}
				d, err := n.Client(r.e.c.AdminToken).CreateRelease(c, apiclient.CreateReleaseRequest{App: app, Version: version, PreviousVersion: "v1.0.0"})
				cancel()
				if err == nil {
					return d.ID
				}
				continue
			}
			cancel()
		}
		time.Sleep(300 * time.Millisecond) // backoff between attempts
	}
}

// check verifies every invariant after healing and returns how many
// individual checks it made.
func (r *chaosRun) check(t *testing.T, v *violations) int {
	e := r.e
	checks := 0
	r.mu.Lock()
	releases := make(map[string]releaseRecord, len(r.releases))
	for k, x := range r.releases {
		releases[k] = x
	}
	r.mu.Unlock()

	// 1. Every release reaches a terminal state. One the state forgot (it
	// keeps rings.KeepFinishedReleases finished releases per app) had
	// finished: only finished releases are forgotten.
	final := map[string]*rings.Release{}
	err := harness.Poll(3*time.Minute, func() error {
		var open []string
		for id, rec := range releases {
			rel, err := e.release(id)
			if errors.Is(err, command.ErrNotFound) && e.historyFull(rec.App) {
				continue
			}
			if err != nil {
				return err
			}
			final[id] = rel
			if !rel.State.Terminal() {
				open = append(open, id+"="+string(rel.State)+" "+ringStates(rel)+e.waitsOf(id))
			}
		}
		if len(open) > 0 {
			return fmt.Errorf("not terminal: %s", strings.Join(open, "; "))
		}
		return nil
	})
	checks++
	if err != nil {
		v.Errorf("every release reaches a terminal state: %v", err)
	}

	// 2. No bad version reached a ring after its first; completed releases
	// kept ring order and full soaks.
	for id, rec := range releases {
		rel := final[id]
		if rel == nil {
			continue
		}
		checks++
		if rec.Bad {
			p := e.forwardPromotions(t, id)
			if n := len(p["early"]) + len(p["global"]); n > 0 {
				v.Errorf("bad release %s (%s) reached a later ring: %d commits", id, rec.Version, n)
			}
			if rel.State == rings.ReleaseCompleted {
				v.Errorf("bad release %s completed", id)
			}
		} else if rel.State == rings.ReleaseCompleted {
			checkSoakOrder(v, rel, defaultRings())
		}
	}

	// 2b. No ring whose region failed its analysis is ever done: a ring
	// done in the final state had every region's last check passing, and
	// a bad release's canary was never done.
	for id, rec := range releases {
		rel := final[id]
		if rel == nil {
			continue
		}
		checks++
		for _, rp := range rel.Rings {
			if rec.Bad && rp.Name == "canary" && !rp.DoneAt.IsZero() {
				v.Errorf("bad release %s (%s): canary was done at %s", id, rec.Version, rp.DoneAt.Format(time.RFC3339Nano))
			}
			if rp.State != rings.RingDone {
				continue
			}
			for _, g := range rp.Regions {
				if g.ConsecutiveFailures > 0 || (g.LastCheck != nil && !g.LastCheck.Pass) {
					v.Errorf("release %s: ring %s is done although region %s failed its analysis (%d in a row, last %+v)", id, rp.Name, g.Name, g.ConsecutiveFailures, g.LastCheck)
				}
			}
		}
	}

	// 3. The GitOps history: ring order, exactly once, halt fences.
	checks++
	rep := e.verifyHistoryTo(v)
	t.Logf("chaos: verify-history: %d commits, %d promotions, %d violations", rep.Commits, rep.Promotions, len(rep.Violations))

	// 4. Every acknowledged command is on every node: releases and halts.
	for id, rec := range releases {
		for _, n := range e.c.Nodes {
			checks++
			c, cancel := ctx()
			_, err := n.Client(e.c.AdminToken).Release(c, id)
			cancel()
			if errors.Is(err, command.ErrNotFound) && e.historyFull(rec.App) {
				continue // forgotten: it had finished (check 1)
			}
			if err != nil {
				v.Errorf("acknowledged release %s missing on %s: %v", id, n.ID, err)
			}
		}
	}
	checks++
	if err := r.rec.checkAckedEverywhere(e.c); err != nil {
		v.Errorf("acknowledged halts: %v", err)
	}
	checks++
	e.checkExactlyOnce(v)
	checks++
	e.checkSameAudit(t)

	// 5. The halt clients' history is linearizable.
	checks++
	perHalt, whole, n := r.rec.checkLinearizable(60 * time.Second)
	t.Logf("chaos: porcupine over %d halt operations: per halt %s, whole history %s", n, perHalt, whole)
	if perHalt == porcupine.Illegal || whole == porcupine.Illegal {
		viz := filepath.Join(os.TempDir(), fmt.Sprintf("ringleader-chaos-%d-linearizability.html", time.Now().Unix()))
		v.Errorf("the halt/resume/list history of %d operations is not linearizable (per halt %s, whole %s); the offending halt's calls (lists that did not see it only while others did), visualization in %s:%s",
			n, perHalt, whole, viz, r.rec.explainIllegal(viz))
	}
	if perHalt == porcupine.Unknown {
		v.Errorf("porcupine could not decide the per-halt history of %d operations within 60s", n)
	}
	return checks
}

// waitsOf renders what release id waits for, as the cluster says.
func (e *env) waitsOf(id string) string {
	c, cancel := ctx()
	defer cancel()
	d, err := e.admin().Release(c, id)
	if err != nil || len(d.Waits) == 0 {
		return ""
	}
	var b strings.Builder
	for _, w := range d.Waits {
		fmt.Fprintf(&b, " [waits: %s %s]", w.Reason, w.Detail)
	}
	return b.String()
}

// historyFull reports whether a live node holds as many finished releases
// of app as the state keeps (rings.KeepFinishedReleases): only then may an
// acknowledged release of it be missing.
func (e *env) historyFull(app string) bool {
	for _, n := range e.live() {
		c, cancel := ctx()
		rels, err := n.Client(e.c.AdminToken).Releases(c, app)
		cancel()
		if err != nil {
			continue
		}
		finished := 0
		for _, r := range rels {
			if r.State.Terminal() && !(r.State == rings.ReleaseCompleted && r.RollbackRequested) {
				finished++
			}
		}
		return finished >= rings.KeepFinishedReleases
	}
	return false
}
