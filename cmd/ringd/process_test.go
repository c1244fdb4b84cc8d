package main

import (
	"encoding/json"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/ringleader-dev/ringleader/internal/addrfile"
	"github.com/ringleader-dev/ringleader/internal/poll"
	"github.com/ringleader-dev/ringleader/internal/ringdtest"
	"github.com/ringleader-dev/ringleader/internal/syncbuf"
)

// These tests run real ringd processes on 127.0.0.1:0 ports; each reads
// where its process listens from the address file.

// TestMain removes the binaries built for the tests.
func TestMain(m *testing.M) {
	code := m.Run()
	ringdtest.Cleanup()
	os.Exit(code)
}

// ringdProc is one running ringd.
type ringdProc struct {
	id, dir    string
	http, raft string
	cmd        *exec.Cmd
	out        *syncbuf.Buffer
	exited     chan struct{}
}

// startRingd starts an unauthenticated ringd with the test topology and
// in-memory effects, plus extra flags.
func startRingd(t *testing.T, id, dir string, extra ...string) *ringdProc {
	t.Helper()
	return launch(t, id, dir, "http", nil, append([]string{"--insecure-no-auth", "--log-level", "warn"}, extra...)...)
}

// launch starts ringd with :0 ports, the test topology, in-memory effects
// and args, in environment env (added to this process's), and waits for
// its address file. scheme is http or https.
func launch(t *testing.T, id, dir, scheme string, env []string, args ...string) *ringdProc {
	t.Helper()
	args = append([]string{
		"--node-id", id, "--data-dir", dir, "--raft-addr", "127.0.0.1:0", "--http-addr", "127.0.0.1:0",
		"--topology", "testdata/topology.yaml", "--reconcile-interval", "500ms", "--log-level", "info", "--effects", "memory",
	}, args...)
	p := &ringdProc{id: id, dir: dir, out: &syncbuf.Buffer{}, exited: make(chan struct{})}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	p.cmd = exec.Command(ringdtest.Ringd(t), args...)
	p.cmd.Env = append(os.Environ(), env...)
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
	a, err := ringdtest.WaitAddrs(filepath.Join(dir, addrfile.Name), 30*time.Second, p.exitedNow)
	if err != nil {
		t.Fatalf("ringd %s: %v\n%s", id, err, p.out.String())
	}
	p.http, p.raft = scheme+"://"+a.HTTP, a.Raft
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

// wantCleanExit fails t unless the process, sent signal, ends within
// the given time with exit code 0.
func (p *ringdProc) wantCleanExit(t *testing.T, within time.Duration, signal string) {
	t.Helper()
	select {
	case <-p.exited:
	case <-time.After(within):
		t.Fatalf("ringd did not exit within %s of %s", within, signal)
	}
	if code := p.cmd.ProcessState.ExitCode(); code != 0 {
		t.Fatalf("ringd exited %d after %s; want 0\n%s", code, signal, p.out.String())
	}
}

// kill sends SIGKILL and waits for the process to go.
func (p *ringdProc) kill() {
	_ = p.cmd.Process.Signal(syscall.SIGKILL)
	<-p.exited
}

var httpClient = &http.Client{Timeout: 5 * time.Second}

// send makes one API call and returns the status and body (0 when the
// process does not answer).
func send(method, url, body string) (int, []byte) {
	return ringdtest.Call(httpClient, method, url, body, nil)
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
	poll.Until(t, 30*time.Second, "three voters that all know the leader", func() bool {
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
	poll.Until(t, 30*time.Second, "a leader", func() bool {
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
	poll.Until(t, 30*time.Second, "a survivor to accept a write", func() bool {
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
	poll.Until(t, 30*time.Second, "canary to be promoted by the leader loop", func() bool {
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
	leader.wantCleanExit(t, 30*time.Second, "SIGTERM")
	t.Logf("write accepted %s after SIGTERM of the leader", accepted.Sub(stopped).Round(time.Millisecond))
}
