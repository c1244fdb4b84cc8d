package regionsim_test

import (
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/ringleader-dev/ringleader/internal/demo"
	"github.com/ringleader-dev/ringleader/internal/gitops/yamledit"
	"github.com/ringleader-dev/ringleader/internal/poll"
	"github.com/ringleader-dev/ringleader/internal/regionsim"
	"github.com/ringleader-dev/ringleader/internal/seedrepo"
	"github.com/ringleader-dev/ringleader/rings/topology"
)

// world is a Git server with the demo repository and a simulator on it.
type world struct {
	git *demo.GitServer
	top *topology.Topology
	sim *regionsim.Simulator
}

func startWorld(t *testing.T, mode regionsim.Mode, delay time.Duration) *world {
	t.Helper()
	gs, err := demo.StartGitServer(filepath.Join(t.TempDir(), "git"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(gs.Stop)
	top := seedDemoRepo(t, gs, gs.URL(demo.RepoName))
	var ls regionsim.Listeners
	for _, l := range []*net.Listener{&ls.ArgoCD, &ls.Metrics, &ls.Control} {
		if *l, err = net.Listen("tcp", "127.0.0.1:0"); err != nil {
			t.Fatal(err)
		}
	}
	sim, err := regionsim.Start(regionsim.Config{Topology: top, RepoURL: gs.URL(demo.RepoName), Token: "tok", Mode: mode,
		SyncDelay: delay, PollInterval: 50 * time.Millisecond}, ls)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(sim.Close)
	return &world{git: gs, top: top, sim: sim}
}

// seedDemoRepo creates the demo repository on gs at its initial versions
// and returns the demo topology, whose apps are read from repoURL.
func seedDemoRepo(t *testing.T, gs *demo.GitServer, repoURL string) *topology.Topology {
	t.Helper()
	_, top, err := demo.Topology(demo.TopologyOptions{RepoURL: repoURL, ArgoCDServer: "http://127.0.0.1:1",
		CanarySoak: time.Second, EarlySoak: time.Second, GlobalSoak: time.Second})
	if err != nil {
		t.Fatal(err)
	}
	files, err := seedrepo.Files(top, demo.InitialVersions, nil)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := gs.CreateRepo(demo.RepoName, "main", files); err != nil {
		t.Fatal(err)
	}
	return top
}

// setVersion commits checkout's version for region and returns the commit.
func (w *world) setVersion(t *testing.T, region, version string) string {
	t.Helper()
	work := t.TempDir()
	run := func(args ...string) string {
		out, err := demo.RunGit(work, args...)
		if err != nil {
			t.Fatal(err)
		}
		return out
	}
	run("clone", "--quiet", w.git.URL(demo.RepoName), ".")
	file := filepath.Join(work, "apps", "checkout", region, "values.yaml")
	content, err := os.ReadFile(file)
	if err != nil {
		t.Fatal(err)
	}
	edited, err := yamledit.SetPath(content, "image.tag", version)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(file, edited, 0o644); err != nil {
		t.Fatal(err)
	}
	run("commit", "--quiet", "-am", "checkout "+version+" in "+region)
	run("push", "--quiet", "origin", "main")
	return run("rev-parse", "HEAD")
}

// app returns the status of checkout in region.
func (w *world) app(region string) regionsim.AppStatus {
	for _, a := range w.sim.Status() {
		if a.Region == region && a.App == "checkout" {
			return a
		}
	}
	return regionsim.AppStatus{}
}

func TestStartSyncsEveryApplicationAtTheSeededVersions(t *testing.T) {
	t.Parallel()
	w := startWorld(t, regionsim.ModeMetrics, time.Second)
	st := w.sim.Status()
	if len(st) != 8 {
		t.Fatalf("got %d applications, want 4 regions × 2 apps", len(st))
	}
	for _, a := range st {
		want := regionsim.AppStatus{Region: a.Region, App: a.App, Application: a.App + "-" + a.Region, Version: demo.InitialVersions[a.App],
			Revision: a.Revision, Sync: "Synced", Health: "Healthy"}
		if a != want || len(a.Revision) != 40 {
			t.Errorf("got %+v, want %+v at a full commit id", a, want)
		}
	}
}

func TestANewVersionSyncsAfterTheDelay(t *testing.T) {
	t.Parallel()
	w := startWorld(t, regionsim.ModeMetrics, 700*time.Millisecond)
	commit := w.setVersion(t, "us-east-1", "v1.5.0")
	poll.Until(t, 15*time.Second, "the new commit to be seen", func() bool { return w.app("us-east-1").Pending })
	if got := w.app("us-east-1"); got.Sync != "OutOfSync" || got.Health != "Progressing" || got.Version != "v1.4.1" {
		t.Errorf("while syncing got %+v, want OutOfSync, Progressing, still v1.4.1", got)
	}
	poll.Until(t, 15*time.Second, "the sync", func() bool { return w.app("us-east-1").Version == "v1.5.0" })
	if got := w.app("us-east-1"); got.Sync != "Synced" || got.Health != "Healthy" || got.Revision != commit {
		t.Errorf("after the delay got %+v, want Synced and Healthy at %s", got, commit)
	}
	if got := w.app("eu-west-1"); got.Version != "v1.4.1" || got.Revision != commit || got.Sync != "Synced" {
		t.Errorf("an untouched region got %+v, want v1.4.1 Synced at the new commit", got)
	}
}

func TestBadVersions(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		mode       regionsim.Mode
		wantHealth string
		want5xx    bool
	}{
		{regionsim.ModeDegraded, "Degraded", false},
		{regionsim.ModeMetrics, "Healthy", true},
	} {
		t.Run(string(tc.mode), func(t *testing.T) {
			t.Parallel()
			w := startWorld(t, tc.mode, 50*time.Millisecond)
			w.setVersion(t, "us-east-1", "v1.5.0-bad")
			poll.Until(t, 15*time.Second, "the bad version to run", func() bool { return w.app("us-east-1").Version == "v1.5.0-bad" })
			if got := w.app("us-east-1").Health; got != tc.wantHealth {
				t.Errorf("health %s, want %s", got, tc.wantHealth)
			}
			var errors float64
			// 200s first, then 5xx: a tick between the two reads must not
			// make the 5xx read older than the 200s it is compared with
			// (at a 0.5 error ratio both counters move together).
			poll.Until(t, 15*time.Second, "a traffic tick", func() bool {
				if counter(t, w.sim.Addrs().Metrics, `region="us-east-1",version="v1.5.0-bad",code="200"`) == 0 {
					return false
				}
				errors = counter(t, w.sim.Addrs().Metrics, `region="us-east-1",version="v1.5.0-bad",code="500"`)
				return true
			})
			if got := errors > 0; got != tc.want5xx {
				t.Errorf("5xx requests counted: %v (%v), want %v", got, errors, tc.want5xx)
			}
		})
	}
}

func hasAll(line string, parts []string) bool {
	for _, p := range parts {
		if !strings.Contains(line, p) {
			return false
		}
	}
	return true
}

// counter returns the value of the http_requests_total series whose labels
// contain labels (0 when absent).
func counter(t *testing.T, addr, labels string) float64 {
	t.Helper()
	resp, err := http.Get("http://" + addr + "/metrics")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	for _, line := range strings.Split(string(body), "\n") {
		if strings.HasPrefix(line, "http_requests_total{") && hasAll(line, strings.Split(labels, ",")) {
			var v float64
			if _, err := fmt.Sscan(line[strings.LastIndexByte(line, ' ')+1:], &v); err == nil {
				return v
			}
		}
	}
	return 0
}

func TestArgoCDAPIServesTheApplications(t *testing.T) {
	t.Parallel()
	w := startWorld(t, regionsim.ModeMetrics, time.Second)
	for _, tc := range []struct {
		name, token string
		want        int
	}{
		{"checkout-us-east-1", "tok", http.StatusOK},
		{"ledger-ap-northeast-1", "tok", http.StatusOK},
		{"checkout-us-east-1", "wrong", http.StatusUnauthorized},
		{"checkout-nowhere", "tok", http.StatusNotFound},
	} {
		req, _ := http.NewRequest(http.MethodGet, w.sim.Addrs().ArgoCD+"/api/v1/applications/"+tc.name, nil)
		req.Header.Set("Authorization", "Bearer "+tc.token)
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != tc.want {
			t.Errorf("GET %s with token %q: %d, want %d", tc.name, tc.token, resp.StatusCode, tc.want)
		}
	}
}

func TestControlEndpoint(t *testing.T) {
	t.Parallel()
	w := startWorld(t, regionsim.ModeMetrics, 50*time.Millisecond)
	ctl := w.sim.Addrs().Control
	post := func(path string) int {
		resp, err := http.Post(ctl+path, "", nil)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		return resp.StatusCode
	}
	for _, tc := range []struct {
		path string
		want int
	}{
		{"/v1/regions/nowhere/pause", http.StatusNotFound},
		{"/v1/regions/us-east-1/errors?ratio=x", http.StatusBadRequest},
		{"/v1/regions/us-east-1/errors?ratio=2", http.StatusBadRequest},
		{"/v1/sync-delay?d=soon", http.StatusBadRequest},
		{"/v1/argocd?fail=200", http.StatusBadRequest},
		{"/v1/sync-delay?d=50ms", http.StatusNoContent},
	} {
		if got := post(tc.path); got != tc.want {
			t.Errorf("POST %s: %d, want %d", tc.path, got, tc.want)
		}
	}

	// Paused: the new commit is seen, not applied.
	if got := post("/v1/regions/us-east-1/pause"); got != http.StatusNoContent {
		t.Fatalf("pause: %d", got)
	}
	w.setVersion(t, "us-east-1", "v1.6.0")
	poll.Until(t, 15*time.Second, "the commit to be seen", func() bool { return w.app("us-east-1").Pending })
	time.Sleep(200 * time.Millisecond) // several sync delays: the paused region must not apply in them
	if got := w.app("us-east-1"); got.Version != "v1.4.1" || got.Sync != "OutOfSync" {
		t.Errorf("paused region got %+v, want v1.4.1 OutOfSync", got)
	}
	post("/v1/regions/us-east-1/resume")
	poll.Until(t, 15*time.Second, "the resumed sync", func() bool { return w.app("us-east-1").Version == "v1.6.0" })

	// Forced degradation, then lifted.
	post("/v1/regions/us-east-1/degrade?app=checkout")
	if got := w.app("us-east-1").Health; got != "Degraded" {
		t.Errorf("forced degrade: health %s, want Degraded", got)
	}
	post("/v1/regions/us-east-1/degrade?app=checkout&on=false")
	if got := w.app("us-east-1").Health; got != "Healthy" {
		t.Errorf("lifted degrade: health %s, want Healthy", got)
	}

	// The status listing.
	resp, err := http.Get(ctl + "/v1/apps")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var apps []regionsim.AppStatus
	if err := json.NewDecoder(resp.Body).Decode(&apps); err != nil {
		t.Fatal(err)
	}
	if len(apps) != 8 {
		t.Errorf("GET /v1/apps listed %d applications, want 8", len(apps))
	}
}
