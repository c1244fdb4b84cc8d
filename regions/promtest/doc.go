// Package promtest runs a real Prometheus server for tests, scraping a small
// in-process exporter whose request counters the test steers.
//
// The exporter serves http_requests_total{region,app,version,code} from its
// own registry. Each scrape advances every configured series by a fixed
// number of requests, split between code 200 and code 500 by the error ratio
// the test set with SetErrorRatio, so rate() over a few scrapes is exactly that
// ratio without any background goroutine or wall-clock traffic generator.
//
// Start launches the prometheus binary (Debian package "prometheus"; `make
// deps` installs it) on a free loopback port with a temporary configuration
// and data directory, waits for /-/ready and kills it on Stop. New does the
// same for one test and stops it in t.Cleanup. A missing binary is an error,
// never a skip: these tests exist to prove the queries against the real thing.
package promtest
