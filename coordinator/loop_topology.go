package coordinator

import (
	"context"
	"errors"
	"fmt"

	"github.com/ringleader-dev/ringleader/rings"
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
	if _, err := rings.Parse(path, src); err != nil {
		return fmt.Errorf("%w: %s keeps the topology in force: %w", errTopologyRejected, path, err)
	}
	if err := l.record(ctx, CmdAdoptTopology, "adopt-topology/"+rev, AdoptTopology{Revision: rev, Path: path, Source: src}); err != nil {
		return err
	}
	l.cfg.Logger.Info("adopted topology", "path", path, "revision", rev)
	return nil
}
