package demo

import (
	"context"
	"fmt"
	"slices"
	"strings"

	"github.com/ringleader-dev/ringleader/coordinator/apiclient"
	"github.com/ringleader-dev/ringleader/rings"
	"github.com/ringleader-dev/ringleader/rings/planner"
)

// The steps scenarios are made of. Each acts, then waits for its outcome
// with the tour's deadline; none sleeps to let things happen.

// approve waits until release rel either asks for an approval of ring
// (its own approval or the error budget's approval band of one of its
// regions, while the others may already be written), then approves it,
// or has written every region of ring without asking (no approval and
// budget to spare). With mustAsk, starting without asking fails the step: the
// scenario is there to show the gate.
func approve(rel, ring, why string, mustAsk bool) Step {
	return Step{
		Say:   fmt.Sprintf("Approve ring %s of release %s when it asks (ringctl release approve ID --ring %s)", ring, rel, ring),
		Watch: fmt.Sprintf("the release card says it awaits approval of %s, and why", ring),
		Run: func(ctx context.Context, t *Tour) (string, error) {
			var asked []planner.Wait
			started := false
			err := t.waitFor(ctx, fmt.Sprintf("release %s asking for an approval of %s", rel, ring), func(ctx context.Context) (bool, error) {
				d, err := t.detail(ctx, rel)
				if err != nil {
					return false, err
				}
				asked = waitsAt(d, ring, planner.WaitApproval, planner.WaitErrorBudget)
				if d.State == rings.ReleaseAwaitingApproval && len(asked) > 0 {
					return true, nil
				}
				// A ring whose regions are all written started without
				// asking; "promoting" may still ask for the rest.
				rp := d.Ring(ring)
				started = rp != nil && rp.State != rings.RingPending && rp.State != rings.RingPromoting
				return started, nil
			})
			switch {
			case err != nil:
				return "", err
			case started && mustAsk:
				return "", fmt.Errorf("ring %s started without asking for an approval", ring)
			case started:
				return fmt.Sprintf("ring %s needed no approval", ring), nil
			}
			if _, err := t.Demo.Client.Approve(ctx, t.release(rel), ring, why); err != nil {
				return "", fmt.Errorf("approve ring %s: %w", ring, err)
			}
			return fmt.Sprintf("it asked (%s); approved", details(asked)), nil
		},
	}
}

// awaitRelease waits until release rel is in one of states.
func awaitRelease(rel, watch string, states ...rings.ReleaseState) Step {
	return Step{
		Say:   fmt.Sprintf("Wait for release %s to be %s", rel, joinStates(states)),
		Watch: watch,
		Run: func(ctx context.Context, t *Tour) (string, error) {
			var got rings.ReleaseState
			err := t.waitFor(ctx, fmt.Sprintf("release %s being %s", rel, joinStates(states)), func(ctx context.Context) (bool, error) {
				d, err := t.detail(ctx, rel)
				if err != nil {
					return false, err
				}
				got = d.State
				return slices.Contains(states, got), nil
			})
			if err != nil {
				return "", fmt.Errorf("%w; it is %s", err, got)
			}
			return fmt.Sprintf("release %s is %s", t.release(rel), got), nil
		},
	}
}

// awaitRing waits until ring of release rel is in one of states.
func awaitRing(rel, ring, watch string, states ...rings.RingState) Step {
	return Step{
		Say:   fmt.Sprintf("Wait for ring %s of release %s to be %s", ring, rel, joinStates(states)),
		Watch: watch,
		Run: func(ctx context.Context, t *Tour) (string, error) {
			var got rings.RingState
			err := t.waitFor(ctx, fmt.Sprintf("ring %s of release %s being %s", ring, rel, joinStates(states)), func(ctx context.Context) (bool, error) {
				d, err := t.detail(ctx, rel)
				if err != nil {
					return false, err
				}
				if rp := d.Ring(ring); rp != nil {
					got = rp.State
				}
				return slices.Contains(states, got), nil
			})
			if err != nil {
				return "", fmt.Errorf("%w; it is %s", err, got)
			}
			return fmt.Sprintf("ring %s is %s", ring, got), nil
		},
	}
}

// create starts a release of app at version with priority ("" for none)
// and names it rel in the scenario.
func create(rel, app, version, priority, why string) Step {
	say := fmt.Sprintf("Create release %s: ringctl release create --app %s --version %s", rel, app, version)
	if priority != "" {
		say += " --priority " + priority
	}
	return Step{
		Say:   say + "   # " + why,
		Watch: "a new release card appears",
		Run: func(ctx context.Context, t *Tour) (string, error) {
			d, err := t.Demo.createRelease(ctx, apiclient.CreateReleaseRequest{App: app, Version: version, Priority: priority})
			if err != nil {
				return "", fmt.Errorf("create release %s %s: %w", app, version, err)
			}
			t.releases[rel] = d.ID
			return fmt.Sprintf("release %s created", d.ID), nil
		},
	}
}

// abort aborts release rel.
func abort(rel, why string) Step {
	return Step{
		Say: fmt.Sprintf("Abort release %s (ringctl release abort ID --reason %q)", rel, why),
		Run: func(ctx context.Context, t *Tour) (string, error) {
			d, err := t.Demo.Client.Abort(ctx, t.release(rel), why)
			if err != nil {
				return "", fmt.Errorf("abort release %s: %w", t.release(rel), err)
			}
			return fmt.Sprintf("release %s is %s", d.ID, d.State), nil
		},
	}
}

// breakRegion makes region answer badly whatever version it runs (on),
// or well again (off), through ringsim's control endpoint: with
// Prometheus half its requests answer 5xx, so analysis fails it; without,
// its Applications report Degraded in Argo CD.
func breakRegion(region string, on bool, why string) Step {
	say := fmt.Sprintf("Break region %s: it answers badly whatever it runs   # %s", region, why)
	watch := fmt.Sprintf("%s turns red in its ring", region)
	if !on {
		say = fmt.Sprintf("Repair region %s   # %s", region, why)
		watch = ""
	}
	return Step{Say: say, Watch: watch, Run: func(ctx context.Context, t *Tour) (string, error) {
		sim := t.Demo.Env.Sim
		path, undo := "/v1/regions/"+region+"/degrade?on=", "false"
		err := sim.Degrade(ctx, region, "", on)
		if t.Demo.Env.Mode == ModeMetrics {
			ratio := -1.0
			if on {
				ratio = 0.5
			}
			path, undo = "/v1/regions/"+region+"/errors?ratio=", "-1"
			err = sim.SetErrorRatio(ctx, region, ratio)
		}
		if err != nil {
			return "", err
		}
		t.repair = fmt.Sprintf("curl -X POST '%s%s%s'", sim.Control, path, undo)
		if on {
			return fmt.Sprintf("%s answers badly; %s repairs it", region, t.repair), nil
		}
		return region + " answers well again", nil
	}}
}

// burn serves half of region's requests with 5xx until the measured
// budget of app there is at most below percent, then returns the region
// to its versions' own behaviour: the figure is Prometheus', measured by
// the leader, never set by hand.
func burn(region, app string, below float64) Step {
	return Step{
		Say:   fmt.Sprintf("Burn the error budget of %s in %s: half its requests answer 5xx until at most %.0f%% of the budget remains", app, region, below),
		Watch: fmt.Sprintf("the budget panel: %s falls through the approval band (50%%–25%%) into frozen", region),
		Run: func(ctx context.Context, t *Tour) (string, error) {
			if err := t.Demo.Env.Sim.SetErrorRatio(ctx, region, 0.5); err != nil {
				return "", err
			}
			var b rings.Budget
			err := t.waitFor(ctx, fmt.Sprintf("the budget of %s in %s falling to %.0f%%", app, region, below), func(ctx context.Context) (bool, error) {
				got, ok, err := t.budget(ctx, app, region)
				b = got
				return ok && got.RemainingPercent <= below, err
			})
			if clearErr := t.Demo.Env.Sim.SetErrorRatio(context.WithoutCancel(ctx), region, -1); err == nil && clearErr != nil {
				err = clearErr
			}
			if err != nil {
				return "", err
			}
			return fmt.Sprintf("%.1f%% of the budget of %s in %s remains (measured %s); the region answers well again", b.RemainingPercent, app, region, b.At.Format("15:04:05")), nil
		},
	}
}

// awaitClean waits until region's requests have been clean for the
// analysis window, so a release landing there is judged on itself, not
// on the errors a scenario just caused.
func awaitClean(region string) Step {
	query := fmt.Sprintf(`sum(rate(http_requests_total{region=%q,code=~"5.."}[10s])) == 0`, region)
	return Step{
		Say: fmt.Sprintf("Wait until %s has answered without errors for the analysis window (10s)", region),
		Run: func(ctx context.Context, t *Tour) (string, error) {
			err := t.waitFor(ctx, region+" answering without errors", func(ctx context.Context) (bool, error) {
				return hasData(ctx, t.Demo.Env.Prometheus.URL, query)
			})
			if err != nil {
				return "", err
			}
			return region + " is clean", nil
		},
	}
}

// awaitFrozen waits until release rel is held at ring by an exhausted
// error budget: a budget wait that no approval lifts.
func awaitFrozen(rel, ring string) Step {
	return Step{
		Say:   fmt.Sprintf("Wait for release %s to be held at ring %s by the exhausted budget", rel, ring),
		Watch: "the release card waits with reason error-budget, and no approval is offered",
		Run: func(ctx context.Context, t *Tour) (string, error) {
			return t.awaitWaits(ctx, rel, ring, "its exhausted error budget holding it", planner.WaitErrorBudget,
				func(d *apiclient.ReleaseDetail, held []planner.Wait) (bool, error) {
					if rp := d.Ring(ring); rp != nil && rp.State != rings.RingPending {
						return false, stop{fmt.Errorf("ring %s started: it is %s", ring, rp.State)}
					}
					return len(held) > 0 && d.State != rings.ReleaseAwaitingApproval && strings.Contains(details(held), "exhausted"), nil
				})
		},
	}
}

// awaitWaits waits until release rel waits at ring for reason and accept
// agrees, and says what holds it.
func (t *Tour) awaitWaits(ctx context.Context, rel, ring, what string, reason planner.WaitReason,
	accept func(d *apiclient.ReleaseDetail, held []planner.Wait) (bool, error)) (string, error) {
	var held []planner.Wait
	err := t.waitFor(ctx, fmt.Sprintf("release %s at ring %s: %s", rel, ring, what), func(ctx context.Context) (bool, error) {
		d, err := t.detail(ctx, rel)
		if err != nil {
			return false, err
		}
		held = waitsAt(d, ring, reason)
		return accept(d, held)
	})
	if err != nil {
		return "", err
	}
	return "held: " + details(held), nil
}

// joinStates renders states as "a or b".
func joinStates[S ~string](states []S) string {
	out := make([]string, 0, len(states))
	for _, s := range states {
		out = append(out, string(s))
	}
	return strings.Join(out, " or ")
}
