// Package addrfile is the address file a ringd process writes once it
// listens: where its HTTP API, its Raft transport and its profiler are
// bound. Whoever started the process with 127.0.0.1:0 ports reads the
// real ones here instead of picking a free port beforehand.
package addrfile

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
)

// Name is the file's name inside the node's data directory when no other
// path is given (ringd --addr-file).
const Name = "addr.json"

// Addrs is the file's content.
type Addrs struct {
	NodeID string `json:"nodeId"`
	// HTTP is the address the API listener is bound to (host:port).
	HTTP string `json:"http"`
	// Raft is the Raft address other nodes dial (--raft-advertise when set).
	Raft string `json:"raft"`
	// RaftListen is the address the Raft listener is bound to; it differs
	// from Raft only behind --raft-advertise (a proxy, a NAT). A restart
	// that must keep its Raft address passes it back as --raft-addr.
	RaftListen string `json:"raftListen,omitempty"`
	PID        int    `json:"pid"`
	// Debug is the --debug-addr listener, when one is on.
	Debug string `json:"debug,omitempty"`
}

// Write writes a to path atomically (a temporary file renamed over it),
// so a reader never sees half a file.
func Write(path string, a Addrs) error {
	b, err := json.MarshalIndent(a, "", "  ")
	if err != nil {
		return fmt.Errorf("encode the address file: %w", err)
	}
	tmp, err := os.CreateTemp(filepath.Dir(path), filepath.Base(path)+".tmp-*")
	if err != nil {
		return fmt.Errorf("write the address file: %w", err)
	}
	_, err = tmp.Write(append(b, '\n'))
	if cerr := tmp.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = os.Chmod(tmp.Name(), 0o644)
	}
	if err == nil {
		err = os.Rename(tmp.Name(), path)
	}
	if err != nil {
		_ = os.Remove(tmp.Name())
		return fmt.Errorf("write the address file %s: %w", path, err)
	}
	return nil
}

// Read reads the file at path; an incomplete file (no HTTP address) is an
// error.
func Read(path string) (Addrs, error) {
	var a Addrs
	b, err := os.ReadFile(path)
	if err != nil {
		return a, err
	}
	if err := json.Unmarshal(b, &a); err != nil {
		return a, fmt.Errorf("read the address file %s: %w", path, err)
	}
	if a.HTTP == "" || a.Raft == "" {
		return a, fmt.Errorf("the address file %s names no HTTP or Raft address", path)
	}
	return a, nil
}
