package harness

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/ringleader-dev/ringleader/coordinator/apiclient"
	"github.com/ringleader-dev/ringleader/internal/addrfile"
	"github.com/ringleader-dev/ringleader/internal/ringdtest"
)

// ClusterOptions describe a ringd cluster.
type ClusterOptions struct {
	Bin *Binaries
	// Dir holds one data directory per node.
	Dir string
	// Nodes is the cluster size (default 3).
	Nodes int
	// Topology is the --topology argument: a file path or <git url>#<path>.
	Topology string
	// Extra flags every node gets (e.g. the GitOps repository).
	Extra []string
	// PerNode adds flags for one node (e.g. its own Git author name).
	PerNode func(id string) []string
	// ReconcileInterval (default 250ms).
	ReconcileInterval time.Duration
}

// Cluster is a set of ringd processes talking real TCP through one
// fault-injecting proxy per node.
type Cluster struct {
	Nodes []*Node
	bin   *Binaries
	opts  ClusterOptions
	// AdminToken and ICToken are the bearer tokens of an admin and an
	// incident commander ("" when ringd runs without authentication).
	AdminToken, ICToken string
	authArgs            []string
}

// Node is one ringd process and its proxy.
type Node struct {
	ID    string
	Dir   string
	Proxy *Proxy
	// HTTP is the node's API base URL (http://127.0.0.1:port); it changes
	// when the node restarts.
	mu   sync.Mutex
	http string
	// raftAddr is where the Raft listener is bound: 127.0.0.1:0 until the
	// first start, then the address that start got, kept across restarts
	// (the other nodes reach it through the proxy, which targets it).
	raftAddr string
	proc     *Proc
	args     []string
	c        *Cluster
	logs     []string // output of earlier incarnations
}

// StartCluster starts opts.Nodes nodes: the first bootstraps, the others
// join it; it returns when every node sees all members and a leader. Every
// process and proxy is stopped in t.Cleanup.
func StartCluster(t testing.TB, opts ClusterOptions) *Cluster {
	t.Helper()
	if opts.Nodes == 0 {
		opts.Nodes = 3
	}
	if opts.ReconcileInterval == 0 {
		opts.ReconcileInterval = 250 * time.Millisecond
	}
	c := &Cluster{bin: opts.Bin, opts: opts}
	if err := c.writeTokens(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.shutdown(t) })
	for i := 0; i < opts.Nodes; i++ {
		id := fmt.Sprintf("n%d", i+1)
		n := &Node{ID: id, Dir: filepath.Join(opts.Dir, id), c: c}
		if err := os.MkdirAll(n.Dir, 0o755); err != nil {
			t.Fatal(err)
		}
		p, err := NewProxy(id, c.identify)
		if err != nil {
			t.Fatal(err)
		}
		n.Proxy = p
		n.raftAddr = "127.0.0.1:0"
		c.Nodes = append(c.Nodes, n)
	}
	for i, n := range c.Nodes {
		first := []string{"--bootstrap"}
		if i > 0 {
			first = []string{"--join", c.Nodes[0].HTTP()}
		}
		if err := n.start(first); err != nil {
			t.Fatal(err)
		}
	}
	c.WaitHealthy(t, 60*time.Second)
	return c
}

// writeTokens creates the tokens file (admin, incident commander, and a
// viewer for reads) when ringd supports it.
func (c *Cluster) writeTokens() error {
	if c.bin == nil || !c.bin.Caps.Tokens {
		c.authArgs = []string{"--insecure-no-auth"}
		return nil
	}
	tok := func() string {
		b := make([]byte, 24)
		_, _ = rand.Read(b)
		return hex.EncodeToString(b)
	}
	c.AdminToken, c.ICToken = tok(), tok()
	sum := func(s string) string { h := sha256.Sum256([]byte(s)); return hex.EncodeToString(h[:]) }
	yaml := fmt.Sprintf("tokens:\n  - {name: e2e-admin, role: admin, sha256: %s}\n  - {name: e2e-ic, role: incident-commander, sha256: %s}\n",
		sum(c.AdminToken), sum(c.ICToken))
	path := filepath.Join(c.opts.Dir, "tokens.yaml")
	join := filepath.Join(c.opts.Dir, "join-token")
	if err := os.MkdirAll(c.opts.Dir, 0o755); err != nil {
		return err
	}
	if err := os.WriteFile(path, []byte(yaml), 0o600); err != nil {
		return err
	}
	if err := os.WriteFile(join, []byte(c.AdminToken), 0o600); err != nil {
		return err
	}
	c.authArgs = []string{"--tokens-file", path, "--join-token-file", join, "--write-rate", "-1"}
	return nil
}

// identify names the node whose process owns the socket connecting from
// remotePort to a proxy listening on proxyPort ("" when none does).
func (c *Cluster) identify(remotePort, proxyPort int) string {
	ino := socketInode(remotePort, proxyPort)
	if ino == 0 {
		return ""
	}
	for _, n := range c.Nodes {
		if p := n.Proc(); p != nil && ownsSocket(p.PID(), ino) {
			return n.ID
		}
	}
	return ""
}

// baseArgs are the flags a node always runs with: fast Raft timing for
// quick failover on loopback, its proxy as the advertised Raft address.
func (n *Node) baseArgs() []string {
	c := n.c
	args := []string{
		"--node-id", n.ID, "--data-dir", n.Dir,
		"--raft-addr", n.raftAddr, "--raft-advertise", n.Proxy.Addr(),
		"--http-addr", "127.0.0.1:0",
		"--heartbeat-timeout", "400ms", "--election-timeout", "400ms", "--leader-lease-timeout", "200ms",
		"--reconcile-interval", c.opts.ReconcileInterval.String(), "--log-level", "info",
		"--shutdown-timeout", "2s",
	}
	if c.opts.Topology != "" {
		args = append(args, "--topology", c.opts.Topology)
	}
	args = append(args, c.authArgs...)
	if c.opts.PerNode != nil {
		args = append(args, c.opts.PerNode(n.ID)...)
	}
	return append(args, c.opts.Extra...)
}

// start launches the process and waits for its address file; the first
// start learns the Raft port ringd bound and points the proxy at it.
func (n *Node) start(first []string) error {
	addrFile := filepath.Join(n.Dir, addrfile.Name)
	_ = os.Remove(addrFile)
	n.mu.Lock()
	args := append(n.baseArgs(), first...)
	n.mu.Unlock()
	p, err := StartProc("ringd-"+n.ID, n.c.bin.Ringd, args, nil, n.Dir)
	if err != nil {
		return err
	}
	n.mu.Lock()
	n.proc, n.args = p, args
	n.mu.Unlock()
	a, err := ringdtest.WaitAddrs(addrFile, 30*time.Second, p.Exited)
	if err != nil {
		return fmt.Errorf("ringd %s: %w: %s", n.ID, err, tail(p.Output(), 4000))
	}
	n.mu.Lock()
	n.http, n.raftAddr = "http://"+a.HTTP, a.RaftListen
	n.mu.Unlock()
	n.Proxy.SetTarget(a.RaftListen)
	return nil
}

// HTTP is the node's current API base URL.
func (n *Node) HTTP() string {
	n.mu.Lock()
	defer n.mu.Unlock()
	return n.http
}

// Proc is the node's current process.
func (n *Node) Proc() *Proc {
	n.mu.Lock()
	defer n.mu.Unlock()
	return n.proc
}

// Alive reports whether the process runs and is not frozen.
func (n *Node) Alive() bool {
	p := n.Proc()
	return p != nil && !p.Exited() && !p.Stopped()
}

// Kill sends SIGKILL.
func (n *Node) Kill() {
	if p := n.Proc(); p != nil {
		p.Kill()
		n.keepLog(p)
	}
}

// Terminate sends SIGTERM (a planned shutdown).
func (n *Node) Terminate() {
	if p := n.Proc(); p != nil {
		p.Terminate(10 * time.Second)
		n.keepLog(p)
	}
}

func (n *Node) keepLog(p *Proc) {
	n.mu.Lock()
	defer n.mu.Unlock()
	if n.proc == p {
		n.logs = append(n.logs, p.Output())
		n.proc = nil
	}
}

// Stop freezes the node (SIGSTOP); Cont thaws it.
func (n *Node) Stop() {
	if p := n.Proc(); p != nil {
		p.Stop()
	}
}

// Cont thaws a frozen node.
func (n *Node) Cont() {
	if p := n.Proc(); p != nil {
		p.Cont()
	}
}

// Restart starts a stopped or killed node again from its data directory
// (no --bootstrap or --join: it is already a member).
func (n *Node) Restart() error {
	if p := n.Proc(); p != nil && !p.Exited() {
		return fmt.Errorf("restart %s: it is still running", n.ID)
	}
	return n.start(nil)
}

// Client is a typed API client for this node with token.
func (n *Node) Client(token string) *apiclient.Client {
	c := apiclient.NewClient(n.HTTP(), token)
	c.HTTP = &http.Client{Timeout: 5 * time.Second}
	return c
}

// Node returns the node with id.
func (c *Cluster) Node(id string) *Node {
	for _, n := range c.Nodes {
		if n.ID == id {
			return n
		}
	}
	return nil
}

// Alive are the nodes running and not frozen.
func (c *Cluster) Alive() []*Node {
	var out []*Node
	for _, n := range c.Nodes {
		if n.Alive() {
			out = append(out, n)
		}
	}
	return out
}

// Leader returns the node that says it leads, among nodes, and that the
// others that answer agree on (nil when there is none yet).
func (c *Cluster) Leader(nodes ...*Node) *Node {
	if len(nodes) == 0 {
		nodes = c.Alive()
	}
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
	defer cancel()
	votes := map[string]int{}
	for _, n := range nodes {
		if !n.Alive() {
			continue
		}
		st, err := n.Client(c.AdminToken).Status(ctx, false)
		if err != nil {
			continue
		}
		if st.IsLeader {
			votes[n.ID] += 100
		}
		if st.Leader.ID != "" {
			votes[st.Leader.ID]++
		}
	}
	for _, n := range nodes {
		if votes[n.ID] >= 100+len(nodes)/2 {
			return n
		}
	}
	return nil
}

// WaitLeader polls until the nodes agree on a leader among them.
func (c *Cluster) WaitLeader(t testing.TB, timeout time.Duration, nodes ...*Node) *Node {
	t.Helper()
	var l *Node
	Eventually(t, timeout, "a leader", func() error {
		l = c.Leader(nodes...)
		if l == nil {
			return fmt.Errorf("no agreed leader among %d nodes", len(nodes))
		}
		return nil
	})
	return l
}

// WaitHealthy waits until every live node knows every member and a leader.
func (c *Cluster) WaitHealthy(t testing.TB, timeout time.Duration) {
	t.Helper()
	Eventually(t, timeout, "every node to see all members and a leader", func() error {
		for _, n := range c.Alive() {
			ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
			st, err := n.Client(c.AdminToken).Status(ctx, false)
			cancel()
			if err != nil {
				return fmt.Errorf("%s: %w", n.ID, err)
			}
			if len(st.Members) != len(c.Nodes) || st.Leader.ID == "" {
				return fmt.Errorf("%s sees %d members, leader %q", n.ID, len(st.Members), st.Leader.ID)
			}
		}
		return nil
	})
}

// Partition cuts every link between side a and side b, both ways.
func (c *Cluster) Partition(a, b []*Node) {
	for _, x := range a {
		for _, y := range b {
			y.Proxy.Block(x.ID)
			x.Proxy.Block(y.ID)
		}
	}
}

// Isolate cuts n off from every other node.
func (c *Cluster) Isolate(n *Node) { c.Partition([]*Node{n}, c.Others(n)) }

// Others are the nodes other than n.
func (c *Cluster) Others(n *Node) []*Node {
	var out []*Node
	for _, m := range c.Nodes {
		if m != n {
			out = append(out, m)
		}
	}
	return out
}

// Heal removes every partition and added latency.
func (c *Cluster) Heal() {
	for _, n := range c.Nodes {
		n.Proxy.HealAll()
		n.Proxy.SetLatency(0)
	}
}

// Ringctl runs ringctl against node n with token and returns its output.
func (c *Cluster) Ringctl(n *Node, token string, args ...string) (string, error) {
	full := append([]string{"--server", n.HTTP()}, args...)
	if token != "" {
		full = append([]string{"--token", token}, full...)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	cmd := exec.CommandContext(ctx, c.bin.Ringctl, full...)
	out, err := cmd.CombinedOutput()
	if err != nil {
		return string(out), fmt.Errorf("ringctl %s: %w\n%s", strings.Join(args, " "), err, out)
	}
	return string(out), nil
}

// shutdown stops every node and proxy; on failure it writes every node's
// output to the test log.
func (c *Cluster) shutdown(t testing.TB) {
	for _, n := range c.Nodes {
		if p := n.Proc(); p != nil {
			p.Kill()
			n.keepLog(p)
		}
		if n.Proxy != nil {
			n.Proxy.Close()
		}
	}
	if t.Failed() {
		for _, n := range c.Nodes {
			n.mu.Lock()
			all := strings.Join(n.logs, "\n--- restarted ---\n")
			n.mu.Unlock()
			_ = os.WriteFile(filepath.Join(c.opts.Dir, n.ID+".log"), []byte(all), 0o644)
			t.Logf("ringd %s output (tail):\n%s", n.ID, tail(all, 6000))
		}
	}
}

// tail returns the last n bytes of s.
func tail(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return "…" + s[len(s)-n:]
}
