package store

import (
	"fmt"
	"io"
	"os"
	"path/filepath"
	"time"

	"github.com/hashicorp/raft"
	raftboltdb "github.com/hashicorp/raft-boltdb/v2"
	raftwal "github.com/hashicorp/raft-wal"
	"go.etcd.io/bbolt"
)

// logCacheSize is how many recent entries raft.NewLogCache keeps in memory
// so replication to followers rarely reads the disk.
const logCacheSize = 512

// durableStore is a Raft log store that is also the stable store.
type durableStore interface {
	raft.LogStore
	raft.StableStore
	io.Closer
}

// resolveLogStore decides which store to open in dir: the one already there
// (a node must never come up with an empty log next to its real one), or
// the configured kind, or DefaultLogStore.
func resolveLogStore(kind LogStoreKind, dir string) (LogStoreKind, error) {
	var onDisk []LogStoreKind
	if _, err := os.Stat(filepath.Join(dir, "raft.db")); err == nil {
		onDisk = append(onDisk, LogStoreBolt)
	}
	if _, err := os.Stat(filepath.Join(dir, "wal")); err == nil {
		onDisk = append(onDisk, LogStoreWAL)
	}
	switch {
	case len(onDisk) > 1:
		return "", fmt.Errorf("data dir %s holds both a bolt and a wal raft log: keep the one the node last ran with and move the other away", dir)
	case len(onDisk) == 1 && kind != "" && kind != onDisk[0]:
		return "", fmt.Errorf("data dir %s holds a %s raft log but the config asks for %s: set the log store to %s or start from an empty data dir", dir, onDisk[0], kind, onDisk[0])
	case len(onDisk) == 1:
		return onDisk[0], nil
	case kind != "":
		return kind, nil
	default:
		return DefaultLogStore, nil
	}
}

// openLogStore opens the durable log and stable store of kind under dir.
// Both kinds fsync before StoreLogs returns.
func openLogStore(kind LogStoreKind, dir string) (durableStore, error) {
	switch kind {
	case LogStoreWAL:
		walDir := filepath.Join(dir, "wal")
		if err := os.MkdirAll(walDir, 0o750); err != nil {
			return nil, fmt.Errorf("create raft-wal dir: %w", err)
		}
		w, err := raftwal.Open(walDir)
		if err != nil {
			return nil, fmt.Errorf("open raft-wal log in %s: %w", walDir, err)
		}
		return w, nil
	case LogStoreBolt:
		path := filepath.Join(dir, "raft.db")
		b, err := raftboltdb.New(raftboltdb.Options{
			Path: path,
			// The freelist is rebuilt on open instead of written on every
			// commit: fewer bytes per fsync.
			// A timeout turns "another process holds the file" into an
			// error instead of a hang.
			BoltOptions: &bbolt.Options{NoFreelistSync: true, Timeout: 5 * time.Second},
		})
		if err != nil {
			return nil, fmt.Errorf("open bolt raft log %s: %w", path, err)
		}
		return b, nil
	default:
		return nil, fmt.Errorf("log store %q is unknown: use %q or %q", kind, LogStoreBolt, LogStoreWAL)
	}
}
