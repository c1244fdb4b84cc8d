package bench

import (
	"context"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"testing"
	"time"
)

// BenchmarkHaltAck measures halt acknowledgement latency from one client,
// side by side in the same run:
//
//   - ringd: POST /v1/halts then POST /v1/halts/{id}/resume, alternately,
//     at the leader of a 3-node cluster (each answer means committed by a
//     quorum with fsync and applied on the leader);
//   - etcd (gRPC): a Put of the same halt JSON at the leader of a 3-node
//     etcd cluster (a quorum write), alternating the placed and the resumed
//     document;
//   - etcd (JSON gateway): the same Put through POST /v3/kv/put.
//
// One op is one command on each system; the three run interleaved in
// blocks of 50 so a change of machine load hits all of them alike.
func BenchmarkHaltAck(b *testing.B) {
	nodes := ringdCluster3(b, 1)
	members := etcdCluster3(b)
	rl, err := ringdLeader(nodes)
	if err != nil {
		b.Fatal(err)
	}
	el, err := etcdLeader(members)
	if err != nil {
		b.Fatal(err)
	}
	// The etcd payloads are ringd's own answers: a placed and a resumed halt.
	id, placed, err := placeHalt(fastClient, rl.http)
	if err != nil {
		b.Fatal(err)
	}
	resumed, err := resumeHalt(fastClient, rl.http, id)
	if err != nil {
		b.Fatal(err)
	}
	gw := &http.Client{Timeout: 10 * time.Second, Transport: &http.Transport{MaxIdleConnsPerHost: 4}}
	b.Logf("payload: %d bytes (placed), %d bytes (resumed); ringd leader %s, etcd leader %s", len(placed), len(resumed), rl.id, el.name)

	b.Run("ringd-vs-etcd", func(b *testing.B) {
		var rd, eg, ej []time.Duration
		load := []string{loadAvg()}
		hc := &haltClient{nodes: nodes, leader: rl}
		etcdRetries := 0
		const block = 50
		b.ResetTimer()
		for done := 0; done < b.N; done += block {
			n := min(block, b.N-done)
			for i := range n {
				start := time.Now()
				err := hc.toggle()
				rd = append(rd, time.Since(start))
				if err != nil {
					b.Fatalf("ringd command %d: %v", done+i, err)
				}
			}
			for i := range n {
				key, v := haltWrite("h", done+i, placed, resumed)
				start := time.Now()
				err := etcdPutRetrying(members, &el, key, v, &etcdRetries)
				eg = append(eg, time.Since(start))
				if err != nil {
					b.Fatalf("etcd put %d: %v", done+i, err)
				}
			}
			for i := range n {
				key, v := haltWrite("g", done+i, placed, resumed)
				start := time.Now()
				err := gatewayPut(gw, el, key, v)
				for tries := 0; err != nil && tries < 10; tries++ { // a leader change: find it, put again
					etcdRetries++
					if l, lerr := etcdLeader(members); lerr == nil {
						el = l
					}
					err = gatewayPut(gw, el, key, v)
				}
				ej = append(ej, time.Since(start))
				if err != nil {
					b.Fatalf("etcd gateway put %d: %v", done+i, err)
				}
			}
			if done%500 == 0 {
				load = append(load, loadAvg())
			}
		}
		b.StopTimer()
		// Context for the figures: what one fsync costs on the disk under
		// the data directories. hashicorp/raft's leader fsyncs its own log
		// before it sends the entry to the followers, and a follower
		// fsyncs before it answers, so a ringd commit waits for two fsyncs
		// in series; etcd's leader writes its log while the followers
		// write theirs.
		f := newDist(fsyncTimes(b, b.TempDir(), 1000))
		r, g, j := newDist(rd), newDist(eg), newDist(ej)
		b.ReportMetric(ms(f.pct(0.5)), "fsync-p50-ms")
		b.ReportMetric(ms(f.pct(0.99)), "fsync-p99-ms")
		b.ReportMetric(ms(r.pct(0.5)), "ringd-p50-ms")
		b.ReportMetric(ms(r.pct(0.99)), "ringd-p99-ms")
		b.ReportMetric(ms(r.max()), "ringd-max-ms")
		b.ReportMetric(ms(g.pct(0.5)), "etcd-p50-ms")
		b.ReportMetric(ms(g.pct(0.99)), "etcd-p99-ms")
		b.ReportMetric(ms(g.max()), "etcd-max-ms")
		b.ReportMetric(ms(j.pct(0.5)), "etcdgw-p50-ms")
		b.ReportMetric(ms(j.pct(0.99)), "etcdgw-p99-ms")
		b.ReportMetric(float64(r.pct(0.5))/float64(g.pct(0.5)), "p50-ratio")
		b.ReportMetric(float64(r.pct(0.99))/float64(g.pct(0.99)), "p99-ratio")
		b.ReportMetric(float64(hc.retries), "ringd-retries")
		b.ReportMetric(float64(hc.moves), "ringd-leader-moves")
		b.ReportMetric(float64(hc.forwards), "ringd-forwarded")
		b.ReportMetric(float64(etcdRetries), "etcd-retries")
		b.ReportMetric(0, "ns/op")
		b.Logf("machine: %s; load during run: %v; commands retried: ringd %d (leader moved %d times, %d answered through a forward), etcd %d", machine(), load, hc.retries, hc.moves, hc.forwards, etcdRetries)
		b.Logf("ringd HTTP          %s", r.row())
		b.Logf("etcd gRPC           %s", g.row())
		b.Logf("etcd JSON gateway   %s", j.row())
		b.Logf("fsync, 400 bytes    %s", f.row())
		b.Logf("ratio ringd/etcd(gRPC): p50 %.2f, p99 %.2f; ringd/etcd(gateway): p50 %.2f, p99 %.2f",
			float64(r.pct(0.5))/float64(g.pct(0.5)), float64(r.pct(0.99))/float64(g.pct(0.99)),
			float64(r.pct(0.5))/float64(j.pct(0.5)), float64(r.pct(0.99))/float64(j.pct(0.99)))
	})
}

// BenchmarkHaltAckLoaded measures ringd's halt acknowledgement latency
// (as BenchmarkHaltAck) on two 3-node clusters side by side in the same
// run: one with an empty state (a one-app topology, no release) and one
// holding 2,000 apps × 50 regions × 4 rings with one release per app
// soaking in ring 0. The commands alternate between the two in blocks of
// 50, so a change of machine load hits both; the ratios loaded/empty are
// what the size of the state costs a halt. etcd's put does not depend on
// it, so etcd is not repeated here.
func BenchmarkHaltAckLoaded(b *testing.B) {
	const apps = 2000
	empty := ringdCluster3(b, 1)
	loaded := ringdCluster3(b, apps)
	el, err := ringdLeader(empty)
	if err != nil {
		b.Fatal(err)
	}
	ll, err := ringdLeader(loaded)
	if err != nil {
		b.Fatal(err)
	}
	loadReleases(b, ll, apps)
	// Starting 2,000 releases keeps both cores busy, and the loaded
	// cluster's leader can lose its lease on the way: time halts at
	// whichever node leads now, or every command pays a forward.
	if ll, err = ringdLeader(loaded); err != nil {
		b.Fatal(err)
	}
	b.Run(fmt.Sprintf("ringd-empty-vs-apps=%d", apps), func(b *testing.B) {
		clients := []*haltClient{{nodes: empty, leader: el}, {nodes: loaded, leader: ll}}
		lat := make([][]time.Duration, len(clients))
		load := []string{loadAvg()}
		const block = 50
		b.ResetTimer()
		for done := 0; done < b.N; done += block {
			for c, hc := range clients {
				for i := range min(block, b.N-done) {
					start := time.Now()
					err := hc.toggle()
					lat[c] = append(lat[c], time.Since(start))
					if err != nil {
						b.Fatalf("ringd command %d (cluster %d): %v", done+i, c, err)
					}
				}
			}
			if done%500 == 0 {
				load = append(load, loadAvg())
			}
		}
		b.StopTimer()
		e, l := newDist(lat[0]), newDist(lat[1])
		b.ReportMetric(ms(e.pct(0.5)), "empty-p50-ms")
		b.ReportMetric(ms(e.pct(0.99)), "empty-p99-ms")
		b.ReportMetric(ms(l.pct(0.5)), "loaded-p50-ms")
		b.ReportMetric(ms(l.pct(0.99)), "loaded-p99-ms")
		b.ReportMetric(ms(l.max()), "loaded-max-ms")
		b.ReportMetric(float64(l.pct(0.5))/float64(e.pct(0.5)), "p50-ratio")
		b.ReportMetric(float64(l.pct(0.99))/float64(e.pct(0.99)), "p99-ratio")
		b.ReportMetric(float64(clients[0].retries+clients[1].retries), "retries")
		b.ReportMetric(float64(clients[0].forwards+clients[1].forwards), "forwarded")
		b.ReportMetric(0, "ns/op")
		b.Logf("ringd HTTP, empty state:   %s", e.row())
		b.Logf("ringd HTTP, %d apps:     %s", apps, l.row())
		b.Logf("ratio %d apps/empty: p50 %.2f, p99 %.2f; retries %d/%d; answered through a forward %d/%d; load %v; machine: %s", apps,
			float64(l.pct(0.5))/float64(e.pct(0.5)), float64(l.pct(0.99))/float64(e.pct(0.99)),
			clients[0].retries, clients[1].retries, clients[0].forwards, clients[1].forwards, load, machine())
	})
}

// etcdPutRetrying puts at the leader *el; when that fails (a leader change
// under load) it finds the leader again and retries, counting retries. A
// put is idempotent, so a retry after "maybe applied" is harmless.
func etcdPutRetrying(members []*etcdMember, el **etcdMember, key string, v []byte, retries *int) error {
	deadline := time.Now().Add(30 * time.Second)
	for {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		err := (*el).conn.put(ctx, key, v)
		cancel()
		if err == nil {
			return nil
		}
		if time.Now().After(deadline) {
			return err
		}
		*retries++
		if l, lerr := etcdLeader(members); lerr == nil {
			*el = l
		}
	}
}

// fsyncTimes writes 400 bytes and fsyncs them n times in a file under dir
// and returns each write+fsync's duration.
func fsyncTimes(b *testing.B, dir string, n int) []time.Duration {
	b.Helper()
	f, err := os.Create(filepath.Join(dir, "fsync-probe"))
	if err != nil {
		b.Fatal(err)
	}
	defer f.Close()
	buf := make([]byte, 400)
	out := make([]time.Duration, 0, n)
	for range n {
		start := time.Now()
		if _, err := f.Write(buf); err != nil {
			b.Fatal(err)
		}
		if err := f.Sync(); err != nil {
			b.Fatal(err)
		}
		out = append(out, time.Since(start))
	}
	return out
}

// haltWrite is write i of the alternating place/resume sequence under
// /ringleader/halts/<prefix>: even writes place halt i/2, odd ones resume it.
func haltWrite(prefix string, i int, placed, resumed []byte) (key string, v []byte) {
	v = placed
	if i%2 == 1 {
		v = resumed
	}
	return fmt.Sprintf("/ringleader/halts/%s%d", prefix, i/2), v
}
