package rings

import (
	"cmp"
	"fmt"
	"slices"
	"strings"
	"time"
)

// The baseline of a release is what the GitOps branch held for every
// target of its app in every region of the release, read by the leader
// right before the release's first promotion and recorded through the log
// (RecordBaseline). It is what rollback writes back, region by region, and
// what the regions not yet promoted run (HealthQuery.BaselineVersion).
//
// Regions may differ (a region left behind by an earlier rollback, a
// hotfix in one region); within one region the targets may disagree (two
// files, one forgotten by hand). A region whose targets agree records one
// Version; a region whose targets disagree, or where a target did not exist
// yet (the app's first deployment there), records each target's own value.

// TargetValue is what one target of an app held in Git for one region.
type TargetValue struct {
	// File is the target's file for the region (the template rendered).
	File string `json:"file"`
	// Target names the target within the file, as Target.Describe does
	// ("yamlPath image.tag").
	Target string `json:"target"`
	// Value is the target's value; empty when Absent.
	Value string `json:"value,omitempty"`
	// Absent is set when the file or the field did not exist.
	Absent bool `json:"absent,omitempty"`
}

// RegionBaseline is what Git held for one region: Version when every target
// existed and held the same value, else Targets, each target's own value.
type RegionBaseline struct {
	Region  string        `json:"region"`
	Version string        `json:"version,omitempty"`
	Targets []TargetValue `json:"targets,omitempty"`
}

// SummarizeBaseline turns what was read for one region into its baseline:
// one Version when every target exists and agrees, the targets otherwise.
func SummarizeBaseline(region string, values []TargetValue) RegionBaseline {
	b := RegionBaseline{Region: region}
	agree := len(values) > 0
	for _, v := range values {
		if v.Absent || v.Value == "" || v.Value != values[0].Value {
			agree = false
			break
		}
	}
	if agree {
		b.Version = values[0].Value
		return b
	}
	b.Targets = slices.Clone(values)
	return b
}

// Mixed reports whether the region's targets did not all hold one value.
func (b RegionBaseline) Mixed() bool { return b.Version == "" }

// RecordBaseline records what Git held for the regions of release id before
// its first promotion, read from commit. It must name every region of the
// release once, each with a Version or its Targets. Recording it again is a
// no-op (the first record wins: a new leader that read Git again does not
// move it); recording it after a region was promoted is refused, since Git
// then shows the new version.
func (s *State) RecordBaseline(id, commit string, regions []RegionBaseline, at time.Time) error {
	r, err := s.release(id)
	if err != nil {
		return err
	}
	if !r.BaselineAt.IsZero() {
		return nil // recorded already: the first read stands
	}
	if r.State.Terminal() {
		return fmt.Errorf("record baseline of release %q: the release is %s: %w", id, r.State, ErrTransition)
	}
	for _, rp := range r.Rings {
		for _, g := range rp.Regions {
			if g.Promoted() {
				return fmt.Errorf("record baseline of release %q: region %s is already promoted, so Git no longer shows what it ran before: %w", id, g.Name, ErrTransition)
			}
		}
	}
	want := r.RegionNames()
	seen := map[string]bool{}
	for _, b := range regions {
		switch {
		case !slices.Contains(want, b.Region):
			return fmt.Errorf("record baseline of release %q: region %q is not in the release: %w", id, b.Region, ErrNotFound)
		case seen[b.Region]:
			return fmt.Errorf("record baseline of release %q: region %s named twice: %w", id, b.Region, ErrTransition)
		case (b.Version == "") == (len(b.Targets) == 0):
			return fmt.Errorf("record baseline of release %q: region %s needs either a version or its targets' values: %w", id, b.Region, ErrTransition)
		case strings.ContainsAny(b.Version, "\n\r"):
			return fmt.Errorf("record baseline of release %q: region %s: version contains a newline: %w", id, b.Region, ErrTransition)
		}
		for _, tv := range b.Targets {
			if tv.File == "" || tv.Target == "" || tv.Absent == (tv.Value != "") || strings.ContainsAny(tv.Value, "\n\r") {
				return fmt.Errorf("record baseline of release %q: region %s: target %q of %q needs a value (one line) or absent: %w", id, b.Region, tv.Target, tv.File, ErrTransition)
			}
		}
		seen[b.Region] = true
	}
	for _, name := range want {
		if !seen[name] {
			return fmt.Errorf("record baseline of release %q: region %s is missing: %w", id, name, ErrTransition)
		}
	}
	versions := map[string]string{}
	var targets map[string][]TargetValue
	for _, b := range regions {
		if b.Version != "" {
			versions[b.Region] = b.Version
			continue
		}
		if targets == nil {
			targets = map[string][]TargetValue{}
		}
		targets[b.Region] = slices.Clone(b.Targets)
	}
	r.PreviousVersions = versions
	r.PreviousTargets = targets
	r.BaselineAt = at
	r.BaselineCommit = commit
	r.UpdatedAt = at
	return nil
}

// RegionNames lists the regions of r in ring order, once each (nil when
// it has none). A region is normally in one ring only, so the names are
// checked for a repeat on a sorted copy (n log n, no map) and deduplicated
// through a set only when there is one.
func (r *Release) RegionNames() []string {
	n := 0
	for _, rp := range r.Rings {
		n += len(rp.Regions)
	}
	if n == 0 {
		return nil
	}
	out := make([]string, 0, n)
	for _, rp := range r.Rings {
		for i := range rp.Regions {
			out = append(out, rp.Regions[i].Name)
		}
	}
	sorted := slices.Clone(out)
	slices.Sort(sorted)
	if len(slices.Compact(sorted)) == len(out) {
		return out
	}
	seen := make(map[string]bool, len(out))
	return slices.DeleteFunc(out, func(name string) bool {
		dup := seen[name]
		seen[name] = true
		return dup
	})
}

// BaselineRecorded reports whether Git's baseline was recorded for r.
func (r *Release) BaselineRecorded() bool { return !r.BaselineAt.IsZero() }

// NeedsBaseline reports whether r may not be promoted yet: its baseline was
// not recorded and nothing of it is promoted (a release that promoted
// before baselines were recorded keeps its PreviousVersion).
func (r *Release) NeedsBaseline() bool {
	if r.BaselineRecorded() {
		return false
	}
	// By index: a region's progress is some 300 bytes, and the planner
	// asks this of every release due for a promotion.
	for i := range r.Rings {
		for j := range r.Rings[i].Regions {
			if r.Rings[i].Regions[j].Promoted() {
				return false
			}
		}
	}
	return true
}

// Previous is what rollback writes back to one region.
type Previous struct {
	// Version is written to every target of the region; empty when the
	// targets get their own values (Targets) or nothing is known.
	Version string
	// Targets are each target's own value, for a region whose targets
	// disagreed.
	Targets []TargetValue
	// Unknown says why nothing can be written back ("" when something can).
	Unknown string
}

// PreviousFor says what rollback writes back to region. With a recorded
// baseline, Git's value is the truth: the region's Version, or each
// target's own value. A target that did not exist before the release takes
// the previousVersion a person gave when creating the release, if any;
// otherwise the region cannot be rolled back automatically (nothing is
// guessed). Without a recorded baseline (a release that promoted before
// baselines were recorded) it is PreviousVersions[region], else
// PreviousVersion.
func (r *Release) PreviousFor(region string) Previous {
	if v := r.PreviousVersions[region]; v != "" {
		return Previous{Version: v}
	}
	if ts, ok := r.PreviousTargets[region]; ok {
		out := make([]TargetValue, len(ts))
		var absent []string
		for i, tv := range ts {
			if tv.Absent {
				if !r.PreviousVersionGiven || r.PreviousVersion == "" {
					absent = append(absent, tv.File+" "+tv.Target)
					continue
				}
				tv.Value, tv.Absent = r.PreviousVersion, false
			}
			out[i] = tv
		}
		if len(absent) > 0 {
			return Previous{Unknown: fmt.Sprintf("%s did not exist in region %s before the release", strings.Join(absent, ", "), region)}
		}
		if b := SummarizeBaseline(region, out); !b.Mixed() {
			return Previous{Version: b.Version}
		}
		return Previous{Targets: out}
	}
	if r.BaselineRecorded() {
		return Previous{Unknown: fmt.Sprintf("no baseline was recorded for region %s", region)}
	}
	if r.PreviousVersion != "" {
		return Previous{Version: r.PreviousVersion}
	}
	return Previous{Unknown: fmt.Sprintf("no previous version is known for region %s", region)}
}

// DescribePrevious renders the previous version of one region for people:
// "v1.4.1", "mixed: a.yaml yamlPath image.tag=v1, b.yaml … (absent)", or
// "-" when nothing is known.
func (r *Release) DescribePrevious(region string) string {
	if v := r.PreviousVersions[region]; v != "" {
		return v
	}
	if ts, ok := r.PreviousTargets[region]; ok {
		parts := make([]string, 0, len(ts))
		for _, tv := range ts {
			v := tv.Value
			if tv.Absent {
				v = "(absent)"
			}
			parts = append(parts, tv.File+" "+tv.Target+"="+v)
		}
		return "mixed: " + strings.Join(parts, ", ")
	}
	if !r.BaselineRecorded() && r.PreviousVersion != "" {
		return r.PreviousVersion
	}
	return "-"
}

// BaselineVersion is the version the canary-vs-baseline comparison holds
// the given regions (the ones still on the old release) to: the previous
// version most of them run, ties going to the one the earliest region in
// the list runs; regions whose targets disagree are left out (they run no
// single version). With no such region, the most common previous version
// of the whole release (the same rule over its regions in ring order), and
// without a recorded baseline PreviousVersion.
func (r *Release) BaselineVersion(regions []string) string {
	if v := r.commonPrevious(regions); v != "" {
		return v
	}
	if v := r.commonPrevious(r.RegionNames()); v != "" {
		return v
	}
	if !r.BaselineRecorded() {
		return r.PreviousVersion
	}
	return ""
}

// commonPrevious returns the most frequent PreviousVersions value among
// regions (first seen wins a tie), "" when none has one.
func (r *Release) commonPrevious(regions []string) string {
	type count struct {
		v     string
		n     int
		first int
	}
	var counts []count
	for i, name := range regions {
		v := r.PreviousVersions[name]
		if v == "" {
			continue
		}
		j := slices.IndexFunc(counts, func(c count) bool { return c.v == v })
		if j < 0 {
			counts = append(counts, count{v: v, first: i})
			j = len(counts) - 1
		}
		counts[j].n++
	}
	if len(counts) == 0 {
		return ""
	}
	best := slices.MaxFunc(counts, func(a, b count) int {
		if c := cmp.Compare(a.n, b.n); c != 0 {
			return c
		}
		return cmp.Compare(b.first, a.first)
	})
	return best.v
}
