package demo

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"
)

func TestStartNodeReportsAnEarlyExitWithItsOutput(t *testing.T) {
	t.Parallel()
	dir := filepath.Join(t.TempDir(), "node")
	_, err := StartNode("/bin/sh", []string{"-c", "echo 'ringd: bad command line: --topology is wrong' >&2; exit 2"}, dir, 10*time.Second)
	if err == nil || !strings.Contains(err.Error(), "--topology is wrong") {
		t.Errorf("got %v, want an error carrying the node's output", err)
	}
}

func TestStartNodeReadsTheAnnouncedAddresses(t *testing.T) {
	t.Parallel()
	dir := filepath.Join(t.TempDir(), "node")
	// A stand-in node: announces like ringd (with its own pid), then waits.
	script := `printf '{"http":"127.0.0.1:1234","raft":"127.0.0.1:5678","pid":%d}' $$ > "$0/addr.json"; exec sleep 60`
	n, err := StartNode("/bin/sh", []string{"-c", script, dir}, dir, 10*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	defer n.Stop(time.Second)
	if n.HTTP != "127.0.0.1:1234" || n.Raft != "127.0.0.1:5678" {
		t.Errorf("got http %q raft %q, want the announced 127.0.0.1:1234 and 127.0.0.1:5678", n.HTTP, n.Raft)
	}
	if _, err := os.Stat(n.LogPath); err != nil {
		t.Errorf("node log: %v", err)
	}
}

func TestPortNoteOnlyWhenTheWantedPortWasNotBound(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		wanted, bound string
		note          bool
	}{
		{"127.0.0.1:8080", "127.0.0.1:8080", false},
		{"localhost:8080", "127.0.0.1:8080", false},
		{"127.0.0.1:0", "127.0.0.1:41234", false},
		{"127.0.0.1:8080", "127.0.0.1:41234", true},
	} {
		if got := portNote(tc.wanted, tc.bound); (got != "") != tc.note || (tc.note && !strings.Contains(got, tc.wanted)) {
			t.Errorf("portNote(%s, %s) = %q; want a note naming %s: %v", tc.wanted, tc.bound, got, tc.wanted, tc.note)
		}
	}
}

func TestStartSimRegionsNamesAMissingBinary(t *testing.T) {
	t.Parallel()
	missing := filepath.Join(t.TempDir(), "ringsim")
	_, err := StartSimRegions(SimConfig{Binary: missing, Dir: t.TempDir()}, time.Second)
	if err == nil || !strings.Contains(err.Error(), missing) || !strings.Contains(err.Error(), "make build") {
		t.Errorf("got %v, want an error naming %s and how to build it", err, missing)
	}
}

func TestStartSimRegionsReportsAnEarlyExitWithItsOutput(t *testing.T) {
	t.Parallel()
	// A stand-in ringsim that refuses its command line, as ringsim does.
	bin := filepath.Join(t.TempDir(), "ringsim")
	if err := os.WriteFile(bin, []byte("#!/bin/sh\necho 'ringsim: --repo is required' >&2\nexit 2\n"), 0o755); err != nil {
		t.Fatal(err)
	}
	_, err := StartSimRegions(SimConfig{Binary: bin, Dir: t.TempDir()}, 10*time.Second)
	if err == nil || !strings.Contains(err.Error(), "exited before it served") || !strings.Contains(err.Error(), "--repo is required") {
		t.Errorf("got %v, want an early exit carrying the output", err)
	}
}

func TestSimControlsReachTheControlEndpoint(t *testing.T) {
	t.Parallel()
	var (
		mu  sync.Mutex
		got []string
	)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		got = append(got, r.Method+" "+r.URL.RequestURI())
		mu.Unlock()
		if strings.Contains(r.URL.Path, "nowhere") {
			http.Error(w, `{"error":"region \"nowhere\": unknown region"}`, http.StatusNotFound)
			return
		}
		w.WriteHeader(http.StatusNoContent)
	}))
	defer srv.Close()
	s := &SimRegions{}
	s.Control = srv.URL
	ctx := context.Background()
	for _, err := range []error{
		s.Degrade(ctx, "eu-west-1", "checkout", true),
		s.Degrade(ctx, "eu-west-1", "", false),
		s.SetErrorRatio(ctx, "us-east-1", 0.25),
		s.Pause(ctx, "us-west-2"),
		s.Resume(ctx, "us-west-2"),
	} {
		if err != nil {
			t.Fatal(err)
		}
	}
	want := []string{
		"POST /v1/regions/eu-west-1/degrade?app=checkout&on=true",
		"POST /v1/regions/eu-west-1/degrade?on=false",
		"POST /v1/regions/us-east-1/errors?ratio=0.25",
		"POST /v1/regions/us-west-2/pause",
		"POST /v1/regions/us-west-2/resume",
		"POST /v1/regions/nowhere/pause",
	}
	err := s.Pause(ctx, "nowhere")
	if !errors.Is(err, errSimControl) || !strings.Contains(err.Error(), "unknown region") {
		t.Errorf("Pause(nowhere) = %v, want a refusal carrying ringsim's message", err)
	}
	mu.Lock()
	defer mu.Unlock()
	if strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Errorf("requests:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
}
