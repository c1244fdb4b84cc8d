package regionsim_test

import (
	"io"
	"net"
	"net/url"
	"path/filepath"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/ringleader-dev/ringleader/internal/demo"
	"github.com/ringleader-dev/ringleader/internal/poll"
	"github.com/ringleader-dev/ringleader/internal/regionsim"
)

// hangingProxy forwards TCP connections to target until hang is set; from
// then on it accepts connections and never answers them, like a Git server
// that stopped responding without closing its port.
type hangingProxy struct {
	ln     net.Listener
	hang   atomic.Bool
	held   atomic.Int32
	mu     sync.Mutex
	conns  []net.Conn
	target string
}

func startHangingProxy(t *testing.T, target string) *hangingProxy {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	p := &hangingProxy{ln: ln, target: target}
	t.Cleanup(func() {
		_ = ln.Close()
		p.mu.Lock()
		defer p.mu.Unlock()
		for _, c := range p.conns {
			_ = c.Close()
		}
	})
	go p.serve()
	return p
}

func (p *hangingProxy) serve() {
	for {
		c, err := p.ln.Accept()
		if err != nil {
			return
		}
		p.mu.Lock()
		p.conns = append(p.conns, c)
		p.mu.Unlock()
		if p.hang.Load() {
			p.held.Add(1) // read nothing, answer nothing
			continue
		}
		up, err := net.Dial("tcp", p.target)
		if err != nil {
			_ = c.Close()
			continue
		}
		p.mu.Lock()
		p.conns = append(p.conns, up)
		p.mu.Unlock()
		go func() { _, _ = io.Copy(up, c); _ = up.Close() }()
		go func() { _, _ = io.Copy(c, up); _ = c.Close() }()
	}
}

// TestTrafficFlowsWhileGitHangs: a poll of a Git server that hangs waits
// for its timeout; the regions keep serving requests meanwhile, so a rate
// window over that stretch is not empty (an empty one reads as 0/0 = NaN,
// which the analysis rightly counts as a failed check).
func TestTrafficFlowsWhileGitHangs(t *testing.T) {
	t.Parallel()
	gs, err := demo.StartGitServer(filepath.Join(t.TempDir(), "git"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(gs.Stop)
	u, err := url.Parse(gs.URL(demo.RepoName))
	if err != nil {
		t.Fatal(err)
	}
	proxy := startHangingProxy(t, u.Host)
	u.Host = proxy.ln.Addr().String()
	top := seedDemoRepo(t, gs, u.String())

	var ls regionsim.Listeners
	for _, l := range []*net.Listener{&ls.ArgoCD, &ls.Metrics, &ls.Control} {
		if *l, err = net.Listen("tcp", "127.0.0.1:0"); err != nil {
			t.Fatal(err)
		}
	}
	metrics := ls.Metrics.Addr().String()
	sim, err := regionsim.Start(regionsim.Config{Topology: top, RepoURL: u.String(), Token: "tok",
		Mode: regionsim.ModeMetrics, PollInterval: 50 * time.Millisecond}, ls)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(sim.Close)

	const series = `region="us-east-1",app="checkout",code="200"`
	poll.Until(t, 5*time.Second, "traffic before Git hangs", func() bool { return counter(t, metrics, series) > 0 })
	proxy.hang.Store(true)
	poll.Until(t, 5*time.Second, "a poll to wait on the hanging Git server", func() bool { return proxy.held.Load() > 0 })
	before := counter(t, metrics, series)
	poll.Until(t, 2*time.Second, "requests to keep counting while the poll waits", func() bool {
		return counter(t, metrics, series) > before
	})
}
