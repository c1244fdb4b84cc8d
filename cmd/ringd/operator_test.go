package main

import (
	"bufio"
	"net/http"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/ringleader-dev/ringleader/internal/poll"
)

// TestRingdServesDashboardMetricsAndEvents checks the wiring: one ringd
// serves the dashboard, the metrics and the event stream, and a SIGTERM
// ends an open event stream instead of waiting for it.
func TestRingdServesDashboardMetricsAndEvents(t *testing.T) {
	if testing.Short() {
		t.Skip("starts a ringd process")
	}
	p := startRingd(t, "n1", filepath.Join(t.TempDir(), "n1"), "--bootstrap")
	poll.Until(t, 30*time.Second, "n1 to lead", func() bool {
		code, b := send("GET", p.http+"/metrics", "")
		return code == 200 && strings.Contains(string(b), "\nringleader_raft_leader 1\n")
	})
	cases := []struct{ path, want string }{
		{"/", `<main id="board"`},
		{"/ui/board", `class="cluster"`},
		{"/ui/static/app.js", "/v1/events"},
		{"/metrics", "ringleader_halts_active 0"},
	}
	for _, tc := range cases {
		t.Run(tc.path, func(t *testing.T) {
			code, b := send("GET", p.http+tc.path, "")
			if code != 200 || !strings.Contains(string(b), tc.want) {
				t.Fatalf("GET %s: %d, body lacks %q", tc.path, code, tc.want)
			}
		})
	}

	resp, err := http.Get(p.http + "/v1/events")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	r := bufio.NewReader(resp.Body)
	if line, err := r.ReadString('\n'); err != nil || resp.Header.Get("Content-Type") != "text/event-stream" || line != "retry: 2000\n" {
		t.Fatalf("GET /v1/events: %q %v (%s); want an event stream", line, err, resp.Header.Get("Content-Type"))
	}
	if code, _ := send("POST", p.http+"/v1/halts", `{"global":true,"reason":"wiring test"}`); code != 201 {
		t.Fatalf("place halt: %d", code)
	}
	gotHalt := make(chan bool, 1)
	go func() {
		for {
			line, err := r.ReadString('\n')
			if err != nil {
				gotHalt <- false
				return
			}
			if line == "event: halt.place\n" {
				gotHalt <- true
				return
			}
		}
	}()
	select {
	case ok := <-gotHalt:
		if !ok {
			t.Fatal("event stream ended before the halt event")
		}
	case <-time.After(10 * time.Second):
		t.Fatal("no halt.place event within 10s")
	}

	start := time.Now()
	if err := p.cmd.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	p.wantCleanExit(t, 8*time.Second, "SIGTERM with an event stream open")
	t.Logf("ringd exited %s after SIGTERM with a stream open", time.Since(start).Round(time.Millisecond))
}
