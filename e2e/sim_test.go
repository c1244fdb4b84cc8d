package e2e

import (
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/ringleader-dev/ringleader/e2e/harness"
)

// simRegions is `ringsim`: the simulated regions, which sync
// from Git like Argo CD, serve Argo CD's Application API and expose
// metrics whose error rate is high for a version containing "bad".
type simRegions struct {
	proc *harness.Proc
	// ArgoCD, Metrics and Control are the addresses it printed.
	ArgoCD, Metrics, Control string
	// TokenFile holds the bearer token of its Argo CD API.
	TokenFile string
	args      []string
}

// startSimRegions runs the simulator against the GitOps repository and
// waits for its address file.
func startSimRegions(dir, repo, topologyFile string) (*simRegions, error) {
	tokenFile := filepath.Join(dir, "argocd-token")
	if err := os.WriteFile(tokenFile, []byte("e2e-argocd-token\n"), 0o600); err != nil {
		return nil, err
	}
	addrFile := filepath.Join(dir, "sim-addr.json")
	s := &simRegions{TokenFile: tokenFile, args: []string{"--repo", repo, "--branch", "main",
		"--topology", topologyFile, "--argocd-addr", "127.0.0.1:0", "--metrics-addr", "127.0.0.1:0",
		"--control-addr", "127.0.0.1:0", "--token-file", tokenFile, "--mode", "metrics", "--addr-file", addrFile}}
	p, err := harness.StartProc("ringsim", bins.Ringsim, s.args, nil, dir)
	if err != nil {
		return nil, err
	}
	s.proc = p
	err = harness.Poll(30*time.Second, func() error {
		if p.Exited() {
			return fmt.Errorf("ringsim exited: %s", p.Output())
		}
		b, err := os.ReadFile(addrFile)
		if err != nil {
			return err
		}
		var m map[string]any
		if err := json.Unmarshal(b, &m); err != nil {
			return err
		}
		for k, v := range m {
			str, _ := v.(string)
			switch lk := strings.ToLower(k); {
			case strings.Contains(lk, "argo"):
				s.ArgoCD = str
			case strings.Contains(lk, "metric"):
				s.Metrics = str
			case strings.Contains(lk, "control"):
				s.Control = str
			}
		}
		if s.ArgoCD == "" || s.Metrics == "" {
			return fmt.Errorf("address file %s lacks argocd/metrics addresses: %s", addrFile, b)
		}
		return nil
	})
	if err != nil {
		p.Kill()
		return nil, err
	}
	return s, nil
}

// url makes host:port a base URL.
func url(addr string) string {
	if strings.Contains(addr, "://") {
		return addr
	}
	return "http://" + addr
}

// hostPort strips the scheme off a URL.
func hostPort(addr string) string {
	if i := strings.Index(addr, "://"); i >= 0 {
		return addr[i+3:]
	}
	return addr
}

// simApp is one simulated Argo CD Application as the control endpoint
// reports it.
type simApp struct {
	Region  string `json:"region"`
	App     string `json:"app"`
	Version string `json:"version"`
	Sync    string `json:"sync"`
	Health  string `json:"health"`
}

// apps lists what every simulated Application runs.
func (s *simRegions) apps() ([]simApp, error) {
	resp, err := http.Get(url(s.Control) + "/v1/apps")
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return nil, fmt.Errorf("ringsim GET /v1/apps: %s", resp.Status)
	}
	var out []simApp
	return out, json.NewDecoder(resp.Body).Decode(&out)
}

// control posts one of the simulator's test controls (path and query, such
// as "/v1/regions/us-west-2/errors?ratio=0.5") and fails the test unless it
// is accepted.
func (s *simRegions) control(t testing.TB, pathAndQuery string) {
	t.Helper()
	resp, err := http.Post(url(s.Control)+pathAndQuery, "text/plain", nil)
	if err != nil {
		t.Fatalf("ringsim POST %s: %v", pathAndQuery, err)
	}
	defer resp.Body.Close()
	if resp.StatusCode/100 != 2 {
		b, _ := io.ReadAll(resp.Body)
		t.Fatalf("ringsim POST %s: %s %s", pathAndQuery, resp.Status, b)
	}
}
