// Package addrfile is the address file a process writes once it listens:
// for ringd (Addrs) where its HTTP API, its Raft transport and its profiler
// are bound; for ringsim (Sim) where the simulated regions serve. Whoever
// started the process with 127.0.0.1:0 ports reads the real ones here
// instead of picking a free port beforehand.
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

// Sim is the address file of ringsim (--addr-file): where the simulated
// regions serve.
type Sim struct {
	// ArgoCD is the base URL of the Argo CD API (a region's argocd.server).
	ArgoCD string `json:"argocd"`
	// Metrics is the host:port Prometheus scrapes at /metrics.
	Metrics string `json:"metrics"`
	// Control is the base URL of the control endpoint.
	Control string `json:"control"`
	PID     int    `json:"pid,omitempty"`
}

// Write writes a to path atomically (a temporary file renamed over it),
// so a reader never sees half a file.
func Write(path string, a Addrs) error { return write(path, a) }

// WriteSim writes ringsim's address file at path, atomically like Write.
func WriteSim(path string, a Sim) error { return write(path, a) }

// write writes v as JSON to path through a temporary file and a rename.
func write(path string, v any) error {
	b, err := json.MarshalIndent(v, "", "  ")
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
	if err := read(path, &a); err != nil {
		return a, err
	}
	if a.HTTP == "" || a.Raft == "" {
		return a, fmt.Errorf("the address file %s names no HTTP or Raft address", path)
	}
	return a, nil
}

// ReadSim reads ringsim's address file at path; one that names no Argo CD,
// metrics or control address is an error.
func ReadSim(path string) (Sim, error) {
	var a Sim
	if err := read(path, &a); err != nil {
		return a, err
	}
	if a.ArgoCD == "" || a.Metrics == "" || a.Control == "" {
		return a, fmt.Errorf("the address file %s lacks the Argo CD, metrics or control address", path)
	}
	return a, nil
}

// read decodes the JSON file at path into v.
func read(path string, v any) error {
	b, err := os.ReadFile(path)
	if err != nil {
		return err
	}
	if err := json.Unmarshal(b, v); err != nil {
		return fmt.Errorf("read the address file %s: %w", path, err)
	}
	return nil
}
