package addrfile_test

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/ringleader-dev/ringleader/internal/addrfile"
)

func TestWriteThenRead(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	node := addrfile.Addrs{NodeID: "n1", HTTP: "127.0.0.1:4001", Raft: "127.0.0.1:5555", RaftListen: "127.0.0.1:4002", PID: 42}
	sim := addrfile.Sim{ArgoCD: "http://127.0.0.1:4003", Metrics: "127.0.0.1:4004", Control: "http://127.0.0.1:4005", PID: 43}
	for _, tc := range []struct {
		name            string
		write           func(path string) error
		readBackMatches func(path string) (any, bool)
	}{
		{"ringd", func(p string) error { return addrfile.Write(p, node) },
			func(p string) (any, bool) { got, err := addrfile.Read(p); return got, err == nil && got == node }},
		{"ringsim", func(p string) error { return addrfile.WriteSim(p, sim) },
			func(p string) (any, bool) { got, err := addrfile.ReadSim(p); return got, err == nil && got == sim }},
	} {
		path := filepath.Join(dir, tc.name+".json")
		if err := tc.write(path); err != nil {
			t.Fatal(err)
		}
		if got, ok := tc.readBackMatches(path); !ok {
			t.Errorf("%s: read back %+v, want what was written", tc.name, got)
		}
		if left, _ := filepath.Glob(path + ".tmp-*"); len(left) != 0 {
			t.Errorf("%s: temporary files left behind: %v", tc.name, left)
		}
	}
}

func TestReadRefusesAnIncompleteFile(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	readNode := func(p string) (any, error) { return addrfile.Read(p) }
	readSim := func(p string) (any, error) { return addrfile.ReadSim(p) }
	for _, tc := range []struct {
		name, content string
		read          func(string) (any, error)
	}{
		{"missing", "", readNode},
		{"not json", "{", readNode},
		{"no http", `{"nodeId":"n1","raft":"127.0.0.1:1"}`, readNode},
		{"no raft", `{"nodeId":"n1","http":"127.0.0.1:1"}`, readNode},
		{"sim missing", "", readSim},
		{"sim not json", "[", readSim},
		{"sim no control", `{"argocd":"http://127.0.0.1:1","metrics":"127.0.0.1:2"}`, readSim},
		{"sim no metrics", `{"argocd":"http://127.0.0.1:1","control":"http://127.0.0.1:3"}`, readSim},
	} {
		path := filepath.Join(dir, tc.name)
		if tc.content != "" {
			if err := os.WriteFile(path, []byte(tc.content), 0o644); err != nil {
				t.Fatal(err)
			}
		}
		if a, err := tc.read(path); err == nil {
			t.Errorf("%s: read %+v; want an error", tc.name, a)
		}
	}
}
