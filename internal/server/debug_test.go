package server

import (
	"io"
	"log/slog"
	"net/http"
	"strings"
	"testing"
)

func TestDebugListenerServesProfilesOnlyWhenAsked(t *testing.T) {
	logger := slog.New(slog.NewTextHandler(io.Discard, nil))
	if addr, err := startDebug("", logger); err != nil || addr != "" {
		t.Fatalf("startDebug(\"\") = %q, %v; want off", addr, err)
	}
	addr, err := startDebug("127.0.0.1:0", logger)
	if err != nil {
		t.Fatal(err)
	}
	resp, err := http.Get("http://" + addr + "/debug/pprof/")
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK || !strings.Contains(string(body), "goroutine") {
		t.Fatalf("GET /debug/pprof/ = %d %.200s", resp.StatusCode, body)
	}
	if _, err := startDebug("not-an-address", logger); err == nil || !strings.Contains(err.Error(), "--debug-addr") {
		t.Fatalf("a bad --debug-addr gave %v, want an error naming the flag", err)
	}
}
