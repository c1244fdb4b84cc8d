package argocd

import (
	"context"
	"errors"
	"net"
	"strings"
	"testing"
	"time"

	"github.com/ringleader-dev/ringleader/regions"
	"github.com/ringleader-dev/ringleader/regions/argocd/argocdtest"
	ringtopology "github.com/ringleader-dev/ringleader/rings/topology"
)

const appName = "checkout-us-east-1"

// TestObserveSync runs one region through a real HTTP Argo CD test server in
// each state the coordinator must tell apart.
func TestObserveSync(t *testing.T) {
	t.Parallel()
	const progressMsg = `Waiting for rollout to finish: 1 of 3 updated replicas are available...`
	const deadlineMsg = `Deployment "checkout" exceeded its progress deadline`
	const pausedMsg = `Rollout is paused: CanaryPauseStep`
	cases := []struct {
		name   string
		state  *argocdtest.State // nil: no Application
		commit string
		token  string // the server's token; default testToken
		want   func(url string) regions.Health
	}{
		{"synced at the promoted commit", &argocdtest.State{Sync: "Synced", Revision: c1, Health: "Healthy", Operation: "Succeeded"}, c1, "",
			func(string) regions.Health { return regions.Health{Region: "us-east-1", Synced: true, Healthy: true} }},
		{"synced at an older commit", &argocdtest.State{Sync: "Synced", Revision: c0, Health: "Healthy", Operation: "Succeeded"}, c1, "",
			func(string) regions.Health {
				return regions.Health{Region: "us-east-1", Healthy: true, Reason: "synced at an older commit 0a0a0a0a0a0a, not at 1b1b1b1b1b1b or a commit after it"}
			}},
		{"synced at a descendant", &argocdtest.State{Sync: "Synced", Revision: c2, Health: "Healthy"}, c1, "",
			func(string) regions.Health { return regions.Health{Region: "us-east-1", Synced: true, Healthy: true} }},
		{"synced at an unrelated commit", &argocdtest.State{Sync: "Synced", Revision: cx, Health: "Healthy"}, c1, "",
			func(string) regions.Health {
				return regions.Health{Region: "us-east-1", Healthy: true, Reason: "synced at an older commit efefefefefef, not at 1b1b1b1b1b1b or a commit after it"}
			}},
		{"progressing", &argocdtest.State{Sync: "Synced", Revision: c1, Health: "Progressing", HealthMessage: progressMsg}, c1, "",
			func(string) regions.Health {
				return regions.Health{Region: "us-east-1", Synced: true, Reason: "Progressing: " + progressMsg, InProgress: true}
			}},
		{"rollout paused between canary steps", &argocdtest.State{Sync: "Synced", Revision: c1, Health: "Suspended", HealthMessage: pausedMsg, Operation: "Succeeded"}, c1, "",
			func(string) regions.Health {
				return regions.Health{Region: "us-east-1", Synced: true, Reason: "Suspended: " + pausedMsg, InProgress: true}
			}},
		{"older version paused", &argocdtest.State{Sync: "OutOfSync", Revision: c0, Health: "Suspended", HealthMessage: pausedMsg}, c1, "",
			func(string) regions.Health {
				return regions.Health{Region: "us-east-1", Reason: "OutOfSync at 0a0a0a0a0a0a; health Suspended: " + pausedMsg}
			}},
		{"out of sync while the sync runs", &argocdtest.State{Sync: "OutOfSync", Revision: c1, Health: "Healthy", Operation: "Running"}, c1, "",
			func(string) regions.Health {
				return regions.Health{Region: "us-east-1", Healthy: true, Reason: "OutOfSync at 1b1b1b1b1b1b; sync operation Running at 1b1b1b1b1b1b", InProgress: true}
			}},
		{"health missing", &argocdtest.State{Sync: "Synced", Revision: c1, Health: "Missing"}, c1, "",
			func(string) regions.Health {
				return regions.Health{Region: "us-east-1", Synced: true, Reason: "health Missing"}
			}},
		{"degraded", &argocdtest.State{Sync: "Synced", Revision: c1, Health: "Degraded", HealthMessage: deadlineMsg, Operation: "Succeeded"}, c1, "",
			func(string) regions.Health {
				return regions.Health{Region: "us-east-1", Synced: true, Reason: "Degraded at 1b1b1b1b1b1b: " + deadlineMsg}
			}},
		{"degraded old version before the promoted commit is applied", &argocdtest.State{Sync: "OutOfSync", Revision: c0, Health: "Degraded", HealthMessage: deadlineMsg}, c1, "",
			func(string) regions.Health {
				return regions.Health{Region: "us-east-1", Reason: "OutOfSync at 0a0a0a0a0a0a; the version still running is unhealthy (judged once 1b1b1b1b1b1b is applied): " + deadlineMsg}
			}},
		{"operation failed", &argocdtest.State{Sync: "OutOfSync", Revision: c1, Health: "Healthy", Operation: "Failed", OperationMessage: "one or more objects failed to apply"}, c1, "",
			func(string) regions.Health {
				return regions.Health{Region: "us-east-1", Reason: "sync failed: operation Failed at 1b1b1b1b1b1b: one or more objects failed to apply; counted as Degraded"}
			}},
		{"operation errored", &argocdtest.State{Sync: "OutOfSync", Revision: c1, Health: "Healthy", Operation: "Error", OperationMessage: "rpc error: manifest generation"}, c1, "",
			func(string) regions.Health {
				return regions.Health{Region: "us-east-1", Reason: "sync failed: operation Error at 1b1b1b1b1b1b: rpc error: manifest generation; counted as Degraded"}
			}},
		{"failed operation of an older commit is not held against the promotion", &argocdtest.State{Sync: "OutOfSync", Revision: c1, Health: "Healthy", Operation: "Failed", OperationRevision: c0}, c1, "",
			func(string) regions.Health {
				return regions.Health{Region: "us-east-1", Healthy: true, Reason: "OutOfSync at 1b1b1b1b1b1b"}
			}},
		{"wrong token", &argocdtest.State{Sync: "Synced", Revision: c1, Health: "Healthy"}, c1, "another-token",
			func(url string) regions.Health {
				return regions.Health{Region: "us-east-1", Reason: `argocd: unauthorized (check the token): 401 on application "checkout-us-east-1" on ` + url + `: no session information`}
			}},
		{"application missing", nil, c1, "",
			func(url string) regions.Health {
				return regions.Health{Region: "us-east-1", Reason: `argocd: application not found: application "checkout-us-east-1" on ` + url + `: applications.argoproj.io "checkout-us-east-1" not found; check the region's argocd.application template`}
			}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			token := tc.token
			if token == "" {
				token = testToken
			}
			srv := startServer(t, token)
			if tc.state != nil {
				srv.Set(appName, *tc.state)
			}
			src := newSource(t, SourceConfig{Servers: []ClientConfig{{Server: srv.URL(), Token: testToken}}, IsAncestor: fakeAncestry})
			got, err := src.ObserveSync(context.Background(), topology(argoRegion("us-east-1", srv.URL(), "{{app}}-{{region}}")), query(tc.commit, "us-east-1"))
			if err != nil {
				t.Fatalf("ObserveSync: %v", err)
			}
			want := []regions.Health{tc.want(srv.URL())}
			if !equalHealth(got, want) {
				t.Errorf("got  %+v\nwant %+v", got, want)
			}
		})
	}
}

func equalHealth(a, b []regions.Health) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i].Region != b[i].Region || a[i].Synced != b[i].Synced || a[i].Healthy != b[i].Healthy || a[i].Reason != b[i].Reason || a[i].InProgress != b[i].InProgress || len(a[i].Checks) != 0 {
			return false
		}
	}
	return true
}

// TestObserveSyncRegions covers the regions this source cannot ask about and
// name templating, several regions in one query, answered in query order.
func TestObserveSyncRegions(t *testing.T) {
	t.Parallel()
	srv := startServer(t, testToken)
	srv.Set("eu-west-1.checkout", argocdtest.State{Sync: "Synced", Revision: c1, Health: "Healthy"})
	srv.Set("checkout-us-east-1", argocdtest.State{Sync: "Synced", Revision: c0, Health: "Healthy"})
	topo := topology(
		argoRegion("eu-west-1", srv.URL()+"/", "{{ region }}.{{app}}"),
		argoRegion("us-east-1", srv.URL(), "{{app}}-{{region}}"),
		ringtopology.Region{Name: "ap-south-1", Timezone: "UTC"},
		argoRegion("us-west-2", "https://argocd.other.example.com", "{{app}}-{{region}}"),
		argoRegion("sa-east-1", srv.URL(), "{{app}}-{{cluster}}"),
	)
	src := newSource(t, SourceConfig{Servers: []ClientConfig{{Server: srv.URL(), Token: testToken}}})
	got, err := src.ObserveSync(context.Background(), topo, query(c1, "eu-west-1", "us-east-1", "ap-south-1", "us-west-2", "sa-east-1", "mars-1"))
	if err != nil {
		t.Fatalf("ObserveSync: %v", err)
	}
	want := []regions.Health{
		{Region: "eu-west-1", Synced: true, Healthy: true},
		{Region: "us-east-1", Healthy: true, Reason: "synced at an older commit 0a0a0a0a0a0a, not at 1b1b1b1b1b1b or a commit after it"},
		{Region: "ap-south-1", Reason: "no deployment source: the region has no argocd entry"},
		{Region: "us-west-2", Reason: "argocd server https://argocd.other.example.com has no credentials: add it to ringd's argocd servers"},
		{Region: "sa-east-1", Reason: `invalid argocd application template "{{app}}-{{cluster}}": unknown placeholder {{cluster}}; use {{app}} and {{region}}`},
		{Region: "mars-1", Reason: `region "mars-1" is not in topology "test"`},
	}
	if !equalHealth(got, want) {
		t.Errorf("got  %+v\nwant %+v", got, want)
	}
}

// TestObserveSyncDefaultCredentials: a server not listed uses Default.
func TestObserveSyncDefaultCredentials(t *testing.T) {
	t.Parallel()
	srv := startServer(t, testToken)
	srv.Set(appName, argocdtest.State{Sync: "Synced", Revision: c1, Health: "Healthy"})
	src := newSource(t, SourceConfig{Default: &ClientConfig{Token: testToken}})
	got, err := src.ObserveSync(context.Background(), topology(argoRegion("us-east-1", srv.URL(), "{{app}}-{{region}}")), query(c1, "us-east-1"))
	if err != nil {
		t.Fatalf("ObserveSync: %v", err)
	}
	if want := []regions.Health{{Region: "us-east-1", Synced: true, Healthy: true}}; !equalHealth(got, want) {
		t.Errorf("got %+v, want %+v", got, want)
	}
}

// TestObserveSyncServerDown: nobody listens; the region fails closed.
func TestObserveSyncServerDown(t *testing.T) {
	t.Parallel()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	url := "http://" + l.Addr().String()
	l.Close()
	src := newSource(t, SourceConfig{Servers: []ClientConfig{{Server: url, Token: testToken, Timeout: 2 * time.Second}}})
	got, err := src.ObserveSync(context.Background(), topology(argoRegion("us-east-1", url, "{{app}}-{{region}}")), query(c1, "us-east-1"))
	if err != nil {
		t.Fatalf("ObserveSync: %v", err)
	}
	prefix := `get application "checkout-us-east-1" on ` + url + `: argocd: server unavailable: `
	if len(got) != 1 || got[0].Synced || got[0].Healthy || !strings.HasPrefix(got[0].Reason, prefix) || !strings.Contains(got[0].Reason, "connection refused") {
		t.Errorf("got %+v, want unsynced, unhealthy, reason %q… connection refused", got, prefix)
	}
}

// TestObserveSyncTimeout: a server that hangs is cut off by the client
// timeout, quickly.
func TestObserveSyncTimeout(t *testing.T) {
	t.Parallel()
	srv := startServer(t, testToken)
	srv.Set(appName, argocdtest.State{Sync: "Synced", Revision: c1, Health: "Healthy"})
	srv.Stall(true)
	src := newSource(t, SourceConfig{Servers: []ClientConfig{{Server: srv.URL(), Token: testToken, Timeout: 150 * time.Millisecond}}})
	start := time.Now()
	got, err := src.ObserveSync(context.Background(), topology(argoRegion("us-east-1", srv.URL(), "{{app}}-{{region}}")), query(c1, "us-east-1"))
	took := time.Since(start)
	if err != nil {
		t.Fatalf("ObserveSync: %v", err)
	}
	if len(got) != 1 || got[0].Synced || got[0].Healthy || !strings.Contains(got[0].Reason, "argocd: server unavailable") || !strings.Contains(got[0].Reason, "Client.Timeout exceeded") || took > 3*time.Second {
		t.Errorf("got %+v after %s, want a timeout reason well within 3s", got, took)
	}
}

// TestObserveSyncNoTopology is the only error ObserveSync returns.
func TestObserveSyncNoTopology(t *testing.T) {
	t.Parallel()
	src := newSource(t, SourceConfig{})
	if _, err := src.ObserveSync(context.Background(), nil, query(c1, "us-east-1")); !errors.Is(err, regions.ErrNoTopology) {
		t.Errorf("err = %v, want regions.ErrNoTopology", err)
	}
}
