package gitops

import (
	"bytes"
	"fmt"
	"sort"
	"strings"
	"time"

	"gopkg.in/yaml.v3"

	"github.com/ringleader-dev/ringleader/rings"
)

// haltsDoc is the on-disk shape of .ringleader/halts.yaml.
type haltsDoc struct {
	Halts []haltEntry `yaml:"halts"`
}

type haltEntry struct {
	ID        string    `yaml:"id"`
	Scope     haltScope `yaml:"scope"`
	Author    string    `yaml:"author"`
	Reason    string    `yaml:"reason"`
	CreatedAt time.Time `yaml:"createdAt"`
	Auto      bool      `yaml:"auto,omitempty"`
}

type haltScope struct {
	Global   bool     `yaml:"global,omitempty"`
	Regions  []string `yaml:"regions,omitempty"`
	Rings    []string `yaml:"rings,omitempty"`
	Apps     []string `yaml:"apps,omitempty"`
	Releases []string `yaml:"releases,omitempty"`
}

const haltsHeader = "# Managed by Ringleader: the active halts. A promotion covered by one of\n" +
	"# them must not land; Ringleader re-reads this file before every push.\n"

// RenderHalts renders the active halts among hs as the content of
// .ringleader/halts.yaml, sorted by ID so equal sets render identically.
func RenderHalts(hs []rings.Halt) ([]byte, error) {
	doc := haltsDoc{Halts: []haltEntry{}}
	for _, h := range hs {
		if !h.Active() {
			continue
		}
		doc.Halts = append(doc.Halts, haltEntry{
			ID: h.ID, Author: h.Author, Reason: h.Reason, CreatedAt: h.CreatedAt.UTC(), Auto: h.Auto,
			Scope: haltScope{Global: h.Scope.Global, Regions: h.Scope.Regions, Rings: h.Scope.Rings,
				Apps: h.Scope.Apps, Releases: h.Scope.Releases},
		})
	}
	sort.Slice(doc.Halts, func(i, j int) bool { return doc.Halts[i].ID < doc.Halts[j].ID })
	var buf bytes.Buffer
	buf.WriteString(haltsHeader)
	enc := yaml.NewEncoder(&buf)
	enc.SetIndent(2)
	if err := enc.Encode(doc); err != nil {
		return nil, fmt.Errorf("render halts: %w", err)
	}
	if err := enc.Close(); err != nil {
		return nil, fmt.Errorf("render halts: %w", err)
	}
	return buf.Bytes(), nil
}

// ParseHalts reads the content of .ringleader/halts.yaml.
func ParseHalts(content []byte) ([]rings.Halt, error) {
	var doc haltsDoc
	if err := yaml.Unmarshal(content, &doc); err != nil {
		return nil, fmt.Errorf("parse %s: %w", HaltsFile, err)
	}
	out := make([]rings.Halt, 0, len(doc.Halts))
	for _, e := range doc.Halts {
		out = append(out, rings.Halt{
			ID: e.ID, Author: e.Author, Reason: e.Reason, CreatedAt: e.CreatedAt, Auto: e.Auto,
			Scope: rings.HaltScope{Global: e.Scope.Global, Regions: e.Scope.Regions, Rings: e.Scope.Rings,
				Apps: e.Scope.Apps, Releases: e.Scope.Releases},
		})
	}
	return out, nil
}

// covering returns the first active halt of hs that covers p, if any.
func covering(hs []rings.Halt, p rings.Promotion) *rings.Halt {
	for i := range hs {
		if hs[i].Active() && hs[i].Scope.Covers(p.ReleaseID, p.App, p.Ring, p.Regions) {
			return &hs[i]
		}
	}
	return nil
}

func describeHalt(h *rings.Halt) string {
	scope := "global"
	if !h.Scope.Global {
		var parts []string
		add := func(k string, v []string) {
			if len(v) > 0 {
				parts = append(parts, k+"="+strings.Join(v, ","))
			}
		}
		add("releases", h.Scope.Releases)
		add("apps", h.Scope.Apps)
		add("rings", h.Scope.Rings)
		add("regions", h.Scope.Regions)
		scope = strings.Join(parts, " ")
	}
	return fmt.Sprintf("halt %s (%s) by %s: %s", h.ID, scope, h.Author, h.Reason)
}
