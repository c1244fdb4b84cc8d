package demo

import (
	"context"
	"errors"
	"fmt"
	"io"
	"slices"
	"strings"
	"time"

	"github.com/ringleader-dev/ringleader/coordinator/apiclient"
	"github.com/ringleader-dev/ringleader/rings"
	"github.com/ringleader-dev/ringleader/rings/planner"
)

// A Scenario is a scripted tour of the demo: a list of steps run one after
// the other against the running demo, each saying what it does, what to
// watch on the dashboard and what happened. It leaves the system running.
type Scenario struct {
	Name string
	// Summary describes the scenario in one line (--list-scenarios).
	Summary string
	// NeedsPrometheus: the scenario shows what only measured metrics show
	// (error budgets); it refuses to run without Prometheus.
	NeedsPrometheus bool
	Steps           []Step
	// Next says what to try once the tour is over; {release}, {halt},
	// {repo} and {repair} stand for the first release, the scenario's
	// halt, the GitOps repository and the command that repairs the region
	// the scenario broke.
	Next []string
}

// A Step acts on the demo (through the API or ringsim's control
// endpoint) and waits, with the tour's deadline, for the outcome.
type Step struct {
	// Say is what the step does, Watch what to look at on the dashboard
	// meanwhile ("" for nothing new).
	Say, Watch string
	// Run acts and waits; it returns what happened, in one line.
	Run func(ctx context.Context, t *Tour) (string, error)
}

// ErrUnknownScenario is returned for a scenario name not in Scenarios.
var ErrUnknownScenario = errors.New("unknown scenario")

// FindScenario returns the scenario called name.
func FindScenario(name string) (Scenario, error) {
	for _, s := range Scenarios() {
		if s.Name == name {
			return s, nil
		}
	}
	names := make([]string, 0, len(Scenarios()))
	for _, s := range Scenarios() {
		names = append(names, s.Name)
	}
	return Scenario{}, fmt.Errorf("%w %q: the scenarios are %s (ringd demo --list-scenarios describes them)", ErrUnknownScenario, name, strings.Join(names, ", "))
}

// ListScenarios writes one line per scenario.
func ListScenarios(w io.Writer) {
	for _, s := range Scenarios() {
		note := ""
		if s.NeedsPrometheus {
			note = " (needs Prometheus)"
		}
		fmt.Fprintf(w, "  %-15s %s%s\n", s.Name, s.Summary, note)
	}
}

// Tour runs scenarios against a running demo and says what it does.
type Tour struct {
	Demo *Demo
	Out  io.Writer
	// StepTimeout bounds every step's wait (default 3m).
	StepTimeout time.Duration
	// Poll is the pause between two checks of a condition (default 250ms).
	Poll time.Duration
	// Now is the clock that times the steps (default time.Now).
	Now func() time.Time

	// releases maps the scenario's names of releases to their IDs;
	// "first" is the demo's first release.
	releases map[string]string
	// halt is the halt the scenario placed; mark a Git commit it noted;
	// repair the command that repairs the region it broke.
	halt, mark, repair string
}

// Run runs the scenario's steps in order and stops at the first that
// fails, saying which and why; the demo keeps running either way.
func (t *Tour) Run(ctx context.Context, sc Scenario) error {
	if t.StepTimeout <= 0 {
		t.StepTimeout = 3 * time.Minute
	}
	if t.Poll <= 0 {
		t.Poll = 250 * time.Millisecond
	}
	if t.Now == nil {
		t.Now = time.Now
	}
	t.releases = map[string]string{"first": t.Demo.ReleaseID}
	if sc.NeedsPrometheus && t.Demo.Env.Prometheus == nil {
		return fmt.Errorf("scenario %s shows error budgets, which Prometheus measures, and this demo has none (%s)", sc.Name, t.Demo.Env.PrometheusNote)
	}
	p := func(format string, args ...any) { fmt.Fprintf(t.Out, format+"\n", args...) }
	p("")
	p("Scenario %s: %s", sc.Name, sc.Summary)
	start := t.Now()
	for i, s := range sc.Steps {
		p("")
		p("[%d/%d] %s", i+1, len(sc.Steps), s.Say)
		if s.Watch != "" {
			p("      watch: %s", s.Watch)
		}
		began := t.Now()
		got, err := s.Run(ctx, t)
		if err != nil {
			p("      ✗ %v", err)
			return fmt.Errorf("scenario %s, step %d (%s): %w", sc.Name, i+1, s.Say, err)
		}
		p("      ✓ %s (%s)", got, t.Now().Sub(began).Round(100*time.Millisecond))
	}
	p("")
	p("Scenario %s finished after %s; the demo keeps running.", sc.Name, t.Now().Sub(start).Round(time.Second))
	fill := strings.NewReplacer("{release}", t.release("first"), "{halt}", t.halt,
		"{repo}", t.Demo.Env.RepoURL, "{repair}", t.repair)
	for _, n := range sc.Next {
		p("  %s", fill.Replace(n))
	}
	return nil
}

// release returns the ID of the scenario's release called name.
func (t *Tour) release(name string) string { return t.releases[name] }

// waitFor checks cond every Poll until it holds, failing after StepTimeout
// (naming what it waited for and cond's last error), when ctx ends or
// when the node exits.
func (t *Tour) waitFor(ctx context.Context, what string, cond func(ctx context.Context) (bool, error)) error {
	deadline := t.Now().Add(t.StepTimeout)
	for {
		ok, err := cond(ctx)
		if ok {
			return nil
		}
		if s := (stop{}); errors.As(err, &s) {
			return s.error
		}
		if !t.Now().Before(deadline) {
			if err != nil {
				return fmt.Errorf("%s did not happen within %s (last: %w)", what, t.StepTimeout, err)
			}
			return fmt.Errorf("%s did not happen within %s", what, t.StepTimeout)
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-t.Demo.Node.Done():
			return fmt.Errorf("the ringd node exited (%v); see %s", t.Demo.Node.Err(), t.Demo.Node.LogPath)
		case <-time.After(t.Poll): // polling interval
		}
	}
}

// stop wraps an error after which a wait cannot succeed: waitFor returns
// it at once.
type stop struct{ error }

// detail fetches a release with its waits.
func (t *Tour) detail(ctx context.Context, name string) (*apiclient.ReleaseDetail, error) {
	id := t.release(name)
	if id == "" {
		return nil, fmt.Errorf("the scenario has no release %q (a bug in its steps)", name)
	}
	ctx, cancel := context.WithTimeout(ctx, 5*time.Second)
	defer cancel()
	d, err := t.Demo.Client.Release(ctx, id)
	if err != nil {
		return nil, fmt.Errorf("read release %s: %w", id, err)
	}
	return d, nil
}

// waitsAt returns the release's waits at ring for one of reasons.
func waitsAt(d *apiclient.ReleaseDetail, ring string, reasons ...planner.WaitReason) []planner.Wait {
	var out []planner.Wait
	for _, w := range d.Waits {
		if (ring == "" || w.Ring == ring) && slices.Contains(reasons, w.Reason) {
			out = append(out, w)
		}
	}
	return out
}

// details joins the waits' details.
func details(ws []planner.Wait) string {
	out := make([]string, 0, len(ws))
	for _, w := range ws {
		out = append(out, w.Detail)
	}
	return strings.Join(out, "; ")
}

// budget returns the measured error budget of app in region.
func (t *Tour) budget(ctx context.Context, app, region string) (rings.Budget, bool, error) {
	ctx, cancel := context.WithTimeout(ctx, 5*time.Second)
	defer cancel()
	st, err := t.Demo.Client.Status(ctx, false)
	if err != nil {
		return rings.Budget{}, false, fmt.Errorf("read the status: %w", err)
	}
	for _, b := range st.Budgets {
		if b.App == app && b.Region == region {
			return b, true, nil
		}
	}
	return rings.Budget{}, false, nil
}
