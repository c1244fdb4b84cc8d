package ui

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
	"github.com/hashicorp/go-hclog"

	"github.com/ringleader-dev/ringleader/coordinator/leader"

	"github.com/ringleader-dev/ringleader/coordinator/apiclient"
	"github.com/ringleader-dev/ringleader/coordinator/command"
	"github.com/ringleader-dev/ringleader/coordinator/httpapi"
	"github.com/ringleader-dev/ringleader/coordinator/store"
	"github.com/ringleader-dev/ringleader/internal/poll"
	"github.com/ringleader-dev/ringleader/rings"
)

// chromiumPath is where Debian's chromium package installs the browser
// (scripts/deps.sh installs it).
const chromiumPath = "/usr/bin/chromium"

// liveServer is a real single-node coordinator (Raft over TCP on
// 127.0.0.1:0, the HTTP API, the event stream, the leader loop with the
// in-memory effects) serving the dashboard, on a manual clock so the test
// decides when a soak window is over.
type liveServer struct {
	url   string
	node  *store.Node
	loop  *leader.Loop
	clock *leader.ManualClock
}

// startLiveServer starts it; wrap, when set, wraps the API handler (the
// token test puts a bearer check in front).
func startLiveServer(t *testing.T, wrap func(http.Handler) http.Handler) *liveServer {
	t.Helper()
	clock := leader.NewManualClock(time.Date(2026, 11, 26, 14, 0, 0, 0, time.UTC))
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	node, err := store.NewNode(store.Config{
		NodeID: "n1", DataDir: t.TempDir(), RaftAddr: "127.0.0.1:0", HTTPAddr: ln.Addr().String(),
		Bootstrap: true, Now: clock.Now, Logger: hclog.NewNullLogger(),
	})
	if err != nil {
		t.Fatal(err)
	}
	broker, err := httpapi.NewBroker(httpapi.BrokerConfig{})
	if err != nil {
		t.Fatal(err)
	}
	node.OnApply(broker.ObserveApplied)
	logger := slog.New(slog.DiscardHandler)
	loop, err := leader.NewLoop(leader.LoopConfig{
		Store: node, Promoter: &leader.MemPromoter{}, Health: &leader.MemHealth{}, Fence: &leader.MemFence{},
		Clock: clock, Interval: 50 * time.Millisecond, Logger: logger,
	})
	if err != nil {
		t.Fatal(err)
	}
	dash, err := New(Config{Store: node, NodeID: "n1", Clock: clock, Logger: logger})
	if err != nil {
		t.Fatal(err)
	}
	api, err := httpapi.NewAPI(httpapi.APIConfig{
		Store: node, Clock: clock, OnWrite: loop.Kick, Logger: logger, Events: broker, Dashboard: dash,
	})
	if err != nil {
		t.Fatal(err)
	}
	var h http.Handler = api
	if wrap != nil {
		h = wrap(api)
	}
	srv := httptest.NewUnstartedServer(h)
	srv.Listener.Close()
	srv.Listener = ln
	srv.Config.RegisterOnShutdown(broker.Close)
	srv.Start()
	ctx, cancel := context.WithCancel(context.Background())
	loopDone := make(chan struct{})
	go func() { defer close(loopDone); _ = loop.Run(ctx) }()
	// Writes are rate-limited per identity on a clock this test stops:
	// wait for leadership rather than spend the burst on 503 retries.
	poll.Until(t, 15*time.Second, "the single node to elect itself", node.IsLeader)
	t.Cleanup(func() {
		broker.Close()
		srv.Close()
		_ = node.Shutdown()
		cancel()
		<-loopDone
	})
	return &liveServer{url: srv.URL, node: node, loop: loop, clock: clock}
}

// post sends a JSON (or YAML) body and fails unless the answer is want.
func (s *liveServer) post(t *testing.T, path, body string, want int) []byte {
	t.Helper()
	var code int
	var out []byte
	// 503 while the node elects itself: ask again.
	err := poll.For(15*time.Second, "POST "+path+" past 503", func() bool {
		req, err := http.NewRequest(http.MethodPost, s.url+path, strings.NewReader(body))
		if err != nil {
			t.Fatal(err)
		}
		req.Header.Set(apiclient.HeaderActor, "setup")
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		out, _ = io.ReadAll(resp.Body)
		resp.Body.Close()
		code = resp.StatusCode
		return code != http.StatusServiceUnavailable
	})
	if err != nil || code != want {
		t.Fatalf("POST %s: %d %s; want %d (%v)", path, code, out, want, err)
	}
	return out
}

// newBrowser starts headless Chromium with a throw-away profile.
func newBrowser(t *testing.T) context.Context {
	t.Helper()
	if _, err := exec.LookPath(chromiumPath); err != nil {
		t.Skipf("%s not found: install it with scripts/deps.sh (Debian package chromium)", chromiumPath)
	}
	opts := []chromedp.ExecAllocatorOption{
		chromedp.ExecPath(chromiumPath),
		chromedp.Headless,
		chromedp.NoSandbox,
		chromedp.DisableGPU,
		chromedp.NoFirstRun,
		chromedp.NoDefaultBrowserCheck,
		chromedp.Flag("disable-quic", true),
		chromedp.Flag("disable-background-networking", true),
		chromedp.Flag("disable-component-update", true),
		chromedp.Flag("disable-sync", true),
		chromedp.Flag("disable-dev-shm-usage", true),
		chromedp.UserDataDir(t.TempDir()),
		chromedp.WindowSize(1440, 1000),
	}
	allocCtx, cancelAlloc := chromedp.NewExecAllocator(context.Background(), opts...)
	ctx, cancelCtx := chromedp.NewContext(allocCtx)
	ctx, cancelTimeout := context.WithTimeout(ctx, 2*time.Minute)
	t.Cleanup(func() { cancelTimeout(); cancelCtx(); cancelAlloc() })
	return ctx
}

// waitJS polls a JavaScript expression until it returns want.
func waitJS(t *testing.T, ctx context.Context, what, expr, want string) {
	t.Helper()
	var got string
	err := poll.For(20*time.Second, what, func() bool {
		v, err := chromedp.Run(ctx, chromedp.Evaluate[string](expr))
		if err != nil {
			t.Fatalf("evaluate %s: %v", expr, err)
		}
		got = v
		return got == want
	})
	if err != nil {
		t.Fatalf("%v: %s is %q; want %q", err, expr, got, want)
	}
}

// textOf is a JavaScript expression: the trimmed text of the first match
// of a CSS selector, or "" when nothing matches.
func textOf(selector string) string {
	sel, _ := json.Marshal(selector)
	return fmt.Sprintf(`(document.querySelector(%s)?.textContent ?? "").trim()`, sel)
}

func TestDashboardInABrowser(t *testing.T) {
	if testing.Short() {
		t.Skip("starts a coordinator and headless Chromium")
	}
	s := startLiveServer(t, nil)
	src, err := os.ReadFile("testdata/topology.yaml")
	if err != nil {
		t.Fatal(err)
	}
	s.post(t, "/v1/topology", string(src), http.StatusOK)
	// Budgets make the budget panel and the error-budget gate visible.
	for region, pct := range map[string]float64{"us-east-1": 92, "eu-west-1": 71, "eu-central-1": 64, "ap-south-1": 38} {
		cmd, err := command.New(command.CmdRecordBudget, command.ActorSystem,
			rings.Budget{App: "checkout", Region: region, RemainingPercent: pct, RemainingSeconds: pct * 25.92, At: s.clock.Now()})
		if err != nil {
			t.Fatal(err)
		}
		if _, err := s.node.Apply(context.Background(), cmd); err != nil {
			t.Fatal(err)
		}
	}
	s.post(t, "/v1/releases", `{"app":"checkout","version":"v1.4.2","previousVersion":"v1.4.1"}`, http.StatusCreated)

	ctx := newBrowser(t)
	if err := chromedp.Do(ctx, chromedp.Navigate(s.url+"/")); err != nil {
		t.Fatalf("load the dashboard: %v", err)
	}
	// Say who we are: the name goes with every write as the actor.
	if err := chromedp.Do(ctx,
		chromedp.SetValue(chromedp.ID("actor"), "alice"),
		chromedp.Click(chromedp.CSS(`#identity button[type="submit"]`)),
	); err != nil {
		t.Fatalf("enter a name: %v", err)
	}
	canary := textOf(`[data-ring="canary"] .ring-state`)
	early := textOf(`[data-ring="early"] .ring-state`)
	waitJS(t, ctx, "the event stream to connect", textOf("#live"), "live")
	waitJS(t, ctx, "canary to soak", canary, "soaking")

	// The soak window passes: the loop completes canary and starts early;
	// the page learns it from the event stream alone.
	s.clock.Advance(61 * time.Minute)
	s.loop.Kick()
	waitJS(t, ctx, "canary to be done", canary, "done")
	waitJS(t, ctx, "early to soak", early, "soaking")

	// Halt everything: the button asks for a reason, the banner shows who
	// halted and why.
	reason := "error rate up in eu-west-1 after v1.4.2"
	if err := chromedp.Do(ctx,
		chromedp.Click(chromedp.ID("halt-all")),
		chromedp.WaitVisible(chromedp.ID("reason")),
		chromedp.SendKeys(chromedp.ID("reason"), reason),
		chromedp.Click(chromedp.ID("reason-ok")),
	); err != nil {
		t.Fatalf("place a halt from the page: %v", err)
	}
	waitJS(t, ctx, "the halt banner's author", textOf(".halt-banner .halt-author"), "alice")
	waitJS(t, ctx, "the halt banner's reason", textOf(".halt-banner .halt-reason"), reason)
	waitJS(t, ctx, "the halt in the release timeline", `String(/placed by alice/.test(`+textOf(`[data-release] .tl-halted`)+`))`, "true")

	shot, err := chromedp.Run(ctx, chromedp.FullScreenshot(100))
	if err != nil {
		t.Fatalf("screenshot: %v", err)
	}
	path := filepath.Join(t.TempDir(), "dashboard.png")
	if err := os.WriteFile(path, shot, 0o644); err != nil {
		t.Fatal(err)
	}
	t.Logf("screenshot: %s (%d bytes)", path, len(shot))
	if dst := os.Getenv("RINGLEADER_SCREENSHOT"); dst != "" {
		if err := os.WriteFile(dst, shot, 0o644); err != nil {
			t.Fatalf("copy the screenshot to RINGLEADER_SCREENSHOT=%s: %v", dst, err)
		}
	}

	// Resume from the banner.
	if err := chromedp.Do(ctx,
		chromedp.Click(chromedp.CSS(".halt-banner .resume")),
		chromedp.WaitVisible(chromedp.ID("reason")),
		chromedp.SendKeys(chromedp.ID("reason"), "rolled forward a fix"),
		chromedp.Click(chromedp.ID("reason-ok")),
	); err != nil {
		t.Fatalf("resume the halt from the page: %v", err)
	}
	waitJS(t, ctx, "the banner to go", `String(document.querySelectorAll(".halt-banner").length)`, "0")
	halts := s.node.Snapshot().State.Halts
	if len(halts) != 1 || halts[0].Author != "alice" || halts[0].ResumedBy != "alice" || halts[0].Reason != reason {
		t.Fatalf("halts in the state: %+v; want one, placed and resumed by alice with the reason", halts)
	}
}

// TestDashboardSendsTheToken puts a bearer-token check in front of every
// route but the page shell and its assets (as the API's authorization
// does) and checks that the page asks for a token, then sends it on the
// board fetch and on the event stream.
func TestDashboardSendsTheToken(t *testing.T) {
	if testing.Short() {
		t.Skip("starts a coordinator and headless Chromium")
	}
	const token = "s3cret-t0ken"
	var sawStream, sawBoard atomic.Bool
	s := startLiveServer(t, func(next http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			if r.URL.Path != "/" && !strings.HasPrefix(r.URL.Path, "/ui/static/") {
				if r.Header.Get("Authorization") != "Bearer "+token {
					w.Header().Set("Content-Type", "application/json")
					w.WriteHeader(http.StatusUnauthorized)
					_, _ = io.WriteString(w, `{"error":"no valid token"}`)
					return
				}
				switch r.URL.Path {
				case "/ui/board":
					sawBoard.Store(true)
				case "/v1/events":
					sawStream.Store(true)
				}
			}
			next.ServeHTTP(w, r)
		})
	})
	ctx := newBrowser(t)
	if err := chromedp.Do(ctx, chromedp.Navigate(s.url+"/")); err != nil {
		t.Fatalf("load the dashboard: %v", err)
	}
	waitJS(t, ctx, "the stream to report no access", textOf("#live"), "no access")
	waitJS(t, ctx, "the page to ask for a token", `String(/needs an API token/.test(`+textOf("#notice")+`))`, "true")
	if err := chromedp.Do(ctx,
		chromedp.SetValue(chromedp.ID("token"), token),
		chromedp.Click(chromedp.CSS(`#identity button[type="submit"]`)),
	); err != nil {
		t.Fatalf("enter the token: %v", err)
	}
	waitJS(t, ctx, "the stream to connect with the token", textOf("#live"), "live")
	waitJS(t, ctx, "the board to load with the token", `String(!!document.querySelector("#board .cluster"))`, "true")
	waitJS(t, ctx, "the token to stay in this tab only", `sessionStorage.getItem("ringleader.token") + "/" + localStorage.length`, token+"/0")
	if !sawBoard.Load() || !sawStream.Load() {
		t.Fatalf("authorized requests: board %v, stream %v; want both", sawBoard.Load(), sawStream.Load())
	}
}
