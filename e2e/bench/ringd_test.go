package bench

import (
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/ringleader-dev/ringleader/internal/addrfile"
	"github.com/ringleader-dev/ringleader/internal/poll"
	"github.com/ringleader-dev/ringleader/internal/ringdtest"
	"github.com/ringleader-dev/ringleader/internal/scalegen"
)

// ringd is one ringd process and where it listens.
type ringd struct {
	proc
	id, dir string
	http    string // http://127.0.0.1:port
	raft    string // 127.0.0.1:port
}

// modeArgs returns the flags that make this ringd comparable to etcd's
// put, when it has them: --insecure-no-auth (the benchmark client holds
// no token) and --effects memory (promotions and the halt fence in
// memory, every region healthy: the Raft commit is what is measured, not
// a Git push).
func modeArgs(bin string) []string {
	out, _ := exec.Command(bin, "-h").CombinedOutput()
	var args []string
	if strings.Contains(string(out), "insecure-no-auth") {
		args = append(args, "--insecure-no-auth")
	}
	if strings.Contains(string(out), "-effects") {
		args = append(args, "--effects", "memory")
	}
	return args
}

// startRingd starts ringd on :0 ports and waits for its addr.json.
func startRingd(b *testing.B, id, dir, topology string, extra ...string) *ringd {
	b.Helper()
	if err := os.MkdirAll(dir, 0o755); err != nil {
		b.Fatal(err)
	}
	r := &ringd{id: id, dir: dir}
	r.name, r.bin = "ringd "+id, ringdtest.Ringd(b)
	r.args = append([]string{"--node-id", id, "--data-dir", dir, "--raft-addr", "127.0.0.1:0", "--http-addr", "127.0.0.1:0",
		"--topology", topology, "--log-level", "error"}, modeArgs(r.bin)...)
	r.args = append(r.args, extra...)
	r.run(b)
	a, err := ringdtest.WaitAddrs(filepath.Join(dir, addrfile.Name), 60*time.Second, func() bool { return !r.alive() })
	if err != nil {
		b.Fatalf("%s did not start: %v\n%s", r.name, err, r.output())
	}
	r.http, r.raft = "http://"+a.HTTP, a.Raft
	// A restart keeps the ports it got and the data directory: no
	// --bootstrap or --join (the Raft state says who the peers are).
	var again []string
	for i := 0; i < len(r.args); i++ {
		switch r.args[i] {
		case "--bootstrap":
		case "--join":
			i++
		case "--raft-addr":
			again, i = append(again, "--raft-addr", r.raft), i+1
		case "--http-addr":
			again, i = append(again, "--http-addr", strings.TrimPrefix(r.http, "http://")), i+1
		default:
			again = append(again, r.args[i])
		}
	}
	r.args = again
	return r
}

// writeTopology writes a topology of apps apps × 50 regions × 4 rings.
func writeTopology(b *testing.B, dir string, apps int) string {
	b.Helper()
	src, err := scalegen.Topology(scalegen.Shape{Apps: apps, Regions: 50, Rings: 4, Soak: "1h"})
	if err != nil {
		b.Fatal(err)
	}
	path := filepath.Join(dir, "topology.yaml")
	if err := os.WriteFile(path, src, 0o644); err != nil {
		b.Fatal(err)
	}
	return path
}

// ringdCluster3 starts a bootstrap node and two that join it, and waits
// until all three see three members and a leader.
func ringdCluster3(b *testing.B, apps int) []*ringd {
	b.Helper()
	return ringdCluster3With(b, writeTopology(b, b.TempDir(), apps))
}

// ringdCluster3With is ringdCluster3 with a given topology file and extra
// flags for every node.
func ringdCluster3With(b *testing.B, top string, extra ...string) []*ringd {
	b.Helper()
	root := b.TempDir()
	n1 := startRingd(b, "n1", filepath.Join(root, "n1"), top, append([]string{"--bootstrap"}, extra...)...)
	nodes := []*ringd{n1}
	for _, id := range []string{"n2", "n3"} {
		nodes = append(nodes, startRingd(b, id, filepath.Join(root, id), top, append([]string{"--join", n1.http}, extra...)...))
	}
	if err := waitRingdConverged(nodes); err != nil {
		b.Fatal(err)
	}
	return nodes
}

// waitRingdConverged waits until every node answers /readyz and reports
// three members and the same leader.
func waitRingdConverged(nodes []*ringd) error {
	return poll.For(60*time.Second, "three ringd voters that agree on the leader", func() bool {
		leader := ""
		for _, n := range nodes {
			code, body := call(ctlClient, "GET", n.http+"/v1/status", "")
			var st struct {
				Leader  struct{ ID string }
				Members []struct{ Voter bool }
			}
			if code != 200 || json.Unmarshal(body, &st) != nil || len(st.Members) != 3 || st.Leader.ID == "" {
				return false
			}
			if leader != "" && st.Leader.ID != leader {
				return false
			}
			leader = st.Leader.ID
			if code, _ := call(ctlClient, "GET", n.http+"/readyz", ""); code != 200 {
				return false
			}
		}
		return true
	})
}

// ringdLeader returns the node the live nodes name as leader.
func ringdLeader(nodes []*ringd) (*ringd, error) {
	return liveLeader("a ringd leader", nodes,
		func(n *ringd) string { return n.id },
		func(n *ringd) (string, bool) {
			code, body := call(ctlClient, "GET", n.http+"/v1/cluster/leader", "")
			var li struct{ ID string }
			return li.ID, code == 200 && json.Unmarshal(body, &li) == nil
		})
}

// Clients: ctlClient for set-up and polling, fastClient for the measured
// calls (keep-alive to one host, like any API client).
var (
	ctlClient  = &http.Client{Timeout: 5 * time.Second}
	fastClient = &http.Client{Timeout: 10 * time.Second, Transport: &http.Transport{MaxIdleConnsPerHost: 4}}
)

// call makes one HTTP call and returns the status (0 when nobody answers)
// and the body.
func call(c *http.Client, method, url, body string) (int, []byte) {
	return callKey(c, method, url, body, "")
}

// callKey is call with an Idempotency-Key (none when key is empty).
func callKey(c *http.Client, method, url, body, key string) (int, []byte) {
	h := map[string]string{"X-Ringleader-Actor": "bench"}
	if body != "" {
		h["Content-Type"] = "application/json"
	}
	if key != "" {
		h["Idempotency-Key"] = key
	}
	return ringdtest.Call(c, method, url, body, h)
}

// placeHalt places a global halt at url and returns its ID and JSON.
func placeHalt(c *http.Client, url string) (string, []byte, error) {
	code, body := call(c, "POST", url+"/v1/halts", haltBody)
	if code != http.StatusCreated {
		return "", nil, fmt.Errorf("place halt at %s: status %d: %s", url, code, body)
	}
	return haltID(url, body)
}

const haltBody = `{"global":true,"reason":"bench: halt acknowledgement latency"}`

func haltID(url string, body []byte) (string, []byte, error) {
	var h struct{ ID string }
	if err := json.Unmarshal(body, &h); err != nil || h.ID == "" {
		return "", nil, fmt.Errorf("place halt at %s: no ID in %s", url, body)
	}
	return h.ID, body, nil
}

// resumeHalt resumes halt id at url and returns the halt's JSON.
func resumeHalt(c *http.Client, url, id string) ([]byte, error) {
	code, body := call(c, "POST", url+"/v1/halts/"+id+"/resume", `{"reason":"bench: resume"}`)
	if code != http.StatusOK {
		return nil, fmt.Errorf("resume halt %s at %s: status %d: %s", id, url, code, body)
	}
	return body, nil
}

// haltClient sends halt commands to the leader the way a careful client
// does: when leadership moves mid-command (503, 504, no answer) it finds
// the new leader and sends the same command again with the same
// Idempotency-Key, which the cluster applies once. The time of such a
// retry counts in the command's latency; retries are counted.
type haltClient struct {
	nodes    []*ringd
	leader   *ringd
	seq      int
	retries  int    // commands sent again
	moves    int    // times the client found the leader on another node
	forwards int    // commands a former leader answered through the new one
	open     string // the halt toggle placed and has not resumed yet
}

// toggle places a halt when none is open and resumes the open one
// otherwise: the alternating command sequence the benchmarks time.
func (h *haltClient) toggle() (err error) {
	if h.open == "" {
		h.open, err = h.place()
		return err
	}
	err = h.resume(h.open)
	h.open = ""
	return err
}

// place places a global halt and returns its ID.
func (h *haltClient) place() (string, error) {
	body, err := h.send("/v1/halts", haltBody, http.StatusCreated)
	if err != nil {
		return "", err
	}
	id, _, err := haltID(h.leader.http, body)
	return id, err
}

// resume resumes halt id.
func (h *haltClient) resume(id string) error {
	_, err := h.send("/v1/halts/"+id+"/resume", `{"reason":"bench: resume"}`, http.StatusOK)
	return err
}

func (h *haltClient) send(path, body string, want int) ([]byte, error) {
	h.seq++
	key := fmt.Sprintf("bench-%d-%d", time.Now().UnixNano(), h.seq)
	deadline := time.Now().Add(30 * time.Second)
	for {
		code, out, forwarded := h.post(path, body, key)
		switch {
		case code == want:
			if forwarded {
				// The node was no longer the leader and passed the command
				// on: an extra hop the benchmark must not time again.
				h.forwards++
				h.follow()
			}
			return out, nil
		case code != 0 && code != http.StatusServiceUnavailable && code != http.StatusGatewayTimeout:
			return nil, fmt.Errorf("POST %s at %s: status %d: %s", path, h.leader.http, code, out)
		case time.Now().After(deadline):
			return nil, fmt.Errorf("POST %s: no leader accepted it within 30s; last answer %d: %s", path, code, out)
		}
		h.retries++
		time.Sleep(5 * time.Millisecond) // back off while the cluster elects
		h.follow()
	}
}

// follow sends the next commands to the node that leads now.
func (h *haltClient) follow() {
	if l, err := ringdLeader(h.nodes); err == nil && l != h.leader {
		h.leader = l
		h.moves++
	}
}

// post sends one command to the node the client takes for the leader. It
// reports forwarded when that node answered through the leader
// (X-Ringleader-Leader is set on a forwarded answer).
func (h *haltClient) post(path, body, key string) (code int, out []byte, forwarded bool) {
	req, err := http.NewRequest("POST", h.leader.http+path, strings.NewReader(body))
	if err != nil {
		return 0, nil, false
	}
	req.Header.Set("X-Ringleader-Actor", "bench")
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Idempotency-Key", key)
	resp, err := fastClient.Do(req)
	if err != nil {
		return 0, nil, false
	}
	defer resp.Body.Close()
	out, _ = io.ReadAll(resp.Body)
	return resp.StatusCode, out, resp.Header.Get("X-Ringleader-Leader") != ""
}
