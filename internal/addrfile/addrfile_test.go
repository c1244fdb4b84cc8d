package addrfile_test

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/ringleader-dev/ringleader/internal/addrfile"
)

func TestWriteThenRead(t *testing.T) {
	t.Parallel()
	path := filepath.Join(t.TempDir(), addrfile.Name)
	want := addrfile.Addrs{NodeID: "n1", HTTP: "127.0.0.1:4001", Raft: "127.0.0.1:5555", RaftListen: "127.0.0.1:4002", PID: 42}
	if err := addrfile.Write(path, want); err != nil {
		t.Fatal(err)
	}
	got, err := addrfile.Read(path)
	if err != nil || got != want {
		t.Fatalf("Read = %+v, %v; want %+v", got, err, want)
	}
	left, _ := filepath.Glob(path + ".tmp-*")
	if len(left) != 0 {
		t.Errorf("temporary files left behind: %v", left)
	}
}

func TestReadRefusesAnIncompleteFile(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	cases := map[string]string{
		"missing":  "",
		"not json": "{",
		"no http":  `{"nodeId":"n1","raft":"127.0.0.1:1"}`,
		"no raft":  `{"nodeId":"n1","http":"127.0.0.1:1"}`,
	}
	for name, content := range cases {
		path := filepath.Join(dir, name)
		if content != "" {
			if err := os.WriteFile(path, []byte(content), 0o644); err != nil {
				t.Fatal(err)
			}
		}
		if a, err := addrfile.Read(path); err == nil {
			t.Errorf("%s: Read = %+v; want an error", name, a)
		}
	}
}
