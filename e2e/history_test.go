package e2e

import (
	"encoding/json"
	"fmt"
	"os/exec"
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
	all, err := e.git.Log(repoName)
	if err != nil {
		t.Fatal(err)
	}
	var out []harness.CommitRecord
	for _, c := range all {
		for _, tr := range c.Promotions {
			p := c
			p.Trailers = tr
			out = append(out, p)
		}
	}
	return out
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
