package topology

import (
	"math"
	"slices"
	"strings"
	"testing"
)

// exposureDoc is a three-region, three-ring topology; regions, rings and
// apps are spliced in so each case changes only what it tests. The
// regions start at line 7, the rings at line 11 and the apps at line 15.
func exposureDoc(regions, rings, apps string) string {
	return `apiVersion: ringleader.dev/v1alpha1
kind: Topology
metadata: {name: shop}
spec:
  gitops: {repo: https://git.example.com/deploy.git}
  regions:
` + regions + `
  rings:
` + rings + `
  apps:
` + apps + `
`
}

const (
	threeRegions = `    - {name: us-east-1, timezone: UTC, trafficShare: 20}
    - {name: eu-west-1, timezone: UTC, trafficShare: 40}
    - {name: ap-south-1, timezone: UTC, trafficShare: 40}`
	threeRings = `    - {name: canary, regions: [us-east-1], soak: 1h}
    - {name: early, regions: [eu-west-1], soak: 2h, maxExposure: 50}
    - {name: global, regions: [ap-south-1], soak: 0s}`
	oneApp = `    - name: web
      targets: [{file: "apps/web/{{region}}.yaml", yamlPath: image.tag}]`
)

func TestExposureValidation(t *testing.T) {
	t.Parallel()
	noShares := strings.NewReplacer(", trafficShare: 20", "", ", trafficShare: 40", "").Replace(threeRegions)
	cases := []struct {
		name                 string
		regions, rings, apps string
		want                 []string // every error, in order; none: valid
	}{
		{name: "valid", regions: threeRegions, rings: threeRings, apps: oneApp},
		{name: "no shares", regions: noShares, rings: threeRings, apps: oneApp},
		{name: "region share above 100",
			regions: strings.Replace(threeRegions, "trafficShare: 20", "trafficShare: 120", 1), rings: threeRings, apps: oneApp,
			want: []string{`t.yaml:7:54: trafficShare of region "us-east-1" must be a percentage between 0 and 100, not 120`}},
		{name: "region share negative",
			regions: strings.Replace(threeRegions, "trafficShare: 20", "trafficShare: -1", 1), rings: threeRings, apps: oneApp,
			want: []string{`t.yaml:7:54: trafficShare of region "us-east-1" must be a percentage between 0 and 100, not -1`}},
		{name: "region share not a number",
			regions: strings.Replace(threeRegions, "trafficShare: 20", "trafficShare: lots", 1), rings: threeRings, apps: oneApp,
			want: []string{`t.yaml:7:54: trafficShare must be a number, not "lots"`}},
		{name: "every region, sum 95",
			regions: strings.Replace(threeRegions, "trafficShare: 20", "trafficShare: 15", 1), rings: threeRings, apps: oneApp,
			want: []string{`t.yaml:6:3: the trafficShare of the regions add up to 95 % over every region; they must add up to 100 % (± 0.5)`}},
		{name: "every region, sum within tolerance",
			regions: strings.Replace(threeRegions, "trafficShare: 20", "trafficShare: 19.6", 1), rings: threeRings, apps: oneApp},
		{name: "some regions, above 100",
			regions: strings.Replace(strings.Replace(threeRegions, "trafficShare: 20", "trafficShare: 70", 1), ", trafficShare: 40}\n    - {name: ap-south-1, timezone: UTC, trafficShare: 40}", ", trafficShare: 40}\n    - {name: ap-south-1, timezone: UTC}", 1),
			rings:   threeRings, apps: oneApp,
			want: []string{`t.yaml:6:3: the trafficShare of the regions add up to 110 %, above 100 %, and 1 region has no share left`}},
		{name: "maxExposure above 100",
			regions: threeRegions, rings: strings.Replace(threeRings, "maxExposure: 50", "maxExposure: 150", 1), apps: oneApp,
			want: []string{`t.yaml:12:66: maxExposure of ring "early" must be a percentage between 0 and 100, not 150`}},
		{name: "maxExposure not a number",
			regions: threeRegions, rings: strings.Replace(threeRings, "maxExposure: 50", "maxExposure: [50]", 1), apps: oneApp,
			want: []string{`t.yaml:12:66: maxExposure must be a number, not a list`}},
		{name: "app override",
			regions: threeRegions, rings: threeRings, apps: oneApp + "\n      trafficShare: {us-east-1: 50, eu-west-1: 10}"},
		{name: "app override unknown region",
			regions: threeRegions, rings: threeRings, apps: oneApp + "\n      trafficShare: {us-east-1: 20, mars-1: 0}",
			want: []string{`t.yaml:17:37: unknown region "mars-1" in the trafficShare of app "web"; define it under spec.regions`}},
		{name: "app override out of range",
			regions: threeRegions, rings: threeRings, apps: oneApp + "\n      trafficShare: {us-east-1: 101}",
			want: []string{`t.yaml:17:33: trafficShare of us-east-1 in app "web" must be a percentage between 0 and 100, not 101`}},
		{name: "app override sum with the regions' own",
			regions: threeRegions, rings: threeRings, apps: oneApp + "\n      trafficShare: {us-east-1: 30}",
			want: []string{`t.yaml:17:7: the trafficShare of app "web" (with the regions' own) add up to 110 % over every region; they must add up to 100 % (± 0.5)`}},
		{name: "app override not a mapping",
			regions: threeRegions, rings: threeRings, apps: oneApp + "\n      trafficShare: 20",
			want: []string{`t.yaml:17:21: trafficShare must be a mapping, not "20"`}},
		{name: "failure rate",
			regions: threeRegions, rings: threeRings, apps: oneApp + "\n      risk: {failureRate: 0.5}"},
		{name: "failure rate zero",
			regions: threeRegions, rings: threeRings, apps: oneApp + "\n      risk: {failureRate: 0}",
			want: []string{`t.yaml:17:27: risk.failureRate of app "web" must be a percentage above 0 and at most 100, such as 0.5, not 0`}},
		{name: "failure rate above 100",
			regions: threeRegions, rings: threeRings, apps: oneApp + "\n      risk: {failureRate: 250}",
			want: []string{`t.yaml:17:27: risk.failureRate of app "web" must be a percentage above 0 and at most 100, such as 0.5, not 250`}},
		{name: "risk unknown field",
			regions: threeRegions, rings: threeRings, apps: oneApp + "\n      risk: {failureRte: 1}",
			want: []string{`t.yaml:17:14: unknown field "failureRte" in app risk; did you mean "failureRate"?`}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			_, err := Parse("t.yaml", []byte(exposureDoc(tc.regions, tc.rings, tc.apps)))
			var got []string
			if err != nil {
				for _, line := range strings.Split(err.Error(), "\n") {
					got = append(got, line)
				}
			}
			if !slices.Equal(got, tc.want) {
				t.Fatalf("errors:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(tc.want, "\n"))
			}
		})
	}
}

func TestCumulativeExposure(t *testing.T) {
	t.Parallel()
	noShares := strings.NewReplacer(", trafficShare: 20", "", ", trafficShare: 40", "").Replace(threeRegions)
	oneShare := strings.Replace(noShares, "us-east-1, timezone: UTC", "us-east-1, timezone: UTC, trafficShare: 50", 1)
	cases := []struct {
		name          string
		regions, apps string
		want          []float64
	}{
		{"every region has a share", threeRegions, oneApp, []float64{0.2, 0.6, 1}},
		{"no region has a share: equal", noShares, oneApp, []float64{1.0 / 3, 2.0 / 3, 1}},
		{"the rest share the remainder", oneShare, oneApp, []float64{0.5, 0.75, 1}},
		{"the app overrides a region", threeRegions, oneApp + "\n      trafficShare: {us-east-1: 5, eu-west-1: 55}", []float64{0.05, 0.6, 1}},
		{"within tolerance is normalised", strings.Replace(threeRegions, "trafficShare: 20", "trafficShare: 19.6", 1), oneApp, []float64{19.6 / 99.6, 59.6 / 99.6, 1}},
		{"shares given for all but zero left", strings.Replace(strings.Replace(noShares, "us-east-1, timezone: UTC", "us-east-1, timezone: UTC, trafficShare: 60", 1), "eu-west-1, timezone: UTC", "eu-west-1, timezone: UTC, trafficShare: 40", 1), oneApp, []float64{0.6, 1, 1}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			top, err := Parse("t.yaml", []byte(exposureDoc(tc.regions, threeRings, tc.apps)))
			if err != nil {
				t.Fatal(err)
			}
			got := top.CumulativeExposure("web")
			if len(got) != len(tc.want) {
				t.Fatalf("exposure %v, want %v", got, tc.want)
			}
			for i := range got {
				if math.Abs(got[i]-tc.want[i]) > 1e-9 {
					t.Fatalf("exposure %v, want %v", got, tc.want)
				}
			}
			if e := top.ExposureOf("web", []string{"us-east-1"}); math.Abs(e-tc.want[0]) > 1e-9 {
				t.Fatalf("ExposureOf(us-east-1) = %v, want %v", e, tc.want[0])
			}
		})
	}
}
