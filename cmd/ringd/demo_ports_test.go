package main

import (
	"net"
	"net/http"
	"strings"
	"testing"
)

// TestTwoDemosAtOnceServeTheirOwnDashboards starts two `ringd demo` at the
// same time, both asking for the same free port, as two `make demo` both
// ask for 8080: one node may bind it, the other binds a free port itself
// on the bind error (a demo that checked the port first and bound it later
// died here with "address already in use"). Each banner prints its own
// real URL, and says why when it is not the one asked for; both dashboards
// and APIs answer; both demos then stop cleanly with every child.
func TestTwoDemosAtOnceServeTheirOwnDashboards(t *testing.T) {
	if testing.Short() {
		t.Skip("runs two whole demos; skipped with -short")
	}
	// A port free a moment ago, released on purpose: the race needs a port
	// both demos can hope to get. Should a third process take it meanwhile,
	// both demos fall back and the test still holds.
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	want := l.Addr().String()
	l.Close()

	// Both start before either has bound anything.
	demos := []*demoProc{
		launchDemo(t, "--http-addr", want, "--no-prometheus"),
		launchDemo(t, "--http-addr", want, "--no-prometheus"),
	}
	seen := map[string]bool{}
	for i, p := range demos {
		p.waitBanner(t)
		base := p.field(t, "Dashboard")
		host := strings.TrimPrefix(base, "http://")
		if seen[host] {
			t.Errorf("demo %d serves on %s, as the other demo does", i, host)
		}
		seen[host] = true
		if noted := strings.Contains(p.out.String(), want+" is taken"); noted == (host == want) {
			t.Errorf("demo %d serves on %s, asked for %s, and its banner says it is taken: %v; want a note exactly when it is elsewhere:\n%s",
				i, host, want, noted, p.out.String())
		}
		for _, path := range []string{"/", "/v1/status"} {
			resp, err := http.Get(base + path)
			if err != nil {
				t.Fatalf("demo %d: GET %s: %v", i, path, err)
			}
			resp.Body.Close()
			if resp.StatusCode != http.StatusOK {
				t.Errorf("demo %d: GET %s = %s, want 200", i, path, resp.Status)
			}
		}
	}
	for _, p := range demos {
		p.stopCleanly(t, p.field(t, "GitOps repo"))
	}
}
