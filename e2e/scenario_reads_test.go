package e2e

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"sync"
	"testing"
	"time"

	"github.com/ringleader-dev/ringleader/coordinator/apiclient"
	"github.com/ringleader-dev/ringleader/e2e/harness"
	"github.com/ringleader-dev/ringleader/rings"
)

// TestConsistentReadsAfterClusterRestart: an acknowledged halt survives a
// full-cluster restart, and no consistent read (?consistent=true) answered
// while the cluster comes back — by a freshly elected leader whose state
// may still lag its log — omits it.
func TestConsistentReadsAfterClusterRestart(t *testing.T) {
	e := newEnv(t, envOptions{rings: defaultRings()})
	c, cancel := ctx()
	h, err := e.admin().PlaceHalt(c, apiclient.HaltRequest{HaltScope: rings.HaltScope{Apps: []string{"search"}}, Reason: "e2e: must survive the restart"})
	cancel()
	if err != nil {
		t.Fatal(err)
	}
	for _, n := range e.c.Nodes {
		n.Kill()
	}
	var (
		mu      sync.Mutex
		stale   []string
		answers int
	)
	stop := make(chan struct{})
	var wg sync.WaitGroup
	read := func(n *harness.Node) {
		defer wg.Done()
		hc := &http.Client{Timeout: 2 * time.Second}
		for {
			select {
			case <-stop:
				return
			default:
			}
			ok, has, err := consistentHasHalt(hc, n, e.c.AdminToken, h.ID)
			if err == nil && ok {
				mu.Lock()
				answers++
				if !has {
					stale = append(stale, fmt.Sprintf("%s at %s", n.ID, time.Now().Format("15:04:05.000")))
				}
				mu.Unlock()
			}
			time.Sleep(5 * time.Millisecond) // poll interval
		}
	}
	for _, n := range e.c.Nodes {
		if err := n.Restart(); err != nil {
			t.Fatal(err)
		}
		wg.Add(1)
		go read(n)
	}
	e.c.WaitHealthy(t, 60*time.Second)
	time.Sleep(2 * time.Second) // keep reading a while after the cluster is healthy
	close(stop)
	wg.Wait()
	if answers == 0 {
		t.Fatal("no consistent read was answered after the restart")
	}
	if len(stale) > 0 {
		t.Errorf("%d of %d consistent reads after the restart omitted acknowledged halt %s (first: %s): a new leader answered before applying its log",
			len(stale), answers, h.ID, stale[0])
	}
}

// consistentHasHalt asks n for the active halts with ?consistent=true;
// ok says whether it answered 200, has whether halt id was in the answer.
func consistentHasHalt(hc *http.Client, n *harness.Node, token, id string) (ok, has bool, err error) {
	c, cancel := context.WithTimeout(context.Background(), 2*time.Second)
	defer cancel()
	req, _ := http.NewRequestWithContext(c, http.MethodGet, n.HTTP()+"/v1/halts?active=true&consistent=true", nil)
	req.Header.Set("Authorization", "Bearer "+token)
	resp, err := hc.Do(req)
	if err != nil {
		return false, false, err
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return false, false, nil
	}
	var l apiclient.HaltList
	if err := json.NewDecoder(resp.Body).Decode(&l); err != nil {
		return false, false, err
	}
	for _, x := range l.Halts {
		if x.ID == id {
			return true, true, nil
		}
	}
	return true, false, nil
}
