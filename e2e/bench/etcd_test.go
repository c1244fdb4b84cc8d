package bench

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"net/http"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/ringleader-dev/ringleader/e2e/harness"
	"github.com/ringleader-dev/ringleader/internal/poll"
)

// etcdMember is one etcd process of the benchmark cluster.
type etcdMember struct {
	proc
	id     uint64 // etcd's member ID, learnt from Status
	client string // 127.0.0.1:port (gRPC and the JSON gateway)
	conn   *etcdConn
}

// etcdCluster3 starts three etcd members on free loopback ports with
// fresh data directories and default timing (100 ms heartbeat, 1 s
// election), and waits until all three know the same leader.
func etcdCluster3(b *testing.B) []*etcdMember {
	b.Helper()
	bin, err := exec.LookPath("etcd")
	if err != nil {
		b.Skip("etcd not installed: run scripts/bench-deps.sh (Debian package etcd-server)")
	}
	root := b.TempDir()
	token := fmt.Sprintf("bench-%d", time.Now().UnixNano())
	var peers, clients []int
	for range 3 {
		// etcd's peer URLs must be known before any member starts.
		p, err := harness.FreePort()
		if err != nil {
			b.Fatal(err)
		}
		c, err := harness.FreePort()
		if err != nil {
			b.Fatal(err)
		}
		peers, clients = append(peers, p), append(clients, c)
	}
	var initial []string
	for i, p := range peers {
		initial = append(initial, fmt.Sprintf("e%d=http://127.0.0.1:%d", i+1, p))
	}
	var members []*etcdMember
	for i := range 3 {
		name := fmt.Sprintf("e%d", i+1)
		peer, client := fmt.Sprintf("http://127.0.0.1:%d", peers[i]), fmt.Sprintf("http://127.0.0.1:%d", clients[i])
		m := &etcdMember{client: fmt.Sprintf("127.0.0.1:%d", clients[i])}
		m.name, m.bin = "etcd "+name, bin
		m.args = []string{"--name", name, "--data-dir", filepath.Join(root, name),
			"--listen-peer-urls", peer, "--initial-advertise-peer-urls", peer,
			"--listen-client-urls", client, "--advertise-client-urls", client,
			"--initial-cluster", strings.Join(initial, ","), "--initial-cluster-state", "new",
			"--initial-cluster-token", token, "--logger", "zap", "--log-outputs", "stderr", "--log-level", "error"}
		m.run(b)
		if m.conn, err = dialEtcd(m.client); err != nil {
			b.Fatal(err)
		}
		b.Cleanup(func() { m.conn.cc.Close() })
		members = append(members, m)
	}
	if err := waitEtcdConverged(members); err != nil {
		b.Fatal(err)
	}
	return members
}

// waitEtcdConverged waits until every member answers Status naming the
// same leader, and records each member's ID.
func waitEtcdConverged(members []*etcdMember) error {
	return poll.For(60*time.Second, "three etcd members that agree on the leader", func() bool {
		var leader uint64
		for _, m := range members {
			ctx, cancel := context.WithTimeout(context.Background(), time.Second)
			id, l, err := m.conn.status(ctx)
			cancel()
			if err != nil || l == 0 || (leader != 0 && l != leader) {
				return false
			}
			m.id, leader = id, l
		}
		return true
	})
}

// etcdLeader returns the member the live members name as leader.
func etcdLeader(members []*etcdMember) (*etcdMember, error) {
	return liveLeader("an etcd leader", members,
		func(m *etcdMember) uint64 { return m.id },
		func(m *etcdMember) (uint64, bool) {
			ctx, cancel := context.WithTimeout(context.Background(), time.Second)
			defer cancel()
			_, l, err := m.conn.status(ctx)
			return l, err == nil
		})
}

// gatewayPut writes value at key through etcd's JSON gateway
// (POST /v3/kv/put), the HTTP+JSON path comparable to ringd's API.
func gatewayPut(c *http.Client, member *etcdMember, key string, value []byte) error {
	body, _ := json.Marshal(map[string]string{
		"key":   base64.StdEncoding.EncodeToString([]byte(key)),
		"value": base64.StdEncoding.EncodeToString(value),
	})
	resp, err := c.Post("http://"+member.client+"/v3/kv/put", "application/json", bytes.NewReader(body))
	if err != nil {
		return fmt.Errorf("etcd gateway put at %s: %w", member.client, err)
	}
	defer resp.Body.Close()
	var out bytes.Buffer
	_, _ = out.ReadFrom(resp.Body)
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("etcd gateway put at %s: status %d: %s", member.client, resp.StatusCode, out.String())
	}
	return nil
}
