package main

import (
	"context"
	"errors"
	"log/slog"
	"net/http"
	"strings"
	"time"
)

// --bootstrap-id lets every replica of a StatefulSet run the same command
// line: the node whose --node-id equals it forms the cluster, the others
// join through --join. Forming is safe to repeat: the node bootstraps only
// when its data directory holds no Raft state (store.NewNode skips
// BootstrapCluster otherwise), and before that it asks --join whether a
// cluster already answers; if one does (the node lost its volume, or
// restarts while the others run) it joins that cluster instead of forming
// a second one.

// resolveBootstrapID turns --bootstrap-id into --bootstrap or --join.
func (c *config) resolveBootstrapID() []error {
	switch {
	case c.bootstrap:
		return []error{errors.New("--bootstrap-id replaces --bootstrap: pass one or the other")}
	case c.nodeID == c.bootstrapID:
		c.bootstrap, c.joinProbe, c.join = true, c.join, ""
	case c.join == "":
		return []error{errors.New("--bootstrap-id needs --join: the nodes other than " + c.bootstrapID + " join through it")}
	}
	return nil
}

// clusterProbeTimeout bounds the question "does a cluster already answer
// at --join?" asked by the bootstrap node before it forms one.
const clusterProbeTimeout = 5 * time.Second

// preferJoin switches the bootstrap node to joining when a cluster with a
// leader already answers at its --join URL.
func preferJoin(ctx context.Context, c *config, client *http.Client, logger *slog.Logger) {
	if !c.bootstrap || c.joinProbe == "" {
		return
	}
	if clusterAnswers(ctx, c.joinProbe, client) {
		logger.Info("a cluster already answers; joining it instead of bootstrapping", "via", c.joinProbe)
		c.bootstrap, c.join = false, c.joinProbe
		return
	}
	logger.Info("no cluster answers; bootstrapping (a no-op when the data dir already holds state)", "probed", c.joinProbe)
}

// clusterAnswers reports whether GET url/readyz says 200: a member that
// knows a leader.
func clusterAnswers(ctx context.Context, url string, client *http.Client) bool {
	if !strings.Contains(url, "://") {
		url = "http://" + url
	}
	ctx, cancel := context.WithTimeout(ctx, clusterProbeTimeout)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, strings.TrimRight(url, "/")+"/readyz", nil)
	if err != nil {
		return false
	}
	resp, err := client.Do(req)
	if err != nil {
		return false
	}
	resp.Body.Close()
	return resp.StatusCode == http.StatusOK
}
