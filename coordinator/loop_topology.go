package coordinator

import (
	"bytes"
	"context"
	"errors"
	"fmt"

	"github.com/ringleader-dev/ringleader/coordinator/command"
	"github.com/ringleader-dev/ringleader/coordinator/store"
	"github.com/ringleader-dev/ringleader/rings/topology"
)

// TopologyLoader reads the topology document a node was started with
// (a local file today, a Git URL later). path names where it came from.
type TopologyLoader func(ctx context.Context) (path string, src []byte, err error)

// errTopologyRejected marks a document that failed validation: retrying
// the same document will not help.
var errTopologyRejected = errors.New("topology rejected")

// adoptStartupTopology proposes the node's configured topology when it
// differs from the one in force. It runs once per term on the leader
// (followers' documents are adopted only when they lead). A document that
// fails validation is logged and the one in force stays.
func (l *Loop) adoptStartupTopology(ctx context.Context) error {
	if l.cfg.LoadTopology == nil {
		return nil
	}
	path, src, err := l.cfg.LoadTopology(ctx)
	if err != nil {
		return fmt.Errorf("load topology: %w", err)
	}
	rev := TopologyRevision(src)
	if l.cfg.Store.Snapshot().TopologyRevision == rev {
		return nil
	}
	if _, err := topology.Parse(path, src); err != nil {
		return fmt.Errorf("%w: %s keeps the topology in force: %w", errTopologyRejected, path, err)
	}
	if err := l.record(ctx, command.CmdAdoptTopology, "adopt-topology/"+rev, command.AdoptTopology{Revision: rev, Path: path, Source: src}); err != nil {
		return err
	}
	l.cfg.Logger.Info("adopted topology", "path", path, "revision", rev)
	return nil
}

// TopologyDoc is one topology document read by a node: where it came from,
// its revision (the Git commit it was read at) and its bytes.
type TopologyDoc struct {
	Path     string
	Revision string
	Source   []byte
}

// adoptFeed proposes the TopologyFeed's newest document when it is new:
// CmdAdoptTopology when it parses, CmdRejectTopology with its line-numbered
// errors when it does not (the topology in force stays). A document equal
// to the one in force is skipped unless a rejection is on record (then it
// is adopted again under its revision, which clears the rejection). A
// revision already rejected is not proposed twice. It reports whether it
// recorded anything.
func (l *Loop) adoptFeed(ctx context.Context, snap store.Snapshot) bool {
	if l.cfg.TopologyFeed == nil {
		return false
	}
	doc, ok := l.cfg.TopologyFeed()
	if !ok || doc.Revision == "" || doc.Revision == snap.TopologyRevision {
		return false
	}
	if snap.TopologyRejected == nil && bytes.Equal(doc.Source, snap.TopologySource) {
		return false
	}
	if snap.TopologyRejected != nil && snap.TopologyRejected.Revision == doc.Revision {
		return false
	}
	if _, err := topology.Parse(doc.Path, doc.Source); err != nil {
		rej := command.RejectTopology{Revision: doc.Revision, Path: doc.Path, Errors: TopologyErrors(err)}
		if rerr := l.record(ctx, command.CmdRejectTopology, "reject-topology/"+doc.Revision, rej); rerr != nil {
			l.stats.errors.Add(1)
			l.cfg.Logger.Warn("record topology rejection failed; retrying next pass", "revision", doc.Revision, "err", rerr)
			return false
		}
		l.cfg.Logger.Error("topology revision rejected; the previous one stays in force", "path", doc.Path, "revision", doc.Revision, "errors", len(rej.Errors))
		return true
	}
	adopt := command.AdoptTopology{Revision: doc.Revision, Path: doc.Path, Source: doc.Source}
	if err := l.record(ctx, command.CmdAdoptTopology, "adopt-topology/"+doc.Revision, adopt); err != nil {
		l.stats.errors.Add(1)
		l.cfg.Logger.Warn("adopt topology failed; retrying next pass", "revision", doc.Revision, "err", err)
		return false
	}
	l.cfg.Logger.Info("adopted topology", "path", doc.Path, "revision", doc.Revision)
	return true
}

// TopologyErrors splits a Parse error into one message per problem, each
// "FILE:LINE:COL: message".
func TopologyErrors(err error) []string {
	var ve topology.ValidationErrors
	if errors.As(err, &ve) && len(ve) > 0 {
		out := make([]string, len(ve))
		for i, e := range ve {
			out[i] = e.Error()
		}
		return out
	}
	return []string{err.Error()}
}
