package memhttp

import (
	"context"
	"errors"
	"io"
	"net/http"
	"strings"
	"testing"
)

func TestClientServesWithTheHandler(t *testing.T) {
	t.Parallel()
	c := Client(func(w http.ResponseWriter, r *http.Request) {
		w.WriteHeader(http.StatusTeapot)
		io.WriteString(w, r.Method+" "+r.URL.Path)
	})
	resp, err := c.Post("http://nowhere.invalid/brew", "text/plain", strings.NewReader("x"))
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != http.StatusTeapot || string(body) != "POST /brew" {
		t.Fatalf("got %d %q; want 418 \"POST /brew\"", resp.StatusCode, body)
	}
}

func TestEndedContextFailsTheRequest(t *testing.T) {
	t.Parallel()
	ctx, cancel := context.WithCancel(context.Background())
	c := Client(func(http.ResponseWriter, *http.Request) { cancel() })
	req, _ := http.NewRequestWithContext(ctx, http.MethodGet, "http://nowhere.invalid/", nil)
	if _, err := c.Do(req); !errors.Is(err, context.Canceled) {
		t.Fatalf("Do = %v; want context.Canceled", err)
	}
}
