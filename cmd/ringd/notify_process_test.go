package main

import (
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/ringleader-dev/ringleader/internal/notify"
	"github.com/ringleader-dev/ringleader/internal/poll"
	"github.com/ringleader-dev/ringleader/internal/signature"
)

// hookReceiver collects the signed webhook requests real ringd processes
// send, verifying each signature on arrival.
type hookReceiver struct {
	srv    *httptest.Server
	mu     sync.Mutex
	ids    []string
	badSig []string
}

func newHookReceiver(t *testing.T, secret signature.Secret) *hookReceiver {
	t.Helper()
	h := &hookReceiver{}
	h.srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		var ev notify.Event
		_ = json.Unmarshal(body, &ev)
		h.mu.Lock()
		defer h.mu.Unlock()
		if err := signature.Verify(secret, r.Header.Get(signature.HeaderSignature), body, time.Now(), 0); err != nil {
			h.badSig = append(h.badSig, ev.ID+": "+err.Error())
		}
		h.ids = append(h.ids, ev.ID)
	}))
	t.Cleanup(h.srv.Close)
	return h
}

func (h *hookReceiver) count(id string) int {
	h.mu.Lock()
	defer h.mu.Unlock()
	n := 0
	for _, v := range h.ids {
		if v == id {
			n++
		}
	}
	return n
}

// TestRingdClusterNotifiesOnceFromTheLeader runs three ringd processes, all
// configured with the same signed webhook, places two halts and checks
// that each was told exactly once, with a valid signature, and that no
// process printed the secret.
func TestRingdClusterNotifiesOnceFromTheLeader(t *testing.T) {
	if testing.Short() {
		t.Skip("starts three ringd processes")
	}
	secret := signature.Secret("ringd-test-signing-secret")
	hook := newHookReceiver(t, secret)
	secretFile := filepath.Join(t.TempDir(), "webhook-secret")
	if err := os.WriteFile(secretFile, append([]byte(secret), '\n'), 0o600); err != nil {
		t.Fatal(err)
	}
	flags := []string{"--notify-webhook-url", hook.srv.URL + "/ringleader", "--notify-webhook-secret-file", secretFile}
	root := t.TempDir()
	n1 := startRingd(t, "n1", filepath.Join(root, "n1"), append([]string{"--bootstrap"}, flags...)...)
	procs := []*ringdProc{n1}
	for _, id := range []string{"n2", "n3"} {
		procs = append(procs, startRingd(t, id, filepath.Join(root, id), append([]string{"--join", n1.http}, flags...)...))
	}
	ids := make([]string, 0, 2)
	for _, reason := range []string{"first", "second"} {
		var created struct{ ID string }
		poll.Until(t, 30*time.Second, "a halt to be accepted", func() bool {
			code, b := send("POST", procs[len(ids)+1].http+"/v1/halts", `{"global":true,"reason":"`+reason+`"}`)
			return code == 201 && json.Unmarshal(b, &created) == nil && created.ID != ""
		})
		ids = append(ids, "halt-placed/"+created.ID)
		poll.Until(t, 30*time.Second, "the webhook to receive "+created.ID, func() bool { return hook.count(ids[len(ids)-1]) > 0 })
	}
	// The second halt was told after the first: a follower that also told
	// the first would have done so by now.
	for _, id := range ids {
		if n := hook.count(id); n != 1 {
			t.Errorf("%s delivered %d times; want once, by the leader", id, n)
		}
	}
	hook.mu.Lock()
	bad := strings.Join(hook.badSig, "; ")
	hook.mu.Unlock()
	if bad != "" {
		t.Errorf("signatures did not verify: %s", bad)
	}
	for _, p := range procs {
		if strings.Contains(p.out.String(), string(secret)) {
			t.Errorf("ringd %s printed the webhook secret", p.id)
		}
	}
	// The delivery counters: the leader sent every notification once, so
	// the nodes' sent counters add up to what the receiver got (polled: a
	// counter moves once the sender has read the answer).
	sentOverNodes := func() int {
		sent := 0
		for _, p := range procs {
			code, body := send("GET", p.http+"/metrics", "")
			if code != 200 {
				t.Fatalf("GET /metrics on %s: %d", p.id, code)
			}
			for _, line := range strings.Split(string(body), "\n") {
				if v, ok := strings.CutPrefix(line, "ringleader_notifications_sent_total "); ok {
					n, err := strconv.Atoi(v)
					if err != nil {
						t.Fatalf("%s: %q", p.id, line)
					}
					sent += n
				}
			}
		}
		return sent
	}
	poll.Until(t, 30*time.Second, "ringleader_notifications_sent_total to add up to the deliveries", func() bool {
		hook.mu.Lock()
		got := len(hook.ids)
		hook.mu.Unlock()
		return got >= len(ids) && sentOverNodes() == got
	})
}
