package gitops

import (
	"fmt"
	"slices"
	"strings"

	"github.com/ringleader-dev/ringleader/rings"
)

// The commit format. Format 1 (no Ringleader-Format trailer) is one
// promotion per commit, its trailers in the message's last paragraph.
// Format 2 is a batch: one paragraph per promotion (a readable line and the
// promotion's whole trailer set, as in format 1), then a last paragraph of
// Git trailers naming the format, the number of promotions and every
// promotion ID (so `git log --format=%(trailers:key=Ringleader-Promotion)`
// lists a batch's promotions too).
const (
	TrailerFormat = "Ringleader-Format"
	TrailerBatch  = "Ringleader-Batch"
	formatBatch   = "2"
)

// BatchMessage renders the format-2 message of a commit carrying ps (two
// or more promotions; a single one is written with CommitMessage).
func BatchMessage(ps []rings.Promotion) string {
	var ringNames []string
	for _, p := range ps {
		if !slices.Contains(ringNames, p.Ring) {
			ringNames = append(ringNames, p.Ring)
		}
	}
	what := "ring " + ringNames[0]
	if len(ringNames) > 1 {
		what = "rings " + strings.Join(ringNames, ", ")
	}
	var b strings.Builder
	fmt.Fprintf(&b, "promote %d releases → %s\n\n", len(ps), what)
	for _, p := range ps {
		b.WriteString(promotionSubject(p))
		b.WriteString("\n")
		writeTrailers(&b, p)
		b.WriteString("\n")
	}
	fmt.Fprintf(&b, "%s: %s\n", TrailerFormat, formatBatch)
	fmt.Fprintf(&b, "%s: %d\n", TrailerBatch, len(ps))
	for _, p := range ps {
		fmt.Fprintf(&b, "%s: %s\n", TrailerPromotion, p.PromotionID)
	}
	return b.String()
}

// PromotionBlocks returns the trailer set of every promotion a commit
// message carries, in order: the last paragraph's trailers for a format-1
// commit with a Ringleader-Promotion, one set per promotion paragraph of a
// format-2 batch, nothing for other commits (the halt fence, a person's
// commit). A format this build does not know is an error: reading it as
// another could hide a promotion.
func PromotionBlocks(message string) ([]map[string]string, error) {
	last := Trailers(message)
	switch last[TrailerFormat] {
	case "", "1":
		if last[TrailerPromotion] == "" {
			return nil, nil
		}
		return []map[string]string{last}, nil
	case formatBatch:
	default:
		return nil, fmt.Errorf("commit format %q is newer than this build (it reads 1 and %s): upgrade ringd or ringctl: %w", last[TrailerFormat], formatBatch, ErrInvalid)
	}
	paras := strings.Split(strings.TrimRight(message, "\n"), "\n\n")
	var out []map[string]string
	for _, para := range paras[1 : len(paras)-1] {
		if tr := paragraphTrailers(para); tr[TrailerPromotion] != "" {
			out = append(out, tr)
		}
	}
	return out, nil
}

// promotionIDs extracts the Ringleader-Promotion values of a commit
// message cheaply (without building the blocks): the last one for a
// format-1 commit, every one of the last paragraph for a batch.
func promotionIDs(message string) []string {
	key := "\n" + TrailerPromotion + ": "
	if !strings.Contains(message, "\n"+TrailerFormat+": ") {
		i := strings.LastIndex(message, key)
		if i < 0 {
			return nil
		}
		return []string{lineAt(message[i+len(key):])}
	}
	last := strings.TrimRight(message, "\n")
	if i := strings.LastIndex(last, "\n\n"); i >= 0 {
		last = last[i+1:]
	}
	var ids []string
	for rest := last; ; {
		i := strings.Index(rest, key)
		if i < 0 {
			return ids
		}
		rest = rest[i+len(key):]
		if id := lineAt(rest); id != "" {
			ids = append(ids, id)
		}
	}
}

// lineAt returns s up to its first newline, trimmed.
func lineAt(s string) string {
	if j := strings.IndexByte(s, '\n'); j >= 0 {
		s = s[:j]
	}
	return strings.TrimSpace(s)
}
