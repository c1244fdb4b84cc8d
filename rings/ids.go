package rings

import "strings"

// PromotionID names one promotion deterministically, so that every leader
// computes the same ID for the same step and a landed commit can be found by
// its trailer after failover.
func PromotionID(releaseID, ring string, regions []string) string {
	return releaseID + "/" + ring + "/" + strings.Join(regions, "+")
}

// RollbackID names the rollback commit of regions of a ring, as PromotionID
// names a promotion.
func RollbackID(releaseID, ring string, regions []string) string {
	return PromotionID(releaseID, ring, regions) + "/rollback"
}
