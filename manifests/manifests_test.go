package manifests

import (
	"encoding/json"
	"os"
	"path"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"

	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	policyv1 "k8s.io/api/policy/v1"
	"sigs.k8s.io/yaml"

	"github.com/ringleader-dev/ringleader/rings/ringstest"
	"github.com/ringleader-dev/ringleader/rings/topology"
)

// cluster is the decoded Kubernetes manifests.
type cluster struct {
	sts      *appsv1.StatefulSet
	services map[string]*corev1.Service
	pdb      *policyv1.PodDisruptionBudget
}

// decodeCluster decodes every document of the Kubernetes manifests into its
// API type, unknown fields refused, and fails on a kind it does not know.
func decodeCluster(t *testing.T) cluster {
	t.Helper()
	c := cluster{services: map[string]*corev1.Service{}}
	for _, d := range loadDocs(t, kubernetesFiles(t)...) {
		obj, ok := typed(d.kind)
		if !ok {
			t.Fatalf("%s: kind %s is not one the tests know; add it to typed()", d, d.kind)
		}
		if err := strict(d.json, obj); err != nil {
			t.Fatalf("%s does not decode as %s: %v", d, d.kind, err)
		}
		switch o := obj.(type) {
		case *appsv1.StatefulSet:
			if c.sts != nil {
				t.Fatalf("%s: a second StatefulSet", d)
			}
			c.sts = o
		case *corev1.Service:
			c.services[o.Name] = o
		case *policyv1.PodDisruptionBudget:
			c.pdb = o
		}
	}
	if c.sts == nil || c.pdb == nil || len(c.services) != 2 {
		t.Fatalf("want one StatefulSet, one PodDisruptionBudget and two Services; got %v, %v, %d services", c.sts != nil, c.pdb != nil, len(c.services))
	}
	return c
}

func (c cluster) container(t *testing.T) corev1.Container {
	t.Helper()
	cs := c.sts.Spec.Template.Spec.Containers
	if len(cs) != 1 || cs[0].Name != "ringd" {
		t.Fatalf("containers %v; want one named ringd", cs)
	}
	return cs[0]
}

// args maps each --flag of the ringd container to its value.
func (c cluster) args(t *testing.T) map[string]string {
	t.Helper()
	out := map[string]string{}
	for _, a := range c.container(t).Args {
		name, value, _ := strings.Cut(strings.TrimPrefix(a, "--"), "=")
		if !strings.HasPrefix(a, "--") {
			t.Fatalf("argument %q is not a --flag=value", a)
		}
		out[name] = value
	}
	return out
}

func TestEveryDocumentDecodesStrictly(t *testing.T) {
	t.Parallel()
	docs := loadDocs(t, append(kubernetesFiles(t), "examples/applicationset.yaml")...)
	if len(docs) < 5 {
		t.Fatalf("only %d documents", len(docs))
	}
	for _, d := range docs {
		t.Run(d.String(), func(t *testing.T) {
			obj, ok := typed(d.kind)
			if !ok {
				if d.kind == "argoproj.io/v1alpha1/ApplicationSet" {
					return // validated by internal/gitops/appset with Argo CD's types; checked below
				}
				t.Fatalf("unknown kind %s", d.kind)
			}
			if err := strict(d.json, obj); err != nil {
				t.Fatal(err)
			}
		})
	}
	t.Run("a misspelt field is refused", func(t *testing.T) {
		if err := strict([]byte(`{"spec":{"replica":3}}`), &appsv1.StatefulSet{}); err == nil {
			t.Fatal("unknown field accepted; the strict decoder checks nothing")
		}
	})
}

func TestStatefulSet(t *testing.T) {
	t.Parallel()
	c := decodeCluster(t)
	sts, ctr, pod := c.sts, c.container(t), c.sts.Spec.Template.Spec
	args := c.args(t)
	sc := ctr.SecurityContext
	headless := c.services[sts.Spec.ServiceName]
	probePort := func(p *corev1.Probe) string {
		if p == nil || p.HTTPGet == nil {
			return ""
		}
		return p.HTTPGet.Path + "@" + p.HTTPGet.Port.String()
	}
	mountOf := func(dir string) string {
		for _, m := range ctr.VolumeMounts {
			if dir == m.MountPath || strings.HasPrefix(dir, m.MountPath+"/") {
				return m.Name
			}
		}
		return ""
	}
	portOf := func(name string) int32 {
		for _, p := range ctr.Ports {
			if p.Name == name {
				return p.ContainerPort
			}
		}
		return 0
	}
	envFromField := func(name string) string {
		for _, e := range ctr.Env {
			if e.Name == name && e.ValueFrom != nil && e.ValueFrom.FieldRef != nil {
				return e.ValueFrom.FieldRef.FieldPath
			}
		}
		return ""
	}
	tests := []struct {
		name string
		got  any
		want any
	}{
		{"three replicas", *sts.Spec.Replicas, int32(3)},
		{"pods start in parallel (a full restart needs all three)", sts.Spec.PodManagementPolicy, appsv1.ParallelPodManagement},
		{"selector matches the pod labels", sts.Spec.Selector.MatchLabels["app.kubernetes.io/name"], sts.Spec.Template.Labels["app.kubernetes.io/name"]},
		{"no service account token", *pod.AutomountServiceAccountToken, false},
		{"liveness on /healthz", probePort(ctr.LivenessProbe), "/healthz@http"},
		{"readiness on /readyz", probePort(ctr.ReadinessProbe), "/readyz@http"},
		{"probes reach the HTTP port", portOf("http"), int32(7070)},
		{"pod runs as non-root", *pod.SecurityContext.RunAsNonRoot, true},
		{"container runs as non-root", *sc.RunAsNonRoot, true},
		{"read-only root file system", *sc.ReadOnlyRootFilesystem, true},
		{"no privilege escalation", *sc.AllowPrivilegeEscalation, false},
		{"every capability dropped", sc.Capabilities.Drop, []corev1.Capability{"ALL"}},
		{"memory request", ctr.Resources.Requests.Memory().String(), "128Mi"},
		{"memory limit", ctr.Resources.Limits.Memory().String(), "512Mi"},
		{"cpu request", ctr.Resources.Requests.Cpu().String(), "100m"},
		{"data volume from the claim template", sts.Spec.VolumeClaimTemplates[0].Name, "data"},
		{"claim asks for storage", sts.Spec.VolumeClaimTemplates[0].Spec.Resources.Requests.Storage().String(), "10Gi"},
		{"--data-dir is on the persistent volume", mountOf(args["data-dir"]), "data"},
		{"--topology is in the topology ConfigMap", mountOf(args["topology"]), "topology"},
		{"--node-id is the pod name", args["node-id"] + " " + envFromField("POD_NAME"), "$(POD_NAME) metadata.name"},
		{"--bootstrap-id is the first pod", args["bootstrap-id"], sts.Name + "-0"},
		{"--raft-advertise is the stable peer DNS name", args["raft-advertise"], "$(POD_NAME)." + sts.Spec.ServiceName + ".$(POD_NAMESPACE).svc.cluster.local:7000"},
		{"--raft-addr binds the raft port", args["raft-addr"], "0.0.0.0:" + itoa(portOf("raft"))},
		{"--http-addr binds the http port", args["http-addr"], "0.0.0.0:" + itoa(portOf("http"))},
		{"--join goes through the client Service", args["join"], "http://ringd.$(POD_NAMESPACE).svc.cluster.local:7070"},
		{"--join-token-file is in the Secret", mountOf(args["join-token-file"]), "secrets"},
		{"probes need no token", hasArg(args, "open-healthz"), true},
		{"the peer Service is headless", headless != nil && headless.Spec.ClusterIP == corev1.ClusterIPNone, true},
		{"peer names resolve before readiness", headless != nil && headless.Spec.PublishNotReadyAddresses, true},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if !equal(tc.got, tc.want) {
				t.Fatalf("got %v; want %v", tc.got, tc.want)
			}
		})
	}
}

func TestRingdFlagsExist(t *testing.T) {
	t.Parallel()
	c := decodeCluster(t)
	known := ringdFlags(t)
	for name := range c.args(t) {
		t.Run(name, func(t *testing.T) {
			if !known[name] {
				t.Fatalf("--%s is not a ringd flag (cmd/ringd defines %d flags)", name, len(known))
			}
		})
	}
}

// TestTokensFilePassed: the StatefulSet passes ringd's API tokens file flag
// the mounted Secret key (ringd refuses to start without authentication).
func TestTokensFilePassed(t *testing.T) {
	t.Parallel()
	c := decodeCluster(t)
	if !ringdFlags(t)["tokens-file"] {
		t.Fatal("cmd/ringd defines no --tokens-file flag")
	}
	if got := c.args(t)["tokens-file"]; got != "/etc/ringd/secrets/tokens.yaml" {
		t.Fatalf("--tokens-file = %q; want the mounted Secret key /etc/ringd/secrets/tokens.yaml", got)
	}
}

func TestEnvReferencesAreDefined(t *testing.T) {
	t.Parallel()
	c := decodeCluster(t)
	ctr := c.container(t)
	defined := map[string]bool{}
	for _, e := range ctr.Env {
		defined[e.Name] = true
	}
	ref := regexp.MustCompile(`\$\(([A-Z_][A-Z0-9_]*)\)`)
	for _, a := range ctr.Args {
		for _, m := range ref.FindAllStringSubmatch(a, -1) {
			if !defined[m[1]] {
				t.Errorf("argument %q uses $(%s), which the container does not define (Kubernetes would pass it literally)", a, m[1])
			}
		}
	}
}

func TestServicesAndDisruptionBudget(t *testing.T) {
	t.Parallel()
	c := decodeCluster(t)
	podLabels := c.sts.Spec.Template.Labels
	selects := func(sel map[string]string) bool {
		for k, v := range sel {
			if podLabels[k] != v {
				return false
			}
		}
		return len(sel) > 0
	}
	client := c.services["ringd"]
	tests := []struct {
		name string
		got  any
		want any
	}{
		{"client Service exists", client != nil, true},
		{"client Service selects the pods", client != nil && selects(client.Spec.Selector), true},
		{"client Service serves the API port", client != nil && client.Spec.Ports[0].Port == 7070, true},
		{"client Service has a cluster IP", client != nil && client.Spec.ClusterIP != corev1.ClusterIPNone, true},
		{"peer Service selects the pods", selects(c.services[c.sts.Spec.ServiceName].Spec.Selector), true},
		{"PDB allows one pod down", c.pdb.Spec.MaxUnavailable.String(), "1"},
		{"PDB has no minAvailable", c.pdb.Spec.MinAvailable == nil, true},
		{"PDB selects the pods", selects(c.pdb.Spec.Selector.MatchLabels), true},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if !equal(tc.got, tc.want) {
				t.Fatalf("got %v; want %v", tc.got, tc.want)
			}
		})
	}
}

// kustomization is the part of kustomization.yaml these manifests use.
type kustomization struct {
	APIVersion string `json:"apiVersion"`
	Kind       string `json:"kind"`
	Namespace  string `json:"namespace"`
	Labels     []struct {
		Pairs map[string]string `json:"pairs"`
	} `json:"labels"`
	Resources          []string `json:"resources"`
	ConfigMapGenerator []struct {
		Name  string   `json:"name"`
		Files []string `json:"files"`
	} `json:"configMapGenerator"`
}

func TestKustomization(t *testing.T) {
	t.Parallel()
	src, err := os.ReadFile("kustomization.yaml")
	if err != nil {
		t.Fatal(err)
	}
	js, err := yaml.YAMLToJSONStrict(src)
	if err != nil {
		t.Fatal(err)
	}
	var k kustomization
	if err := strict(js, &k); err != nil {
		t.Fatalf("kustomization.yaml: %v", err)
	}
	c := decodeCluster(t)
	t.Run("every manifest is a resource", func(t *testing.T) {
		var want []string
		for _, f := range kubernetesFiles(t) {
			if f != "secret.example.yaml" {
				want = append(want, f)
			}
		}
		got := slices.Sorted(slices.Values(k.Resources))
		if !slices.Equal(got, want) {
			t.Fatalf("resources %v; want %v", got, want)
		}
	})
	t.Run("the topology ConfigMap holds the file --topology names", func(t *testing.T) {
		var vol string
		for _, v := range c.sts.Spec.Template.Spec.Volumes {
			if v.Name == "topology" && v.ConfigMap != nil {
				vol = v.ConfigMap.Name
			}
		}
		if len(k.ConfigMapGenerator) != 1 || k.ConfigMapGenerator[0].Name != vol {
			t.Fatalf("generator %+v; want one named %q", k.ConfigMapGenerator, vol)
		}
		key, file, _ := strings.Cut(k.ConfigMapGenerator[0].Files[0], "=")
		if key != path.Base(c.args(t)["topology"]) {
			t.Fatalf("ConfigMap key %q; --topology reads %q", key, c.args(t)["topology"])
		}
		src, err := os.ReadFile(file)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := topology.Parse(file, src); err != nil {
			t.Fatalf("the topology shipped in the ConfigMap does not validate: %v", err)
		}
	})
}

// appSet is the part of an ApplicationSet the example is checked for
// (Argo CD's own types check it in internal/gitops/appset).
type appSet struct {
	Kind string `json:"kind"`
	Spec struct {
		Generators []struct {
			List *struct {
				Elements []map[string]any `json:"elements"`
			} `json:"list"`
		} `json:"generators"`
		Template struct {
			Metadata struct {
				Labels map[string]string `json:"labels"`
			} `json:"metadata"`
		} `json:"template"`
	} `json:"spec"`
}

func TestApplicationSetExample(t *testing.T) {
	t.Parallel()
	docs := loadDocs(t, "examples/applicationset.yaml")
	if len(docs) != 1 {
		t.Fatalf("%d documents; want 1", len(docs))
	}
	var as appSet
	if err := json.Unmarshal(docs[0].json, &as); err != nil {
		t.Fatal(err)
	}
	topo := ringstest.ParseFile(t, "examples/rings.yaml")
	ringOf := map[string]string{}
	for _, r := range topo.Spec.Rings {
		for _, g := range r.Regions {
			ringOf[g] = r.Name
		}
	}
	if as.Kind != "ApplicationSet" || len(as.Spec.Generators) != 1 || as.Spec.Generators[0].List == nil {
		t.Fatalf("kind %q with %d generators; want an ApplicationSet with one list generator", as.Kind, len(as.Spec.Generators))
	}
	elements := as.Spec.Generators[0].List.Elements
	t.Run("one element per topology region", func(t *testing.T) {
		if len(elements) != len(topo.Spec.Regions) {
			t.Fatalf("%d elements; the topology has %d regions", len(elements), len(topo.Spec.Regions))
		}
	})
	for i, el := range elements {
		region, _ := el["region"].(string)
		t.Run("element "+itoa(int32(i))+" "+region, func(t *testing.T) {
			if ring, _ := el["ring"].(string); ring == "" || ring != ringOf[region] {
				t.Fatalf("element %v: ring %q; the topology puts region %q in ring %q", el, ring, region, ringOf[region])
			}
			if _, ok := el["targetRevision"].(string); !ok {
				t.Fatalf("element %v has no targetRevision for Ringleader to move", el)
			}
		})
	}
	t.Run("the ring becomes a label of each Application", func(t *testing.T) {
		if got := as.Spec.Template.Metadata.Labels["ringleader.dev/ring"]; got != "{{.ring}}" {
			t.Fatalf("template label ringleader.dev/ring = %q; want {{.ring}}", got)
		}
	})
}

func hasArg(args map[string]string, name string) bool {
	v, ok := args[name]
	return ok && (v == "" || v == "true")
}

func equal(a, b any) bool {
	ja, _ := json.Marshal(a)
	jb, _ := json.Marshal(b)
	return string(ja) == string(jb)
}

func itoa(i int32) string { return strconv.Itoa(int(i)) }
