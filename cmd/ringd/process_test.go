package main

import (
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/ringleader-dev/ringleader/internal/syncbuf"
)

// These tests run real ringd processes on 127.0.0.1:0 ports.

var (
	buildOnce sync.Once
	binPath   string
	buildErr  error
	binDir    string
)

// TestMain removes the binary built for the tests.
func TestMain(m *testing.M) {
	code := m.Run()
	if binDir != "" {
		os.RemoveAll(binDir)
	}
	os.Exit(code)
}

// ringdBinary builds ringd once per test binary.
func ringdBinary(t *testing.T) string {
	t.Helper()
	buildOnce.Do(func() {
		binDir, buildErr = os.MkdirTemp("", "ringd-test-")
		if buildErr != nil {
			return
		}
		binPath = filepath.Join(binDir, "ringd")
		out, err := exec.Command("go", "build", "-o", binPath, ".").CombinedOutput()
		if err != nil {
			buildErr = fmt.Errorf("go build ringd: %v\n%s", err, out)
		}
	})
	if buildErr != nil {
		t.Fatal(buildErr)
	}
	return binPath
}

// ringdProc is one running ringd.
type ringdProc struct {
	id, dir    string
	http, raft string
	cmd        *exec.Cmd
	out        *syncbuf.Buffer
	exited     chan struct{}
}

// startRingd starts ringd with :0 ports and waits for its addr.json.
func startRingd(t *testing.T, id, dir string, extra ...string) *ringdProc {
	t.Helper()
	args := append([]string{
		"--node-id", id, "--data-dir", dir, "--raft-addr", "127.0.0.1:0", "--http-addr", "127.0.0.1:0",
		"--topology", "testdata/topology.yaml", "--reconcile-interval", "500ms", "--log-level", "warn", "--insecure-no-auth",
		"--effects", "memory",
	}, extra...)
	p := &ringdProc{id: id, dir: dir, out: &syncbuf.Buffer{}, exited: make(chan struct{})}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	p.cmd = exec.Command(ringdBinary(t), args...)
	p.cmd.Stdout, p.cmd.Stderr = p.out, p.out
	if err := p.cmd.Start(); err != nil {
		t.Fatalf("start ringd %s: %v", id, err)
	}
	go func() {
		_ = p.cmd.Wait()
		close(p.exited)
	}()
	t.Cleanup(func() {
		p.kill()
		if t.Failed() {
			t.Logf("ringd %s output:\n%s", id, p.out.String())
		}
	})
	pollUntil(t, "ringd "+id+" to write addr.json", func() bool {
		b, err := os.ReadFile(filepath.Join(dir, "addr.json"))
		if err != nil {
			return false
		}
		var a addrFile
		if json.Unmarshal(b, &a) != nil || a.HTTP == "" {
			return false
		}
		p.http, p.raft = "http://"+a.HTTP, a.Raft
		// The line printed just before addr.json is written may still be
		// in the pipe: wait for it too (or for the process to end).
		return strings.Contains(p.out.String(), "ringd: node="+id+" http=") || p.exitedNow()
	})
	if !strings.Contains(p.out.String(), "ringd: node="+id+" http=") {
		t.Fatalf("ringd %s did not print its addresses; output:\n%s", id, p.out.String())
	}
	return p
}

// exitedNow reports whether the process has ended.
func (p *ringdProc) exitedNow() bool {
	select {
	case <-p.exited:
		return true
	default:
		return false
	}
}

// kill sends SIGKILL and waits for the process to go.
func (p *ringdProc) kill() {
	_ = p.cmd.Process.Signal(syscall.SIGKILL)
	<-p.exited
}

// pollUntil polls cond every 5 ms for up to 30 s.
func pollUntil(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(5 * time.Millisecond) // poll interval, not synchronisation
	}
}

var httpClient = &http.Client{Timeout: 5 * time.Second}

// send makes one API call and returns the status and body (0 when the
// process does not answer).
func send(method, url, body string) (int, []byte) {
	req, err := http.NewRequest(method, url, strings.NewReader(body))
	if err != nil {
		return 0, nil
	}
	resp, err := httpClient.Do(req)
	if err != nil {
		return 0, nil
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, b
}

// cluster3 starts a bootstrap node and two that join it.
func cluster3(t *testing.T) []*ringdProc {
	t.Helper()
	root := t.TempDir()
	n1 := startRingd(t, "n1", filepath.Join(root, "n1"), "--bootstrap")
	procs := []*ringdProc{n1}
	for _, id := range []string{"n2", "n3"} {
		procs = append(procs, startRingd(t, id, filepath.Join(root, id), "--join", n1.http))
	}
	pollUntil(t, "three voters that all know the leader", func() bool {
		for _, p := range procs {
			code, b := send("GET", p.http+"/v1/status", "")
			var st struct {
				Leader  struct{ HTTPAddr string }
				Members []struct{ Voter bool }
			}
			if code != 200 || json.Unmarshal(b, &st) != nil || len(st.Members) != 3 || st.Leader.HTTPAddr == "" {
				return false
			}
		}
		return true
	})
	return procs
}

// leaderOf returns the process that leads, as the cluster says.
func leaderOf(t *testing.T, procs []*ringdProc) *ringdProc {
	t.Helper()
	var leader *ringdProc
	pollUntil(t, "a leader", func() bool {
		for _, p := range procs {
			code, b := send("GET", p.http+"/v1/cluster/leader", "")
			var li struct{ ID string }
			if code == 200 && json.Unmarshal(b, &li) == nil {
				for _, q := range procs {
					if q.id == li.ID {
						leader = q
						return true
					}
				}
			}
		}
		return false
	})
	return leader
}

// writeThrough POSTs a halt through any of procs until one accepts it and
// returns when it was accepted.
func writeThrough(t *testing.T, procs []*ringdProc, reason string) time.Time {
	t.Helper()
	var at time.Time
	pollUntil(t, "a survivor to accept a write", func() bool {
		for _, p := range procs {
			if code, _ := send("POST", p.http+"/v1/halts", `{"global":true,"reason":"`+reason+`"}`); code == 201 {
				at = time.Now()
				return true
			}
		}
		return false
	})
	return at
}

func without(procs []*ringdProc, gone *ringdProc) []*ringdProc {
	var out []*ringdProc
	for _, p := range procs {
		if p != gone {
			out = append(out, p)
		}
	}
	return out
}

func TestRingdClusterSurvivesLeaderKill(t *testing.T) {
	if testing.Short() {
		t.Skip("starts three ringd processes")
	}
	procs := cluster3(t)
	leader := leaderOf(t, procs)
	follower := without(procs, leader)[0]

	// The start-up topology was adopted by the leader; a release created
	// through a follower is forwarded to it and rolls into canary.
	code, body := send("POST", follower.http+"/v1/releases", `{"app":"checkout","version":"v9"}`)
	var rel struct{ ID string }
	if code != 201 || json.Unmarshal(body, &rel) != nil || !strings.HasPrefix(rel.ID, "checkout-v9-") {
		t.Fatalf("create through follower: %d %s", code, body)
	}
	pollUntil(t, "canary to be promoted by the leader loop", func() bool {
		code, b := send("GET", leader.http+"/v1/releases/"+rel.ID, "")
		return code == 200 && strings.Contains(string(b), `"commit": "mem-1"`)
	})

	// SIGKILL the leader: a survivor accepts a write and still has the release.
	leader.kill()
	survivors := without(procs, leader)
	writeThrough(t, survivors, "after-kill")
	newLeader := leaderOf(t, survivors)
	code, body = send("GET", newLeader.http+"/v1/releases/"+rel.ID+"?consistent=true", "")
	if code != 200 || !strings.Contains(string(body), `"state": "running"`) {
		t.Fatalf("release on the new leader: %d %s", code, body)
	}
}

func TestRingdRejectsBadFlags(t *testing.T) {
	cases := []struct {
		name string
		args []string
		want string
	}{
		{"no node id", []string{"--data-dir", "x"}, "--node-id is required"},
		{"bootstrap and join", []string{"--node-id", "n1", "--data-dir", "x", "--bootstrap", "--join", "http://h:1"}, "exclude each other"},
		{"bad raft addr", []string{"--node-id", "n1", "--data-dir", "x", "--raft-addr", "nope"}, "--raft-addr"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			_, err := parseFlags(tc.args, io.Discard)
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("parseFlags(%v) = %v; want an error containing %q", tc.args, err, tc.want)
			}
		})
	}
}

func TestRingdSigtermHandsOverLeadership(t *testing.T) {
	if testing.Short() {
		t.Skip("starts three ringd processes")
	}
	procs := cluster3(t)
	leader := leaderOf(t, procs)
	stopped := time.Now()
	if err := leader.cmd.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	accepted := writeThrough(t, without(procs, leader), "after-sigterm")
	select {
	case <-leader.exited:
	case <-time.After(30 * time.Second):
		t.Fatal("ringd did not exit after SIGTERM")
	}
	if code := leader.cmd.ProcessState.ExitCode(); code != 0 {
		t.Fatalf("ringd exited %d after SIGTERM; want 0\n%s", code, leader.out.String())
	}
	t.Logf("write accepted %s after SIGTERM of the leader", accepted.Sub(stopped).Round(time.Millisecond))
}
