package demo

import (
	"fmt"
	"net"
	"strings"
	"testing"
	"time"

	"github.com/ringleader-dev/ringleader/rings/ringstest"
	"github.com/ringleader-dev/ringleader/rings/topology"
)

// TestTopologyFollowsTheExample keeps the demo topology's regions, rings
// and apps those of manifests/examples/rings.yaml.
func TestTopologyFollowsTheExample(t *testing.T) {
	t.Parallel()
	example := ringstest.ParseFile(t, "../../manifests/examples/rings.yaml")
	_, top, err := Topology(TopologyOptions{RepoURL: "git://127.0.0.1:1/deploy.git", ArgoCDServer: "http://127.0.0.1:1",
		CanarySoak: 20 * time.Second, Approval: true})
	if err != nil {
		t.Fatal(err)
	}
	names := func(t *topology.Topology) (regions, ringsOf, apps []string) {
		for _, r := range t.Spec.Regions {
			regions = append(regions, r.Name)
		}
		for _, r := range t.Spec.Rings {
			ringsOf = append(ringsOf, r.Name+":"+joinNames(r.Regions)+":"+r.Approval)
		}
		for _, a := range t.Spec.Apps {
			apps = append(apps, a.Name+":"+a.Targets[0].File)
		}
		return
	}
	er, eg, ea := names(example)
	dr, dg, da := names(top)
	for _, tc := range []struct {
		what      string
		got, want []string
	}{{"regions", dr, er}, {"rings", dg, eg}, {"apps", da, ea}} {
		if joinNames(tc.got) != joinNames(tc.want) {
			t.Errorf("%s: demo %v, example %v", tc.what, tc.got, tc.want)
		}
	}
	if len(top.Spec.Windows) != 0 || len(top.Spec.Freezes) != 0 {
		t.Errorf("demo topology has windows %v and freezes %v, want none", top.Spec.Windows, top.Spec.Freezes)
	}
}

func joinNames(s []string) string { return strings.Join(s, ",") }

func TestPickAddrFallsBackWhenTaken(t *testing.T) {
	t.Parallel()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	if got, note := pickAddr(l.Addr().String()); got != "127.0.0.1:0" || note == "" {
		t.Errorf("pickAddr(%s), taken = %q, note %q; want 127.0.0.1:0 and a note", l.Addr(), got, note)
	}
	// A free port: one just closed, which another test may take before
	// pickAddr probes it, so a few ports are tried; a pickAddr that never
	// keeps a free address fails every try.
	var tries []string
	for range 5 {
		free, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		addr := free.Addr().String()
		free.Close()
		got, note := pickAddr(addr)
		if got == addr && note == "" {
			return
		}
		tries = append(tries, fmt.Sprintf("pickAddr(%s) = %q, note %q", addr, got, note))
	}
	t.Errorf("a free address was never kept: %v", tries)
}
