package manifests

import (
	"bufio"
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"strings"
	"testing"

	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	policyv1 "k8s.io/api/policy/v1"
	utilyaml "k8s.io/apimachinery/pkg/util/yaml"
	"sigs.k8s.io/yaml"
)

// doc is one YAML document of one file.
type doc struct {
	file  string
	index int
	kind  string // apiVersion/kind, e.g. "apps/v1/StatefulSet"
	json  []byte
}

func (d doc) String() string { return fmt.Sprintf("%s#%d (%s)", d.file, d.index, d.kind) }

// loadDocs reads every YAML document of the given files.
func loadDocs(t *testing.T, files ...string) []doc {
	t.Helper()
	var out []doc
	for _, f := range files {
		src, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		r := utilyaml.NewYAMLReader(bufio.NewReader(bytes.NewReader(src)))
		for i := 0; ; i++ {
			raw, err := r.Read()
			if errors.Is(err, io.EOF) {
				break
			}
			if err != nil {
				t.Fatalf("%s: document %d: %v", f, i, err)
			}
			js, err := yaml.YAMLToJSONStrict(raw)
			if err != nil {
				t.Fatalf("%s: document %d is not valid YAML: %v", f, i, err)
			}
			if string(js) == "null" {
				continue // an empty document (comments only)
			}
			var head struct {
				APIVersion string `json:"apiVersion"`
				Kind       string `json:"kind"`
			}
			if err := json.Unmarshal(js, &head); err != nil {
				t.Fatalf("%s: document %d: %v", f, i, err)
			}
			out = append(out, doc{file: f, index: i, kind: head.APIVersion + "/" + head.Kind, json: js})
		}
	}
	return out
}

// strict decodes JSON into v, refusing unknown fields.
func strict(js []byte, v any) error {
	dec := json.NewDecoder(bytes.NewReader(js))
	dec.DisallowUnknownFields()
	return dec.Decode(v)
}

// typed returns an empty Kubernetes object for the document's kind.
func typed(kind string) (any, bool) {
	switch kind {
	case "apps/v1/StatefulSet":
		return &appsv1.StatefulSet{}, true
	case "v1/Service":
		return &corev1.Service{}, true
	case "v1/Secret":
		return &corev1.Secret{}, true
	case "v1/ConfigMap":
		return &corev1.ConfigMap{}, true
	case "policy/v1/PodDisruptionBudget":
		return &policyv1.PodDisruptionBudget{}, true
	}
	return nil, false
}

// kubernetesFiles are the manifests applied to the cluster (not examples).
func kubernetesFiles(t *testing.T) []string {
	t.Helper()
	files, err := filepath.Glob("*.yaml")
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	for _, f := range files {
		if f != "kustomization.yaml" {
			out = append(out, f)
		}
	}
	sort.Strings(out)
	return out
}

// ringdFlags lists the flags cmd/ringd defines, read from its sources
// (package main cannot be imported): every fs.XxxVar(&v, "name", ...) and
// fs.Xxx("name", ...).
func ringdFlags(t *testing.T) map[string]bool {
	t.Helper()
	files, err := filepath.Glob("../cmd/ringd/*.go")
	if err != nil {
		t.Fatal(err)
	}
	re := regexp.MustCompile(`\b\w+\.(?:\w*Var\(\s*[^,()]+,|String\(|Bool\(|Duration\(|Int\(|Func\(|BoolFunc\()\s*"([a-z][a-z0-9-]*)"`)
	out := map[string]bool{}
	for _, f := range files {
		if strings.HasSuffix(f, "_test.go") {
			continue
		}
		src, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		for _, m := range re.FindAllSubmatch(src, -1) {
			out[string(m[1])] = true
		}
	}
	if !out["node-id"] || !out["data-dir"] {
		t.Fatalf("found flags %v in cmd/ringd; the pattern no longer matches how flags are defined", out)
	}
	return out
}
