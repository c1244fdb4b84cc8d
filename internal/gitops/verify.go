package gitops

import (
	"context"
	"fmt"
	"os"
	"slices"
	"strings"
	"time"

	"github.com/go-git/go-git/v5/plumbing"
	"github.com/go-git/go-git/v5/plumbing/object"
	"github.com/go-git/go-git/v5/plumbing/storer"

	"github.com/ringleader-dev/ringleader/internal/redact"
	"github.com/ringleader-dev/ringleader/rings"
	"github.com/ringleader-dev/ringleader/rings/topology"
)

// ViolationKind names a broken guarantee found in the history.
type ViolationKind string

// Violation kinds reported by VerifyHistory.
const (
	// ViolationRingOrder: a promotion for ring k+1 of a release landed
	// before ring k's promotion commits (all of ring k's regions when the
	// topology is known).
	ViolationRingOrder ViolationKind = "ring-order"
	// ViolationSoak: a promotion for ring k+1 landed before ring k finished
	// soaking, by its own Ringleader-Soaked-Ring evidence or by ring k's
	// last promotion plus its soak window.
	ViolationSoak ViolationKind = "soak"
	// ViolationDuplicate: two commits carry the same Ringleader-Promotion.
	ViolationDuplicate ViolationKind = "duplicate"
	// ViolationHalted: a promotion landed on a parent whose halt fence had
	// an active halt covering it.
	ViolationHalted ViolationKind = "halted"
)

// Violation is one broken guarantee.
type Violation struct {
	Kind        ViolationKind `json:"kind" yaml:"kind"`
	Commit      string        `json:"commit" yaml:"commit"`
	PromotionID string        `json:"promotionId" yaml:"promotionId"`
	Release     string        `json:"release" yaml:"release"`
	Ring        string        `json:"ring" yaml:"ring"`
	Detail      string        `json:"detail" yaml:"detail"`
}

// VerifyReport is the result of VerifyHistory.
type VerifyReport struct {
	Branch     string      `json:"branch" yaml:"branch"`
	Head       string      `json:"head" yaml:"head"`
	Commits    int         `json:"commits" yaml:"commits"`
	Promotions int         `json:"promotions" yaml:"promotions"`
	Violations []Violation `json:"violations" yaml:"violations"`
}

// OK reports whether the history has no violation.
func (r *VerifyReport) OK() bool { return len(r.Violations) == 0 }

// Summary is a one-line account of the report.
func (r *VerifyReport) Summary() string {
	verdict := "ok"
	if !r.OK() {
		verdict = fmt.Sprintf("%d violation(s)", len(r.Violations))
	}
	return fmt.Sprintf("verified %d commits, %d promotions on %s at %s: %s", r.Commits, r.Promotions, r.Branch, short(plumbing.NewHash(r.Head)), verdict)
}

// VerifyOptions says which history to check.
type VerifyOptions struct {
	URL    string
	Branch string
	Auth   Auth
	// Topology, when set, gives ring order, ring regions and soak windows;
	// without it only the evidence in the commits is checked.
	Topology *topology.Topology
	// Dir is where to clone; empty uses a temporary directory removed
	// afterwards.
	Dir string
}

// VerifyHistory clones the branch and reports every violation of ring
// order, soak, exactly-once and the halt fence in its history.
func VerifyHistory(ctx context.Context, o VerifyOptions) (*VerifyReport, error) {
	if o.Branch == "" {
		o.Branch = "main"
	}
	dir := o.Dir
	if dir == "" {
		tmp, err := os.MkdirTemp("", "ringleader-verify-")
		if err != nil {
			return nil, fmt.Errorf("verify history: %w", err)
		}
		defer os.RemoveAll(tmp)
		dir = tmp
	}
	wc, err := openWorkingCopy(dir, o.URL, o.Branch, o.Auth)
	if err != nil {
		return nil, fmt.Errorf("verify history: %w", err)
	}
	head, err := wc.fetch(ctx)
	if err != nil {
		return nil, fmt.Errorf("verify history: %w", err)
	}
	if head.IsZero() {
		return nil, fmt.Errorf("verify history: branch %s does not exist in %s: %w", o.Branch, redact.URL(o.URL), ErrInvalid)
	}
	rep, err := verifyCommits(wc.repo.Storer, head, o.Topology)
	if err != nil {
		return nil, fmt.Errorf("verify history: %w", err)
	}
	rep.Branch = o.Branch
	return rep, nil
}

// landed is one promotion commit seen while walking.
type landed struct {
	commit  string
	regions []string
	at      time.Time
}

// verifyCommits walks every commit reachable from head, parents first.
func verifyCommits(s storer.EncodedObjectStorer, head plumbing.Hash, top *topology.Topology) (*VerifyReport, error) {
	order, err := parentsFirst(s, head)
	if err != nil {
		return nil, err
	}
	rep := &VerifyReport{Head: head.String(), Commits: len(order), Violations: []Violation{}}
	seen := map[string]string{}                  // promotion ID → first commit
	promoted := map[string]map[string][]landed{} // release → ring → commits
	for _, c := range order {
		blocks, err := PromotionBlocks(c.Message)
		if err != nil {
			return nil, fmt.Errorf("commit %s: %w", c.Hash, err)
		}
		if len(blocks) == 0 {
			continue
		}
		// One fence per commit: every promotion of a batch landed on the
		// same parent.
		parentHalts, fenceErr := fenceAtParent(s, c)
		for _, tr := range blocks {
			verifyPromotion(rep, c, tr, seen, promoted, parentHalts, fenceErr, top)
		}
	}
	return rep, nil
}

// verifyPromotion checks one promotion (one trailer set) of commit c.
func verifyPromotion(rep *VerifyReport, c *object.Commit, tr map[string]string, seen map[string]string,
	promoted map[string]map[string][]landed, parentHalts []rings.Halt, fenceErr error, top *topology.Topology) {
	id := tr[TrailerPromotion]
	rep.Promotions++
	v := Violation{Commit: c.Hash.String(), PromotionID: id, Release: tr[TrailerRelease], Ring: tr[TrailerRing]}
	report := func(k ViolationKind, format string, args ...any) {
		v.Kind, v.Detail = k, fmt.Sprintf(format, args...)
		rep.Violations = append(rep.Violations, v)
	}
	if first, dup := seen[id]; dup {
		report(ViolationDuplicate, "promotion %s already landed as %s", id, first[:12])
		return
	}
	seen[id] = c.Hash.String()
	if tr[TrailerRollback] == "true" {
		return
	}
	var regions []string
	if tr[TrailerRegions] != "" {
		regions = strings.Split(tr[TrailerRegions], ",")
	}
	p := rings.Promotion{ReleaseID: v.Release, App: tr[TrailerApp], Ring: v.Ring, Regions: regions}
	if fenceErr != nil {
		report(ViolationHalted, "the halt fence of the parent commit is unreadable: %v", fenceErr)
	} else if h := covering(parentHalts, p); h != nil {
		report(ViolationHalted, "landed while %s was active in %s", describeHalt(h), HaltsFile)
	}
	checkRingOrder(tr, c, v.Release, v.Ring, promoted, top, report)
	if promoted[v.Release] == nil {
		promoted[v.Release] = map[string][]landed{}
	}
	promoted[v.Release][v.Ring] = append(promoted[v.Release][v.Ring], landed{commit: c.Hash.String(), regions: regions, at: c.Committer.When})
}

// checkRingOrder reports ring-order and soak violations of one promotion.
func checkRingOrder(tr map[string]string, c *object.Commit, release, ring string, promoted map[string]map[string][]landed,
	top *topology.Topology, report func(ViolationKind, string, ...any)) {
	prev := ""
	var prevRing *topology.Ring
	if top != nil {
		if i := top.RingIndex(ring); i > 0 {
			prevRing = &top.Spec.Rings[i-1]
			prev = prevRing.Name
		}
	}
	evidenceRing, evidenceAt, hasEvidence := "", time.Time{}, false
	if ev := tr[TrailerSoakedRing]; ev != "" {
		name, at, ok := strings.Cut(ev, "@")
		t, err := time.Parse(soakedTimeLayout, at)
		if !ok || err != nil {
			report(ViolationSoak, "unreadable %s evidence %q", TrailerSoakedRing, ev)
		} else {
			evidenceRing, evidenceAt, hasEvidence = name, t, true
		}
	}
	if prev == "" && top == nil {
		prev = evidenceRing
	}
	if prev == "" {
		return
	}
	earlier := promoted[release][prev]
	if len(earlier) == 0 {
		report(ViolationRingOrder, "promotion for ring %s landed before any promotion of ring %s", ring, prev)
		return
	}
	var last time.Time
	var covered []string
	for _, l := range earlier {
		covered = append(covered, l.regions...)
		if l.at.After(last) {
			last = l.at
		}
	}
	if prevRing != nil {
		var missing []string
		for _, r := range prevRing.Regions {
			if !slices.Contains(covered, r) {
				missing = append(missing, r)
			}
		}
		if len(missing) > 0 {
			report(ViolationRingOrder, "promotion for ring %s landed before ring %s was promoted to %s", ring, prev, strings.Join(missing, ", "))
		}
		// A risk tier may shorten soaks: the bound is the shortest soak
		// any release of the app could have had (the commit does not carry
		// the score), from the app's own soak of that ring.
		own := *prevRing
		own.Soak = topology.Duration(top.EffectivePolicy(tr[TrailerApp]).Soak(prev))
		soak := top.ShortestSoak(own)
		if soakEnd := last.Add(soak.D()); c.Committer.When.Before(soakEnd) {
			report(ViolationSoak, "promotion for ring %s committed at %s, before ring %s could have soaked (last promoted %s + soak %s = %s)",
				ring, c.Committer.When.UTC().Format(time.RFC3339), prev, last.UTC().Format(time.RFC3339), soak, soakEnd.UTC().Format(time.RFC3339))
		}
	}
	if hasEvidence {
		if evidenceRing != prev {
			report(ViolationSoak, "soak evidence names ring %s, but the previous ring is %s", evidenceRing, prev)
		}
		if c.Committer.When.Before(evidenceAt) {
			report(ViolationSoak, "promotion for ring %s committed at %s, before ring %s finished soaking at %s",
				ring, c.Committer.When.UTC().Format(time.RFC3339), evidenceRing, evidenceAt.UTC().Format(time.RFC3339))
		}
	}
}

// fenceAtParent returns the halts in the first parent's halt fence (none
// for a root commit or a parent without a fence).
func fenceAtParent(s storer.EncodedObjectStorer, c *object.Commit) ([]rings.Halt, error) {
	if len(c.ParentHashes) == 0 {
		return nil, nil
	}
	parent, err := object.GetCommit(s, c.ParentHashes[0])
	if err != nil {
		return nil, err
	}
	tree, err := parent.Tree()
	if err != nil {
		return nil, err
	}
	content, ok, err := ReadFile(tree, HaltsFile)
	if err != nil || !ok {
		return nil, err
	}
	return ParseHalts(content)
}

// parentsFirst returns every commit reachable from head such that each
// commit comes after all of its parents (a depth-first post-order).
func parentsFirst(s storer.EncodedObjectStorer, head plumbing.Hash) ([]*object.Commit, error) {
	type frame struct {
		c    *object.Commit
		next int
	}
	var out []*object.Commit
	done := map[plumbing.Hash]bool{}
	root, err := object.GetCommit(s, head)
	if err != nil {
		return nil, fmt.Errorf("read commit %s: %w", head, err)
	}
	stack := []frame{{c: root}}
	done[head] = true
	for len(stack) > 0 {
		top := &stack[len(stack)-1]
		if top.next < len(top.c.ParentHashes) {
			ph := top.c.ParentHashes[top.next]
			top.next++
			if done[ph] {
				continue
			}
			done[ph] = true
			pc, err := object.GetCommit(s, ph)
			if err != nil {
				return nil, fmt.Errorf("read commit %s: %w", ph, err)
			}
			stack = append(stack, frame{c: pc})
			continue
		}
		out = append(out, top.c)
		stack = stack[:len(stack)-1]
	}
	return out, nil
}
