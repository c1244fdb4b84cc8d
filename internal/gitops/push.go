package gitops

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"strings"

	"github.com/go-git/go-git/v5/plumbing"
	"github.com/go-git/go-git/v5/plumbing/format/packfile"
	"github.com/go-git/go-git/v5/plumbing/protocol/packp"
	"github.com/go-git/go-git/v5/plumbing/protocol/packp/capability"
	"github.com/go-git/go-git/v5/plumbing/transport"
	"github.com/go-git/go-git/v5/plumbing/transport/client"

	"github.com/ringleader-dev/ringleader/internal/redact"
)

// errStale means the remote branch is no longer at the commit we built on:
// another writer pushed first. The caller fetches, rebuilds and retries.
var errStale = errors.New("remote branch moved (non-fast-forward)")

// pushSession is an open receive-pack connection and the branch head the
// server advertised on it. Opening it is also the cheapest way to learn
// whether the working copy is up to date: when the advertised head is the
// one we know, no fetch is needed.
type pushSession struct {
	sess transport.ReceivePackSession
	caps *packp.AdvRefs
	head plumbing.Hash
}

func (ps *pushSession) close() {
	if ps != nil {
		_ = ps.sess.Close()
	}
}

// openPush connects for a push and reads the advertised branch head.
func (wc *workingCopy) openPush(ctx context.Context) (*pushSession, error) {
	ep, err := transport.NewEndpoint(wc.url)
	if err != nil {
		return nil, fmt.Errorf("push to %s: %w", redact.URL(wc.url), scrub(err, wc.secrets))
	}
	cl, err := client.NewClient(ep)
	if err != nil {
		return nil, fmt.Errorf("push to %s: %w", redact.URL(wc.url), scrub(err, wc.secrets))
	}
	sess, err := cl.NewReceivePackSession(ep, wc.auth)
	if err != nil {
		return nil, fmt.Errorf("push to %s: %w", redact.URL(wc.url), scrub(err, wc.secrets))
	}
	adv, err := sess.AdvertisedReferencesContext(ctx)
	if err != nil {
		_ = sess.Close()
		return nil, fmt.Errorf("push to %s: list references: %w", redact.URL(wc.url), scrub(err, wc.secrets))
	}
	refs, err := adv.AllReferences()
	if err != nil {
		_ = sess.Close()
		return nil, fmt.Errorf("push to %s: read references: %w", redact.URL(wc.url), err)
	}
	ps := &pushSession{sess: sess, caps: adv}
	if r, ok := refs[wc.branchRef()]; ok {
		ps.head = r.Hash()
	}
	return ps, nil
}

// push updates the remote branch from old to nb's commit as a
// compare-and-swap on session ps (which it closes), sending only nb's
// objects: everything else is reachable from old, which the server has.
// It answers the pack it sent (for keep). It never forces: a branch
// advertised at another commit than old is reported as errStale before
// anything is sent, and a race the server detects while updating the ref
// (git checks the old value under its ref lock) is reported the same way.
func (wc *workingCopy) push(ctx context.Context, ps *pushSession, old plumbing.Hash, nb built) ([]byte, error) {
	defer ps.close()
	if ps.head != old {
		return nil, fmt.Errorf("push to %s: %s is at %s, expected %s: %w", redact.URL(wc.url), wc.branch, short(ps.head), short(old), errStale)
	}
	var pack bytes.Buffer
	if _, err := packfile.NewEncoder(&pack, nb.store, false).Encode(nb.objs, 0); err != nil {
		return nil, fmt.Errorf("push to %s: build pack: %w", redact.URL(wc.url), err)
	}
	sent := pack.Bytes()
	req := packp.NewReferenceUpdateRequestFromCapabilities(ps.caps.Capabilities)
	req.Commands = []*packp.Command{{Name: wc.branchRef(), Old: old, New: nb.commit}}
	req.Packfile = io.NopCloser(bytes.NewReader(sent))
	// Ask for the side band so a hook's message reaches the error, and
	// for quiet so receive-pack's own progress does not fill it.
	var remote remoteOutput
	if caps := ps.caps.Capabilities; caps.Supports(capability.Sideband64k) {
		_ = req.Capabilities.Set(capability.Sideband64k)
		if caps.Supports(capability.Quiet) {
			_ = req.Capabilities.Set(capability.Quiet)
		}
		req.Progress = &remote
	}
	report, err := ps.sess.ReceivePack(ctx, req)
	if err != nil {
		if report != nil && rejectedAsStale(report) {
			return nil, fmt.Errorf("push to %s: %w: %w", redact.URL(wc.url), errStale, scrub(err, wc.secrets))
		}
		if rej := refusal(report); rej != "" {
			return nil, &RejectedError{URL: redact.URL(wc.url), Ref: wc.branchRef().String(), Status: rej,
				Remote: scrub(errors.New(remote.String()), wc.secrets).Error()}
		}
		return nil, fmt.Errorf("push to %s: %w", redact.URL(wc.url), scrub(err, wc.secrets))
	}
	return sent, nil
}

// refusal returns the server's reason for refusing a ref update that is
// not about the branch having moved (a hook, a protected branch, a denied
// ref), or "" when the report shows no such refusal. A failed unpack is
// not one: the server may have run out of disk, which can pass.
func refusal(r *packp.ReportStatus) string {
	if r == nil || r.UnpackStatus != "ok" {
		return ""
	}
	for _, cs := range r.CommandStatuses {
		if cs.Status != "" && cs.Status != "ok" {
			return cs.Status
		}
	}
	return ""
}

// rejectedAsStale reports whether the server refused the ref update because
// the branch moved under us (as opposed to a hook or a permission refusal).
func rejectedAsStale(r *packp.ReportStatus) bool {
	for _, cs := range r.CommandStatuses {
		s := strings.ToLower(cs.Status)
		for _, m := range []string{"non-fast-forward", "fetch first", "failed to update ref", "failed to lock", "cannot lock ref", "stale info"} {
			if strings.Contains(s, m) {
				return true
			}
		}
	}
	return false
}

func short(h plumbing.Hash) string {
	if h.IsZero() {
		return "nothing (no branch)"
	}
	return h.String()[:12]
}
