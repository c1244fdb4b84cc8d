package scalegen

import (
	"fmt"
	"strings"
)

// Shape is the size of a generated topology.
type Shape struct {
	Apps, Regions, Rings int
	// Soak is the soak window of every ring (a Go duration string such as
	// "1h"); a long one keeps releases soaking in ring 0 while measured.
	Soak string
	// NoHealthSources leaves the regions without an Argo CD source, so
	// rings advance on soak time alone (for runs without Argo CD).
	NoHealthSources bool
}

// Validate rejects a shape that cannot make a topology.
func (s Shape) Validate() error {
	switch {
	case s.Apps < 1 || s.Regions < 1 || s.Rings < 1:
		return fmt.Errorf("scalegen: apps, regions and rings must be at least 1, got %d/%d/%d", s.Apps, s.Regions, s.Rings)
	case s.Rings > s.Regions:
		return fmt.Errorf("scalegen: %d rings need at least as many regions, got %d", s.Rings, s.Regions)
	case s.Soak == "":
		return fmt.Errorf("scalegen: soak is required (e.g. 1h)")
	}
	return nil
}

// AppName is the name of app i (0-based) in a generated topology.
func AppName(i int) string { return fmt.Sprintf("app%04d", i) }

// RegionName is the name of region i (0-based).
func RegionName(i int) string { return fmt.Sprintf("r%02d", i) }

// Topology returns the YAML document for s. Regions are dealt to rings in
// order, as evenly as possible (50 over 4: 13, 13, 12, 12); every region has
// an Argo CD source so soaking rings are observed (unless NoHealthSources);
// every app has one YAML target per region, apps/<app>/<region>/values.yaml
// at image.tag.
func Topology(s Shape) ([]byte, error) {
	if err := s.Validate(); err != nil {
		return nil, err
	}
	var b strings.Builder
	b.WriteString("apiVersion: ringleader.dev/v1alpha1\nkind: Topology\n")
	fmt.Fprintf(&b, "metadata: {name: scale-%d}\nspec:\n", s.Apps)
	b.WriteString("  gitops: {repo: https://git.example.com/deploy.git, branch: main}\n  regions:\n")
	for r := range s.Regions {
		if s.NoHealthSources {
			fmt.Fprintf(&b, "    - {name: %s, timezone: UTC}\n", RegionName(r))
			continue
		}
		fmt.Fprintf(&b, "    - {name: %s, timezone: UTC, argocd: {server: https://argocd.example.com, application: \"{{app}}-{{region}}\"}}\n", RegionName(r))
	}
	b.WriteString("  rings:\n")
	next := 0
	for k := range s.Rings {
		n := s.Regions / s.Rings
		if k < s.Regions%s.Rings {
			n++
		}
		names := make([]string, n)
		for i := range n {
			names[i] = RegionName(next + i)
		}
		next += n
		fmt.Fprintf(&b, "    - {name: ring%d, regions: [%s], soak: %s}\n", k, strings.Join(names, ", "), s.Soak)
	}
	b.WriteString(`  policy:
    onFailure: halt-later-rings
    rollback: automatic
    analysis: {interval: 1m, failureThreshold: 2}
    errorBudget: {slo: 0.999, window: 720h, autoApproveAbove: 50, approvalAbove: 25}
  apps:
`)
	for a := range s.Apps {
		fmt.Fprintf(&b, "    - {name: %s, targets: [{file: \"apps/%s/{{region}}/values.yaml\", yamlPath: image.tag}]}\n", AppName(a), AppName(a))
	}
	return []byte(b.String()), nil
}
