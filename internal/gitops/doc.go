// Package gitops writes Ringleader's promotions to the GitOps repository and
// reads its history back.
//
// A Writer keeps one persistent bare clone per node (created once, fetched
// afterwards) and turns a Promotion into exactly one commit (or, through
// PromoteBatch, promotions due together into shared commits, each with its
// own trailer set) that sets the version in every target of the app for
// every region of the ring:
// yamlPath (a scalar at a dotted path), kustomizeImage (newTag of an image in
// a kustomization), applicationSetElement (a field of the list-generator
// element of the region, found by its region or another key such as
// cluster, in an Argo CD ApplicationSet, added when missing; see the appset
// subpackage for the variant checked with Argo CD's types) and
// containerImage (the tag of a container's image in a manifest of several
// documents, image.go). Edits replace only the bytes of the changed scalar,
// or add one entry (package yamledit), so comments, key order and
// formatting survive.
//
// Commits carry trailers (Ringleader-Release, -Ring, -Promotion, -App,
// -Version, -Regions, and -Rollback or -Soaked-Ring where they apply). The
// commit is built at the object level (one blob per file, the trees on the
// changed paths, the commit) and pushed as a compare-and-swap that sends
// only those objects; a rejected push is retried on the new head with
// jittered backoff, never forced.
//
// Guarantees, each covered by a test against a real git daemon:
//
//   - exactly once: a promotion whose ID is already in a trailer on the
//     branch is returned with AlreadyLanded and nothing is written;
//   - halt fence: WriteHalts commits .ringleader/halts.yaml, and every
//     attempt re-reads it on the head it builds on, so a promotion prepared
//     before a halt is rejected by the server and then refused (ErrHalted);
//     rollbacks pass the fence (a failed ring's halt covers the regions to
//     roll back) but not Check;
//   - Check (the caller's leadership and halt check) runs right before
//     every push; its error aborts the promotion (ErrCheckFailed).
//
// VerifyHistory (and `ringctl verify-history`) checks a branch's history for
// ring-order, soak, duplicate and halt-fence violations. TopologySource reads
// the topology file from Git for the coordinator to adopt.
//
// This package imports rings but not coordinator: internal/server adapts
// Writer to leader.Promoter and leader.HaltFence.
package gitops
