package topology

import (
	"encoding/json"
	"slices"
	"strings"
	"testing"
)

// ptTargetsSpec replaces ptMinimalSpec in ptMinimal: three regions in two
// rings, whose one app has the target TARGET.
const ptTargetsSpec = `  regions:
    - {name: us-east-1, timezone: UTC, labels: {cluster: use1-prod}}
    - {name: eu-west-1, timezone: UTC, labels: {cluster: euw1-prod}}
    - {name: ap-south-1, timezone: UTC, labels: {cluster: aps1-prod}}
  rings:
    - {name: canary, regions: [us-east-1], soak: 1h}
    - {name: main, regions: [eu-west-1, ap-south-1], soak: 1h}
  apps:
    - name: web
      targets: [TARGET]
`

// ptMinimalSpec is the part of ptMinimal after its gitops line.
const ptMinimalSpec = `  regions: [{name: r1, timezone: UTC}]
  rings: [{name: only, regions: [r1], soak: 0s}]
  apps: [{name: web, targets: [{file: f.yaml, yamlPath: a.b}]}]
`

func ptTargetDoc(target string, replace ...string) string {
	doc := ptMinimalWith(ptMinimalSpec, strings.Replace(ptTargetsSpec, "TARGET", target, 1))
	for i := 0; i+1 < len(replace); i += 2 {
		doc = strings.Replace(doc, replace[i], replace[i+1], 1)
	}
	return doc
}

func TestParseTargetForms(t *testing.T) {
	t.Parallel()
	cases := []struct {
		name, target string
		want         Target
		describe     string
		json         string
	}{
		{"element scalar", `{file: appsets/web.yaml, applicationSetElement: targetRevision}`,
			Target{File: "appsets/web.yaml", ApplicationSetElement: &ApplicationSetElement{Field: "targetRevision"}},
			"applicationSetElement targetRevision", `{"file":"appsets/web.yaml","applicationSetElement":"targetRevision"}`},
		{"element mapping with the default key", `{file: appsets/web.yaml, applicationSetElement: {field: targetRevision}}`,
			Target{File: "appsets/web.yaml", ApplicationSetElement: &ApplicationSetElement{Field: "targetRevision"}},
			"applicationSetElement targetRevision", `{"file":"appsets/web.yaml","applicationSetElement":"targetRevision"}`},
		{"element mapping keyed by cluster", `{file: appsets/web.yaml, applicationSetElement: {field: targetRevision, key: cluster}}`,
			Target{File: "appsets/web.yaml", ApplicationSetElement: &ApplicationSetElement{Field: "targetRevision", Key: "cluster"}},
			"applicationSetElement targetRevision key cluster", `{"file":"appsets/web.yaml","applicationSetElement":{"field":"targetRevision","key":"cluster"}}`},
		{"container image", `{file: "envs/{{region}}/web.yaml", containerImage: {kind: Deployment, name: cartservice, container: server}}`,
			Target{File: "envs/{{region}}/web.yaml", ContainerImage: &ContainerImage{Kind: "Deployment", Name: "cartservice", Container: "server"}},
			"containerImage Deployment/cartservice container server", `{"file":"envs/{{region}}/web.yaml","containerImage":{"kind":"Deployment","name":"cartservice","container":"server"}}`},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			top, errs := ptParseString(t, ptTargetDoc(c.target))
			if errs != nil {
				t.Fatalf("errors: %v", errs)
			}
			got := top.Spec.Apps[0].Targets[0]
			b, err := json.Marshal(got)
			if err != nil {
				t.Fatal(err)
			}
			if string(b) != c.json {
				t.Errorf("json = %s, want %s", b, c.json)
			}
			var back Target
			if err := json.Unmarshal(b, &back); err != nil {
				t.Fatal(err)
			}
			for _, v := range []Target{got, back} {
				if v.Describe() != c.describe {
					t.Errorf("Describe() = %q, want %q", v.Describe(), c.describe)
				}
				if !ptEqualTarget(v, c.want) {
					t.Errorf("target = %+v, want %+v", v, c.want)
				}
			}
		})
	}
}

func ptEqualTarget(a, b Target) bool {
	ae, be := a.ApplicationSetElement, b.ApplicationSetElement
	ac, bc := a.ContainerImage, b.ContainerImage
	return a.File == b.File && a.YAMLPath == b.YAMLPath && a.KustomizeImage == b.KustomizeImage &&
		(ae == nil) == (be == nil) && (ae == nil || *ae == *be) &&
		(ac == nil) == (bc == nil) && (ac == nil || *ac == *bc)
}

// TestDescribeKeepsTheOldForms pins the text old commits and recorded
// baselines carry.
func TestDescribeKeepsTheOldForms(t *testing.T) {
	t.Parallel()
	cases := []struct {
		t    Target
		want string
	}{
		{Target{YAMLPath: "image.tag"}, "yamlPath image.tag"},
		{Target{KustomizeImage: "registry.example.com/ledger"}, "kustomizeImage registry.example.com/ledger"},
		{Target{ApplicationSetElement: &ApplicationSetElement{Field: "targetRevision"}}, "applicationSetElement targetRevision"},
		{Target{ApplicationSetElement: &ApplicationSetElement{Field: "targetRevision", Key: "region"}}, "applicationSetElement targetRevision"},
		{Target{}, "no target"},
	}
	for _, c := range cases {
		if got := c.t.Describe(); got != c.want {
			t.Errorf("Describe(%+v) = %q, want %q", c.t, got, c.want)
		}
	}
}

func TestElementKeyValue(t *testing.T) {
	t.Parallel()
	r := Region{Name: "us-east-1", Labels: map[string]string{"cluster": "use1-prod", "region": "use1"}}
	bare := Region{Name: "eu-west-1"}
	cases := []struct {
		e      ApplicationSetElement
		r      Region
		want   string
		wantOK bool
	}{
		{ApplicationSetElement{Field: "targetRevision"}, bare, "eu-west-1", true},
		{ApplicationSetElement{Field: "targetRevision"}, r, "use1", true},
		{ApplicationSetElement{Field: "targetRevision", Key: "cluster"}, r, "use1-prod", true},
		{ApplicationSetElement{Field: "targetRevision", Key: "cluster"}, bare, "", false},
	}
	for _, c := range cases {
		got, ok := c.e.KeyValue(c.r)
		if got != c.want || ok != c.wantOK {
			t.Errorf("%+v.KeyValue(%s) = %q, %v; want %q, %v", c.e, c.r.Name, got, ok, c.want, c.wantOK)
		}
	}
}

func TestParseTargetErrors(t *testing.T) {
	t.Parallel()
	const keyed = `{file: appsets/web.yaml, applicationSetElement: {field: targetRevision, key: cluster}}`
	cases := []struct {
		name, target string
		replace      []string
		want         []string
	}{
		{"two kinds", `{file: f.yaml, yamlPath: a.b, containerImage: {kind: Deployment, name: web, container: app}}`, nil,
			[]string{`t.yaml:15:17: target of app "web" needs exactly one of yamlPath, kustomizeImage, applicationSetElement or containerImage; it has yamlPath and containerImage`}},
		{"element without field", `{file: f.yaml, applicationSetElement: {key: cluster}}`, nil,
			[]string{`t.yaml:15:32: applicationSetElement of app "web" needs a field: the element field to set, such as targetRevision`}},
		{"element empty field", `{file: f.yaml, applicationSetElement: ""}`, nil,
			[]string{`t.yaml:15:55: applicationSetElement of app "web" needs a field: the element field to set, such as targetRevision`}},
		{"element nested field", `{file: f.yaml, applicationSetElement: {field: values.tag}}`, nil,
			[]string{`t.yaml:15:63: applicationSetElement field "values.tag" of app "web" is not a plain element field name (letters, digits, '_' and '-')`}},
		{"element empty key", `{file: f.yaml, applicationSetElement: {field: targetRevision, key: ""}}`, nil,
			[]string{`t.yaml:15:84: applicationSetElement of app "web" needs a key: the element field naming the region, such as cluster`}},
		{"element key is the field", `{file: f.yaml, applicationSetElement: {field: cluster, key: cluster}}`, nil,
			[]string{`t.yaml:15:77: applicationSetElement of app "web" sets field "cluster", which is also its key: the key names the region's element and is never written`}},
		{"element unknown field", `{file: f.yaml, applicationSetElement: {field: targetRevision, kye: cluster}}`, nil,
			[]string{`t.yaml:15:79: unknown field "kye" in target applicationSetElement; known fields: field, key`}},
		{"element list", `{file: f.yaml, applicationSetElement: [targetRevision]}`, nil,
			[]string{`t.yaml:15:55: applicationSetElement must be a mapping, not a list`}},
		{"key label missing", keyed, []string{"labels: {cluster: euw1-prod}", "labels: {zone: b}"},
			[]string{`t.yaml:8:48: region "eu-west-1" has no label "cluster", which app "web" needs: its applicationSetElement target finds the region's element by cluster; add labels: {cluster: <the element's cluster>}`}},
		{"key labels missing", keyed, []string{", labels: {cluster: use1-prod}", ""},
			[]string{`t.yaml:7:7: region "us-east-1" has no label "cluster", which app "web" needs: its applicationSetElement target finds the region's element by cluster; add labels: {cluster: <the element's cluster>}`}},
		{"key value shared", keyed, []string{"aps1-prod", "euw1-prod"},
			[]string{`t.yaml:9:49: regions "eu-west-1" and "ap-south-1" both have cluster "euw1-prod", so app "web" would write one ApplicationSet element for both; give each region its own cluster`}},
		{"container kind unknown", `{file: f.yaml, containerImage: {kind: Service, name: web, container: app}}`, nil,
			[]string{`t.yaml:15:55: containerImage kind "Service" of app "web" is not supported; use one of CronJob, DaemonSet, Deployment, Job, Pod, ReplicaSet, StatefulSet`}},
		{"container parts missing", `{file: f.yaml, containerImage: {kind: Deployment}}`, nil,
			[]string{
				`t.yaml:15:32: containerImage of app "web" needs the name of the workload (metadata.name)`,
				`t.yaml:15:32: containerImage of app "web" needs the name of the container whose image tag is set`,
			}},
		{"container kind missing", `{file: f.yaml, containerImage: {name: web, container: app}}`, nil,
			[]string{`t.yaml:15:32: containerImage of app "web" needs a kind, one of CronJob, DaemonSet, Deployment, Job, Pod, ReplicaSet, StatefulSet`}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			_, got := ptParseString(t, ptTargetDoc(c.target, c.replace...))
			if !slices.Equal(got, c.want) {
				t.Errorf("errors:\n got: %s\nwant: %s", strings.Join(got, "\n      "), strings.Join(c.want, "\n      "))
			}
		})
	}
}

// TestParseElementKeyPerRegionFile accepts regions sharing a key value when
// each has its own ApplicationSet file.
func TestParseElementKeyPerRegionFile(t *testing.T) {
	t.Parallel()
	doc := ptTargetDoc(`{file: "appsets/{{region}}.yaml", applicationSetElement: {field: targetRevision, key: cluster}}`, "aps1-prod", "euw1-prod")
	if _, errs := ptParseString(t, doc); errs != nil {
		t.Errorf("errors: %v", errs)
	}
}
