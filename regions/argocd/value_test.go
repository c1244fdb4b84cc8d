package argocd

import (
	"context"
	"testing"

	"github.com/ringleader-dev/ringleader/regions/argocd/argocdtest"
	"github.com/ringleader-dev/ringleader/rings"
	ringtopology "github.com/ringleader-dev/ringleader/rings/topology"
)

// TestObserveSyncApplicationSetElement: an app promoted through an
// ApplicationSet element is judged by the generated Application's own
// targetRevision, served as a real v1alpha1.Application, whatever its sync
// revision (a commit of the app's repository, unrelated to the GitOps
// history).
func TestObserveSyncApplicationSetElement(t *testing.T) {
	t.Parallel()
	// appCommit is a commit of the app's own repository: neither the
	// GitOps commit nor related to it.
	const appCommit = "9f9f9f9f9f9f9f9f9f9f9f9f9f9f9f9f9f9f9f9f"
	cases := []struct {
		name     string
		state    argocdtest.State
		byCommit bool // the app's target is a yamlPath, not an ApplicationSet element
		want     rings.RegionHealth
	}{
		{"runs the promoted value", argocdtest.State{Sync: "Synced", Revision: appCommit, TargetRevision: "v2", Health: "Healthy", Operation: "Succeeded"}, false,
			rings.RegionHealth{Region: "us-east-1", Synced: true, Healthy: true}},
		{"an app without an element is judged by the GitOps commit", argocdtest.State{Sync: "Synced", Revision: c2, TargetRevision: "HEAD", Health: "Healthy"}, true,
			rings.RegionHealth{Region: "us-east-1", Synced: true, Healthy: true}},
		{"Helm chart synced at the value", argocdtest.State{Sync: "Synced", Revision: "v2", Health: "Healthy"}, false,
			rings.RegionHealth{Region: "us-east-1", Synced: true, Healthy: true}},
		{"still at the old value", argocdtest.State{Sync: "Synced", Revision: appCommit, TargetRevision: "v1", Health: "Healthy", Operation: "Succeeded"}, false,
			rings.RegionHealth{Region: "us-east-1", Healthy: true, Reason: "synced at v1, not at the promoted v2"}},
		{"synced at the GitOps commit is not enough", argocdtest.State{Sync: "Synced", Revision: c2, TargetRevision: "v1", Health: "Healthy"}, false,
			rings.RegionHealth{Region: "us-east-1", Healthy: true, Reason: "synced at v1, not at the promoted v2"}},
		{"a value that only starts like the promoted one", argocdtest.State{Sync: "Synced", Revision: appCommit, TargetRevision: "v2.1", Health: "Healthy"}, false,
			rings.RegionHealth{Region: "us-east-1", Healthy: true, Reason: "synced at v2.1, not at the promoted v2"}},
		{"regenerated, not yet synced", argocdtest.State{Sync: "OutOfSync", Revision: appCommit, TargetRevision: "v2", Health: "Healthy", Operation: "Running", OperationRevision: "v2"}, false,
			rings.RegionHealth{Region: "us-east-1", Healthy: true, Reason: "OutOfSync at v2; sync operation Running at v2", InProgress: true}},
		{"progressing at the value", argocdtest.State{Sync: "Synced", Revision: appCommit, TargetRevision: "v2", Health: "Progressing"}, false,
			rings.RegionHealth{Region: "us-east-1", Synced: true, Reason: "Progressing", InProgress: true}},
		{"degraded at the value", argocdtest.State{Sync: "Synced", Revision: appCommit, TargetRevision: "v2", Health: "Degraded", HealthMessage: "CrashLoopBackOff"}, false,
			rings.RegionHealth{Region: "us-east-1", Synced: true, Reason: "Degraded at v2: CrashLoopBackOff"}},
		{"sync of the value failed", argocdtest.State{Sync: "OutOfSync", Revision: appCommit, TargetRevision: "v1", OperationTargetRevision: "v2", Health: "Healthy", Operation: "Failed", OperationMessage: "one or more objects failed to apply"}, false,
			rings.RegionHealth{Region: "us-east-1", Reason: "sync failed: operation Failed at v2: one or more objects failed to apply; counted as Degraded"}},
		{"failed sync of the old value is not held against the promotion", argocdtest.State{Sync: "OutOfSync", Revision: appCommit, TargetRevision: "v1", Health: "Healthy", Operation: "Failed"}, false,
			rings.RegionHealth{Region: "us-east-1", Healthy: true, Reason: "OutOfSync at v1"}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			srv := startServer(t, testToken)
			srv.Set(appName, tc.state)
			src := newSource(t, SourceConfig{Servers: []ClientConfig{{Server: srv.URL(), Token: testToken}}, IsAncestor: fakeAncestry})
			topo := topology(argoRegion("us-east-1", srv.URL(), "{{app}}-{{region}}"))
			target := ringtopology.Target{File: "appsets/checkout.yaml", ApplicationSetElement: &ringtopology.ApplicationSetElement{Field: "targetRevision", Key: "cluster"}}
			if tc.byCommit {
				target = ringtopology.Target{File: "values.yaml", YAMLPath: "image.tag"}
			}
			topo.Spec.Apps = []ringtopology.App{{Name: "checkout", Targets: []ringtopology.Target{target}}}
			// The GitOps commit c1 is an ancestor of c2: by ancestry a region
			// synced at c2 counts as synced; by value only the value counts.
			got, err := src.ObserveSync(context.Background(), topo, query(c1, "us-east-1"))
			if err != nil {
				t.Fatalf("ObserveSync: %v", err)
			}
			if want := []rings.RegionHealth{tc.want}; !equalHealth(got, want) {
				t.Errorf("got  %+v\nwant %+v", got, want)
			}
		})
	}
}

func TestEvaluateValueFailsClosed(t *testing.T) {
	t.Parallel()
	if got := EvaluateValue(context.Background(), nil, "v2"); got.Reason != "argocd: no application to judge" {
		t.Errorf("nil application: %+v", got)
	}
	srv := argocdtest.New("t")
	srv.Set("a", argocdtest.State{Sync: "Synced", Revision: "v2", TargetRevision: "v2", Health: "Healthy"})
	a, _ := srv.Application("a")
	if got := EvaluateValue(context.Background(), a, " "); got.Synced || got.Reason != "no promoted version recorded for the region: cannot tell whether Argo CD runs it" {
		t.Errorf("no value: %+v", got)
	}
}
