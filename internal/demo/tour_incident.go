package demo

import (
	"context"
	"fmt"
	"strings"

	"github.com/ringleader-dev/ringleader/coordinator/apiclient"
	"github.com/ringleader-dev/ringleader/rings"
	"github.com/ringleader-dev/ringleader/rings/planner"
)

// The incident steps: halts, what Git holds, and what a failed rollback
// leaves for a person.

// haltAll places a global halt and notes the Git head once its fence
// commit is there: nothing the halt covers may land after it.
func haltAll(why string) Step {
	return Step{
		Say:   fmt.Sprintf("Halt everything: ringctl halt --global --reason %q", why),
		Watch: "the halt banner at the top of the dashboard: who placed it and why",
		Run: func(ctx context.Context, t *Tour) (string, error) {
			h, err := t.Demo.Client.PlaceHalt(ctx, apiclient.HaltRequest{HaltScope: rings.HaltScope{Global: true}, Reason: why})
			if err != nil {
				return "", fmt.Errorf("place the halt: %w", err)
			}
			t.halt = h.ID
			// The fence commit counts the active halts; the first with
			// this one is the head once the node has written it.
			err = t.waitFor(ctx, "the halt's fence commit in Git", func(context.Context) (bool, error) {
				fenced, err := t.Demo.Env.Git.Git(RepoName, "log", "-1", "--format=%(trailers:key=Ringleader-Halt-Fence,valueonly)", t.Demo.Env.Branch)
				return fenced != "" && fenced != "0", err
			})
			if err != nil {
				return "", err
			}
			if t.mark, err = t.head(); err != nil {
				return "", err
			}
			return fmt.Sprintf("halt %s placed; its fence commit %s is the head of %s", h.ID, short(t.mark), t.Demo.Env.Branch), nil
		},
	}
}

// resumeHalt lifts the scenario's halt.
func resumeHalt(why string) Step {
	return Step{
		Say:   fmt.Sprintf("Resume: ringctl resume HALT_ID --reason %q", why),
		Watch: "the halt banner goes; the release moves again",
		Run: func(ctx context.Context, t *Tour) (string, error) {
			if _, err := t.Demo.Client.Resume(ctx, t.halt, why); err != nil {
				return "", fmt.Errorf("resume halt %s: %w", t.halt, err)
			}
			return fmt.Sprintf("halt %s resumed", t.halt), nil
		},
	}
}

// awaitHeld waits until release rel is held by a halt at ring: the ring
// it would promote now, were there no halt.
func awaitHeld(rel, ring string) Step {
	return Step{
		Say:   fmt.Sprintf("Wait until release %s would start ring %s and the halt holds it", rel, ring),
		Watch: fmt.Sprintf("the soak finishes, and ring %s does not start", ring),
		Run: func(ctx context.Context, t *Tour) (string, error) {
			return t.awaitWaits(ctx, rel, ring, "the halt holding it", planner.WaitHalt,
				func(_ *apiclient.ReleaseDetail, held []planner.Wait) (bool, error) { return len(held) > 0, nil })
		},
	}
}

// nothingLanded checks Git: no promotion commit since the halt's fence.
func nothingLanded() Step {
	return Step{
		Say: "Check Git: no promotion landed since the halt's fence commit",
		Run: func(ctx context.Context, t *Tour) (string, error) {
			head, err := t.head()
			if err != nil {
				return "", err
			}
			promos, err := t.Demo.Env.Git.Git(RepoName, "log", "--format=%(trailers:key=Ringleader-Promotion,valueonly)", t.mark+".."+head)
			if err != nil {
				return "", err
			}
			if p := strings.TrimSpace(promos); p != "" {
				return "", fmt.Errorf("promotions landed under the halt: %s", p)
			}
			return fmt.Sprintf("nothing landed: %s..%s holds no promotion", short(t.mark), short(head)), nil
		},
	}
}

// neverBeyond checks Git: no region outside the first ring's ever ran
// version of app.
func neverBeyond(app, version string) Step {
	return Step{
		Say: fmt.Sprintf("Check Git: no region after canary ever ran %s", version),
		Run: func(ctx context.Context, t *Tour) (string, error) {
			top := t.Demo.Env.Topology
			a, ok := top.AppByName(app)
			if !ok {
				return "", fmt.Errorf("no app %s in the demo topology", app)
			}
			for _, ring := range top.Spec.Rings[1:] {
				for _, region := range ring.Regions {
					file := strings.ReplaceAll(a.Targets[0].File, "{{region}}", region)
					log, err := t.Demo.Env.Git.Git(RepoName, "log", "-p", "--format=%H", t.Demo.Env.Branch, "--", file)
					if err != nil {
						return "", err
					}
					if strings.Contains(log, version) {
						return "", fmt.Errorf("region %s ran %s: the history of %s mentions it", region, version, file)
					}
				}
			}
			return fmt.Sprintf("the later rings never saw %s", version), nil
		},
	}
}

// attention shows what `ringctl status` asks a person to look at, and
// requires the release to be there.
func attention(rel string) Step {
	return Step{
		Say:   "Look at what needs a person: ringctl status (ATTENTION) and the event feed",
		Watch: "the event feed: an urgent release.rollback-failed notification; the region's automatic halt stays",
		Run: func(ctx context.Context, t *Tour) (string, error) {
			var found *apiclient.Attention
			err := t.waitFor(ctx, "the failed rollback listed for attention", func(ctx context.Context) (bool, error) {
				st, err := t.Demo.Client.Status(ctx, false)
				if err != nil {
					return false, err
				}
				for i, a := range st.Attention {
					if a.ReleaseID == t.release(rel) {
						found = &st.Attention[i]
					}
				}
				return found != nil && len(found.Halts) > 0, nil
			})
			if err != nil {
				return "", err
			}
			t.halt = found.Halts[0]
			return fmt.Sprintf("%s %s in %s: %s; held by %s", found.ReleaseID, found.State, strings.Join(found.Regions, ", "),
				found.Reason, strings.Join(found.Halts, ", ")), nil
		},
	}
}

// head returns the GitOps branch's head commit.
func (t *Tour) head() (string, error) {
	return t.Demo.Env.Git.Git(RepoName, "rev-parse", t.Demo.Env.Branch)
}

// short abbreviates a commit hash.
func short(h string) string { return h[:min(len(h), 12)] }

// failedRing lists the states a ring shows once it failed.
var failedRing = []rings.RingState{rings.RingFailed, rings.RingRollingBack, rings.RingRolledBack}
