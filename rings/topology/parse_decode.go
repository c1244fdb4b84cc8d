package topology

import (
	"fmt"
	"math"
	"reflect"
	"sort"
	"strings"

	"gopkg.in/yaml.v3"
)

// The decoder walks the yaml.Node tree alongside the Topology struct, using
// the struct's yaml tags as the schema. Walking by hand (rather than
// yaml.Unmarshal) is what lets every problem carry its own line and column
// and lets one document report all of its problems at once.

var (
	durationType = reflect.TypeOf(Duration(0))
	// rollbackType may be written as its mode alone (`rollback: manual`).
	rollbackType = reflect.TypeOf(RollbackPolicy{})
	// rollbackOverrideType, an app's rollback, may be written the same way.
	rollbackOverrideType = reflect.TypeOf(RollbackOverride{})
	// schemaContexts names each schema type in messages ("unknown field in ring").
	schemaContexts = map[reflect.Type]string{
		reflect.TypeOf(Topology{}):          "the topology",
		reflect.TypeOf(Metadata{}):          "metadata",
		reflect.TypeOf(TopologySpec{}):      "spec",
		reflect.TypeOf(GitOps{}):            "gitops",
		reflect.TypeOf(Region{}):            "region",
		reflect.TypeOf(ArgoCDSource{}):      "region argocd",
		reflect.TypeOf(PrometheusSource{}):  "region prometheus",
		reflect.TypeOf(Ring{}):              "ring",
		reflect.TypeOf(Window{}):            "window",
		reflect.TypeOf(Freeze{}):            "freeze",
		reflect.TypeOf(Policy{}):            "policy",
		reflect.TypeOf(Analysis{}):          "policy.analysis",
		reflect.TypeOf(RollbackPolicy{}):    "policy.rollback",
		reflect.TypeOf(Metric{}):            "metric",
		reflect.TypeOf(ErrorBudgetPolicy{}): "policy.errorBudget",
		reflect.TypeOf(BudgetSLI{}):         "policy.errorBudget.sli",
		reflect.TypeOf(App{}):               "app",
		reflect.TypeOf(Target{}):            "target",
		reflect.TypeOf(AppRisk{}):           "app risk",
		reflect.TypeOf(DREAD{}):             "risk dread",
		elementType:                         "target applicationSetElement",
		reflect.TypeOf(ContainerImage{}):    "target containerImage",
		reflect.TypeOf(Train{}):             "train",
		reflect.TypeOf(RiskTier{}):          "risk tier",

		// spec.apps[].policy (app_policy.go)
		reflect.TypeOf(AppPolicy{}):           "app policy",
		reflect.TypeOf(AnalysisOverride{}):    "app policy.analysis",
		reflect.TypeOf(ErrorBudgetOverride{}): "app policy.errorBudget",
		reflect.TypeOf(RollbackOverride{}):    "app policy.rollback",
		reflect.TypeOf(AppWebhooks{}):         "app policy.webhooks",
		reflect.TypeOf(AppWebhook{}):          "app webhook",
	}
	// fieldHomes lists, for every field name of the schema, the schemaContexts
	// it belongs to, so a field in the wrong place can say where it goes.
	fieldHomes = buildFieldHomes()
)

// schemaField is one yaml-tagged field of a schema struct.
type schemaField struct {
	name  string
	index int
}

// schemaFields lists a struct's yaml fields in declaration order.
func schemaFields(t reflect.Type) []schemaField {
	var out []schemaField
	for i := 0; i < t.NumField(); i++ {
		f := t.Field(i)
		name, _, _ := strings.Cut(f.Tag.Get("yaml"), ",")
		if name == "" || name == "-" || !f.IsExported() {
			continue
		}
		out = append(out, schemaField{name: name, index: i})
	}
	return out
}

func buildFieldHomes() map[string][]string {
	homes := map[string][]string{}
	for t, ctx := range schemaContexts {
		for _, f := range schemaFields(t) {
			homes[f.name] = append(homes[f.name], ctx)
		}
	}
	for _, v := range homes {
		sort.Strings(v)
	}
	return homes
}

// pathJoin builds a child path: pathJoin("spec", "rings") = "spec.rings".
func pathJoin(path, name string) string {
	if path == "" {
		return name
	}
	return path + "." + name
}

func pathIndex(path string, i int) string { return fmt.Sprintf("%s[%d]", path, i) }

// decodeTopology fills t from the root mapping.
func (p *topoParser) decodeTopology(root *yaml.Node, t *Topology) {
	p.vals[""] = nodePos(root)
	p.decodeStruct(root, reflect.ValueOf(t).Elem(), "")
}

// decodeStruct fills a schema struct from a mapping node.
func (p *topoParser) decodeStruct(n *yaml.Node, v reflect.Value, path string) {
	where := schemaContexts[v.Type()]
	fields := schemaFields(v.Type())
	byName := make(map[string]int, len(fields))
	for _, f := range fields {
		byName[f.name] = f.index
	}
	var meant []string // fields an unknown key probably meant
	for _, pr := range p.pairs(n, where) {
		i, ok := byName[pr.key.Value]
		if !ok {
			if s := p.unknownField(pr.key, where, fields); s != "" {
				meant = append(meant, s)
			}
			continue
		}
		fp := pathJoin(path, pr.key.Value)
		p.keys[fp] = nodePos(pr.key)
		p.decodeValue(pr.val, v.Field(i), fp, pr.key.Value)
	}
	// "sok: 1h" already says what is wrong; do not also report soak as
	// missing.
	for _, name := range meant {
		if fp := pathJoin(path, name); !p.given[fp] {
			p.bad[fp] = true
		}
	}
}

// unknownField reports a key the schema does not have, suggesting the field
// it most likely meant or the place it belongs. It returns the suggested
// field, if any.
func (p *topoParser) unknownField(k *yaml.Node, where string, fields []schemaField) string {
	msg := fmt.Sprintf("unknown field %s in %s", quoteShort(k.Value), where)
	names := make([]string, len(fields))
	for i, f := range fields {
		names[i] = f.name
	}
	suggestion := suggestField(k.Value, names)
	if suggestion != "" {
		msg += fmt.Sprintf("; did you mean %q?", suggestion)
	} else if homes := fieldHomes[k.Value]; len(homes) > 0 {
		msg += fmt.Sprintf("; %q belongs in %s", k.Value, joinOr(homes))
	} else {
		msg += "; known fields: " + strings.Join(names, ", ")
	}
	p.errorAt(nodePos(k), "%s", msg)
	return suggestion
}

// joinOr renders a list as "a", "a or b", "a, b or c".
func joinOr(items []string) string {
	if len(items) <= 1 {
		return strings.Join(items, "")
	}
	return strings.Join(items[:len(items)-1], ", ") + " or " + items[len(items)-1]
}

// suggestField returns the candidate nearest to s (ignoring case) if it is a
// plausible typo: at most 2 edits, and no more than half of s's length.
func suggestField(s string, candidates []string) string {
	best, bestD := "", min(3, len(s)/2+1)
	ls := strings.ToLower(s)
	for _, c := range candidates {
		if d := editDistance(ls, strings.ToLower(c)); d < bestD {
			best, bestD = c, d
		}
	}
	return best
}

// editDistance is the Levenshtein distance between a and b (bytes). Long
// inputs are not compared: a typo is short.
func editDistance(a, b string) int {
	if len(a) > 64 || len(b) > 64 {
		return math.MaxInt
	}
	prev := make([]int, len(b)+1)
	cur := make([]int, len(b)+1)
	for j := range prev {
		prev[j] = j
	}
	for i := 1; i <= len(a); i++ {
		cur[0] = i
		for j := 1; j <= len(b); j++ {
			cost := 1
			if a[i-1] == b[j-1] {
				cost = 0
			}
			cur[j] = min(prev[j]+1, cur[j-1]+1, prev[j-1]+cost)
		}
		prev, cur = cur, prev
	}
	return prev[len(b)]
}

// decodeValue fills v from n according to v's type. name is the field's key,
// used in messages.
func (p *topoParser) decodeValue(n *yaml.Node, v reflect.Value, path, name string) {
	n = p.follow(n)
	if n == nil {
		p.bad[path] = true
		return
	}
	p.vals[path] = nodePos(n)
	if isNullNode(n) {
		return // absent: the zero value, and defaults apply
	}
	p.given[path] = true
	fail := func(format string, args ...any) {
		p.bad[path] = true
		p.errorAt(nodePos(n), format, args...)
	}
	t := v.Type()
	if (t == rollbackType || t == rollbackOverrideType) && n.Kind == yaml.ScalarNode {
		mp := pathJoin(path, "mode")
		p.keys[mp] = nodePos(n)
		p.decodeValue(n, v.FieldByName("Mode"), mp, name)
		return
	}
	if p.decodeElementShorthand(n, v, path, name) {
		return
	}
	if t == durationType {
		if n.Kind != yaml.ScalarNode {
			fail("%s must be a duration such as \"4h\" or \"14d\", not %s", name, describeNode(n))
			return
		}
		d, err := ParseDuration(n.Value)
		if err != nil {
			fail("%s: %v", name, err)
			return
		}
		v.SetInt(int64(d))
		return
	}
	switch t.Kind() {
	case reflect.String:
		if n.Kind != yaml.ScalarNode {
			fail("%s must be a string, not %s", name, describeNode(n))
			return
		}
		v.SetString(n.Value)
	case reflect.Int:
		var i int
		if n.Kind != yaml.ScalarNode || n.Tag != "!!int" || n.Decode(&i) != nil {
			fail("%s must be a whole number, not %s", name, describeNode(n))
			return
		}
		v.SetInt(int64(i))
	case reflect.Float64:
		var f float64
		if n.Kind != yaml.ScalarNode || (n.Tag != "!!int" && n.Tag != "!!float") || n.Decode(&f) != nil {
			fail("%s must be a number, not %s", name, describeNode(n))
			return
		}
		if math.IsNaN(f) || math.IsInf(f, 0) {
			fail("%s must be a finite number, not %s", name, describeNode(n))
			return
		}
		v.SetFloat(f)
	case reflect.Pointer:
		elem := reflect.New(t.Elem())
		p.decodeValue(n, elem.Elem(), path, name)
		if !p.bad[path] {
			v.Set(elem)
		}
	case reflect.Slice:
		if n.Kind != yaml.SequenceNode {
			fail("%s must be a list, not %s", name, describeNode(n))
			return
		}
		s := reflect.MakeSlice(t, len(n.Content), len(n.Content))
		for i, c := range n.Content {
			p.decodeValue(c, s.Index(i), pathIndex(path, i), name+" entries")
		}
		v.Set(s)
	case reflect.Map:
		if n.Kind != yaml.MappingNode {
			fail("%s must be a mapping, not %s", name, describeNode(n))
			return
		}
		m := reflect.MakeMap(t)
		for _, pr := range p.pairs(n, name) {
			kp := pathJoin(path, pr.key.Value)
			p.keys[kp] = nodePos(pr.key)
			ev := reflect.New(t.Elem()).Elem()
			p.decodeValue(pr.val, ev, kp, name+" values")
			m.SetMapIndex(reflect.ValueOf(pr.key.Value), ev)
		}
		v.Set(m)
	case reflect.Struct:
		if n.Kind != yaml.MappingNode {
			fail("%s must be a mapping, not %s", name, describeNode(n))
			return
		}
		p.decodeStruct(n, v, path)
	default:
		// The schema uses only the kinds above; a new field type needs a case.
		fail("%s has a type the parser does not support", name)
	}
}

// UnmarshalYAML reads a duration string such as "4h", "0s" or "14d", so any
// type holding a Duration also decodes with yaml.Unmarshal. (Parse does not
// use it: its walker decodes durations itself to locate errors.)
func (d *Duration) UnmarshalYAML(n *yaml.Node) error {
	if n.Kind != yaml.ScalarNode {
		return fmt.Errorf("line %d: duration must be a string such as \"4h\", not %s", n.Line, describeNode(n))
	}
	v, err := ParseDuration(n.Value)
	if err != nil {
		return fmt.Errorf("line %d: %w", n.Line, err)
	}
	*d = v
	return nil
}
