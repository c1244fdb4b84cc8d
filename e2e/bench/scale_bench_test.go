package bench

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/ringleader-dev/ringleader/internal/poll"
	"github.com/ringleader-dev/ringleader/internal/scalegen"
)

// BenchmarkRingdScale starts a real ringd (one node, so it leads) with a
// topology of N apps × 50 regions × 4 rings, creates one release per app
// through the API, waits until the leader loop has every release soaking
// in ring 0 (start, promote through the in-memory promoter, observe,
// soak), and reads the process's peak resident set (VmHWM) from
// /proc/PID/status. Run with -benchtime 1x: one op is the whole scenario.
func BenchmarkRingdScale(b *testing.B) {
	for _, apps := range []int{100, 500, 2000} {
		b.Run(fmt.Sprintf("apps=%d", apps), func(b *testing.B) {
			for range b.N {
				ringdScaleOnce(b, apps)
			}
		})
	}
}

func ringdScaleOnce(b *testing.B, apps int) {
	root := b.TempDir()
	top := writeTopology(b, root, apps)
	n := startRingd(b, "n1", filepath.Join(root, "n1"), top, "--bootstrap")
	if err := poll.For(60*time.Second, "the topology to be adopted", func() bool {
		code, body := call(ctlClient, "GET", n.http+"/v1/topology", "")
		return code == 200 && strings.Contains(string(body), fmt.Sprintf("scale-%d", apps))
	}); err != nil {
		b.Fatal(err)
	}
	idle := procStatus(b, n)
	start := time.Now()
	created := loadReleases(b, n, apps)
	settled := time.Since(start)
	st := procStatus(b, n)
	b.ReportMetric(float64(st["VmHWM"])/1024, "peak-RSS-MiB")
	b.ReportMetric(float64(st["VmRSS"])/1024, "RSS-MiB")
	b.ReportMetric(float64(idle["VmHWM"])/1024, "RSS-before-releases-MiB")
	b.ReportMetric(created.Seconds(), "create-s")
	b.ReportMetric(settled.Seconds(), "all-soaking-s")
	b.ReportMetric(0, "ns/op")
	b.Logf("%d apps: peak RSS %.1f MiB (%.1f MiB before releases), %d releases created in %.1f s, all soaking in ring 0 after %.1f s; machine: %s",
		apps, float64(st["VmHWM"])/1024, float64(idle["VmHWM"])/1024, apps, created.Seconds(), settled.Seconds(), machine())
}

// procStatus reads the Vm* lines (in KiB) of a process's /proc status.
func procStatus(b *testing.B, r *ringd) map[string]int64 {
	b.Helper()
	raw, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", r.pid()))
	if err != nil {
		b.Fatalf("read status of %s: %v", r.name, err)
	}
	out := map[string]int64{}
	for _, l := range strings.Split(string(raw), "\n") {
		k, v, ok := strings.Cut(l, ":")
		if !ok || !strings.HasPrefix(k, "Vm") {
			continue
		}
		var kb int64
		fmt.Sscanf(strings.TrimSpace(v), "%d", &kb)
		out[k] = kb
	}
	return out
}

// loadReleases creates one release per app through the API at r and
// waits until the leader loop has every one soaking in ring 0. It returns
// how long the creates took.
func loadReleases(b *testing.B, r *ringd, apps int) time.Duration {
	b.Helper()
	start := time.Now()
	for i := range apps {
		body := fmt.Sprintf(`{"app":%q,"version":"v2"}`, scalegen.AppName(i))
		if code, out := call(fastClient, "POST", r.http+"/v1/releases", body); code != 201 {
			b.Fatalf("create release %d: status %d: %s", i, code, out)
		}
	}
	created := time.Since(start)
	if err := poll.For(10*time.Minute, "every release to soak in ring 0", func() bool {
		code, body := call(ctlClient, "GET", r.http+"/v1/releases?state=running", "")
		if code != 200 {
			return false
		}
		var list struct {
			Releases []struct {
				Rings []struct{ State string }
			}
		}
		if json.Unmarshal(body, &list) != nil || len(list.Releases) != apps {
			return false
		}
		for _, rel := range list.Releases {
			if len(rel.Rings) == 0 || rel.Rings[0].State != "soaking" {
				return false
			}
		}
		return true
	}); err != nil {
		b.Fatal(err)
	}
	return created
}
