package gitops_test

import (
	"bufio"
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"testing"
	"time"

	"github.com/ringleader-dev/ringleader/rings"

	"github.com/ringleader-dev/ringleader/internal/gitops"
	"github.com/ringleader-dev/ringleader/internal/gitops/gittest"
	"github.com/ringleader-dev/ringleader/internal/gitops/yamledit"
	"github.com/ringleader-dev/ringleader/rings/topology"
)

const (
	benchRegions = 50
	benchApps    = 200 // 50 × 200 = 10,000 files
	benchCommits = 5000
)

func benchValues(region, app, tag int) string {
	return fmt.Sprintf("# values for app%d in r%d\nreplicaCount: 2\nimage:\n  repository: ghcr.io/acme/app%d\n  tag: v0.%d.0  # set by Ringleader\n",
		app, region, app, tag)
}

// generateRepo writes a bare repository of 10,000 files and 5,000 commits
// with git fast-import (a few seconds): one commit adding every file, then
// one commit per changed file.
func generateRepo(b *testing.B, srv *gittest.Server, name string) {
	b.Helper()
	path := srv.Path(name)
	gittest.Run(b, srv.Dir, "init", "--quiet", "--bare", "--initial-branch=main", path)
	cmd := exec.Command("git", "fast-import", "--quiet")
	cmd.Dir = path
	cmd.Env = gittest.Env(srv.Dir)
	cmd.Stderr = os.Stderr
	stdin, err := cmd.StdinPipe()
	if err != nil {
		b.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		b.Fatal(err)
	}
	w := bufio.NewWriterSize(stdin, 1<<20)
	when := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC).Unix()
	commit := func(n int, msg string, files map[string]string) {
		fmt.Fprintf(w, "commit refs/heads/main\ncommitter Seeder <seeder@example.com> %d +0000\ndata %d\n%s\n", when+int64(n), len(msg), msg)
		paths := make([]string, 0, len(files))
		for p := range files {
			paths = append(paths, p)
		}
		sort.Strings(paths)
		for _, p := range paths {
			fmt.Fprintf(w, "M 100644 inline %s\ndata %d\n%s\n", p, len(files[p]), files[p])
		}
		fmt.Fprintln(w)
	}
	all := map[string]string{}
	for r := 0; r < benchRegions; r++ {
		for a := 0; a < benchApps; a++ {
			all[fmt.Sprintf("envs/r%d/app%d/values.yaml", r, a)] = benchValues(r, a, 0)
		}
	}
	commit(0, "seed", all)
	for i := 1; i < benchCommits; i++ {
		r, a := i%benchRegions, (i*7)%benchApps
		commit(i, fmt.Sprintf("bump app%d in r%d", a, r), map[string]string{fmt.Sprintf("envs/r%d/app%d/values.yaml", r, a): benchValues(r, a, i)})
	}
	if err := w.Flush(); err != nil {
		b.Fatal(err)
	}
	if err := stdin.Close(); err != nil {
		b.Fatal(err)
	}
	if err := cmd.Wait(); err != nil {
		b.Fatalf("git fast-import: %v", err)
	}
	// A hosted repository is packed with deltas; fast-import's pack is not.
	gittest.Run(b, path, "repack", "-a", "-d", "-q")
}

func benchTopology() *topology.Topology {
	return &topology.Topology{Spec: topology.TopologySpec{
		Regions: []topology.Region{{Name: "r0"}},
		Rings:   []topology.Ring{{Name: "early", Regions: []string{"r0"}}},
		Apps:    []topology.App{{Name: "app0", Targets: []topology.Target{{File: "envs/{{region}}/{{app}}/values.yaml", YAMLPath: "image.tag"}}}},
	}}
}

func reportMedian(b *testing.B, d []time.Duration) {
	sort.Slice(d, func(i, j int) bool { return d[i] < d[j] })
	if len(d) == 0 {
		return
	}
	b.ReportMetric(float64(d[len(d)/2].Microseconds())/1000, "median-ms")
	b.ReportMetric(float64(d[len(d)*9/10].Microseconds())/1000, "p90-ms")
}

// BenchmarkPromotion measures one promotion (fetch, edit, commit, push) on a
// repository of 10,000 files and 5,000 commits served by git daemon: the
// Writer against the git CLI doing the same edit, commit and push from an
// up-to-date clone. Run with -benchtime=50x.
func BenchmarkPromotion(b *testing.B) {
	srv := gittest.Start(b)
	generateRepo(b, srv, "gogit")
	generateRepo(b, srv, "gitcli")
	ctx := context.Background()
	seq := 0 // versions stay unique across the repeated runs of a sub-benchmark

	b.Run("gogit", func(b *testing.B) {
		top := benchTopology()
		w, err := gitops.New(gitops.Config{URL: srv.URL("gogit"), Dir: filepath.Join(b.TempDir(), "wc")},
			func() *topology.Topology { return top })
		if err != nil {
			b.Fatal(err)
		}
		run := fmt.Sprintf("%d", time.Now().UnixNano())
		// The first promotion clones and indexes the history; it is setup.
		if _, err := w.Promote(ctx, rings.Promotion{ReleaseID: "warm", App: "app0", Ring: "early", Regions: []string{"r0"},
			Version: "v1.0.0", PromotionID: run + "-warm"}); err != nil {
			b.Fatal(err)
		}
		durations := make([]time.Duration, 0, b.N)
		b.ResetTimer()
		for i := 0; i < b.N; i++ {
			start := time.Now()
			seq++
			res, err := w.Promote(ctx, rings.Promotion{ReleaseID: "rel", App: "app0", Ring: "early", Regions: []string{"r0"},
				Version: fmt.Sprintf("v2.%d.0", seq), PromotionID: fmt.Sprintf("%s-%d", run, seq)})
			if err != nil || res.AlreadyLanded {
				b.Fatalf("promote: %v (already landed %v)", err, res.AlreadyLanded)
			}
			durations = append(durations, time.Since(start))
		}
		b.StopTimer()
		reportMedian(b, durations)
	})

	b.Run("gitcli", func(b *testing.B) {
		dir := b.TempDir()
		gittest.Run(b, dir, "clone", "--quiet", srv.URL("gitcli"), "wc")
		wc := filepath.Join(dir, "wc")
		file := filepath.Join(wc, "envs", "r0", "app0", "values.yaml")
		durations := make([]time.Duration, 0, b.N)
		b.ResetTimer()
		for i := 0; i < b.N; i++ {
			seq++
			start := time.Now()
			content, err := os.ReadFile(file)
			if err != nil {
				b.Fatal(err)
			}
			out, err := yamledit.SetPath(content, "image.tag", fmt.Sprintf("v2.%d.0", seq))
			if err != nil {
				b.Fatal(err)
			}
			if err := os.WriteFile(file, out, 0o644); err != nil {
				b.Fatal(err)
			}
			msg := gitops.CommitMessage(rings.Promotion{ReleaseID: "rel", App: "app0", Ring: "early", Regions: []string{"r0"},
				Version: fmt.Sprintf("v2.%d.0", seq), PromotionID: fmt.Sprintf("cli-%d", seq)})
			if _, err := gittest.RunErr(wc, "commit", "--quiet", "-a", "-m", msg); err != nil {
				b.Fatal(err)
			}
			if _, err := gittest.RunErr(wc, "push", "--quiet", "origin", "main"); err != nil {
				b.Fatal(err)
			}
			durations = append(durations, time.Since(start))
		}
		b.StopTimer()
		reportMedian(b, durations)
	})
}
