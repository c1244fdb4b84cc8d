package main

import (
	"context"
	"os"
	"os/exec"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
)

// TestDemoScreenshot photographs the dashboard of a real demo after the
// budget tour: real budgets measured from the regions' requests
// (ap-northeast-1 in the approval band, us-east-1 exhausted), the
// exposure of every ring, the P0 in canary and the event feed. It runs
// only when RINGLEADER_DEMO_SCREENSHOT names the PNG to write:
//
//	RINGLEADER_DEMO_SCREENSHOT=$PWD/docs/demo-tour.png go test -run TestDemoScreenshot ./cmd/ringd
func TestDemoScreenshot(t *testing.T) {
	dst := os.Getenv("RINGLEADER_DEMO_SCREENSHOT")
	if dst == "" {
		t.Skip("set RINGLEADER_DEMO_SCREENSHOT=FILE.png to photograph the demo's dashboard")
	}
	chromium, err := exec.LookPath("chromium")
	if err != nil {
		t.Skipf("chromium not found: install it with scripts/deps.sh (Debian package chromium): %v", err)
	}
	p := startDemo(t, "--scenario", "budget")
	waitDemo(t, "the budget tour to finish", 4*time.Minute, func() bool {
		if strings.Contains(p.out.String(), "scenario budget, step") {
			t.Fatalf("the tour stopped:\n%s", p.out.String())
		}
		return strings.Contains(p.out.String(), "Scenario budget finished")
	})

	alloc, cancelAlloc := chromedp.NewExecAllocator(context.Background(), chromedp.ExecPath(chromium), chromedp.Headless,
		chromedp.NoSandbox, chromedp.DisableGPU, chromedp.NoFirstRun, chromedp.NoDefaultBrowserCheck,
		chromedp.Flag("disable-dev-shm-usage", true), chromedp.UserDataDir(t.TempDir()), chromedp.WindowSize(1440, 1000))
	defer cancelAlloc()
	ctx, cancel := chromedp.NewContext(alloc)
	defer cancel()
	ctx, cancelTimeout := context.WithTimeout(ctx, 2*time.Minute)
	defer cancelTimeout()
	if err := chromedp.Do(ctx, chromedp.Navigate(p.field(t, "Dashboard")+"/"), chromedp.WaitVisible(chromedp.CSS(`[data-ring="global"]`))); err != nil {
		t.Fatalf("load the dashboard: %v", err)
	}
	live := `document.querySelector("#live")?.textContent.trim() === "live"`
	if _, err := chromedp.Run(ctx, chromedp.Poll[bool](live, chromedp.WithPollingTimeout(30*time.Second))); err != nil {
		t.Fatalf("wait for the event stream: %v", err)
	}
	shot, err := chromedp.Run(ctx, chromedp.FullScreenshot(100))
	if err != nil {
		t.Fatalf("photograph the dashboard: %v", err)
	}
	if err := os.WriteFile(dst, shot, 0o644); err != nil {
		t.Fatal(err)
	}
	t.Logf("wrote %s (%d bytes)", dst, len(shot))
}
