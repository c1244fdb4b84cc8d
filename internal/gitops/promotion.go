package gitops

import (
	"errors"
	"fmt"
	"sort"
	"strings"
	"time"

	"github.com/ringleader-dev/ringleader/rings"
)

// Sentinel errors. Callers test them with errors.Is.
var (
	// ErrHalted: an active halt in the repository's .ringleader/halts.yaml
	// covers the promotion; nothing was pushed. Needs no retry until the
	// halt is resumed.
	ErrHalted = errors.New("promotion halted by the fence in the gitops repository")
	// ErrCheckFailed: the caller's Check refused the push (it lost
	// leadership, or a halt in the replicated state covers the promotion).
	// The Check's own error is wrapped too.
	ErrCheckFailed = errors.New("pre-push check refused the promotion")
	// ErrTarget: a target file or field does not exist or cannot be edited.
	// Needs a human to fix the topology or the repository; nothing was
	// committed. It wraps ErrPermanent (permanent.go); the error of a bad
	// edit is a *TargetError naming file, region, target and path.
	ErrTarget = fmt.Errorf("bad promotion target: %w", ErrPermanent)
	// ErrContention: the branch kept moving and every push attempt was
	// rejected; retry later.
	ErrContention = errors.New("push kept being rejected as non-fast-forward")
	// ErrInvalid: the promotion or configuration is malformed.
	ErrInvalid = errors.New("invalid request")
)

// Trailer keys written into every commit Ringleader makes.
const (
	TrailerRelease     = "Ringleader-Release"
	TrailerRing        = "Ringleader-Ring"
	TrailerPromotion   = "Ringleader-Promotion"
	TrailerApp         = "Ringleader-App"
	TrailerVersion     = "Ringleader-Version"
	TrailerRegions     = "Ringleader-Regions"
	TrailerRollback    = "Ringleader-Rollback"
	TrailerSoakedRing  = "Ringleader-Soaked-Ring"
	TrailerHaltFence   = "Ringleader-Halt-Fence"
	HaltsFile          = ".ringleader/halts.yaml"
	soakedTimeLayout   = time.RFC3339
	maxSubjectRegions  = 4
	defaultMaxAttempts = 10
)

// Result says what landed and how many pushes it took.
type Result struct {
	rings.PromotionResult
	// Attempts is how many pushes were tried (0 when already landed).
	Attempts int
	// Batch is how many promotions the commit carries (1 for a format-1
	// commit; 0 when this call pushed nothing).
	Batch int
}

// validatePromotion rejects a promotion that cannot be written as a commit.
func validatePromotion(p rings.Promotion) error {
	var missing []string
	for name, v := range map[string]string{"release id": p.ReleaseID, "app": p.App, "ring": p.Ring,
		"version": p.Version, "promotion id": p.PromotionID} {
		if strings.TrimSpace(v) == "" {
			missing = append(missing, name)
		}
		if strings.ContainsAny(v, "\n\r") {
			return fmt.Errorf("promotion %s: %s contains a newline: %w", p.PromotionID, name, ErrInvalid)
		}
	}
	if len(p.Regions) == 0 {
		missing = append(missing, "regions")
	}
	if len(p.Targets) > 0 && (!p.Rollback || len(p.Regions) != 1) {
		return fmt.Errorf("promotion %s: per-target values are for the rollback of one region: %w", p.PromotionID, ErrInvalid)
	}
	for _, tv := range p.Targets {
		if tv.Absent || tv.Value == "" || strings.ContainsAny(tv.Value, "\n\r") {
			return fmt.Errorf("promotion %s: target %s of %s has no value to write (absent before the release): %w", p.PromotionID, tv.Target, tv.File, ErrInvalid)
		}
	}
	if len(missing) > 0 {
		sort.Strings(missing)
		return fmt.Errorf("promotion %q lacks %s: %w", p.PromotionID, strings.Join(missing, ", "), ErrInvalid)
	}
	return nil
}

// CommitMessage renders the commit message of one promotion (format 1): a
// readable subject, a short body and the trailers.
func CommitMessage(p rings.Promotion) string {
	var b strings.Builder
	b.WriteString(promotionSubject(p))
	b.WriteString("\n\n")
	if p.Rollback {
		if len(p.Targets) > 0 {
			fmt.Fprintf(&b, "Roll %s back in %s, each target to its own previous value:\n", p.App, strings.Join(p.Regions, ", "))
			for _, tv := range p.Targets {
				fmt.Fprintf(&b, "  %s %s: %s\n", tv.File, tv.Target, tv.Value)
			}
			b.WriteString("\n")
		} else {
			fmt.Fprintf(&b, "Roll %s back to %s in %s.\n\n", p.App, p.Version, strings.Join(p.Regions, ", "))
		}
	} else {
		fmt.Fprintf(&b, "Promote %s %s to %s.\n\n", p.App, p.Version, strings.Join(p.Regions, ", "))
	}
	writeTrailers(&b, p)
	return b.String()
}

// promotionSubject is the one-line account of p: "checkout v1.4.2 → ring
// early (eu-west-1)", or "rollback checkout to v1.4.1 → …".
func promotionSubject(p rings.Promotion) string {
	regions := p.Regions
	more := ""
	if len(regions) > maxSubjectRegions {
		more = fmt.Sprintf(" +%d", len(regions)-maxSubjectRegions)
		regions = regions[:maxSubjectRegions]
	}
	if p.Rollback {
		return fmt.Sprintf("rollback %s to %s → ring %s (%s%s)", p.App, p.Version, p.Ring, strings.Join(regions, ", "), more)
	}
	return fmt.Sprintf("%s %s → ring %s (%s%s)", p.App, p.Version, p.Ring, strings.Join(regions, ", "), more)
}

// writeTrailers writes p's trailer set, one "Key: value" line each.
func writeTrailers(b *strings.Builder, p rings.Promotion) {
	fmt.Fprintf(b, "%s: %s\n", TrailerRelease, p.ReleaseID)
	fmt.Fprintf(b, "%s: %s\n", TrailerRing, p.Ring)
	fmt.Fprintf(b, "%s: %s\n", TrailerPromotion, p.PromotionID)
	fmt.Fprintf(b, "%s: %s\n", TrailerApp, p.App)
	fmt.Fprintf(b, "%s: %s\n", TrailerVersion, p.Version)
	fmt.Fprintf(b, "%s: %s\n", TrailerRegions, strings.Join(p.Regions, ","))
	if p.Rollback {
		fmt.Fprintf(b, "%s: true\n", TrailerRollback)
	}
	if p.PreviousRing != "" && !p.PreviousRingSoakedAt.IsZero() {
		fmt.Fprintf(b, "%s: %s@%s\n", TrailerSoakedRing, p.PreviousRing, p.PreviousRingSoakedAt.UTC().Format(soakedTimeLayout))
	}
}

// Trailers parses "Key: value" lines from the last paragraph of a commit
// message. Repeated keys keep the first value.
func Trailers(message string) map[string]string {
	msg := strings.TrimRight(message, "\n")
	if i := strings.LastIndex(msg, "\n\n"); i >= 0 {
		msg = msg[i+2:]
	}
	return paragraphTrailers(msg)
}

// paragraphTrailers parses the "Key: value" lines of one paragraph (lines
// that are not trailers are skipped). Repeated keys keep the first value.
func paragraphTrailers(para string) map[string]string {
	out := map[string]string{}
	for _, line := range strings.Split(para, "\n") {
		k, v, ok := strings.Cut(line, ": ")
		if !ok || strings.ContainsAny(k, " \t") || k == "" {
			continue
		}
		if _, dup := out[k]; !dup {
			out[k] = strings.TrimSpace(v)
		}
	}
	return out
}
