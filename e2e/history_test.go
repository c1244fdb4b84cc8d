package e2e

import (
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/ringleader-dev/ringleader/e2e/harness"
)

// Commit trailers Ringleader writes (internal/gitops).
const (
	trailerRelease   = "Ringleader-Release"
	trailerRing      = "Ringleader-Ring"
	trailerPromotion = "Ringleader-Promotion"
	trailerVersion   = "Ringleader-Version"
	trailerRegions   = "Ringleader-Regions"
	trailerRollback  = "Ringleader-Rollback"
)

// historyReport is `ringctl verify-history -o json`.
type historyReport struct {
	Commits    int `json:"commits"`
	Promotions int `json:"promotions"`
	Violations []struct {
		Kind, Commit, PromotionID, Release, Ring, Detail string
	} `json:"violations"`
}

// verifyHistory runs `ringctl verify-history` on the GitOps branch with
// the topology file and fails the test on any violation.
func (e *env) verifyHistory(t *testing.T) historyReport {
	t.Helper()
	return e.verifyHistoryTo(t)
}

// verifyHistoryTo is verifyHistory reporting to v.
func (e *env) verifyHistoryTo(v errorfer) historyReport {
	v.Helper()
	out, err := exec.Command(bins.Ringctl, "-o", "json", "verify-history", "--repo", e.repoURL, "--topology", e.topoFile).CombinedOutput()
	var rep historyReport
	i := strings.Index(string(out), "{")
	if i < 0 {
		v.Errorf("ringctl verify-history printed no report: %v\n%s", err, out)
		return rep
	}
	if jerr := json.Unmarshal(out[i:], &rep); jerr != nil {
		v.Errorf("ringctl verify-history: %v %v\n%s", err, jerr, out)
		return rep
	}
	for _, x := range rep.Violations {
		v.Errorf("verify-history: %s at %.12s (release %s ring %s): %s", x.Kind, x.Commit, x.Release, x.Ring, x.Detail)
	}
	if err != nil && len(rep.Violations) == 0 {
		v.Errorf("ringctl verify-history failed without naming a violation: %v\n%s", err, out)
	}
	return rep
}

// promotionCommits are the promotions in the GitOps history (forward
// promotions and rollbacks), oldest first: one record per promotion, its
// Trailers the promotion's own (a batch commit gives one record per
// promotion it carries, all with its hash).
func (e *env) promotionCommits(t testing.TB) []harness.CommitRecord {
	t.Helper()
	var out []harness.CommitRecord
	for _, c := range e.gitLog(t) {
		for _, tr := range c.Promotions {
			p := c
			p.Trailers = tr
			out = append(out, p)
		}
	}
	return out
}

// gitLog is the GitOps branch's history, oldest first.
func (e *env) gitLog(t testing.TB) []harness.CommitRecord {
	t.Helper()
	all, err := e.git.Log(repoName)
	if err != nil {
		t.Fatal(err)
	}
	return all
}

// forwardPromotions of release id: ring → commits (rollbacks excluded).
func (e *env) forwardPromotions(t testing.TB, id string) map[string][]harness.CommitRecord {
	out := map[string][]harness.CommitRecord{}
	for _, c := range e.promotionCommits(t) {
		if c.Trailers[trailerRelease] == id && c.Trailers[trailerRollback] != "true" {
			out[c.Trailers[trailerRing]] = append(out[c.Trailers[trailerRing]], c)
		}
	}
	return out
}

// neverPromoted checks for d that no forward promotion of release id
// reaches any of rings.
func (e *env) neverPromoted(t testing.TB, d time.Duration, id string, ringNames ...string) {
	t.Helper()
	e.never(d, fmt.Sprintf("release %s to be promoted to %v", id, ringNames), func() string {
		p := e.forwardPromotions(t, id)
		for _, ring := range ringNames {
			if len(p[ring]) > 0 {
				return "promoted to " + ring
			}
		}
		return ""
	})
}

// rollbacks of release id: ring → rollback commits.
func (e *env) rollbacks(t testing.TB, id string) map[string][]harness.CommitRecord {
	out := map[string][]harness.CommitRecord{}
	for _, c := range e.promotionCommits(t) {
		if c.Trailers[trailerRelease] == id && c.Trailers[trailerRollback] == "true" {
			out[c.Trailers[trailerRing]] = append(out[c.Trailers[trailerRing]], c)
		}
	}
	return out
}

// versionIn reads image.tag of app in region at the tip of main.
func (e *env) versionIn(app, region string) string {
	s := e.git.Show(repoName, "apps/"+app+"/"+region+"/values.yaml")
	for _, line := range strings.Split(s, "\n") {
		if k, v, ok := strings.Cut(strings.TrimSpace(line), ":"); ok && k == "tag" {
			return strings.Trim(strings.TrimSpace(v), `"'`)
		}
	}
	return fmt.Sprintf("<no tag in %q>", s)
}

// ringd's test-only failpoints (internal/server/failpoints.go): each names
// a file and fires once per cluster.
const (
	holdBatchEnv          = "RINGLEADER_TEST_HOLD_BATCH"
	hangAfterBatchPushEnv = "RINGLEADER_TEST_HANG_AFTER_BATCH_PUSH"
)

// trainWith starts a cluster whose nodes have the failpoint env set to a
// fresh file (returned), and departs a train of every app at v2.0.0.
func trainWith(t *testing.T, env string) (e *env, rs []ringSpec, ids map[string]string, file string) {
	t.Helper()
	file = filepath.Join(t.TempDir(), "failpoint")
	t.Setenv(env, file)
	rs = defaultRings()
	e = newEnv(t, envOptions{rings: rs})
	return e, rs, e.train(t, "v2.0.0"), file
}

// train releases every app at version in the same leader pass: a global
// halt holds the releases until all exist, and its resume lets their
// canary promotions fall due together. It returns app → release ID.
func (e *env) train(t *testing.T, version string) map[string]string {
	t.Helper()
	h := haltID(t, e.ringctlRetry(e.c.ICToken, "-o", "json", "halt", "--global", "--reason", "e2e: hold the train until every release exists"))
	ids := map[string]string{}
	for _, app := range apps {
		ids[app] = e.create(app, version)
	}
	e.ringctlRetry(e.c.ICToken, "resume", h, "--reason", "e2e: the train departs")
	return ids
}

// batchCommits are the commits of the history carrying two or more
// promotions.
func (e *env) batchCommits(t *testing.T) []harness.CommitRecord {
	t.Helper()
	var out []harness.CommitRecord
	for _, c := range e.gitLog(t) {
		if len(c.Promotions) >= 2 {
			out = append(out, c)
		}
	}
	return out
}

// promotedApps lists the apps of a commit's promotions, in order.
func promotedApps(c harness.CommitRecord) string {
	var out []string
	for _, p := range c.Promotions {
		out = append(out, p["Ringleader-App"]+"@"+p[trailerRing])
	}
	return strings.Join(out, ",")
}

// waitFile waits for a failpoint's file.
func waitFile(t *testing.T, file, what string) {
	t.Helper()
	harness.Eventually(t, 60*time.Second, what, func() error {
		_, err := os.Stat(file)
		return err
	})
}
