// Package storetest holds what the tests of coordinator/store and of the
// packages built on it share: a quiet Raft logger, an in-memory snapshot
// sink, a snapshot round trip between two FSMs and latency percentiles.
// It imports no Ringleader package, so store's own tests can use it.
package storetest

import (
	"bytes"
	"io"
	"os"
	"slices"
	"testing"
	"time"

	"github.com/hashicorp/go-hclog"

	"github.com/hashicorp/raft"
)

// Logger is silent by default, to keep test output readable. Set
// RINGLEADER_TEST_LOG=debug to see everything.
func Logger(name string) hclog.Logger {
	level := hclog.Off
	if l := os.Getenv("RINGLEADER_TEST_LOG"); l != "" {
		level = hclog.LevelFromString(l)
	}
	return hclog.New(&hclog.LoggerOptions{Name: name, Level: level, Output: os.Stderr})
}

// Sink is a raft.SnapshotSink in memory.
type Sink struct {
	bytes.Buffer
	Closed, Canceled bool
}

// ID names the sink.
func (s *Sink) ID() string { return "mem" }

// Close records that the snapshot is complete; the bytes stay readable.
func (s *Sink) Close() error { s.Closed = true; return nil }

// Cancel records that the snapshot was abandoned.
func (s *Sink) Cancel() error { s.Canceled = true; return nil }

// Persist snapshots src through Raft's FSM interface (a *store.FSM) into a
// Sink, failing the test on any error.
func Persist(t testing.TB, src raft.FSM) *Sink {
	t.Helper()
	s, err := src.Snapshot()
	if err != nil {
		t.Fatalf("snapshot: %v", err)
	}
	sink := &Sink{}
	if err := s.Persist(sink); err != nil {
		t.Fatalf("persist: %v", err)
	}
	return sink
}

// Restore snapshots src (Persist) and restores dst from the bytes, failing
// the test on any error.
func Restore(t testing.TB, src, dst raft.FSM) {
	t.Helper()
	if err := dst.Restore(io.NopCloser(Persist(t, src))); err != nil {
		t.Fatalf("restore: %v", err)
	}
}

// ReportPercentiles reports p50, p99 and the maximum of lat in
// milliseconds.
func ReportPercentiles(b *testing.B, lat []time.Duration) {
	slices.Sort(lat)
	pct := func(p float64) time.Duration { return Percentile(lat, p) }
	b.ReportMetric(Millis(pct(0.50)), "p50-ms")
	b.ReportMetric(Millis(pct(0.99)), "p99-ms")
	b.ReportMetric(Millis(lat[len(lat)-1]), "max-ms")
}

// Percentile is the p-quantile of sorted (nearest rank; 0 when empty).
func Percentile(sorted []time.Duration, p float64) time.Duration {
	if len(sorted) == 0 {
		return 0
	}
	return sorted[min(len(sorted)-1, int(float64(len(sorted))*p))]
}

// Millis is d in milliseconds, for b.ReportMetric.
func Millis(d time.Duration) float64 { return float64(d) / float64(time.Millisecond) }
